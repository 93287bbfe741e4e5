/**
 * The dense leg: an embedding model and a vector index over documents or passages. With a passage
 * split (the model's own `passages`, e.g. the shipped static model's 150-character windows) every
 * passage is embedded with the document's title in front and a document scores as its best passage.
 * A document or query may bring its own vector; a leg without a model (`dim`) takes only those.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { Analyzer } from '../../analyze/types.js';
import { checkOptions, invalidArgument, TamsaekError } from '../../errors.js';
import type { StaticEmbedder } from '../../models/static.js';
import type { MorphemeAnalyzerName } from '../../models/static-features.js';
import type { TextEmbedder } from '../../models/types.js';
import type { AdaptationRecord, AdaptedModel, AdaptOptions } from '../../train/adapt.js';
import { ADAPT_RECIPE_KEYS } from '../../train/adapt-options.js';
import { type ChunkOptions, checkChunkOptions, chunkText, passageUnit, splitUnit, titled } from '../../util/chunker.js';
import { Slicer } from '../../util/slices.js';
import { raceStop, throwIfStopped } from '../../util/stop.js';
import { bestPassages } from '../passages.js';
import { PassageSpans, type Span } from '../spans.js';
import type {
  Leg,
  LegDocument,
  LegFactory,
  LegHit,
  LegQuery,
  LegSearchOptions,
  LegState,
  PreparedBatch,
  PrepareOptions,
} from '../types.js';
import { addInChunks, buildVectorIndex, loadVectorIndex } from './index.js';
import type { Metric, VectorIndex, VectorIndexKind } from './types.js';

export interface DenseLegOptions {
  /** An embedder instance, or a model directory / Hub id ("default": the shipped static model). */
  embedder?: TextEmbedder | string;
  /** Instead of `embedder`: no model; every document and dense search brings its vector of this dimension. */
  dim?: number;
  index?: VectorIndexKind | 'auto';
  metric?: Metric;
  hnsw?: { M?: number; efConstruction?: number; efSearch?: number };
  /** Passage split (default: the model's own `passages`; false: whole documents). */
  chunk?: ChunkOptions | false;
  /**
   * Adapt a static model to the corpus (no labels; src/train/adapt.ts): on the first add of at least
   * ADAPT_MIN_DOCUMENTS documents, and again with `engine.adapt()`. `true` or the adaptation settings.
   */
  adapt?: boolean | LegAdaptOptions;
  /**
   * A static model reads this analyzer's morphemes instead of those it was trained on (its stop tags
   * kept). Default: "ko-mecab" when the engine's analyzer is ko-mecab (or a combination led by it), so
   * that engine never loads lindera; else the model's own.
   */
  morphemes?: MorphemeAnalyzerName;
}

/** Adaptation settings a leg keeps (seed, time budget, recipe). */
export type LegAdaptOptions = Omit<AdaptOptions, 'onProgress' | 'threads' | 'pairs'>;

/** Fewer documents than this are no corpus to learn from: the base model embeds them. */
export const ADAPT_MIN_DOCUMENTS = 20;

/** What the leg keeps in the manifest. */
export interface DenseSettings {
  model?: string;
  vectorsOnly?: true;
  index: VectorIndexKind | 'auto';
  metric: Metric;
  hnsw?: DenseLegOptions['hnsw'];
  chunk?: ChunkOptions;
  /** Adaptation asked for (and its settings). */
  adapt?: LegAdaptOptions;
  /** What the adapted model stored with the leg was made from. */
  adapted?: AdaptationRecord;
  /** The morpheme analyzer the static model reads, where it is not the one it was trained on. */
  morphemes?: MorphemeAnalyzerName;
}

interface DenseBatch extends PreparedBatch {
  units: string[];
  vectors: Float32Array;
  spans: Map<string, Span[]>;
  /** A model adapted to the corpus, installed by commit. */
  model?: AdaptedModel;
  /** The batch replaces every unit of the leg (a re-adaptation). */
  replace?: boolean;
}

const EMBED_BATCH = 256;
const MAX_VECTOR_DIM = 65_536;
const VECTORS_FILE = 'vectors.idx';
const MODEL_DIR = 'model';
const SPANS_FILE = 'passages.json';

/** The model of a leg without one (`dense: { dim }`): every vector comes from the caller. */
export function vectorsOnly(dim: number): TextEmbedder {
  return {
    dim,
    modelId: 'vectors-only',
    embed: () =>
      Promise.reject(
        invalidArgument(
          "this engine's dense leg has no model (dense: { dim }): give every document its vector, and search with a vector or without this leg",
        ),
      ),
  };
}

// loaded on demand: onnxruntime-node is optional and BM25-only engines never need it
async function loadEmbedder(model: string, morphemes?: MorphemeAnalyzerName): Promise<TextEmbedder> {
  const { loadEmbedder: load } = await import('../../models/load.js');
  return load(model, {}, morphemes ? { morphemes } : {});
}

/** The morphemes a static model reads by default under `analyzer`: ko-mecab's when it leads the analyzer. */
function morphemesFor(analyzer: Analyzer | undefined): MorphemeAnalyzerName | undefined {
  const config = analyzer?.config;
  const lead = config?.name === 'combine' ? config.parts[0] : config;
  return lead?.name === 'ko-mecab' ? 'ko-mecab' : undefined;
}

export class DenseLeg implements Leg {
  readonly kind = 'dense';

  constructor(
    public embedder: TextEmbedder,
    private readonly settings: DenseSettings,
    private index: VectorIndex | undefined,
    private spans = new PassageSpans(),
    /** Whether this leg loaded the model (and so releases it on close). */
    private ownsEmbedder = false,
  ) {}

  /** The model adaptation starts from (loaded when first needed, for an index that stores an adapted one). */
  private base: TextEmbedder | undefined;
  private baseOwned = false;

  /** The dimension of vectors a caller may bring. */
  get vectorDim(): number {
    return this.embedder.dim;
  }

  async prepare(docs: readonly LegDocument[], options: PrepareOptions = {}): Promise<DenseBatch> {
    // the first add of a corpus adapts the model to it, when asked for
    const adapting =
      this.settings.adapt &&
      !this.settings.adapted &&
      (this.index?.size ?? 0) === 0 &&
      docs.length >= ADAPT_MIN_DOCUMENTS;
    const model = adapting ? await this.adaptModel(docs, options) : undefined;
    return {
      ...(await this.embedDocuments(docs, model?.embedder ?? this.embedder, options)),
      ...(model ? { model } : {}),
    };
  }

  /** A batch replacing the model and every unit: the base model adapted to `docs`, which embeds them all. */
  async adapt(docs: readonly LegDocument[], options: PrepareOptions & LegAdaptOptions = {}): Promise<DenseBatch> {
    const { onProgress, signal, ...recipe } = options;
    const model = await this.adaptModel(docs, { onProgress, signal }, recipe);
    return { ...(await this.embedDocuments(docs, model.embedder, { onProgress, signal })), model, replace: true };
  }

  private async adaptModel(
    docs: readonly LegDocument[],
    options: PrepareOptions,
    recipe: LegAdaptOptions = {},
  ): Promise<AdaptedModel> {
    if (this.settings.vectorsOnly)
      throw new TamsaekError(
        'NOT_SUPPORTED',
        'adapt: a dense leg without a model (dense: { dim }) has nothing to adapt',
      );
    const base = await this.baseModel();
    if ((base as { kind?: string }).kind !== 'static')
      throw new TamsaekError(
        'NOT_SUPPORTED',
        `adapt: only tamsaek static models adapt to a corpus (this leg's model is ${base.modelId})`,
      );
    const { adaptStaticModel } = await import('../../train/adapt.js');
    const onProgress = options.onProgress;
    return adaptStaticModel(base as StaticEmbedder, docs, {
      ...this.settings.adapt,
      ...recipe,
      ...(onProgress ? { onProgress: (stage, done, total) => onProgress(done, total, `adapt: ${stage}`) } : {}),
    });
  }

  /** The model adaptation starts from: the base model, never an already adapted one. */
  private async baseModel(): Promise<TextEmbedder> {
    if (!this.settings.adapted) return this.embedder;
    if (!this.base) {
      if (typeof this.settings.model !== 'string')
        throw invalidArgument('adapt: this leg was built with a custom embedder, so its base model cannot be reloaded');
      this.base = await loadEmbedder(this.settings.model, this.settings.morphemes);
      this.baseOwned = true;
    }
    return this.base;
  }

  private async embedDocuments(
    docs: readonly LegDocument[],
    embedder: TextEmbedder,
    options: PrepareOptions,
  ): Promise<DenseBatch> {
    const { chunk } = this.settings;
    const dim = embedder.dim;
    const units: string[] = [];
    const spans = new Map<string, Span[]>();
    const texts: string[] = [];
    const slots: number[] = [];
    const given: { slot: number; vector: Float32Array }[] = [];
    // splitting thousands of documents is tens of milliseconds of young garbage: take turns
    const slicer = new Slicer({ signal: options.signal, what: 'add' });
    for (const doc of docs) {
      await slicer.pause();
      if (doc.vector) {
        // a document that brings its vector is one unit whatever the split
        given.push({ slot: units.length, vector: doc.vector });
        units.push(doc.id);
        continue;
      }
      const parts = chunk ? chunkText(doc.text, chunk) : [{ start: 0, end: doc.text.length, text: doc.text }];
      if (chunk)
        spans.set(
          doc.id,
          parts.map(({ start, end }) => ({ start, end })),
        );
      parts.forEach((p, n) => {
        slots.push(units.length);
        units.push(chunk ? passageUnit(doc.id, n) : doc.id);
        texts.push(titled(doc.title, p.text));
      });
    }
    const vectors = new Float32Array(units.length * dim);
    for (const { slot, vector } of given) vectors.set(vector, slot * dim);
    await embedInto(embedder, vectors, texts, slots, options);
    return { ids: docs.map((d) => d.id), units, vectors, spans };
  }

  async capture(docs: readonly LegDocument[]): Promise<DenseBatch> {
    const spans = new Map<string, Span[]>();
    const units: string[] = [];
    for (const doc of docs) {
      const own = this.spans.get(doc.id);
      if (own) spans.set(doc.id, [...own]);
      units.push(...this.spans.units(doc.id));
    }
    const vectors = this.index && units.length > 0 ? await this.index.vectorsOf(units) : new Float32Array(0);
    return { ids: docs.map((d) => d.id), units, vectors, spans };
  }

  /**
   * Read-only: what the leg stores for each of `ids`, in order — its units (passages with their offsets,
   * or the whole document without `span`) and each unit's vector as the index holds it (`vectorsOf`, as
   * `capture` reads them: normalised or decoded where the index does so). No model call; what
   * `Engine.documents()` streams out. Every id must be one the leg holds (NOT_FOUND otherwise).
   */
  async stored(ids: readonly string[]): Promise<{ span?: Span; vector: Float32Array }[][]> {
    const units = ids.map((id) => this.spans.units(id));
    const flat = units.flat();
    if (flat.length > 0 && !this.index)
      throw new TamsaekError('NOT_FOUND', `the dense leg holds no vectors for "${ids[0]}"`);
    const vectors = flat.length > 0 ? await this.index!.vectorsOf(flat) : new Float32Array(0);
    const dim = this.embedder.dim;
    let row = 0;
    return ids.map((id, i) => {
      const spans = this.spans.get(id);
      return units[i].map((_, n) => {
        const vector = vectors.slice(row * dim, ++row * dim);
        return spans ? { span: { ...spans[n] }, vector } : { vector };
      });
    });
  }

  async commit(batch: PreparedBatch): Promise<void> {
    const b = batch as DenseBatch;
    if (b.replace) return this.replaceAll(b);
    const { units, vectors, spans } = b;
    if (b.model) this.install(b.model);
    if (units.length === 0) return;
    try {
      if (!this.index) {
        const { index, metric, hnsw } = this.settings;
        this.index = await buildVectorIndex(units, vectors, { kind: index, dim: this.embedder.dim, metric, hnsw });
      } else await addInChunks(this.index, units, vectors, this.embedder.dim);
    } catch (error) {
      await this.index?.remove(units).catch(() => {});
      throw error;
    }
    for (const [id, s] of spans) this.spans.set(id, s);
  }

  /** A re-adaptation: a new index over every unit, swapped in with the new model only once built. */
  private async replaceAll(b: DenseBatch): Promise<void> {
    const { index, metric, hnsw } = this.settings;
    const built =
      b.units.length > 0
        ? await buildVectorIndex(b.units, b.vectors, { kind: index, dim: b.model!.embedder.dim, metric, hnsw })
        : undefined;
    const spans = new PassageSpans();
    for (const [id, s] of b.spans) spans.set(id, s);
    this.install(b.model!);
    this.index = built;
    this.spans = spans;
  }

  private install(model: AdaptedModel): void {
    if (!this.base) {
      this.base = this.embedder;
      this.baseOwned = this.ownsEmbedder;
    } else if (this.embedder !== this.base) void this.embedder.dispose?.().catch(() => {});
    this.embedder = model.embedder;
    this.ownsEmbedder = true;
    this.settings.adapted = model.record;
  }

  async remove(ids: readonly string[]): Promise<void> {
    const units = ids.flatMap((id) => this.spans.units(id));
    if (this.index) await this.index.remove(units);
    for (const id of ids) this.spans.delete(id);
  }

  async search(query: LegQuery, options: LegSearchOptions): Promise<LegHit[]> {
    const index = this.index;
    if (!index || index.size === 0) return [];
    const { k, signal, deadline } = options;
    const vector = query.vector ?? (await raceStop(this.embedQuery(query), signal, deadline));
    throwIfStopped(signal, deadline);
    const accept = options.filter;
    const filter = accept && ((unit: string | number) => accept(splitUnit(String(unit)).documentId));
    const search = (n: number) => index.search(vector, n, filter ? { filter } : undefined);
    if (!this.settings.chunk)
      return (await raceStop(search(k), signal, deadline)).map((h) => ({ id: String(h.id), score: h.score }));
    const hits = await raceStop(
      bestPassages(search, k, index.size, (unit) => splitUnit(unit).documentId),
      signal,
      deadline,
    );
    return hits.map((h) => {
      const span = this.spans.spanOf(h.unit);
      return span ? { id: h.id, score: h.score, span } : { id: h.id, score: h.score };
    });
  }

  /** The query's vector; a model that reads the engine analyzer's terms takes them instead of analysing again. */
  private embedQuery(query: LegQuery): Promise<Float32Array> {
    const e = this.embedder;
    if (e.embedQueryTerms && e.termsAnalyzer === query.analyzer) return e.embedQueryTerms(query.text, query.terms);
    return e.embed([query.text], { kind: 'query' });
  }

  async save(dir: string): Promise<LegState> {
    if (this.index && this.index.size > 0) await this.index.save(join(dir, VECTORS_FILE));
    if (this.settings.adapted) await this.saveModel(join(dir, MODEL_DIR));
    if (this.settings.chunk) await this.spans.save(join(dir, SPANS_FILE));
    return { ...this.settings, dim: this.embedder.dim, modelId: this.embedder.modelId };
  }

  /** The adapted model, stored with the leg (int8, like the shipped model). */
  private async saveModel(dir: string): Promise<void> {
    const { saveStaticModel } = await import('../../models/static.js');
    const e = this.embedder as StaticEmbedder;
    await saveStaticModel(dir, e.featurizer.config, e.weights, {
      dtype: 'int8',
      name: e.modelId,
      ...(e.passages ? { passages: e.passages } : {}),
      training: { adaptation: this.settings.adapted },
    });
  }

  stats() {
    const units = this.index?.size ?? 0;
    return { documents: this.settings.chunk ? this.spans.size : units, units };
  }

  describe(): Record<string, unknown> {
    return {
      model: this.embedder.modelId,
      ...(this.settings.morphemes ? { morphemes: this.settings.morphemes } : {}),
      ...(this.settings.adapted ? { adapted: this.settings.adapted } : {}),
      index: this.index?.constructor.name,
      metric: this.settings.metric,
      ...(this.settings.chunk ? { passages: this.settings.chunk } : {}),
    };
  }

  async close(): Promise<void> {
    if (this.ownsEmbedder) await this.embedder.dispose?.().catch(() => {});
    if (this.base && this.base !== this.embedder && this.baseOwned) await this.base.dispose?.().catch(() => {});
  }
}

/** Embeds `texts` (passage kind) in batches into `vectors` at `slots`, checking every value. */
async function embedInto(
  embedder: TextEmbedder,
  vectors: Float32Array,
  texts: string[],
  slots: number[],
  options: PrepareOptions,
): Promise<void> {
  const dim = embedder.dim;
  for (let start = 0; start < texts.length; start += EMBED_BATCH) {
    throwIfStopped(options.signal);
    const count = Math.min(EMBED_BATCH, texts.length - start);
    const part = await embedder.embed(texts.slice(start, start + count), { kind: 'passage' });
    if (part.length !== count * dim)
      throw new TamsaekError(
        'DIMENSION_MISMATCH',
        `embedder returned ${part.length} values for ${count} texts of dimension ${dim}`,
      );
    for (let i = 0; i < part.length; i++)
      if (!Number.isFinite(part[i])) throw invalidArgument('embedder returned a non-finite value');
    for (let j = 0; j < count; j++) vectors.set(part.subarray(j * dim, (j + 1) * dim), slots[start + j] * dim);
    options.onProgress?.(start + count, texts.length, 'embed');
  }
  if (texts.length === 0) options.onProgress?.(0, 0);
}

/** The leg's settings and its model from create options. */
async function resolveCreate(
  options: DenseLegOptions | undefined,
  analyzer: Analyzer | undefined,
): Promise<{ embedder: TextEmbedder; settings: DenseSettings; owned: boolean }> {
  checkOptions('dense leg', options, ['embedder', 'dim', 'index', 'metric', 'hnsw', 'chunk', 'adapt', 'morphemes']);
  const { embedder: given, dim, index = 'auto', metric = 'cosine', hnsw, chunk } = options ?? {};
  const morphemes = checkMorphemes(options?.morphemes) ?? morphemesFor(analyzer);
  const asked = checkAdapt(options?.adapt);
  if (asked && dim !== undefined)
    throw invalidArgument('dense.adapt needs a model to adapt: a leg without one (dense: { dim }) cannot');
  let embedder: TextEmbedder;
  if (dim !== undefined) {
    if (given !== undefined)
      throw invalidArgument(
        "dense: give an embedder or a dim (vectors only), not both: with a model the dimension is the model's",
      );
    if (!Number.isInteger(dim) || dim < 1 || dim > MAX_VECTOR_DIM)
      throw invalidArgument(`dense.dim must be an integer in 1..${MAX_VECTOR_DIM}, got ${dim}`);
    embedder = vectorsOnly(dim);
  } else if (typeof given === 'string') embedder = await loadEmbedder(given, morphemes);
  else if (given && typeof given.embed === 'function' && Number.isInteger(given.dim) && given.dim > 0) embedder = given;
  else
    throw invalidArgument(
      'dense.embedder must be a model directory / Hub id or an object with dim and embed() (or give dense.dim for vectors computed elsewhere)',
    );
  // the model's own passage split applies unless the caller chose
  const split = chunk === false ? undefined : chunk !== undefined ? chunk : embedder.passages;
  // a static model adapts to the corpus unless told not to (docs/training.md, *Adaptation*): the
  // measured cost is seconds per thousand documents, and on corpora it never saw it is what makes the
  // dense leg worth fusing
  const isStatic = (embedder as { kind?: string }).kind === 'static';
  const adapt = asked ?? (options?.adapt === undefined && isStatic ? {} : undefined);
  const settings: DenseSettings = {
    ...(typeof given === 'string' ? { model: given } : {}),
    ...(dim !== undefined ? { vectorsOnly: true as const } : {}),
    index,
    metric,
    ...(hnsw ? { hnsw } : {}),
    ...(split ? { chunk: checkChunkOptions(split) } : {}),
    ...(adapt ? { adapt } : {}),
    ...(morphemes && isStatic && typeof given === 'string' ? { morphemes } : {}),
  };
  return { embedder, settings, owned: typeof given === 'string' };
}

function checkMorphemes(v: unknown): MorphemeAnalyzerName | undefined {
  if (v === undefined) return undefined;
  if (v !== 'ko-morph' && v !== 'ko-mecab') throw invalidArgument('dense.morphemes must be "ko-morph" or "ko-mecab"');
  return v;
}

/** `adapt: true | { … }` as the settings the leg keeps; a typed error for anything else. */
export function checkAdapt(adapt: unknown): LegAdaptOptions | undefined {
  if (adapt === undefined || adapt === false) return undefined;
  if (adapt === true) return {};
  if (adapt === null || typeof adapt !== 'object')
    throw invalidArgument('dense.adapt must be true, false or an object of adaptation settings');
  checkOptions('dense.adapt', adapt, ADAPT_RECIPE_KEYS);
  for (const [key, value] of Object.entries(adapt)) {
    if (key === 'target') {
      if (value !== 'document' && value !== 'passage')
        throw invalidArgument(`dense.adapt.target must be "document" or "passage", got ${String(value)}`);
    } else if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0))
      throw invalidArgument(`dense.adapt.${key} must be a finite number >= 0, got ${String(value)}`);
  }
  return { ...(adapt as LegAdaptOptions) };
}

async function loadAdapted(dir: string): Promise<TextEmbedder> {
  const { StaticEmbedder } = await import('../../models/static.js');
  return StaticEmbedder.load(join(dir, MODEL_DIR));
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * A dense leg from its saved state: resolves the model (the caller's instance, the recorded model name,
 * or none for a vectors-only leg), checks its dimension, then loads the vectors and passage offsets
 * with `load` (format 2 reads the leg's directory; an older index reads its generation's own files).
 */
export async function restoreDenseLeg(
  where: string,
  state: LegState,
  given: TextEmbedder | undefined,
  load: (settings: DenseSettings) => Promise<{ index?: VectorIndex; spans?: PassageSpans }>,
): Promise<DenseLeg> {
  const s = state as unknown as DenseSettings & { dim: number };
  let embedder = given ?? (s.vectorsOnly === true ? vectorsOnly(s.dim) : undefined);
  let owned = !embedder && typeof s.model === 'string';
  if (!embedder && s.adapted) {
    // the adapted model is stored with the leg (format 2): no base model needed to search
    embedder = await loadAdapted(where);
    owned = true;
  } else if (!embedder && typeof s.model === 'string') embedder = await loadEmbedder(s.model, s.morphemes);
  if (!embedder)
    throw invalidArgument(`index ${where} was built with a custom embedder: pass it as Engine.open(dir, { embedder })`);
  try {
    if (embedder.dim !== s.dim)
      throw new TamsaekError(
        'DIMENSION_MISMATCH',
        `index ${where} holds ${s.dim}-d vectors but the embedder makes ${embedder.dim}-d ones`,
      );
    const settings: DenseSettings = {
      ...(s.model !== undefined ? { model: s.model } : {}),
      ...(s.vectorsOnly ? { vectorsOnly: true as const } : {}),
      index: s.index ?? 'auto',
      metric: s.metric ?? 'cosine',
      ...(s.hnsw ? { hnsw: s.hnsw } : {}),
      ...(s.chunk ? { chunk: checkChunkOptions(s.chunk) } : {}),
      ...(s.adapt ? { adapt: checkAdapt(s.adapt) } : {}),
      ...(s.adapted ? { adapted: s.adapted } : {}),
      ...(s.morphemes ? { morphemes: checkMorphemes(s.morphemes) } : {}),
    };
    const { index, spans } = await load(settings);
    return new DenseLeg(embedder, settings, index, spans ?? new PassageSpans(), owned);
  } catch (error) {
    if (owned) await embedder.dispose?.().catch(() => {});
    throw error;
  }
}

export const denseLeg: LegFactory<DenseLegOptions> = {
  async create(options, context) {
    const { embedder, settings, owned } = await resolveCreate(options, context?.analyzer);
    return new DenseLeg(embedder, settings, undefined, new PassageSpans(), owned);
  },
  async open(dir, state, _context, runtime) {
    const given = runtime?.embedder;
    return restoreDenseLeg(dir, state, typeof given === 'object' ? given : undefined, async (settings) => {
      const file = join(dir, VECTORS_FILE);
      const index = (await exists(file)) ? await loadVectorIndex(file) : undefined;
      const spans = settings.chunk ? await PassageSpans.load(join(dir, SPANS_FILE)) : undefined;
      return { index, spans };
    });
  },
};
