/**
 * The Engine facade: one id space over every leg. Documents go to the BM25 leg and (when a dense
 * model is configured) to the dense leg; a search runs the legs, fuses their ranked lists, maps
 * passages back to documents, optionally reranks with a cross-encoder and attaches snippets.
 *
 * Writes (add/upsert/delete/save) are serialized; searches run concurrently with them and see each
 * document either in all legs or, while its vectors are being stored, in BM25 only.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { open as openFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createAnalyzer } from '../analyze/index.js';
import type { Analyzer, AnalyzerConfig } from '../analyze/types.js';
import { TamsaekError, checkOptions, invalidArgument } from '../errors.js';
import { fuse } from '../fuse/index.js';
import { validateFusionConfig } from '../fuse/config.js';
import type { FusionConfig, FusionLeg } from '../fuse/types.js';
import { BM25_FORMAT_VERSION } from '../legs/bm25/format.js';
import { Bm25Index, compileFilter, type Metadata, type MetadataFilter } from '../legs/bm25/index.js';
import {
  HnswIndex,
  createVectorIndex,
  defaultIndexKind,
  loadVectorIndex,
  type Metric,
  type VectorIndex,
  type VectorIndexKind,
} from '../legs/dense/index.js';
import {
  checkChunkOptions,
  chunkText,
  passageUnit,
  splitUnit,
  titled,
  UNIT_SEPARATOR,
  type ChunkOptions,
  type Passage,
} from '../util/chunker.js';
import { bestPassages } from '../legs/dense/passages.js';
import { highlight, type Snippet } from './highlight.js';
import { acquireWriteLock, type WriteLock } from './lock.js';
import {
  INDEX_FORMAT,
  INDEX_FORMAT_VERSION,
  beginGeneration,
  commitGeneration,
  readManifest,
  verifyGeneration,
  type Manifest,
} from './manifest.js';

/** Anything that turns texts into L2-comparable vectors (OnnxEmbedder, a static model, a test double). */
export interface TextEmbedder {
  readonly dim: number;
  readonly modelId: string;
  embed(texts: readonly string[], options?: { kind?: 'query' | 'passage' }): Promise<Float32Array>;
  /** The passage split the model asks for (tamsaek static models: config.json `passages`); the dense leg's default. */
  readonly passages?: ChunkOptions;
}

/** Scores (query, passage) pairs; higher is more relevant (e.g. a cross-encoder's sigmoid). */
export interface Reranker {
  readonly modelId: string;
  /** How many candidates to rerank when the engine's rerank.topN is not given (default 20). */
  readonly defaultTopN?: number;
  score(query: string, passages: readonly string[], options?: { signal?: AbortSignal }): Promise<Float32Array>;
}

export interface EngineDocument {
  id: string;
  text: string;
  title?: string;
  meta?: Metadata;
  /**
   * The document's vector, already computed with the dense leg's model (for the text the engine
   * would embed: `title text`), so `add`/`upsert` skip embedding it. Needs a dense leg and no
   * chunking; `dim` values, all finite. Not returned by `get` (it lives in the vector index).
   */
  vector?: Float32Array | readonly number[];
}

export interface DenseOptions {
  /** An embedder instance, or a model directory / Hub id loaded with OnnxEmbedder (stored in the manifest). */
  embedder?: TextEmbedder | string;
  /**
   * Instead of `embedder`: a dense leg without a model, for vectors computed elsewhere. Every
   * document then needs its `vector`, and a search that runs the dense leg needs `vector`.
   */
  dim?: number;
  index?: VectorIndexKind | 'auto';
  metric?: Metric;
  hnsw?: { M?: number; efConstruction?: number; efSearch?: number };
  /**
   * Split documents into passages for the dense leg only: each passage is embedded and a document
   * scores as its best passage, while BM25 keeps whole documents. Default: the model's own
   * `passages` (the shipped static model: 150-character windows), none for other models; `false`
   * embeds whole documents. Not with the engine-wide `chunk`.
   */
  chunk?: ChunkOptions | false;
}

export interface RerankOptions {
  reranker: Reranker | string;
  /** How many fused candidates to rerank (default: the reranker's defaultTopN, else 20). */
  topN?: number;
  /** Drop reranked results scoring below this. */
  threshold?: number;
}

export interface EngineOptions {
  analyzer?: Analyzer | string | AnalyzerConfig;
  bm25?: { k1?: number; b?: number; titleWeight?: number };
  dense?: DenseOptions;
  rerank?: RerankOptions;
  /** How legs are fused (default: min-max convex combination, equal weights; docs/fusion.md, *The engine's default*). */
  fusion?: FusionConfig;
  /** Candidates taken from each leg (default 100). */
  depth?: number;
  /** Split long documents into passages; hits map back to their documents. */
  chunk?: ChunkOptions;
}

export interface EngineSearchOptions {
  k?: number;
  filter?: MetadataFilter;
  /** Overrides the engine's fusion configuration for this search. */
  fusion?: FusionConfig;
  /** Per-leg weights, merged into the fusion configuration. */
  weights?: Record<string, number>;
  depth?: number;
  /** Which legs to run (default all configured). */
  legs?: LegName[];
  /** false skips the reranker; a number overrides topN. */
  rerank?: boolean | number;
  /** Attach a snippet with highlight offsets (true = 160 characters). */
  highlight?: boolean | { maxChars?: number };
  signal?: AbortSignal;
  timeoutMs?: number;
  /** The query's vector, already computed with the dense leg's model: the dense leg uses it instead of embedding `query`. */
  vector?: Float32Array | readonly number[];
}

export type LegName = 'bm25' | 'dense';

export interface EngineHit {
  id: string;
  score: number;
  title?: string;
  meta?: Metadata;
  /** Per-leg evidence: the leg's own score and rank for this document (best passage). */
  legs: Partial<Record<LegName, { score: number; rank: number }>> & { rerank?: { score: number } };
  /** The fused score before reranking. */
  fusedScore: number;
  /** With chunking (or dense.chunk, for documents the dense leg found): the passage that matched, as offsets in the document text. */
  passage?: { start: number; end: number };
  snippet?: Snippet;
}

export interface RankedCandidate {
  id: string;
  unit: string;
  score: number;
  fusedScore: number;
  legs: EngineHit['legs'];
}

export interface OpenOptions {
  /** Open without the write lock: searches only (several readers may share a directory). */
  readOnly?: boolean;
  /** Required when the index was built with an embedder instance (not a model name). */
  embedder?: TextEmbedder;
  reranker?: Reranker;
}

interface StoredDocument {
  text: string;
  title?: string;
  meta?: Metadata;
  /** Passage offsets when chunked, else undefined (one unit = the whole document). */
  passages?: { start: number; end: number }[];
  /** The dense leg's passages (dense.chunk) when it split this document; else its units are the BM25 ones. */
  densePassages?: { start: number; end: number }[];
}

/** What `store` puts in the legs: BM25 units (passages) per document, the dense leg's own passages, their vectors. */
interface PreparedUnits {
  passages: Passage[][];
  /** Per document, with dense.chunk: the dense leg's passages (undefined for a document that brought its vector). */
  densePassages?: (Passage[] | undefined)[];
  vectors?: Float32Array;
}

const ENGINE_OPTIONS = ['analyzer', 'bm25', 'dense', 'rerank', 'fusion', 'depth', 'chunk'];
const SEARCH_OPTIONS = [
  'k',
  'filter',
  'fusion',
  'weights',
  'depth',
  'legs',
  'rerank',
  'highlight',
  'signal',
  'timeoutMs',
  'vector',
];
// Chosen on validation splits over RRF k = 60 (docs/fusion.md): better on every one, with passage and whole-document vectors.
const DEFAULT_FUSION: FusionConfig = { method: 'cc', normalizer: 'mm' };
const EMBED_BATCH = 256;
const MAX_VECTOR_DIM = 65_536;
export const MAX_SEARCH_K = 10_000;

/** The dense leg of an engine without a model (`dense: { dim }`): every vector comes from the caller. */
function vectorsOnly(dim: number): TextEmbedder {
  return {
    dim,
    modelId: 'vectors-only',
    embed: () =>
      Promise.reject(
        invalidArgument(
          "this engine's dense leg has no model (dense: { dim }): give every document its vector, and search with a vector or with legs: ['bm25']",
        ),
      ),
  };
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}

function throwIfStopped(signal: AbortSignal | undefined, deadline: number): void {
  if (signal?.aborted) throw new TamsaekError('ABORTED', 'search aborted', { cause: signal.reason });
  if (performance.now() > deadline) throw new TamsaekError('TIMEOUT', 'search timed out');
}

/** Resolves with `work`, or rejects as soon as the signal fires or the deadline passes. */
function raceStop<T>(work: Promise<T>, signal: AbortSignal | undefined, deadline: number): Promise<T> {
  if (!signal && deadline === Infinity) return work;
  return new Promise<T>((resolvePromise, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () =>
      finish(() => reject(new TamsaekError('ABORTED', 'search aborted', { cause: signal?.reason })));
    const finish = (then: () => void) => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      then();
    };
    if (deadline !== Infinity)
      timer = setTimeout(
        () => finish(() => reject(new TamsaekError('TIMEOUT', 'search timed out'))),
        Math.max(0, deadline - performance.now()),
      );
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => finish(() => resolvePromise(value)),
      (error) => finish(() => reject(error)),
    );
  });
}

// loaded on demand: onnxruntime-node is optional and BM25-only engines never need it
async function loadEmbedder(model: string): Promise<TextEmbedder> {
  const { loadEmbedder: load } = await import('../models/load.js');
  return load(model);
}

async function loadReranker(model: string): Promise<Reranker> {
  const { CrossEncoder } = await import('../rerank/index.js');
  return CrossEncoder.load(model);
}

export class Engine {
  private dense: VectorIndex | undefined;
  private readonly docs = new Map<string, StoredDocument>();
  private writeQueue: Promise<unknown> = Promise.resolve();
  private lock: WriteLock | undefined;
  private dir: string | undefined;
  private generation = 0;
  private closed = false;
  /** Models this engine loaded by name (and so releases on close); instances given by the caller stay theirs. */
  private ownedModels: unknown[] = [];

  private constructor(
    private readonly config: {
      bm25: { k1: number; b: number; titleWeight?: number };
      dense?: {
        model?: string;
        vectorsOnly?: true;
        index: VectorIndexKind | 'auto';
        metric: Metric;
        hnsw?: DenseOptions['hnsw'];
        chunk?: ChunkOptions;
      };
      rerank?: { model?: string; topN: number; threshold?: number };
      fusion: FusionConfig;
      depth: number;
      chunk?: ChunkOptions;
    },
    private readonly bm25: Bm25Index,
    private readonly embedder: TextEmbedder | undefined,
    private readonly reranker: Reranker | undefined,
    private readonly readOnly: boolean,
  ) {}

  /** A new, empty engine (in memory until `save(dir)`). Loads model names given as strings. */
  static async create(options: EngineOptions = {}): Promise<Engine> {
    checkOptions('Engine.create', options, ENGINE_OPTIONS);
    const analyzer =
      typeof options.analyzer === 'object' && 'analyze' in options.analyzer
        ? options.analyzer
        : createAnalyzer(options.analyzer);
    const bm25 = options.bm25 ?? {};
    checkOptions('Engine.create bm25', bm25, ['k1', 'b', 'titleWeight']);
    const depth = options.depth ?? 100;
    if (!Number.isInteger(depth) || depth < 1 || depth > MAX_SEARCH_K)
      throw invalidArgument(`depth must be an integer in 1..${MAX_SEARCH_K}, got ${depth}`);
    const fusion = validateFusionConfig(options.fusion ?? DEFAULT_FUSION);
    const chunk = options.chunk === undefined ? undefined : checkChunkOptions(options.chunk);
    let embedder: TextEmbedder | undefined;
    let denseConfig: (typeof Engine.prototype.config)['dense'];
    if (options.dense) {
      checkOptions('Engine.create dense', options.dense, ['embedder', 'dim', 'index', 'metric', 'hnsw', 'chunk']);
      const { embedder: given, dim, index = 'auto', metric = 'cosine', hnsw } = options.dense;
      if (dim !== undefined) {
        if (given !== undefined)
          throw invalidArgument(
            "dense: give an embedder or a dim (vectors only), not both: with a model the dimension is the model's",
          );
        if (!Number.isInteger(dim) || dim < 1 || dim > MAX_VECTOR_DIM)
          throw invalidArgument(`dense.dim must be an integer in 1..${MAX_VECTOR_DIM}, got ${dim}`);
        embedder = vectorsOnly(dim);
      } else if (typeof given === 'string') embedder = await loadEmbedder(given);
      else if (given && typeof given.embed === 'function' && Number.isInteger(given.dim) && given.dim > 0)
        embedder = given;
      else
        throw invalidArgument(
          'dense.embedder must be a model directory / Hub id or an object with dim and embed() (or give dense.dim for vectors computed elsewhere)',
        );
      const asked = options.dense.chunk;
      if (asked !== undefined && asked !== false && chunk)
        throw invalidArgument('dense.chunk and chunk: give one (chunk splits the documents for every leg)');
      // the model's own passage split applies unless the caller chose (or chunk splits for every leg)
      const denseChunk =
        asked === false || chunk
          ? undefined
          : asked !== undefined
            ? checkChunkOptions(asked)
            : embedder.passages && checkChunkOptions(embedder.passages);
      denseConfig = {
        model: typeof given === 'string' ? given : undefined,
        ...(dim !== undefined ? { vectorsOnly: true as const } : {}),
        index,
        metric,
        hnsw,
        ...(denseChunk ? { chunk: denseChunk } : {}),
      };
    }
    let reranker: Reranker | undefined;
    let rerankConfig: (typeof Engine.prototype.config)['rerank'];
    if (options.rerank) {
      checkOptions('Engine.create rerank', options.rerank, ['reranker', 'topN', 'threshold']);
      const { reranker: given, topN: topNOption, threshold } = options.rerank;
      if (topNOption !== undefined && !(Number.isInteger(topNOption) && topNOption >= 1 && topNOption <= 1000))
        throw invalidArgument(`rerank.topN must be an integer in 1..1000, got ${topNOption}`);
      if (threshold !== undefined && !Number.isFinite(threshold))
        throw invalidArgument('rerank.threshold must be a finite number');
      if (typeof given === 'string') reranker = await loadReranker(given);
      else if (given && typeof given.score === 'function') reranker = given;
      else throw invalidArgument('rerank.reranker must be a model directory / Hub id or an object with score()');
      // a reranker that knows its cost per query (CrossEncoder: docs/models.md, *Reranking budget*) sets the default
      const topN = topNOption ?? reranker.defaultTopN ?? 20;
      rerankConfig = { model: typeof given === 'string' ? given : undefined, topN, threshold };
    }
    const { k1 = 1.2, b = 0.75, titleWeight } = bm25;
    const lexical = new Bm25Index({
      analyzer,
      k1,
      b,
      fields: titleWeight === undefined ? { text: 1 } : { title: titleWeight, text: 1 },
    });
    const engine = new Engine(
      { bm25: { k1, b, titleWeight }, dense: denseConfig, rerank: rerankConfig, fusion, depth, chunk },
      lexical,
      embedder,
      reranker,
      false,
    );
    if (typeof options.dense?.embedder === 'string') engine.ownedModels.push(embedder);
    if (typeof options.rerank?.reranker === 'string') engine.ownedModels.push(reranker);
    return engine;
  }

  /** Opens a saved index. Takes the write lock unless `readOnly`. */
  static async open(dir: string, options: OpenOptions = {}): Promise<Engine> {
    checkOptions('Engine.open', options, ['readOnly', 'embedder', 'reranker']);
    const lock = options.readOnly
      ? undefined
      : await acquireWriteLock(dir).catch((error) => {
          const missing =
            error instanceof TamsaekError &&
            error.code === 'IO_ERROR' &&
            (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
          if (missing) throw new TamsaekError('NOT_FOUND', `no index at ${dir}`, { cause: error });
          throw error;
        });
    try {
      // a writer may replace the generation while we read it: re-read the manifest and retry
      for (let attempt = 0; ; attempt++) {
        const manifest = await readManifest(dir);
        if (!manifest) throw new TamsaekError('NOT_FOUND', `no index at ${dir} (missing manifest.json)`);
        try {
          const engine = await Engine.fromManifest(dir, manifest, options);
          engine.lock = lock;
          engine.dir = resolve(dir);
          engine.generation = manifest.generation;
          return engine;
        } catch (error) {
          const retry =
            error instanceof TamsaekError &&
            error.code === 'NOT_FOUND' &&
            attempt < 3 &&
            (await readManifest(dir))?.generation !== manifest.generation;
          if (!retry) throw error;
        }
      }
    } catch (error) {
      await lock?.release();
      throw error;
    }
  }

  private static async fromManifest(dir: string, manifest: Manifest, options: OpenOptions): Promise<Engine> {
    const gen = await verifyGeneration(dir, manifest);
    // biome-ignore lint/suspicious/noExplicitAny: the manifest's config is read field by field below
    const c = manifest.config as Record<string, any>;
    const bm25 = await Bm25Index.open(gen);
    const owned: unknown[] = [];
    try {
      let embedder: TextEmbedder | undefined;
      if (c.dense) {
        embedder = options.embedder ?? (c.dense.vectorsOnly === true ? vectorsOnly(c.dense.dim) : undefined);
        if (!embedder && typeof c.dense.model === 'string') owned.push((embedder = await loadEmbedder(c.dense.model)));
        if (!embedder)
          throw invalidArgument(
            `index ${dir} was built with a custom embedder: pass it as Engine.open(dir, { embedder })`,
          );
        if (embedder.dim !== c.dense.dim)
          throw new TamsaekError(
            'DIMENSION_MISMATCH',
            `index ${dir} holds ${c.dense.dim}-d vectors but the embedder makes ${embedder.dim}-d ones`,
          );
      }
      let reranker: Reranker | undefined;
      if (c.rerank) {
        reranker = options.reranker;
        if (!reranker && typeof c.rerank.model === 'string')
          owned.push((reranker = await loadReranker(c.rerank.model)));
        if (!reranker)
          throw invalidArgument(
            `index ${dir} was built with a custom reranker: pass it as Engine.open(dir, { reranker })`,
          );
      }
      const engine = new Engine(
        {
          bm25: { k1: bm25.k1, b: bm25.b, titleWeight: c.bm25?.titleWeight },
          dense: c.dense
            ? {
                model: c.dense.model,
                ...(c.dense.vectorsOnly === true ? { vectorsOnly: true as const } : {}),
                index: c.dense.index,
                metric: c.dense.metric,
                hnsw: c.dense.hnsw,
                ...(c.dense.chunk ? { chunk: checkChunkOptions(c.dense.chunk) } : {}),
              }
            : undefined,
          rerank: c.rerank ? { model: c.rerank.model, topN: c.rerank.topN, threshold: c.rerank.threshold } : undefined,
          fusion: validateFusionConfig(c.fusion ?? DEFAULT_FUSION),
          depth: c.depth ?? 100,
          chunk: c.chunk,
        },
        bm25,
        embedder,
        reranker,
        options.readOnly === true,
      );
      if (c.dense && manifest.files['dense.idx']) engine.dense = await loadVectorIndex(join(gen, 'dense.idx'));
      const lines = (await readFile(join(gen, 'docs.jsonl'), 'utf8')).split('\n');
      for (let i = 0; i < lines.length; i++) {
        if (lines[i] === '') continue;
        let row: { id: string } & StoredDocument;
        try {
          row = JSON.parse(lines[i]) as typeof row;
        } catch {
          throw new TamsaekError('CORRUPT_INDEX', `${join(gen, 'docs.jsonl')}:${i + 1}: invalid JSON`);
        }
        const { id, ...doc } = row;
        engine.docs.set(id, doc);
      }
      if (engine.docs.size !== manifest.stats?.documents)
        throw new TamsaekError('CORRUPT_INDEX', `index ${dir}: document count disagrees with the manifest`);
      engine.ownedModels = owned;
      return engine;
    } catch (error) {
      await disposeModels(owned);
      throw error;
    }
  }

  get size(): number {
    return this.docs.size;
  }

  get analyzer(): Analyzer {
    return this.bm25.analyzer;
  }

  get legs(): LegName[] {
    return this.embedder ? ['bm25', 'dense'] : ['bm25'];
  }

  has(id: string): boolean {
    return this.docs.has(id);
  }

  get(id: string): EngineDocument | undefined {
    const doc = this.docs.get(id);
    return doc && { id, text: doc.text, title: doc.title, meta: doc.meta };
  }

  /** The fusion configuration searches use by default (tuning may replace it). */
  /** The dense leg's embedding model id (undefined without a dense leg). */
  get denseModel(): string | undefined {
    return this.embedder?.modelId;
  }

  /** The dense leg's own passage split (dense.chunk), if it splits documents. */
  get densePassages(): ChunkOptions | undefined {
    return this.config.dense?.chunk;
  }

  get fusion(): FusionConfig {
    return this.config.fusion;
  }

  setFusion(config: FusionConfig): void {
    this.config.fusion = validateFusionConfig(config);
  }

  /** Adds new documents to every leg. DUPLICATE_ID when an id exists (use upsert). */
  add(
    documents: readonly EngineDocument[],
    options: { onProgress?: (done: number, total: number) => void } = {},
  ): Promise<number> {
    return this.write(async () => {
      const docs = this.checkDocuments(documents);
      for (const d of docs)
        if (this.docs.has(d.id))
          throw new TamsaekError('DUPLICATE_ID', `document id "${d.id}" already exists (use upsert to replace it)`);
      await this.ingest(docs, options.onProgress);
      return docs.length;
    });
  }

  /** Adds or replaces documents. */
  upsert(
    documents: readonly EngineDocument[],
    options: { onProgress?: (done: number, total: number) => void } = {},
  ): Promise<number> {
    return this.write(async () => {
      const docs = this.checkDocuments(documents);
      const units = await this.prepare(docs, options.onProgress);
      const replaced = docs.map((d) => this.get(d.id)).filter((d): d is EngineDocument => d !== undefined);
      const previous = await this.stored(replaced);
      await this.removeUnits(replaced.map((d) => d.id));
      try {
        await this.store(docs, units);
      } catch (error) {
        // put the previous versions back, with the vectors they had, so a failed upsert loses nothing
        if (replaced.length > 0) await this.store(replaced, previous).catch(() => {});
        throw error;
      }
      return docs.length;
    });
  }

  /** Removes documents; resolves to how many existed. */
  delete(ids: readonly string[]): Promise<number> {
    return this.write(async () => {
      if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string'))
        throw invalidArgument('delete: ids must be an array of strings');
      const present = [...new Set(ids)].filter((id) => this.docs.has(id));
      await this.removeUnits(present);
      return present.length;
    });
  }

  async search(query: string, options: EngineSearchOptions = {}): Promise<EngineHit[]> {
    this.checkOpen();
    checkOptions('search', options, SEARCH_OPTIONS);
    if (typeof query !== 'string') throw invalidArgument('search: query must be a string');
    const k = options.k ?? 10;
    if (!Number.isInteger(k) || k < 1 || k > MAX_SEARCH_K)
      throw invalidArgument(`search: k must be an integer in 1..${MAX_SEARCH_K}, got ${k}`);
    const depth = Math.max(options.depth ?? this.config.depth, k);
    if (!Number.isInteger(depth) || depth > MAX_SEARCH_K)
      throw invalidArgument(`search: depth must be an integer in 1..${MAX_SEARCH_K}`);
    if (options.depth !== undefined && !(Number.isInteger(options.depth) && options.depth >= 1))
      throw invalidArgument(`search: depth must be an integer in 1..${MAX_SEARCH_K}`);
    if (
      typeof options.rerank === 'number' &&
      !(Number.isInteger(options.rerank) && options.rerank >= 0 && options.rerank <= 1000)
    ) {
      throw invalidArgument('search: rerank must be true, false or an integer in 0..1000');
    }
    const maxChars = options.highlight === true ? 160 : options.highlight ? (options.highlight.maxChars ?? 160) : 0;
    if (maxChars !== 0 && !(Number.isInteger(maxChars) && maxChars > 0))
      throw invalidArgument('search: highlight.maxChars must be a positive integer');
    const { signal, timeoutMs } = options;
    if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0))
      throw invalidArgument('search: timeoutMs must be a positive number');
    const deadline = timeoutMs === undefined ? Infinity : performance.now() + timeoutMs;
    throwIfStopped(signal, deadline);
    const legs = options.legs ?? this.legs;
    for (const leg of legs)
      if (!this.legs.includes(leg))
        throw invalidArgument(`search: leg "${leg}" is not configured (available: ${this.legs.join(', ')})`);
    const vector = options.vector === undefined ? undefined : this.checkVector(options.vector, 'search: vector');
    if ((query.trim() === '' && !vector) || this.docs.size === 0) return [];

    const ranked = await this.retrieve(query, { depth, legs, filter: options.filter, signal, deadline, vector });
    throwIfStopped(signal, deadline);
    let config = options.fusion ? validateFusionConfig(options.fusion) : this.config.fusion;
    if (options.weights)
      config = validateFusionConfig({ ...config, weights: { ...(config.weights ?? {}), ...options.weights } });
    let candidates = this.fuseToDocuments(ranked, config, depth);

    // with dense.chunk the dense leg's best passage of each document is the hit's passage
    const densePassage = new Map<string, string>();
    for (const h of ranked.find((l) => l.name === 'dense')?.hits ?? [])
      if ('unit' in h) densePassage.set(h.id, (h as { unit: string }).unit);
    const rerankN =
      options.rerank === false ? 0 : typeof options.rerank === 'number' ? options.rerank : this.rerankTopN;
    if (this.reranker && rerankN > 0 && candidates.length > 0) {
      const head = candidates.slice(0, rerankN);
      const texts = head.map((c) => this.rerankText(c.unit, densePassage.get(c.id)));
      const scores = await raceStop(this.reranker.score(query, texts, { signal }), signal, deadline);
      throwIfStopped(signal, deadline);
      head.forEach((c, i) => (c.legs.rerank = { score: scores[i] }));
      let reranked = rerankOrder(head, scores);
      const threshold = this.config.rerank?.threshold;
      // with a threshold only confirmed candidates are returned; without one the unreranked tail follows
      if (threshold !== undefined) reranked = reranked.filter((c) => c.score >= threshold);
      candidates = threshold !== undefined ? reranked : [...reranked, ...candidates.slice(rerankN)];
    }

    const terms = maxChars > 0 ? this.bm25.analyzer.analyze(query) : [];
    return candidates.slice(0, k).map((c) => {
      const doc = this.docs.get(c.id)!;
      const hit: EngineHit = { id: c.id, score: c.score, fusedScore: c.fusedScore, legs: c.legs };
      if (doc.title !== undefined) hit.title = doc.title;
      if (doc.meta !== undefined) hit.meta = doc.meta;
      const dense = densePassage.get(c.id);
      const passage =
        this.unitSpan(c.unit) ?? (dense === undefined ? undefined : this.unitSpan(dense, 'densePassages'));
      if (passage) hit.passage = passage;
      if (maxChars > 0) {
        const span = passage ?? { start: 0, end: doc.text.length };
        const snip = highlight(doc.text.slice(span.start, span.end), terms, maxChars);
        hit.snippet = {
          start: snip.start + span.start,
          end: snip.end + span.start,
          text: snip.text,
          highlights: snip.highlights.map((h) => ({ start: h.start + span.start, end: h.end + span.start })),
        };
      }
      return hit;
    });
  }

  /**
   * Each leg's ranked units (documents or passages) for a query: the input of fusion. Public for
   * tuning, which fuses the same leg results under many configurations.
   */
  async retrieve(
    query: string,
    options: {
      depth: number;
      legs?: LegName[];
      filter?: MetadataFilter;
      signal?: AbortSignal;
      deadline?: number;
      vector?: Float32Array;
    },
  ): Promise<FusionLeg[]> {
    const { depth, signal, deadline = Infinity } = options;
    const legs = options.legs ?? this.legs;
    const accept = compileFilter(options.filter);
    const unitDoc = (unit: string) => this.unitDocument(unit);
    const ranked: FusionLeg[] = [];
    if (legs.includes('bm25')) {
      const hits = this.bm25.search(query, {
        k: depth,
        filter: accept && ((meta, unit) => accept(meta, unitDoc(unit))),
      });
      ranked.push({ name: 'bm25', hits });
    }
    if (legs.includes('dense') && this.embedder && this.dense && this.dense.size > 0) {
      const vector =
        options.vector ?? (await raceStop(this.embedder.embed([query], { kind: 'query' }), signal, deadline));
      throwIfStopped(signal, deadline);
      const filter =
        accept &&
        ((unit: string | number) => {
          const id = unitDoc(String(unit));
          return accept(this.docs.get(id)?.meta, id);
        });
      const dense = this.dense;
      const search = (k: number) => dense.search(vector, k, filter ? { filter } : undefined);
      const hits = this.config.dense?.chunk
        ? await raceStop(bestPassages(search, depth, dense.size, unitDoc), signal, deadline)
        : (await raceStop(search(depth), signal, deadline)).map((h) => ({ id: String(h.id), score: h.score }));
      ranked.push({ name: 'dense', hits });
    }
    return ranked;
  }

  /** Fuses leg results and keeps each document's best unit, best first. */
  fuseToDocuments(ranked: readonly FusionLeg[], config: FusionConfig, depth: number): RankedCandidate[] {
    let fused: { unit: string; score: number; legs: Record<string, { score: number; rank: number }> }[];
    const nonEmpty = ranked.filter((l) => l.hits.length > 0);
    if (ranked.length === 1 || nonEmpty.length === 0) {
      const only = ranked[0];
      fused = only
        ? only.hits.map((h, i) => ({
            unit: h.id,
            score: h.score,
            legs: { [only.name]: { score: h.score, rank: i + 1 } },
          }))
        : [];
    } else {
      fused = fuse(
        ranked,
        restrictToLegs(
          config,
          ranked.map((l) => l.name),
        ),
        depth * ranked.length,
      ).map((h) => ({ unit: h.id, score: h.score, legs: h.legs }));
    }
    const seen = new Set<string>();
    const candidates: RankedCandidate[] = [];
    for (const h of fused) {
      const id = this.unitDocument(h.unit);
      if (seen.has(id) || !this.docs.has(id)) continue;
      seen.add(id);
      const legsOut: EngineHit['legs'] = {};
      for (const [name, e] of Object.entries(h.legs)) legsOut[name as LegName] = { score: e.score, rank: e.rank };
      candidates.push({ id, unit: h.unit, score: h.score, fusedScore: h.score, legs: legsOut });
    }
    return candidates;
  }

  /** The text a reranker sees for a unit (title + text, or the passage). */
  unitText(unit: string): string {
    const doc = this.docs.get(this.unitDocument(unit))!;
    const span = this.unitSpan(unit);
    return span ? doc.text.slice(span.start, span.end) : titled(doc.title, doc.text);
  }

  /**
   * What the reranker reads for a candidate: the passage the legs matched (a BM25 passage unit, else
   * the dense leg's best passage with the title), else the titled document (the reranker then keeps
   * its window with the most query pieces that fits its token budget).
   */
  private rerankText(unit: string, densePassage: string | undefined): string {
    const span =
      densePassage === undefined || this.unitSpan(unit) ? undefined : this.unitSpan(densePassage, 'densePassages');
    if (!span) return this.unitText(unit);
    const doc = this.docs.get(this.unitDocument(unit))!;
    return titled(doc.title, doc.text.slice(span.start, span.end));
  }

  /** Candidates taken from each leg by default. */
  get depth(): number {
    return this.config.depth;
  }

  get rerankTopN(): number {
    return this.reranker ? (this.config.rerank?.topN ?? 0) : 0;
  }

  /** Reranker scores for (query, units); undefined without a reranker. */
  async rerankScores(query: string, units: readonly string[], signal?: AbortSignal): Promise<Float32Array | undefined> {
    if (!this.reranker) return undefined;
    return this.reranker.score(
      query,
      units.map((u) => this.unitText(u)),
      { signal },
    );
  }

  /** Stores a tuned configuration (fusion, depth, rerank topN) to be used by default and saved. */
  applyTuned(tuned: { fusion: FusionConfig; depth?: number; rerankTopN?: number }): void {
    this.config.fusion = validateFusionConfig(tuned.fusion);
    if (tuned.depth !== undefined) {
      if (!Number.isInteger(tuned.depth) || tuned.depth < 1 || tuned.depth > MAX_SEARCH_K)
        throw invalidArgument('depth must be a positive integer');
      this.config.depth = tuned.depth;
    }
    if (tuned.rerankTopN !== undefined && this.config.rerank) {
      if (!Number.isInteger(tuned.rerankTopN) || tuned.rerankTopN < 0)
        throw invalidArgument('rerankTopN must be an integer >= 0');
      this.config.rerank.topN = tuned.rerankTopN;
    }
  }

  /** Writes the index to `dir` (default: where it was opened) as a new generation, atomically. */
  save(dir?: string): Promise<void> {
    return this.write(async () => {
      const target = dir === undefined ? this.dir : resolve(dir);
      if (target === undefined) throw invalidArgument('save: give a directory (this engine was not opened from one)');
      if (target !== this.dir || !this.lock) {
        const lock = await acquireWriteLock(await ensureDir(target));
        await this.lock?.release();
        this.lock = lock;
      }
      const previous = await readManifest(target);
      const generation = Math.max(previous?.generation ?? 0, target === this.dir ? this.generation : 0) + 1;
      const gen = await beginGeneration(target, generation);
      await this.bm25.save(gen);
      if (this.dense && this.dense.size > 0) await this.dense.save(join(gen, 'dense.idx'));
      const handle = await openFile(join(gen, 'docs.jsonl'), 'w');
      try {
        let chunk = '';
        for (const [id, doc] of this.docs) {
          chunk += `${JSON.stringify({ id, ...doc })}\n`;
          if (chunk.length > 1 << 20) {
            await handle.write(chunk);
            chunk = '';
          }
        }
        await handle.write(chunk);
        await handle.sync();
      } finally {
        await handle.close();
      }
      const { bm25, dense, rerank, fusion, depth, chunk } = this.config;
      await commitGeneration(target, {
        format: INDEX_FORMAT,
        formatVersion: INDEX_FORMAT_VERSION,
        tamsaekVersion: packageVersion(),
        generation,
        savedAt: new Date().toISOString(),
        config: {
          analyzer: this.bm25.analyzer.config,
          bm25,
          dense: dense && { ...dense, dim: this.embedder!.dim, modelId: this.embedder!.modelId },
          rerank: rerank && { ...rerank, modelId: this.reranker!.modelId },
          fusion,
          depth,
          chunk,
        },
        stats: { documents: this.docs.size, units: this.bm25.size },
        // each component file carries its own format version too; this records what wrote them
        components: {
          bm25: { format: BM25_FORMAT_VERSION },
          docs: { format: 1 },
          ...(this.dense && this.dense.size > 0
            ? { dense: { index: this.dense.constructor.name, vectors: this.dense.size } }
            : {}),
        },
      });
      this.dir = target;
      this.generation = generation;
    });
  }

  /** Releases the write lock. Further writes fail; searches keep working on what is in memory. */
  /** Waits for queued writes, then releases the write lock and the models this engine loaded. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true; // refuse new writes first, then drain the ones already queued
    await this.writeQueue.catch(() => {});
    await this.lock?.release();
    this.lock = undefined;
    await disposeModels(this.ownedModels);
  }

  // ---- internals ----

  private checkOpen(): void {
    if (this.closed) throw new TamsaekError('CLOSED', 'engine is closed');
  }

  private write<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new TamsaekError('CLOSED', 'engine is closed'));
    if (this.readOnly) return Promise.reject(new TamsaekError('READ_ONLY', 'this index was opened read-only'));
    const run = this.writeQueue.then(task, task);
    this.writeQueue = run.catch(() => {});
    return run;
  }

  private checkDocuments(documents: readonly EngineDocument[]): EngineDocument[] {
    if (!Array.isArray(documents)) throw invalidArgument('documents must be an array of { id, text, title?, meta? }');
    const seen = new Set<string>();
    return documents.map((d, i) => {
      if (d === null || typeof d !== 'object') throw invalidArgument(`document ${i} must be an object`);
      checkOptions(`document ${i}`, d, ['id', 'text', 'title', 'meta', 'vector']);
      if (typeof d.id !== 'string' || d.id.length === 0 || d.id.includes(UNIT_SEPARATOR))
        throw invalidArgument(`document ${i}: id must be a non-empty string without NUL`);
      if (typeof d.text !== 'string') throw invalidArgument(`document "${d.id}": text must be a string`);
      if (d.title !== undefined && typeof d.title !== 'string')
        throw invalidArgument(`document "${d.id}": title must be a string`);
      if (d.meta !== undefined && (d.meta === null || typeof d.meta !== 'object' || Array.isArray(d.meta)))
        throw invalidArgument(`document "${d.id}": meta must be an object`);
      if (seen.has(d.id)) throw new TamsaekError('DUPLICATE_ID', `document id "${d.id}" appears twice in one call`);
      seen.add(d.id);
      if (d.vector === undefined) return d;
      if (this.config.chunk)
        throw invalidArgument(
          `document "${d.id}": a vector cannot be given when documents are split into passages (chunk)`,
        );
      return { ...d, vector: this.checkVector(d.vector, `document "${d.id}": vector`) };
    });
  }

  /** A caller's precomputed vector as a Float32Array of the dense leg's dimension, all finite. */
  private checkVector(vector: unknown, where: string): Float32Array {
    if (!this.embedder) throw invalidArgument(`${where}: the engine has no dense leg`);
    const ok = vector instanceof Float32Array || (Array.isArray(vector) && vector.every((v) => typeof v === 'number'));
    if (!ok) throw invalidArgument(`${where} must be a Float32Array or an array of numbers`);
    const values = Float32Array.from(vector as ArrayLike<number>);
    if (values.length !== this.embedder.dim)
      throw new TamsaekError(
        'DIMENSION_MISMATCH',
        `${where} has ${values.length} values, the dense leg's model makes ${this.embedder.dim}`,
      );
    for (const v of values) if (!Number.isFinite(v)) throw invalidArgument(`${where} holds a non-finite value`);
    return values;
  }

  /** What `store` needs to put documents that are in the engine back as they are: their passages and stored vectors. */
  private async stored(docs: EngineDocument[]): Promise<PreparedUnits> {
    const cut = (d: EngineDocument, spans: { start: number; end: number }[]) =>
      spans.map(({ start, end }) => ({ start, end, text: d.text.slice(start, end) }));
    const passages = docs.map((d) => cut(d, this.docs.get(d.id)!.passages ?? [{ start: 0, end: d.text.length }]));
    const densePassages = this.config.dense?.chunk
      ? docs.map((d) => {
          const own = this.docs.get(d.id)!.densePassages;
          return own && cut(d, own);
        })
      : undefined;
    if (!this.dense || docs.length === 0) return { passages, densePassages };
    return {
      passages,
      densePassages,
      vectors: await this.dense.vectorsOf(docs.flatMap((d) => this.denseUnitsOf(d.id))),
    };
  }

  /** Units (passages) of each document and, with a dense leg, their vectors. */
  private async prepare(
    docs: EngineDocument[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<PreparedUnits> {
    const passages = docs.map((d) =>
      this.config.chunk ? chunkText(d.text, this.config.chunk) : [{ start: 0, end: d.text.length, text: d.text }],
    );
    if (!this.embedder) {
      onProgress?.(docs.length, docs.length);
      return { passages };
    }
    const denseChunk = this.config.dense?.chunk;
    // a document that came with its vector is one unit whatever the split
    const densePassages = denseChunk
      ? docs.map((d) => (d.vector ? undefined : chunkText(d.text, denseChunk)))
      : undefined;
    // units in order; a document that came with its vector (checkDocuments: then it is one unit) is not embedded
    const texts: string[] = [];
    const slots: number[] = [];
    const dim = this.embedder.dim;
    const unitsOf = (i: number) => densePassages?.[i] ?? passages[i];
    const vectors = new Float32Array(docs.reduce((n, d, i) => n + (d.vector ? 1 : unitsOf(i).length), 0) * dim);
    let unit = 0;
    docs.forEach((d, i) => {
      if (d.vector) {
        vectors.set(d.vector as Float32Array, unit++ * dim);
        return;
      }
      // the title goes with every dense passage (it names what the passage is about), not with engine-wide chunks
      const withTitle = denseChunk || !this.config.chunk;
      for (const p of unitsOf(i)) {
        texts.push(withTitle ? titled(d.title, p.text) : p.text);
        slots.push(unit++);
      }
    });
    for (let start = 0; start < texts.length; start += EMBED_BATCH) {
      const part = await this.embedder.embed(texts.slice(start, start + EMBED_BATCH), { kind: 'passage' });
      if (part.length !== Math.min(EMBED_BATCH, texts.length - start) * dim)
        throw new TamsaekError(
          'DIMENSION_MISMATCH',
          `embedder returned ${part.length} values for ${Math.min(EMBED_BATCH, texts.length - start)} texts of dimension ${dim}`,
        );
      for (let i = 0; i < part.length; i++)
        if (!Number.isFinite(part[i])) throw invalidArgument('embedder returned a non-finite value');
      for (let j = 0; j * dim < part.length; j++)
        vectors.set(part.subarray(j * dim, (j + 1) * dim), slots[start + j] * dim);
      onProgress?.(Math.min(start + EMBED_BATCH, texts.length), texts.length);
    }
    if (texts.length === 0) onProgress?.(docs.length, docs.length);
    return { passages, densePassages, vectors };
  }

  private async ingest(docs: EngineDocument[], onProgress?: (done: number, total: number) => void): Promise<void> {
    await this.store(docs, await this.prepare(docs, onProgress));
  }

  private async store(docs: EngineDocument[], prepared: PreparedUnits): Promise<void> {
    const { passages, densePassages, vectors } = prepared;
    const units: { id: string; doc: string | Record<string, string>; meta?: Metadata }[] = [];
    docs.forEach((d, i) => {
      const parts = passages[i];
      parts.forEach((p, n) => {
        const id = this.config.chunk ? passageUnit(d.id, n) : d.id;
        const doc =
          this.config.bm25.titleWeight !== undefined ? { title: d.title ?? '', text: p.text } : titled(d.title, p.text);
        units.push({ id, doc, meta: d.meta });
      });
    });
    this.bm25.addMany(units);
    for (let i = 0; i < docs.length; i++) {
      const d = docs[i];
      const own = densePassages?.[i];
      this.docs.set(d.id, {
        text: d.text,
        title: d.title,
        meta: d.meta,
        passages: this.config.chunk ? passages[i].map(({ start, end }) => ({ start, end })) : undefined,
        ...(own ? { densePassages: own.map(({ start, end }) => ({ start, end })) } : {}),
      });
    }
    if (vectors && this.embedder) {
      const ids = docs.flatMap((d) => this.denseUnitsOf(d.id));
      try {
        if (!this.dense) {
          const { index, metric, hnsw } = this.config.dense!;
          const kind = index === 'auto' ? defaultIndexKind(ids.length) : index;
          if (kind === 'hnsw') {
            // the first (bulk) batch builds the graph on a worker thread; later batches are inserted
            this.dense = await HnswIndex.build(ids, vectors, {
              dim: this.embedder.dim,
              metric,
              capacity: Math.max(1024, ids.length),
              ...hnsw,
            });
            return;
          }
          // the configured kind, not the resolved one: "auto" below the HNSW size is the native flat index
          // when the addon is built (the pure-TS ExactIndex only as a fallback); a resolved "exact" skips it
          this.dense = await createVectorIndex({
            kind: index,
            dim: this.embedder.dim,
            metric,
            expectedSize: ids.length,
          });
        }
        await this.dense.add(ids, vectors);
      } catch (error) {
        // keep the legs consistent: undo this batch everywhere it may have landed
        for (const u of units) this.bm25.delete(u.id);
        for (const d of docs) this.docs.delete(d.id);
        await this.dense?.remove(ids).catch(() => {});
        throw error;
      }
    }
  }

  /** The BM25 unit ids (its passages', or its own) of a stored document; none for an unknown id. */
  private unitsOf(id: string): string[] {
    const doc = this.docs.get(id);
    if (!doc) return [];
    return doc.passages ? doc.passages.map((_, n) => passageUnit(id, n)) : [id];
  }

  /** The dense leg's unit ids of a stored document: its dense passages', else its BM25 units. */
  private denseUnitsOf(id: string): string[] {
    const own = this.docs.get(id)?.densePassages;
    return own ? own.map((_, n) => passageUnit(id, n)) : this.unitsOf(id);
  }

  private async removeUnits(ids: string[]): Promise<void> {
    for (const u of ids.flatMap((id) => this.unitsOf(id))) this.bm25.delete(u);
    if (this.dense) await this.dense.remove(ids.flatMap((id) => this.denseUnitsOf(id)));
    for (const id of ids) this.docs.delete(id);
  }

  private unitDocument(unit: string): string {
    return splitUnit(unit).documentId;
  }

  /** Offsets of a passage unit in its document: a BM25 (engine-wide chunk) passage, or a dense-leg one. */
  private unitSpan(
    unit: string,
    kind: 'passages' | 'densePassages' = 'passages',
  ): { start: number; end: number } | undefined {
    const { documentId, n } = splitUnit(unit);
    return n === undefined ? undefined : this.docs.get(documentId)?.[kind]?.[n];
  }
}

async function disposeModels(models: readonly unknown[]): Promise<void> {
  for (const m of models) await (m as { dispose?: () => Promise<void> } | undefined)?.dispose?.().catch(() => {});
}

/**
 * The reranked head: candidates ordered by reranker score (ties keep the fused order), each taking
 * the reranker score as its score. Shared by search and tuning so both rank alike.
 */
export function rerankOrder<T extends { score: number }>(head: readonly T[], scores: ArrayLike<number>): T[] {
  return head
    .map((_c, i) => i)
    .sort((a, b) => scores[b] - scores[a] || a - b)
    .map((i) => ({ ...head[i], score: scores[i] }));
}

/** Fusion rejects per-leg keys naming legs that are not in the call: drop those. */
function restrictToLegs(config: FusionConfig, legs: string[]): FusionConfig {
  const pick = <T>(record: Record<string, T> | undefined) =>
    record && Object.fromEntries(Object.entries(record).filter(([name]) => legs.includes(name)));
  const out = { ...config } as FusionConfig & { theoreticalMin?: Record<string, number> };
  if (config.weights) out.weights = pick(config.weights);
  if (config.depth && typeof config.depth === 'object') out.depth = pick(config.depth);
  if ((config as { theoreticalMin?: Record<string, number> }).theoreticalMin)
    out.theoreticalMin = pick((config as { theoreticalMin?: Record<string, number> }).theoreticalMin);
  return out;
}

async function ensureDir(dir: string): Promise<string> {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
  return dir;
}
