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
import { mkdir } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { analyzeAll, analyzeText } from '../../analyze/batch.js';
import { analyzerFromStored, createAnalyzer, DEFAULT_ANALYZER, storedAnalyzerConfig } from '../../analyze/index.js';
import type { Analyzer, AnalyzerConfig } from '../../analyze/types.js';
import { checkOptions, invalidArgument, TamsaekError } from '../../errors.js';
import { ensureInt32, ensureUint8, GrowableFloat32, GrowableInt32 } from '../../util/growable.js';
import { checkQueryChars, checkQueryTerms, DEFAULT_LIMITS, resolveLimits } from '../../util/limits.js';
import { acquireWriteLock, type WriteLock } from '../../util/lock.js';
import { checkSignal, checkStop, runNow, runSliced, Slicer } from '../../util/slices.js';
import { TermDictionary } from '../../util/term-dictionary.js';
import { TopK } from '../../util/topk.js';
import type { Metadata } from '../types.js';
import { openBm25, saveBm25 } from './format.js';
import { SegmentSearch, type TermList } from './maxscore.js';
import { type ForwardLists, type IndexSnapshot, Segment } from './segment.js';
import { type IndexState, type LiveView, restoreSteps, snapshotSteps } from './state.js';
import { type FieldTerms, fieldLength, fieldReader } from './term-ids.js';

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
  /** Longest query `search` accepts, in characters (default 4,096; Infinity lifts it) → LIMIT_EXCEEDED. */
  maxQueryChars?: number;
  /** Most terms a query may analyse to (default 1,024) → LIMIT_EXCEEDED. */
  maxQueryTerms?: number;
}

export interface Bm25OpenOptions {
  maxQueryChars?: number;
  maxQueryTerms?: number;
}

export interface Bm25SearchOptions {
  k?: number;
  filter?: MetadataFilter;
  /** Score every matching document instead of MaxScore pruning (same results; for verification and benchmarks). */
  exhaustive?: boolean;
}

export interface Bm25AsyncSearchOptions extends Bm25SearchOptions {
  /** Stops the search in progress (ABORTED) at its next slice. */
  signal?: AbortSignal;
  /** Stops the search in progress (TIMEOUT) once it has run this long. */
  timeoutMs?: number;
}

/** How an internal caller stops a search: an AbortSignal and a performance.now() deadline. */
export interface SearchStop {
  signal?: AbortSignal;
  deadline?: number;
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

const BM25_OPTIONS = ['analyzer', 'k1', 'b', 'fields', 'maxQueryChars', 'maxQueryTerms'] as const;
const QUERY_LIMIT_KEYS = ['maxQueryChars', 'maxQueryTerms'];
const SEARCH_OPTIONS = ['k', 'filter', 'exhaustive'] as const;
const ASYNC_SEARCH_OPTIONS = [...SEARCH_OPTIONS, 'signal', 'timeoutMs'] as const;
/**
 * Tiered merging: the last MERGE_WIDTH segments merge into one (a k-way merge) when they are of a size —
 * the largest holds at most MERGE_SIZE_RATIO times the smallest's documents — so an entry is rebuilt about
 * log4(segments) times; past MAX_SEGMENTS the last MERGE_WIDTH merge whatever their sizes.
 */
const MERGE_WIDTH = 4;
const MERGE_SIZE_RATIO = 2;
const MAX_SEGMENTS = 32;
/** Fraction of tombstoned ordinals above which a flush compacts. */
const COMPACT_DELETED_FRACTION = 0.3;
/** Merges up to this many entries run inside a synchronous flush; larger ones wait for `settle()` once it is used. */
const SYNC_MERGE_ENTRIES = 1 << 18;
/** Pending entries after which an async add seals them into a segment (bounds a search-time flush). */
const SEAL_ENTRIES = 1 << 19;
/** Documents with more terms than this are appended in slices by `addAnalyzedAsync`. */
const HUGE_DOCUMENT_TERMS = 1 << 16;
/**
 * List entries a search visits between two checks of its signal and deadline: a candidate costs one
 * step per query-term list, so a long query scores fewer candidates per run (a run stays well under
 * a slice).
 */
const SEARCH_STEPS = 1 << 16;
export const MAX_K = 100_000;

export class Bm25Index {
  readonly analyzer: Analyzer;
  readonly k1: number;
  readonly b: number;
  readonly fields: Readonly<Record<string, number>>;
  /** The query limits `search` / `searchAsync` enforce. */
  readonly limits: { maxQueryChars: number; maxQueryTerms: number };
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
  private queryBits = new Uint32Array(0);

  /** Counts changes of the documents (adds, deletes, a new state): work in slices checks it before installing. */
  private epoch = 0;
  /** Once an owner settles the index (the engine's leg does), large merges and compactions are left to settle(). */
  private maintained = false;
  private lock: { dir: string; lock: WriteLock } | undefined;

  constructor(options: Bm25Options = {}) {
    checkOptions('Bm25Index', options, BM25_OPTIONS);
    const { analyzer = DEFAULT_ANALYZER, k1 = 1.2, b = 0.75, fields = { text: 1 } } = options ?? {};
    const resolved = typeof analyzer === 'object' && 'analyze' in analyzer ? analyzer : createAnalyzer(analyzer);
    if (typeof resolved.analyze !== 'function')
      throw invalidArgument('Bm25Index: analyzer must have an analyze(text) method');
    if (!(Number.isFinite(k1) && k1 >= 0))
      throw invalidArgument(`Bm25Index: k1 must be a finite number >= 0, got ${k1}`);
    if (!(Number.isFinite(b) && b >= 0 && b <= 1)) throw invalidArgument(`Bm25Index: b must be in [0, 1], got ${b}`);
    if (fields === null || typeof fields !== 'object')
      throw invalidArgument('Bm25Index: fields must be an object of field weights');
    const names = Object.keys(fields);
    if (names.length === 0) throw invalidArgument('Bm25Index: fields must name at least one field');
    for (const name of names) {
      const w = fields[name];
      if (!(typeof w === 'number' && Number.isFinite(w) && w > 0)) {
        throw invalidArgument(`Bm25Index: weight of field "${name}" must be a finite number > 0, got ${w}`);
      }
    }
    const { maxQueryChars, maxQueryTerms } = resolveLimits(
      'Bm25Index',
      { maxQueryChars: options?.maxQueryChars, maxQueryTerms: options?.maxQueryTerms },
      DEFAULT_LIMITS,
      QUERY_LIMIT_KEYS,
    );
    this.limits = { maxQueryChars, maxQueryTerms };
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

  /** Adds a new document; DUPLICATE_ID if `id` is present (use upsert to replace). Analyses synchronously. */
  add(id: string, doc: Bm25Document, meta?: Metadata): void {
    checkId(id);
    if (this.ordinalOf.has(id))
      throw new TamsaekError('DUPLICATE_ID', `document id "${id}" already exists (use upsert to replace it)`);
    this.appendAnalyzed(id, this.analyzeDocument(doc), meta);
  }

  /**
   * Adds many documents, synchronously (the thread is held for the whole analysis: use `addManyAsync`
   * in a server). All ids are checked first.
   */
  addMany(docs: Iterable<{ id: string; doc: Bm25Document; meta?: Metadata }>): number {
    const list = this.checkNewDocuments(docs);
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
   * `addMany` that keeps the event loop turning: analysis in slices (or on the analyzer's worker
   * threads; long texts window by window), appends and segment merges in slices. Same checks and
   * all-or-nothing rule. A search made meanwhile sees the documents appended so far.
   */
  async addManyAsync(
    docs: Iterable<{ id: string; doc: Bm25Document; meta?: Metadata }>,
    options: { signal?: AbortSignal } = {},
  ): Promise<number> {
    checkOptions('addManyAsync', options, ['signal']);
    const list = this.checkNewDocuments(docs);
    const texts: string[] = [];
    const fieldsOf: string[][] = [];
    for (const { doc } of list) {
      const fields = typeof doc === 'string' ? [[this.defaultField, doc]] : Object.entries(doc);
      fieldsOf.push(fields.map(([name]) => name));
      for (const [, text] of fields) texts.push(text);
    }
    const terms = await analyzeAll(this.analyzer, texts, { signal: options.signal });
    let at = 0;
    const analysed = list.map(({ id, meta }, i) => ({
      id,
      meta,
      fields: fieldsOf[i].map((name) => ({ weight: this.fields[name], terms: terms[at++] })),
    }));
    return this.addAnalyzedAsync(analysed, options.signal);
  }

  /**
   * Adds documents whose field texts were analysed elsewhere with this index's analyzer (a leg analyses
   * off the hot path, then adds in one short step). Same checks and all-or-nothing rule as `addMany`.
   */
  addAnalyzed(docs: readonly { id: string; fields: AnalyzedFields; meta?: Metadata }[]): number {
    this.checkNewIds(docs);
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

  /**
   * `addAnalyzed` in slices with event-loop turns between them, then `settle()`: pending documents are
   * sealed into segments every SEAL_ENTRIES entries, so a search made meanwhile never seals a large
   * batch itself. All-or-nothing: should a slice fail or the signal fire, the documents appended are
   * removed again.
   */
  async addAnalyzedAsync(
    docs: readonly { id: string; fields: AnalyzedFields; meta?: Metadata }[],
    signal?: AbortSignal,
  ): Promise<number> {
    this.checkNewIds(docs);
    this.maintained = true;
    const slicer = new Slicer({ signal, what: 'indexing' });
    const firstOrdinal = this.ids.length;
    let appended = 0;
    try {
      for (; appended < docs.length; appended++) {
        const { id, fields, meta } = docs[appended];
        if (termCount(fields) > HUGE_DOCUMENT_TERMS) await this.appendHuge(id, fields, meta, slicer);
        else this.appendAnalyzed(id, fields, meta);
        if (this.pendingTerms.length >= SEAL_ENTRIES) {
          this.flush(false);
          await this.mergeInSlices(slicer);
        }
        if ((appended & 15) === 15 && slicer.due) await slicer.turn();
      }
    } catch (error) {
      for (let i = 0; i < appended; i++) this.delete(docs[i].id);
      throw error;
    }
    // the segments sealed along the way become one (their tiered merges kept searches cheap meanwhile)
    this.flush(false);
    const added = this.segments.filter((seg) => seg.base >= firstOrdinal);
    if (added.length > 1 && added[0] === this.segments[this.segments.length - added.length])
      await this.mergeRun(added, new Slicer({ what: 'indexing' })); // maintenance: not aborted by the caller
    await this.settle();
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
    this.epoch++;
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

  /** Top-k documents for a text query (analysed synchronously; see `searchAsync`). */
  search(query: string, options: Bm25SearchOptions = {}): SearchHit[] {
    if (typeof query !== 'string') throw invalidArgument('search: query must be a string');
    checkQueryChars('search', query, this.limits.maxQueryChars);
    const terms = this.analyzer.analyze(query);
    checkQueryTerms('search', terms.length, this.limits.maxQueryTerms);
    return this.searchTerms(terms, options);
  }

  /**
   * `search` that keeps the event loop turning and can be stopped while it runs: a long query is
   * analysed window by window, postings are scored in slices, and between slices the signal and the
   * timeout are checked (ABORTED / TIMEOUT).
   */
  async searchAsync(query: string, options: Bm25AsyncSearchOptions = {}): Promise<SearchHit[]> {
    checkOptions('searchAsync', options, ASYNC_SEARCH_OPTIONS);
    if (typeof query !== 'string') throw invalidArgument('search: query must be a string');
    const { signal, timeoutMs, ...rest } = options;
    checkSignal('search', signal);
    if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0))
      throw invalidArgument('search: timeoutMs must be a positive number');
    const deadline = timeoutMs === undefined ? Infinity : performance.now() + timeoutMs;
    checkQueryChars('search', query, this.limits.maxQueryChars);
    const terms = await analyzeText(this.analyzer, query, { signal, deadline, what: 'search' });
    checkQueryTerms('search', terms.length, this.limits.maxQueryTerms);
    return this.searchTermsAsync(terms, rest, { signal, deadline });
  }

  /** Top-k documents for already analyzed query terms (duplicates are ignored). */
  searchTerms(queryTerms: readonly string[], options: Bm25SearchOptions = {}): SearchHit[] {
    checkOptions('search', options, SEARCH_OPTIONS);
    const plan = this.plan(queryTerms, options);
    if (!plan) return [];
    for (const cursor of plan.cursors()) cursor.run(Infinity);
    return plan.hits();
  }

  /** `searchTerms` in slices; `stop` ends it with ABORTED / TIMEOUT between slices. */
  async searchTermsAsync(
    queryTerms: readonly string[],
    options: Bm25SearchOptions = {},
    stop: SearchStop = {},
  ): Promise<SearchHit[]> {
    checkOptions('search', options, SEARCH_OPTIONS);
    const { signal, deadline = Infinity } = stop;
    checkStop(signal, deadline, 'search');
    const plan = this.plan(queryTerms, options);
    if (!plan) return [];
    const slicer = new Slicer({ signal, deadline, what: 'search' });
    for (const cursor of plan.cursors()) {
      const budget = Math.max(16, Math.floor(SEARCH_STEPS / cursor.lists));
      while (!cursor.run(budget)) {
        if (slicer.due) await slicer.turn();
        else checkStop(undefined, deadline, 'search');
      }
    }
    return plan.hits();
  }

  /** What a search scores: the query's term lists per segment (lazily), and its top-k heap. */
  private plan(
    queryTerms: readonly string[],
    options: Bm25SearchOptions,
  ): { cursors: () => Generator<SegmentSearch>; hits: () => SearchHit[] } | undefined {
    const k = options.k ?? 10;
    if (!Number.isInteger(k) || k < 1 || k > MAX_K)
      throw invalidArgument(`search: k must be an integer in 1..${MAX_K}, got ${k}`);
    if (!Array.isArray(queryTerms)) throw invalidArgument('search: terms must be an array of strings');
    const accept = compileFilter(options.filter);
    this.flush();
    if (this.liveDocs === 0) return undefined;
    const N = this.liveDocs;
    const avgdl = this.totalLength / N;
    const { k1, b } = this;
    const unique: number[] = [];
    for (const term of new Set(queryTerms)) {
      const t = this.vocab.get(term);
      if (t >= 0 && this.df[t] > 0) unique.push(t);
    }
    if (unique.length === 0) return undefined;
    // captured now: a search that yields keeps reading this state even if a write replaces it
    const ids = this.ids;
    const heap = new TopK<number>(k, (ord) => ids[ord]);
    const weights = unique.map((t) => {
      const df = this.df[t];
      return Math.log(1 + (N - df + 0.5) / (df + 0.5)) * (k1 + 1) * this.termWeight(t);
    });
    const normBase = k1 * (1 - b);
    const normPerLength = avgdl > 0 ? (k1 * b) / avgdl : 0;
    const isDeleted = this.deleted;
    const metas = this.metas;
    const lengths = this.lengths.data;
    const accepts =
      accept === undefined
        ? (ord: number) => isDeleted[ord] !== 1
        : (ord: number) => isDeleted[ord] !== 1 && accept(metas[ord], ids[ord]);
    const segments = this.segments.slice();
    const prune = !options.exhaustive;
    function* cursors(): Generator<SegmentSearch> {
      for (const segment of segments) {
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
        if (lists.length > 0)
          yield new SegmentSearch(
            segment,
            lists,
            unique.length,
            lengths,
            normBase,
            normPerLength,
            heap,
            accepts,
            prune,
          );
      }
    }
    return { cursors, hits: () => heap.drain().map(({ item, score }) => ({ id: ids[item], score })) };
  }

  /** The analyzer's query weight of term id `t` (ko-mecab's compound terms weigh less than 1). */
  private termWeight(t: number): number {
    const weigh = this.analyzer.termWeight;
    if (weigh === undefined) return 1;
    const term = this.vocab.terms[t]!;
    const w = weigh(term);
    if (!(Number.isFinite(w) && w >= 0))
      throw invalidArgument(
        `analyzer ${this.analyzer.name}: termWeight("${term}") must be a finite number >= 0, got ${w}`,
      );
    return w;
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
    // the query's term weights in a table indexed by term id, and a bitset of those ids (cleared again
    // below): most entries of a document are not query terms, and the bitset answers that from L1 cache
    const vocab = this.vocab.terms.length;
    if (this.weightScratch.length < vocab) {
      this.weightScratch = new Float64Array(vocab + 1024);
      this.queryBits = new Uint32Array((vocab + 1024 + 31) >>> 5);
    }
    const weight = this.weightScratch;
    const bits = this.queryBits;
    const used: number[] = [];
    for (const term of new Set(queryTerms)) {
      const t = this.vocab.get(term);
      if (t < 0 || this.df[t] <= 0) continue;
      weight[t] = Math.log(1 + (N - this.df[t] + 0.5) / (this.df[t] + 0.5)) * (k1 + 1) * this.termWeight(t);
      bits[t >>> 5] |= 1 << (t & 31);
      used.push(t);
    }
    const lengths = this.lengths.data;
    for (let i = 0; i < ids.length; i++) {
      const ord = this.ordinalOf.get(ids[i]);
      if (ord === undefined) continue;
      if (used.length === 0) {
        out[i] = 0;
        continue;
      }
      const norm = k1 * (1 - b + (avgdl > 0 ? (b * lengths[ord]) / avgdl : 0));
      const { terms, tfs, from, to } = this.forwardEntries(ord);
      out[i] = scoreEntries(terms, tfs, from, to, bits, weight, norm);
    }
    for (const t of used) {
      weight[t] = 0;
      bits[t >>> 5] = 0;
    }
    return out;
  }

  /** Merges all segments into one and drops deleted documents and unused terms. */
  compact(): void {
    this.flush(false);
    if (this.deletedCount === 0 && this.segments.length <= 1) return;
    this.install(runNow(restoreSteps(runNow(snapshotSteps(this.captureView())), false)));
  }

  /**
   * Brings the index to its resting shape in slices that yield to the event loop: pending documents
   * sealed, segments merged (log-structured), tombstones compacted away once they pass 30 %. From the
   * first call on, synchronous flushes leave large merges and compactions to it; the engine's leg
   * settles after every write.
   */
  async settle(): Promise<void> {
    this.maintained = true;
    const slicer = new Slicer({ what: 'indexing' });
    this.flush(false);
    await this.mergeInSlices(slicer);
    if (this.needsCompaction()) {
      const epoch = this.epoch;
      const snapshot = await runSliced(snapshotSteps(this.captureView()), slicer);
      const state = await runSliced(restoreSteps(snapshot, false), slicer);
      if (this.epoch === epoch) this.install(state); // else documents changed meanwhile: the next settle retries
    }
  }

  /** Merges the tail segments while the policy asks for it, each merge built in slices. */
  private async mergeInSlices(slicer: Slicer): Promise<void> {
    for (let run = this.mergeCandidate(); run; run = this.mergeCandidate()) await this.mergeRun(run, slicer);
  }

  /** Merges adjacent segments into one, built in slices (unless a compaction replaced them meanwhile). */
  private async mergeRun(run: readonly Segment[], slicer: Slicer): Promise<void> {
    const merged = await runSliced(Segment.mergeSteps(run, this.vocab.terms.length), slicer);
    const i = this.segments.indexOf(run[0]);
    if (i < 0 || run.some((s, j) => this.segments[i + j] !== s)) return;
    this.segments.splice(i, run.length, merged);
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
   * Writes the live documents to `dir` atomically (temp file, fsync, rename), holding `dir`'s write
   * lock (`write.lock`, as the engine's: LOCKED while another live process holds it). The lock is kept
   * until `close()` or a save to another directory, so one index writes one directory. The snapshot
   * reflects the index when `save` is called (adds and deletes made while the promise is pending are
   * not included); it is taken and written in slices that let the event loop turn.
   */
  async save(dir: string): Promise<void> {
    if (typeof dir !== 'string' || dir === '') throw invalidArgument('save: dir must be a directory path');
    const view = this.captureView();
    const target = resolvePath(dir);
    if (this.lock?.dir !== target) {
      await mkdir(target, { recursive: true });
      const lock = await acquireWriteLock(target, 'close the other writer (Bm25Index.close()) first');
      await this.lock?.lock.release();
      this.lock = { dir: target, lock };
    }
    await this.writeView(view, target);
  }

  /**
   * Writes `bm25.tsk` into a directory the caller already owns (no lock: the engine's generation
   * directories, covered by the engine's own write lock). Same snapshot rule as `save`.
   */
  write(dir: string): Promise<void> {
    return this.writeView(this.captureView(), dir);
  }

  private async writeView(view: LiveView, dir: string): Promise<void> {
    const settings = {
      k1: this.k1,
      b: this.b,
      fields: { ...this.fields },
      analyzer: storedAnalyzerConfig(this.analyzer.config),
    };
    const slicer = new Slicer({ what: 'save' });
    const snapshot = await runSliced(snapshotSteps(view), slicer);
    await saveBm25(snapshot, settings, dir, slicer);
  }

  /** Releases the write lock `save` holds (the index stays usable; a later save takes the lock again). */
  async close(): Promise<void> {
    const held = this.lock;
    this.lock = undefined;
    await held?.lock.release();
  }

  /** Reads an index saved by `save`, checking it in slices that let the event loop turn. */
  static async open(dir: string, options: Bm25OpenOptions = {}): Promise<Bm25Index> {
    checkOptions('Bm25Index.open', options, QUERY_LIMIT_KEYS);
    resolveLimits('Bm25Index.open', options, DEFAULT_LIMITS, QUERY_LIMIT_KEYS);
    const slicer = new Slicer({ what: 'open' });
    const { settings, snapshot } = await openBm25(dir, slicer);
    let index: Bm25Index;
    try {
      const { k1, b, fields, analyzer } = settings;
      index = new Bm25Index({ analyzer: analyzerFromStored(analyzer), k1, b, fields, ...options });
    } catch (error) {
      if (error instanceof TamsaekError)
        throw new TamsaekError('CORRUPT_INDEX', `${dir}: stored settings are invalid (${error.message})`, {
          cause: error,
        });
      throw error;
    }
    index.install(await runSliced(restoreSteps(snapshot, true), slicer));
    return index;
  }

  /** Live documents in ordinal order, with forward lists over a dense vocabulary. */
  snapshot(): IndexSnapshot {
    return runNow(snapshotSteps(this.captureView()));
  }

  /** Replaces the whole state with a snapshot (all documents live). Validates consistency. */
  restore(snapshot: IndexSnapshot): void {
    this.install(runNow(restoreSteps(snapshot, true)));
  }

  // ---- internals ----

  /** What a snapshot reads, captured now (pending documents sealed first). */
  private captureView(): LiveView {
    this.flush(false);
    const end = this.ids.length;
    return {
      end,
      deleted: this.deleted.slice(0, end),
      deletedCount: this.deletedCount,
      metas: this.metas.slice(0, end),
      ids: this.ids,
      terms: this.vocab.terms,
      vocabSize: this.vocab.terms.length,
      df: this.df.slice(0, this.vocab.terms.length),
      segments: this.segments.slice(),
    };
  }

  private install(state: IndexState): void {
    this.epoch++;
    this.vocab = state.vocab;
    this.df = state.df;
    this.liveDocs = state.liveDocs;
    this.totalLength = state.totalLength;
    this.ids = state.ids;
    this.metas = state.metas;
    this.lengths = state.lengths;
    this.deleted = state.deleted;
    this.deletedCount = 0;
    this.ordinalOf = state.ordinalOf;
    this.segments = state.segments;
    this.pendingBase = state.ids.length;
    this.resetPending();
    const V = state.vocab.terms.length;
    this.seenStamp = new Int32Array(Math.max(V, 1024));
    this.slot = new Int32Array(Math.max(V, 1024));
    this.stamp = 0;
  }

  private checkNewIds(docs: readonly { id: string }[]): void {
    if (!Array.isArray(docs)) throw invalidArgument('documents must be an array');
    const seen = new Set<string>();
    for (const { id } of docs) {
      checkId(id);
      if (this.ordinalOf.has(id) || seen.has(id))
        throw new TamsaekError('DUPLICATE_ID', `document id "${id}" already exists (use upsert to replace it)`);
      seen.add(id);
    }
  }

  private checkNewDocuments(
    docs: Iterable<{ id: string; doc: Bm25Document; meta?: Metadata }>,
  ): { id: string; doc: Bm25Document; meta?: Metadata }[] {
    if (docs === null || typeof (docs as Iterable<unknown>)?.[Symbol.iterator] !== 'function')
      throw invalidArgument('documents must be an iterable of { id, doc, meta? }');
    const list = Array.isArray(docs) ? (docs as { id: string; doc: Bm25Document; meta?: Metadata }[]) : [...docs];
    for (const item of list)
      if (item === null || typeof item !== 'object') throw invalidArgument('documents must be { id, doc, meta? }');
    this.checkNewIds(list);
    for (const { doc } of list) this.checkDocument(doc);
    return list;
  }

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
    this.epoch++;
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
      const { n, local, global, strings } = fieldReader(terms, vocab);
      for (let i = 0; i < n; i++) {
        const t = global !== undefined ? global[local[i]!]! : vocab.intern(strings[i]!);
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
      length += weight * n;
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

  /**
   * `appendAnalyzed` for a document of very many terms: its terms are interned and counted in slices
   * into arrays of its own (nothing another call could see half done), then appended in one short step.
   */
  private async appendHuge(id: string, fieldTerms: AnalyzedFields, meta: Metadata | undefined, slicer: Slicer) {
    const vocab = this.vocab;
    const slotOf = new Map<number, number>();
    const termIds: number[] = [];
    const tfs: number[] = [];
    let length = 0;
    for (const { weight, terms } of fieldTerms) {
      const { n, local, global, strings } = fieldReader(terms, vocab);
      for (let i = 0; i < n; i++) {
        const t = global !== undefined ? global[local[i]!]! : vocab.intern(strings[i]!);
        const slot = slotOf.get(t);
        if (slot === undefined) {
          slotOf.set(t, termIds.length);
          termIds.push(t);
          tfs.push(weight);
        } else tfs[slot] += weight;
        if ((i & 4095) === 4095) await slicer.pause();
      }
      length += weight * n;
    }
    // a new state installed meanwhile (a compaction the caller ran) renumbered the terms: append as usual
    if (this.vocab !== vocab) return this.appendAnalyzed(id, fieldTerms, meta);
    if (vocab.terms.length > this.df.length) this.growTermArrays(vocab.terms.length);
    this.epoch++;
    const df = this.df;
    for (let j = 0; j < termIds.length; j++) {
      this.pendingTerms.push(termIds[j]);
      this.pendingTfs.push(tfs[j]);
      df[termIds[j]]++;
    }
    this.pendingStart.push(this.pendingTerms.length);
    this.lengths.push(length);
    this.ordinalOf.set(id, this.ids.length);
    this.ids.push(id);
    this.metas.push(meta);
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

  /** The two tail segments when the log-structured policy wants them merged. */
  private mergeCandidate(): Segment[] | undefined {
    const segs = this.segments;
    if (segs.length < 2) return undefined;
    const tail = segs.slice(-MERGE_WIDTH);
    if (segs.length > MAX_SEGMENTS) return tail;
    if (tail.length < MERGE_WIDTH) return undefined;
    let min = Number.POSITIVE_INFINITY;
    let max = 0;
    for (const seg of tail) {
      min = Math.min(min, seg.docCount);
      max = Math.max(max, seg.docCount);
    }
    return max <= MERGE_SIZE_RATIO * min ? tail : undefined;
  }

  private needsCompaction(): boolean {
    return this.deletedCount > 1024 && this.deletedCount > COMPACT_DELETED_FRACTION * this.ids.length;
  }

  /**
   * Turns pending documents into a segment and keeps the segment count logarithmic. Once the index
   * is settled by its owner, only small merges run here (the rest wait for `settle()`, or for the
   * owner's next slice of `addAnalyzedAsync`), and never a compaction.
   */
  private flush(allowCompact = true): void {
    const pendingDocs = this.ids.length - this.pendingBase;
    if (pendingDocs > 0) {
      const forward: ForwardLists = {
        docStart: this.pendingStart.view().slice(),
        terms: this.pendingTerms.view().slice(),
        tfs: this.pendingTfs.view().slice(),
        lengths: this.lengths.data.slice(this.pendingBase, this.ids.length),
      };
      this.segments.push(Segment.build(this.pendingBase, forward, this.vocab.terms.length));
      this.pendingBase = this.ids.length;
      this.resetPending();
      const limit = this.maintained ? SYNC_MERGE_ENTRIES : Infinity;
      const vocabSize = this.vocab.terms.length;
      for (let run = this.mergeCandidate(); run && Segment.entries(run) <= limit; run = this.mergeCandidate())
        this.segments.splice(-run.length, run.length, Segment.build(run[0].base, Segment.mergeForward(run), vocabSize));
    }
    if (allowCompact && !this.maintained && this.needsCompaction()) this.compact();
  }

  private resetPending(): void {
    this.pendingStart = new GrowableInt32(1024);
    this.pendingStart.push(0);
    this.pendingTerms = new GrowableInt32(16384);
    this.pendingTfs = new GrowableFloat32(16384);
  }
}

function termCount(fields: AnalyzedFields): number {
  let n = 0;
  for (const f of fields) n += fieldLength(f.terms);
  return n;
}

/** A document's analysed fields: each field's weight and terms (strings, or ids of a prepared batch). */
export type AnalyzedFields = readonly { weight: number; terms: FieldTerms }[];
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

/** BM25 of one document's forward entries [from, to) for the query terms marked in `bits`. */
function scoreEntries(
  terms: Int32Array,
  tfs: Float32Array,
  from: number,
  to: number,
  bits: Uint32Array,
  weight: Float64Array,
  norm: number,
): number {
  let score = 0;
  for (let e = from; e < to; e++) {
    const t = terms[e];
    if ((bits[t >>> 5] >>> (t & 31)) & 1) score += (weight[t] * tfs[e]) / (tfs[e] + norm);
  }
  return score;
}
