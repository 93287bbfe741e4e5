/**
 * The BM25 leg: a segmented, incrementally updatable inverted index over analyzed terms.
 *
 * Scoring is classic BM25 (Robertson/Spärck Jones with the (k1 + 1) factor, as wink-bm25-text-search
 * and bm25s): score(q, d) = Σ_t idf(t) · tf·(k1 + 1) / (tf + k1·(1 − b + b·dl/avgdl)),
 * idf(t) = ln(1 + (N − df + 0.5)/(df + 0.5)), query terms de-duplicated.
 * Fields are combined BM25F-style by weight: a field of weight w adds w to a term's tf and w per
 * term to the document length (one length normalisation over the weighted document).
 *
 * Statistics (N, df, total length) count live documents only and are updated on every add and
 * delete, so after any sequence of operations scores equal those of a fresh build over the
 * surviving documents. Deletes are tombstones until compaction; segments merge in the background
 * of flushes (log-structured), so single-document adds stay cheap.
 */
import { createAnalyzer, DEFAULT_ANALYZER } from '../../analyze/index.js';
import type { Analyzer, AnalyzerConfig } from '../../analyze/types.js';
import { checkOptions, invalidArgument, TamsaekError } from '../../errors.js';
import { ensureInt32, ensureUint8, GrowableFloat32, GrowableInt32 } from '../../util/growable.js';
import { TermDictionary } from '../../util/term-dictionary.js';
import { TopK } from '../../util/topk.js';
import type { Metadata } from '../types.js';
import { openBm25, saveBm25 } from './format.js';
import { searchSegment, type TermList } from './maxscore.js';
import { type ForwardLists, type IndexSnapshot, Segment } from './segment.js';

export type Bm25Document = string | Readonly<Record<string, string>>;
export type { IndexSnapshot, Metadata };
export type MetadataFilter = ((meta: Metadata | undefined, id: string) => boolean) | Readonly<Record<string, unknown>>;

export interface Bm25Options {
  /** The analyzer turning text into terms: an instance, a name ("ko-morph", "ngram", …) or a config. Default ko-morph. */
  analyzer?: Analyzer | string | AnalyzerConfig;
  k1?: number;
  b?: number;
  /** Field name → weight (BM25F-style). A plain-string document goes to the first field. Default { text: 1 }. */
  fields?: Readonly<Record<string, number>>;
}

export interface Bm25SearchOptions {
  k?: number;
  filter?: MetadataFilter;
  /** Score every matching document instead of MaxScore pruning (same results; for verification and benchmarks). */
  exhaustive?: boolean;
}

export interface SearchHit {
  id: string;
  score: number;
}

export interface Bm25Stats {
  documents: number;
  deleted: number;
  terms: number;
  segments: number;
  postings: number;
  avgLength: number;
}

const BM25_OPTIONS = ['analyzer', 'k1', 'b', 'fields'] as const;
const SEARCH_OPTIONS = ['k', 'filter', 'exhaustive'] as const;
/** More segments than this after a flush triggers merging of the smallest tail. */
const MERGE_FACTOR = 4;
/** Fraction of tombstoned ordinals above which a flush compacts. */
const COMPACT_DELETED_FRACTION = 0.3;
export const MAX_K = 100_000;

export class Bm25Index {
  readonly analyzer: Analyzer;
  readonly k1: number;
  readonly b: number;
  readonly fields: Readonly<Record<string, number>>;
  private readonly fieldNames: string[];
  private readonly defaultField: string;

  // vocabulary and live statistics
  private vocab = new TermDictionary();
  private df: Int32Array = new Int32Array(1024);
  private liveDocs = 0;
  private totalLength = 0;

  // per ordinal (internal document number)
  private ids: string[] = [];
  private metas: (Metadata | undefined)[] = [];
  private lengths = new GrowableFloat32(1024);
  private deleted: Uint8Array = new Uint8Array(1024);
  private deletedCount = 0;
  private ordinalOf = new Map<string, number>();

  // segments cover ordinals [0, pendingBase); pending documents cover [pendingBase, ids.length)
  private segments: Segment[] = [];
  private pendingBase = 0;
  private pendingStart = new GrowableInt32(1024);
  private pendingTerms = new GrowableInt32(16384);
  private pendingTfs = new GrowableFloat32(16384);

  // scratch for per-document term counting
  private seenStamp: Int32Array = new Int32Array(1024);
  private slot: Int32Array = new Int32Array(1024);
  private stamp = 0;
  private weightScratch = new Float64Array(0);

  constructor(options: Bm25Options = {}) {
    checkOptions('Bm25Index', options, BM25_OPTIONS);
    const { analyzer = DEFAULT_ANALYZER, k1 = 1.2, b = 0.75, fields = { text: 1 } } = options ?? {};
    const resolved = typeof analyzer === 'object' && 'analyze' in analyzer ? analyzer : createAnalyzer(analyzer);
    if (typeof resolved.analyze !== 'function')
      throw invalidArgument('Bm25Index: analyzer must have an analyze(text) method');
    if (!(Number.isFinite(k1) && k1 >= 0))
      throw invalidArgument(`Bm25Index: k1 must be a finite number >= 0, got ${k1}`);
    if (!(Number.isFinite(b) && b >= 0 && b <= 1)) throw invalidArgument(`Bm25Index: b must be in [0, 1], got ${b}`);
    const names = Object.keys(fields ?? {});
    if (names.length === 0) throw invalidArgument('Bm25Index: fields must name at least one field');
    for (const name of names) {
      const w = fields[name];
      if (!(typeof w === 'number' && Number.isFinite(w) && w > 0)) {
        throw invalidArgument(`Bm25Index: weight of field "${name}" must be a finite number > 0, got ${w}`);
      }
    }
    this.analyzer = resolved;
    this.k1 = k1;
    this.b = b;
    this.fields = Object.freeze({ ...fields });
    this.fieldNames = names;
    this.defaultField = names[0];
    this.pendingStart.push(0);
  }

  /** Number of live documents. */
  get size(): number {
    return this.liveDocs;
  }

  has(id: string): boolean {
    return this.ordinalOf.has(id);
  }

  metadata(id: string): Metadata | undefined {
    const ord = this.ordinalOf.get(id);
    return ord === undefined ? undefined : this.metas[ord];
  }

  documentIds(): IterableIterator<string> {
    return this.ordinalOf.keys();
  }

  /** Adds a new document; DUPLICATE_ID if `id` is present (use upsert to replace). */
  add(id: string, doc: Bm25Document, meta?: Metadata): void {
    checkId(id);
    if (this.ordinalOf.has(id))
      throw new TamsaekError('DUPLICATE_ID', `document id "${id}" already exists (use upsert to replace it)`);
    this.appendAnalyzed(id, this.analyzeDocument(doc), meta);
  }

  /** Adds many documents, analyzing in batches when the analyzer supports it. All ids are checked first. */
  addMany(docs: Iterable<{ id: string; doc: Bm25Document; meta?: Metadata }>): number {
    const list = Array.isArray(docs) ? (docs as { id: string; doc: Bm25Document; meta?: Metadata }[]) : [...docs];
    const seen = new Set<string>();
    for (const { id } of list) {
      checkId(id);
      if (this.ordinalOf.has(id) || seen.has(id)) {
        throw new TamsaekError('DUPLICATE_ID', `document id "${id}" already exists (use upsert to replace it)`);
      }
      seen.add(id);
    }
    for (const { doc } of list) this.checkDocument(doc);
    // Analyze and append one document at a time: holding every token of a large batch at once
    // costs more in garbage collection than batching saves. Shapes are checked up front; should the
    // analyzer still throw, the documents already appended are removed again, so a failed call adds nothing.
    let appended = 0;
    try {
      for (; appended < list.length; appended++) {
        const { id, doc, meta } = list[appended];
        this.appendAnalyzed(id, this.analyzeDocument(doc), meta);
      }
    } catch (error) {
      for (let i = 0; i < appended; i++) this.delete(list[i].id);
      throw error;
    }
    return list.length;
  }

  /**
   * Adds documents whose field texts were analysed elsewhere with this index's analyzer (a leg analyses
   * off the hot path, then adds in one short step). Same checks and all-or-nothing rule as `addMany`.
   */
  addAnalyzed(docs: readonly { id: string; fields: AnalyzedFields; meta?: Metadata }[]): number {
    const seen = new Set<string>();
    for (const { id } of docs) {
      checkId(id);
      if (this.ordinalOf.has(id) || seen.has(id))
        throw new TamsaekError('DUPLICATE_ID', `document id "${id}" already exists (use upsert to replace it)`);
      seen.add(id);
    }
    let appended = 0;
    try {
      for (; appended < docs.length; appended++) {
        const { id, fields, meta } = docs[appended];
        this.appendAnalyzed(id, fields, meta);
      }
    } catch (error) {
      for (let i = 0; i < appended; i++) this.delete(docs[i].id);
      throw error;
    }
    return docs.length;
  }

  /** Adds or replaces a document. Returns true when it replaced one. */
  upsert(id: string, doc: Bm25Document, meta?: Metadata): boolean {
    checkId(id);
    const analyzed = this.analyzeDocument(doc);
    const replaced = this.delete(id);
    this.appendAnalyzed(id, analyzed, meta);
    return replaced;
  }

  /** Removes a document; false when it was not there. */
  delete(id: string): boolean {
    const ord = this.ordinalOf.get(id);
    if (ord === undefined) return false;
    this.ordinalOf.delete(id);
    this.deleted = ensureUint8(this.deleted, ord + 1);
    this.deleted[ord] = 1;
    this.deletedCount++;
    this.metas[ord] = undefined;
    const { terms, from, to } = this.forwardEntries(ord);
    const df = this.df;
    for (let e = from; e < to; e++) df[terms[e]]--;
    this.liveDocs--;
    this.totalLength -= this.lengths.data[ord];
    if (this.liveDocs === 0) this.totalLength = 0;
    return true;
  }

  /** Top-k documents for a text query. */
  search(query: string, options: Bm25SearchOptions = {}): SearchHit[] {
    if (typeof query !== 'string') throw invalidArgument('search: query must be a string');
    return this.searchTerms(this.analyzer.analyze(query), options);
  }

  /** Top-k documents for already analyzed query terms (duplicates are ignored). */
  searchTerms(queryTerms: readonly string[], options: Bm25SearchOptions = {}): SearchHit[] {
    checkOptions('search', options, SEARCH_OPTIONS);
    const k = options.k ?? 10;
    if (!Number.isInteger(k) || k < 1 || k > MAX_K)
      throw invalidArgument(`search: k must be an integer in 1..${MAX_K}, got ${k}`);
    const accept = compileFilter(options.filter);
    this.flush();
    if (this.liveDocs === 0) return [];

    const N = this.liveDocs;
    const avgdl = this.totalLength / N;
    const { k1, b } = this;
    const unique: number[] = [];
    for (const term of new Set(queryTerms)) {
      const t = this.vocab.get(term);
      if (t >= 0 && this.df[t] > 0) unique.push(t);
    }
    if (unique.length === 0) return [];

    const ids = this.ids;
    const heap = new TopK<number>(k, (ord) => ids[ord]);
    const weights = unique.map((t) => {
      const df = this.df[t];
      return Math.log(1 + (N - df + 0.5) / (df + 0.5)) * (k1 + 1);
    });
    const normBase = k1 * (1 - b);
    const normPerLength = avgdl > 0 ? (k1 * b) / avgdl : 0;
    const isDeleted = this.deleted;
    const metas = this.metas;
    const accepts =
      accept === undefined
        ? (ord: number) => isDeleted[ord] !== 1
        : (ord: number) => isDeleted[ord] !== 1 && accept(metas[ord], ids[ord]);

    for (const segment of this.segments) {
      const lists: TermList[] = [];
      for (let q = 0; q < unique.length; q++) {
        const t = unique[q];
        if (segment.postingCount(t) === 0) continue;
        lists.push({
          canonical: q,
          start: segment.postingStart[t],
          end: segment.postingStart[t + 1],
          weight: weights[q],
          // inflated a hair so float rounding in the sum can never prune a tie
          bound: weights[q] * segment.saturationBound(t, k1, b, avgdl) * (1 + 1e-9),
        });
      }
      if (lists.length === 0) continue;
      searchSegment(
        segment,
        lists,
        unique.length,
        this.lengths.data,
        normBase,
        normPerLength,
        heap,
        accepts,
        !options.exhaustive,
      );
    }
    return heap.drain().map(({ item, score }) => ({ id: ids[item], score }));
  }

  /**
   * BM25 scores of the given documents only (NaN for an id the index does not hold), read from their
   * forward lists: what a leg that rescores other legs' candidates needs, without a postings traversal.
   */
  scoreDocuments(queryTerms: readonly string[], ids: readonly string[]): Float64Array {
    const out = new Float64Array(ids.length).fill(Number.NaN);
    const N = this.liveDocs;
    if (N === 0) return out;
    const avgdl = this.totalLength / N;
    const { k1, b } = this;
    // the query's term weights in a table indexed by term id (cleared again below): one array read per entry
    if (this.weightScratch.length < this.vocab.terms.length)
      this.weightScratch = new Float64Array(this.vocab.terms.length + 1024);
    const weight = this.weightScratch;
    const used: number[] = [];
    for (const term of new Set(queryTerms)) {
      const t = this.vocab.get(term);
      if (t < 0 || this.df[t] <= 0) continue;
      weight[t] = Math.log(1 + (N - this.df[t] + 0.5) / (this.df[t] + 0.5)) * (k1 + 1);
      used.push(t);
    }
    const lengths = this.lengths.data;
    for (let i = 0; i < ids.length && used.length > 0; i++) {
      const ord = this.ordinalOf.get(ids[i]);
      if (ord === undefined) continue;
      const norm = k1 * (1 - b + (avgdl > 0 ? (b * lengths[ord]) / avgdl : 0));
      const { terms, tfs, from, to } = this.forwardEntries(ord);
      let score = 0;
      for (let e = from; e < to; e++) {
        const w = weight[terms[e]];
        if (w !== 0) score += (w * tfs[e]) / (tfs[e] + norm);
      }
      out[i] = score;
    }
    if (used.length === 0) out.fill(0);
    for (const t of used) weight[t] = 0;
    return out;
  }

  /** Merges all segments into one and drops deleted documents and unused terms. */
  compact(): void {
    this.flush(false);
    if (this.deletedCount === 0 && this.segments.length <= 1) return;
    const live: number[] = [];
    for (let ord = 0; ord < this.ids.length; ord++) if (this.deleted[ord] !== 1) live.push(ord);
    // renumber terms that still occur
    const termMap = new Int32Array(this.vocab.terms.length).fill(-1);
    const termStrings: string[] = [];
    const df: number[] = [];
    for (let t = 0; t < this.vocab.terms.length; t++) {
      if (this.df[t] > 0) {
        termMap[t] = termStrings.length;
        termStrings.push(this.vocab.terms[t]);
        df.push(this.df[t]);
      }
    }
    const docStart = new Int32Array(live.length + 1);
    let entries = 0;
    for (let i = 0; i < live.length; i++) {
      const { from, to } = this.forwardEntries(live[i]);
      entries += to - from;
      docStart[i + 1] = entries;
    }
    const terms = new Int32Array(entries);
    const tfs = new Float32Array(entries);
    const lengths = new GrowableFloat32(live.length + 1024);
    const ids: string[] = [];
    const metas: (Metadata | undefined)[] = [];
    for (let i = 0; i < live.length; i++) {
      const ord = live[i];
      const f = this.forwardEntries(ord);
      let e = docStart[i];
      for (let j = f.from; j < f.to; j++, e++) {
        terms[e] = termMap[f.terms[j]];
        tfs[e] = f.tfs[j];
      }
      lengths.push(this.lengths.data[ord]);
      ids.push(this.ids[ord]);
      metas.push(this.metas[ord]);
    }
    this.restore({
      termStrings,
      df: Int32Array.from(df),
      ids,
      metas,
      forward: { docStart, terms, tfs, lengths: lengths.view().slice() },
    });
  }

  stats(): Bm25Stats {
    this.flush(false);
    let postings = 0;
    for (const s of this.segments) postings += s.postingDocs.length;
    return {
      documents: this.liveDocs,
      deleted: this.deletedCount,
      terms: this.vocab.terms.length,
      segments: this.segments.length,
      postings,
      avgLength: this.liveDocs > 0 ? this.totalLength / this.liveDocs : 0,
    };
  }

  // ---- persistence (see format.ts) ----

  /**
   * Writes the live documents to `dir` atomically (temp file, fsync, rename). The snapshot is taken
   * synchronously, so adds and deletes made while the returned promise is pending are not included.
   */
  save(dir: string): Promise<void> {
    const settings = { k1: this.k1, b: this.b, fields: { ...this.fields }, analyzer: this.analyzer.config };
    return saveBm25(this.snapshot(), settings, dir);
  }

  static async open(dir: string): Promise<Bm25Index> {
    const { settings, snapshot } = await openBm25(dir);
    let index: Bm25Index;
    try {
      const { k1, b, fields, analyzer } = settings;
      index = new Bm25Index({ analyzer: createAnalyzer(analyzer), k1, b, fields });
    } catch (error) {
      if (error instanceof TamsaekError)
        throw new TamsaekError('CORRUPT_INDEX', `${dir}: stored settings are invalid (${error.message})`, {
          cause: error,
        });
      throw error;
    }
    index.restore(snapshot);
    return index;
  }

  /** Live documents in ordinal order, with forward lists over a dense vocabulary. */
  snapshot(): IndexSnapshot {
    this.compact();
    this.flush(false);
    const forward = this.segments.length === 1 ? this.segments[0].forward : Segment.mergeForward(this.segments);
    return {
      termStrings: this.vocab.terms,
      df: this.df.slice(0, this.vocab.terms.length),
      ids: this.ids,
      metas: this.metas,
      forward,
    };
  }

  /** Replaces the whole state with a snapshot (all documents live). Validates consistency. */
  restore(snapshot: IndexSnapshot): void {
    const { termStrings, df, ids, metas, forward } = snapshot;
    const docs = ids.length;
    const V = termStrings.length;
    const { docStart, terms, tfs, lengths } = forward;
    if (lengths.length !== docs || docStart.length !== docs + 1 || metas.length !== docs || df.length !== V) {
      throw new TamsaekError('CORRUPT_INDEX', 'index sections disagree on document or term counts');
    }
    if (docStart[0] !== 0 || docStart[docs] !== terms.length || tfs.length !== terms.length) {
      throw new TamsaekError('CORRUPT_INDEX', 'index forward lists are inconsistent');
    }
    const vocab = new TermDictionary(V);
    for (let t = 0; t < V; t++) {
      if (typeof termStrings[t] !== 'string' || vocab.intern(termStrings[t]) !== t)
        throw new TamsaekError('CORRUPT_INDEX', 'index vocabulary is invalid');
    }
    const ordinalOf = new Map<string, number>();
    for (let d = 0; d < docs; d++) {
      const id = ids[d];
      if (typeof id !== 'string' || id.length === 0 || ordinalOf.has(id))
        throw new TamsaekError('CORRUPT_INDEX', 'index document ids are invalid');
      ordinalOf.set(id, d);
    }
    const countedDf = new Int32Array(Math.max(V, 1024));
    let totalLength = 0;
    for (let d = 0; d < docs; d++) {
      if (docStart[d + 1] < docStart[d])
        throw new TamsaekError('CORRUPT_INDEX', 'index forward lists are inconsistent');
      if (!(lengths[d] >= 0 && Number.isFinite(lengths[d])))
        throw new TamsaekError('CORRUPT_INDEX', 'index document length is invalid');
      totalLength += lengths[d];
      for (let e = docStart[d]; e < docStart[d + 1]; e++) {
        const t = terms[e];
        if (!(t >= 0 && t < V) || !(tfs[e] > 0 && Number.isFinite(tfs[e])))
          throw new TamsaekError('CORRUPT_INDEX', 'index postings are invalid');
        countedDf[t]++;
      }
    }
    for (let t = 0; t < V; t++) {
      if (countedDf[t] !== df[t])
        throw new TamsaekError('CORRUPT_INDEX', 'index document frequencies are inconsistent');
    }
    this.vocab = vocab;
    this.df = countedDf;
    this.liveDocs = docs;
    this.totalLength = totalLength;
    this.ids = ids.slice();
    this.metas = metas.slice();
    this.lengths = new GrowableFloat32(docs + 1024);
    this.lengths.data.set(lengths);
    this.lengths.length = docs;
    this.deleted = new Uint8Array(docs + 1024);
    this.deletedCount = 0;
    this.ordinalOf = ordinalOf;
    this.segments = docs > 0 ? [new Segment(0, forward, V)] : [];
    this.pendingBase = docs;
    this.resetPending();
    this.seenStamp = new Int32Array(Math.max(V, 1024));
    this.slot = new Int32Array(Math.max(V, 1024));
    this.stamp = 0;
  }

  // ---- internals ----

  private analyzeDocument(doc: Bm25Document): AnalyzedDocument {
    if (typeof doc === 'string') return [{ weight: this.fields[this.defaultField], terms: this.analyzer.analyze(doc) }];
    return this.analyzeDocuments([doc])[0];
  }

  private checkDocument(doc: Bm25Document): void {
    if (typeof doc === 'string') return;
    if (doc === null || typeof doc !== 'object')
      throw invalidArgument('document must be a string or an object of field texts');
    for (const [name, text] of Object.entries(doc)) {
      if (!(name in this.fields))
        throw invalidArgument(
          `document field "${name}" is not one of the index fields (${this.fieldNames.join(', ')})`,
        );
      if (typeof text !== 'string') throw invalidArgument(`document field "${name}" must be a string`);
    }
  }

  /** Per document, per field: its terms. Validates shape first. */
  private analyzeDocuments(docs: readonly Bm25Document[]): AnalyzedDocument[] {
    const perField = new Map<string, { doc: number; text: string }[]>();
    for (const name of this.fieldNames) perField.set(name, []);
    docs.forEach((doc, i) => {
      this.checkDocument(doc);
      if (typeof doc === 'string') perField.get(this.defaultField)!.push({ doc: i, text: doc });
      else for (const [name, text] of Object.entries(doc)) perField.get(name)!.push({ doc: i, text });
    });
    const out: AnalyzedDocument[] = docs.map(() => []);
    for (const [name, items] of perField) {
      if (items.length === 0) continue;
      const texts = items.map((x) => x.text);
      const analyzed = this.analyzer.analyzeBatch
        ? this.analyzer.analyzeBatch(texts)
        : texts.map((t) => this.analyzer.analyze(t));
      const weight = this.fields[name];
      for (let j = 0; j < items.length; j++) out[items[j].doc].push({ weight, terms: analyzed[j] });
    }
    return out;
  }

  private appendAnalyzed(id: string, fieldTerms: AnalyzedFields, meta: Metadata | undefined): void {
    const ord = this.ids.length;
    const stamp = ++this.stamp;
    const vocab = this.vocab;
    const pendingTerms = this.pendingTerms;
    const pendingTfs = this.pendingTfs;
    const first = pendingTerms.length;
    let seenStamp = this.seenStamp;
    let slot = this.slot;
    let length = 0;
    for (const { weight, terms } of fieldTerms) {
      for (let i = 0; i < terms.length; i++) {
        const term = terms[i];
        const t = vocab.intern(term);
        if (t >= seenStamp.length) {
          this.growTermArrays(t + 1);
          seenStamp = this.seenStamp;
          slot = this.slot;
        }
        if (seenStamp[t] !== stamp) {
          seenStamp[t] = stamp;
          slot[t] = pendingTerms.length;
          pendingTerms.push(t);
          pendingTfs.push(weight);
        } else {
          pendingTfs.data[slot[t]] += weight;
        }
      }
      length += weight * terms.length;
    }
    const df = this.df;
    const added = pendingTerms.data;
    for (let e = first, end = pendingTerms.length; e < end; e++) df[added[e]]++;
    this.pendingStart.push(pendingTerms.length);
    this.lengths.push(length);
    this.ids.push(id);
    this.metas.push(meta);
    this.ordinalOf.set(id, ord);
    this.liveDocs++;
    this.totalLength += length;
  }

  private growTermArrays(minLength: number): void {
    this.df = ensureInt32(this.df, minLength);
    this.seenStamp = ensureInt32(this.seenStamp, minLength);
    this.slot = ensureInt32(this.slot, minLength);
  }

  /** The forward entries of one ordinal, wherever it lives. */
  private forwardEntries(ord: number): { terms: Int32Array; tfs: Float32Array; from: number; to: number } {
    if (ord >= this.pendingBase) {
      const local = ord - this.pendingBase;
      const starts = this.pendingStart.data;
      return { terms: this.pendingTerms.data, tfs: this.pendingTfs.data, from: starts[local], to: starts[local + 1] };
    }
    const segs = this.segments;
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segs[mid].base <= ord) lo = mid;
      else hi = mid - 1;
    }
    const s = segs[lo];
    const f = s.forward;
    const local = ord - s.base;
    return { terms: f.terms, tfs: f.tfs, from: f.docStart[local], to: f.docStart[local + 1] };
  }

  /** Turns pending documents into a segment and keeps the segment count logarithmic. */
  private flush(allowCompact = true): void {
    const pendingDocs = this.ids.length - this.pendingBase;
    if (pendingDocs > 0) {
      const forward: ForwardLists = {
        docStart: this.pendingStart.view().slice(),
        terms: this.pendingTerms.view().slice(),
        tfs: this.pendingTfs.view().slice(),
        lengths: this.lengths.data.slice(this.pendingBase, this.ids.length),
      };
      this.segments.push(new Segment(this.pendingBase, forward, this.vocab.terms.length));
      this.pendingBase = this.ids.length;
      this.resetPending();
      const segs = this.segments;
      while (segs.length >= 2 && segs[segs.length - 2].docCount <= MERGE_FACTOR * segs[segs.length - 1].docCount) {
        const tail = segs.splice(segs.length - 2, 2);
        segs.push(new Segment(tail[0].base, Segment.mergeForward(tail), this.vocab.terms.length));
      }
    }
    if (allowCompact && this.deletedCount > 1024 && this.deletedCount > COMPACT_DELETED_FRACTION * this.ids.length)
      this.compact();
  }

  private resetPending(): void {
    this.pendingStart = new GrowableInt32(1024);
    this.pendingStart.push(0);
    this.pendingTerms = new GrowableInt32(16384);
    this.pendingTfs = new GrowableFloat32(16384);
  }
}

/** A document's analysed fields: each field's weight and terms. */
export type AnalyzedFields = readonly { weight: number; terms: readonly string[] }[];
type AnalyzedDocument = { weight: number; terms: readonly string[] }[];

function checkId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || id.length === 0)
    throw invalidArgument(`document id must be a non-empty string, got ${JSON.stringify(id)}`);
}

/** A filter option as a predicate (objects match every field by equality, arrays by membership). */
export function compileFilter(
  filter: MetadataFilter | undefined,
): ((meta: Metadata | undefined, id: string) => boolean) | undefined {
  if (filter === undefined) return undefined;
  if (typeof filter === 'function') return filter;
  if (filter === null || typeof filter !== 'object')
    throw invalidArgument('search: filter must be a function or an object of field values');
  const entries = Object.entries(filter);
  return (meta) => {
    if (!meta) return false;
    for (const [key, want] of entries) {
      const have = meta[key];
      if (Array.isArray(want) ? !want.includes(have) : have !== want) return false;
    }
    return true;
  };
}
