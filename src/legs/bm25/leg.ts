/**
 * The BM25 leg: a Bm25Index over the engine's analyzer, over whole documents or over passages
 * (windows of a document, each indexed as its own unit; a document scores as its best passage and
 * the hit carries that passage's offsets).
 */
import { join } from 'node:path';
import { analyzeAll } from '../../analyze/batch.js';
import type { AnalyzerConfig } from '../../analyze/types.js';
import { checkOptions, invalidArgument } from '../../errors.js';
import { type ChunkOptions, checkChunkOptions, chunkText, passageUnit, splitUnit, titled } from '../../util/chunker.js';
import { Slicer } from '../../util/slices.js';
import { bestPassages } from '../passages.js';
import { PassageSpans, type Span } from '../spans.js';
import type {
  Leg,
  LegContext,
  LegDocument,
  LegFactory,
  LegHit,
  LegQuery,
  LegSearchOptions,
  LegState,
  PreparedBatch,
  PrepareOptions,
} from '../types.js';
import { type AnalyzedFields, Bm25Index, MAX_K } from './index.js';
import { BatchTerms, type TermIds } from './term-ids.js';

export interface Bm25LegOptions {
  /** This leg's own analyzer (default: the engine's); a query is then analysed again for it. */
  analyzer?: string | AnalyzerConfig;
  k1?: number;
  b?: number;
  /** When set, title and text are separate BM25F fields and the title counts this many times; else one field `title text`. */
  titleWeight?: number;
  /** Index passages instead of whole documents (e.g. `{ by: 'chars', size: 150, overlap: 50 }`). */
  passages?: ChunkOptions;
  /**
   * Score only the documents the other legs found (each by its best passage), not the whole index: the
   * same fused ranking as a full search on validation sets (docs/fusion.md) at a fraction of the cost.
   */
  rescore?: boolean;
  /** With `rescore`: how many of each other leg's best documents are scored (absent: all they found). */
  rescoreDepth?: number;
}

interface Bm25Batch extends PreparedBatch {
  /** Analysed units, or — for a captured batch — the documents to analyse again when it is committed. */
  units?: { id: string; fields: AnalyzedFields }[];
  spans?: Map<string, Span[]>;
  redo?: readonly LegDocument[];
}

const SPANS_FILE = 'passages.json';
/** Texts analysed per call while preparing: their strings die young, encoded as ids right after. */
const PREPARE_CHUNK = 512;

export class Bm25Leg implements Leg {
  readonly kind = 'bm25';

  constructor(
    readonly index: Bm25Index,
    private readonly settings: LegSettings,
    private readonly spans = new PassageSpans(),
  ) {}

  get rescores(): boolean {
    return this.settings.rescore === true;
  }

  get rescoreDepth(): number | undefined {
    return this.settings.rescoreDepth;
  }

  async prepare(docs: readonly LegDocument[], options: PrepareOptions = {}): Promise<Bm25Batch> {
    const { titleWeight, passages } = this.settings;
    const units: { id: string; fieldNames: string[] }[] = [];
    const texts: string[] = [];
    const spans = passages ? new Map<string, Span[]>() : undefined;
    // splitting thousands of documents is tens of milliseconds of young garbage: take turns
    const slicer = new Slicer({ signal: options.signal, what: 'add' });
    for (const doc of docs) {
      await slicer.pause();
      const parts = passages ? chunkText(doc.text, passages) : [{ start: 0, end: doc.text.length, text: doc.text }];
      spans?.set(
        doc.id,
        parts.map(({ start, end }) => ({ start, end })),
      );
      parts.forEach((p, n) => {
        const id = passages ? passageUnit(doc.id, n) : doc.id;
        if (titleWeight === undefined) {
          units.push({ id, fieldNames: ['text'] });
          texts.push(titled(doc.title, p.text));
        } else {
          units.push({ id, fieldNames: ['title', 'text'] });
          texts.push(doc.title ?? '', p.text);
        }
      });
    }
    const terms = await this.analyseCompact(texts, options);
    let at = 0;
    const analysed = units.map(({ id, fieldNames }) => ({
      id,
      fields: fieldNames.map((name) => ({ weight: this.index.fields[name]!, terms: terms[at++]! })),
    }));
    return { ids: docs.map((d) => d.id), units: analysed, spans };
  }

  /** The texts' terms as ids into one batch vocabulary, analysed a chunk at a time (term-ids.ts says why). */
  private async analyseCompact(texts: readonly string[], options: PrepareOptions): Promise<TermIds[]> {
    const batch = new BatchTerms();
    const out: TermIds[] = [];
    const slicer = new Slicer({ signal: options.signal, what: 'add' });
    for (let s = 0; s < texts.length; s += PREPARE_CHUNK) {
      const part = await analyzeAll(this.index.analyzer, texts.slice(s, s + PREPARE_CHUNK), options);
      for (const terms of part) {
        out.push(batch.encode(terms));
        if (slicer.due) await slicer.turn();
      }
    }
    return out;
  }

  async capture(docs: readonly LegDocument[]): Promise<Bm25Batch> {
    // the stored terms are the analysis of the stored text: analyse again only if the batch is used
    return { ids: docs.map((d) => d.id), redo: docs };
  }

  async commit(batch: PreparedBatch): Promise<void> {
    let b = batch as Bm25Batch;
    if (b.redo) b = await this.prepare(b.redo);
    await this.index.addAnalyzedAsync(b.units!);
    for (const [id, spans] of b.spans ?? []) this.spans.set(id, spans);
  }

  async remove(ids: readonly string[]): Promise<void> {
    const slicer = new Slicer();
    for (const id of ids) {
      for (const unit of this.spans.units(id)) this.index.delete(unit);
      this.spans.delete(id);
      await slicer.pause();
    }
    await this.index.settle();
  }

  async search(query: LegQuery, options: LegSearchOptions): Promise<LegHit[]> {
    const index = this.index;
    if (index.size === 0) return [];
    const { analyzer } = index;
    const terms =
      query.analyzer === analyzer.name
        ? query.terms
        : (analyzer.analyzeReusing?.(query.text, query.analyzer, query.terms) ?? analyzer.analyze(query.text));
    if (this.settings.rescore && options.candidates && options.candidates.length > 0)
      return this.rescore(terms, options.candidates, options.k);
    const accept = options.filter;
    const filter = accept && ((_meta: unknown, unit: string) => accept(splitUnit(unit).documentId));
    const stop = { signal: options.signal, deadline: options.deadline };
    if (!this.settings.passages)
      return index.searchTermsAsync(terms, { k: Math.min(options.k, index.size), filter }, stop);
    const hits = await bestPassages(
      (k) => index.searchTermsAsync(terms, { k, filter }, stop),
      options.k,
      index.size,
      (unit) => splitUnit(unit).documentId,
    );
    return hits.map((h) => ({ id: h.id, score: h.score, span: this.spans.spanOf(h.unit) }));
  }

  /** The candidates by their best passage (or whole document), best first, those matching no term left out. */
  private rescore(terms: readonly string[], found: readonly string[], k: number): LegHit[] {
    const candidates = [...new Set(found)];
    const units: string[] = [];
    const firstUnit = new Int32Array(candidates.length + 1);
    candidates.forEach((id, c) => {
      for (const unit of this.spans.units(id)) units.push(unit);
      firstUnit[c + 1] = units.length;
    });
    const scores = this.index.scoreDocuments(terms, units);
    const hits: LegHit[] = [];
    for (let c = 0; c < candidates.length; c++) {
      // the document's best passage; ties go to the first (units of a document are in passage order)
      let best = -1;
      for (let u = firstUnit[c]; u < firstUnit[c + 1]; u++)
        if (scores[u] > 0 && (best < 0 || scores[u] > scores[best])) best = u;
      if (best < 0) continue;
      const id = candidates[c];
      const span = this.spans.get(id)?.[best - firstUnit[c]];
      hits.push(span ? { id, score: scores[best], span } : { id, score: scores[best] });
    }
    hits.sort((x, y) => y.score - x.score || (x.id < y.id ? -1 : 1));
    return hits.slice(0, k);
  }

  async save(dir: string): Promise<LegState> {
    await this.index.write(dir);
    if (this.settings.passages) await this.spans.save(join(dir, SPANS_FILE));
    return { k1: this.index.k1, b: this.index.b, ...this.settings };
  }

  stats() {
    const units = this.index.size;
    return { documents: this.settings.passages ? this.spans.size : units, units };
  }

  describe(): Record<string, unknown> {
    const { k1, b } = this.index;
    return { analyzer: this.index.analyzer.name, k1, b, ...this.settings };
  }
}

function checkLegOptions(
  options: Bm25LegOptions | undefined,
): Required<Pick<Bm25LegOptions, 'k1' | 'b'>> & Bm25LegOptions {
  checkOptions('bm25 leg', options, ['analyzer', 'k1', 'b', 'titleWeight', 'passages', 'rescore', 'rescoreDepth']);
  const { k1 = 1.2, b = 0.75, titleWeight, passages, analyzer, rescore, rescoreDepth } = options ?? {};
  if (rescore !== undefined && typeof rescore !== 'boolean') throw invalidArgument('bm25.rescore must be a boolean');
  if (rescoreDepth !== undefined && !(Number.isInteger(rescoreDepth) && rescoreDepth >= 1 && rescoreDepth <= MAX_K))
    throw invalidArgument(`bm25.rescoreDepth must be an integer in 1..${MAX_K}, got ${rescoreDepth}`);
  if (titleWeight !== undefined && !(Number.isFinite(titleWeight) && titleWeight > 0))
    throw invalidArgument(`bm25.titleWeight must be a number > 0, got ${titleWeight}`);
  return {
    k1,
    b,
    ...(analyzer !== undefined ? { analyzer } : {}),
    ...(titleWeight !== undefined ? { titleWeight } : {}),
    ...(passages ? { passages: checkChunkOptions(passages) } : {}),
    ...(rescore ? { rescore } : {}),
    ...(rescore && rescoreDepth !== undefined ? { rescoreDepth } : {}),
  };
}

export const bm25Leg: LegFactory<Bm25LegOptions> = {
  async create(options, context: LegContext) {
    const { k1, b, analyzer, ...settings } = checkLegOptions(options);
    const { titleWeight } = settings;
    const fields: Record<string, number> = titleWeight === undefined ? { text: 1 } : { title: titleWeight, text: 1 };
    const index = new Bm25Index({ analyzer: analyzer ?? context.analyzer, k1, b, fields });
    return new Bm25Leg(index, legSettings(settings));
  },
  async open(dir, state: LegState) {
    const settings = checkLegOptions({
      titleWeight: state.titleWeight as number | undefined,
      passages: state.passages as ChunkOptions | undefined,
      rescore: state.rescore as boolean | undefined,
      rescoreDepth: state.rescoreDepth as number | undefined,
    });
    const index = await Bm25Index.open(dir);
    const spans = settings.passages ? await PassageSpans.load(join(dir, SPANS_FILE)) : new PassageSpans();
    return new Bm25Leg(index, legSettings(settings), spans);
  },
};

type LegSettings = Pick<Bm25LegOptions, 'titleWeight' | 'passages' | 'rescore' | 'rescoreDepth'>;

/** The settings a leg keeps and saves (absent ones left out, so saved state stays minimal). */
function legSettings({ titleWeight, passages, rescore, rescoreDepth }: LegSettings): LegSettings {
  return {
    ...(titleWeight !== undefined ? { titleWeight } : {}),
    ...(passages ? { passages } : {}),
    ...(rescore ? { rescore } : {}),
    ...(rescore && rescoreDepth !== undefined ? { rescoreDepth } : {}),
  };
}
