/**
 * The leg interface: one retriever over the engine's documents. The engine holds an ordered list of
 * named legs, sends every document to each of them, and fuses their ranked lists; it never knows what
 * a leg does inside (BM25 over pages or passages, a dense model over an HNSW or flat index, a user's
 * own retriever).
 *
 * Writes come in two steps so that a failure never leaves the legs disagreeing:
 * `prepare` does the expensive, fallible work (analysis, embedding) without touching the index;
 * `commit` applies a prepared batch (and, should it fail, leaves the leg as it was). `capture`
 * returns a batch that puts documents back exactly as the leg holds them now (stored vectors, no
 * model call), for rolling back a replaced document.
 *
 * Hits are documents, each once: a leg that splits documents into passages scores a document by its
 * best passage and reports that passage's offsets.
 */
import type { Analyzer } from '../analyze/types.js';

/** Leg names: what fusion weights, search options and manifests call a leg. */
export const LEG_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

export type Metadata = Readonly<Record<string, unknown>>;

/** A document as every leg receives it. */
export interface LegDocument {
  readonly id: string;
  readonly text: string;
  readonly title?: string;
  readonly meta?: Metadata;
  /** A vector the caller computed with the dense model (dense legs only; others ignore it). */
  readonly vector?: Float32Array;
}

/** A leg's own, opaque result of `prepare` or `capture`. */
export interface PreparedBatch {
  /** The documents the batch adds, in order. */
  readonly ids: readonly string[];
}

export interface PrepareOptions {
  /** Progress of the expensive part (texts analysed, a model adapted, texts embedded), by stage. */
  onProgress?: (done: number, total: number, stage?: string) => void;
  signal?: AbortSignal;
}

/** A query as the pipeline hands it to every leg: the text is analysed once, by the engine's analyzer. */
export interface LegQuery {
  readonly text: string;
  /** The engine analyzer's terms of `text`. */
  readonly terms: readonly string[];
  /** The engine analyzer's name (a leg with another analyzer analyses `text` itself). */
  readonly analyzer: string;
  /** A vector the caller computed with the dense model (dense legs use it instead of embedding). */
  readonly vector?: Float32Array;
}

export interface LegSearchOptions {
  /** How many documents to return. */
  k: number;
  /** Keep only documents for which this returns true. */
  filter?: (documentId: string) => boolean;
  signal?: AbortSignal;
  /** performance.now() past which the search should stop (TIMEOUT). */
  deadline?: number;
  /** For a leg that `rescores`: the documents the other legs found, to score instead of searching them all. */
  candidates?: readonly string[];
}

export interface LegHit {
  /** A document id. */
  id: string;
  /** Higher is better; comparable within one leg's list only. */
  score: number;
  /** The passage that matched (character offsets in the document text), for legs that split documents. */
  span?: { start: number; end: number };
}

/** What a leg writes into the manifest: its settings and whatever it needs to reopen its files. */
export type LegState = Record<string, unknown>;

export interface LegStats {
  /** Documents the leg holds. */
  documents: number;
  /** Units it searches (passages, or documents). */
  units: number;
  [detail: string]: unknown;
}

export interface Leg {
  /** The registered kind that can reopen this leg (`registerLeg`). */
  readonly kind: string;
  /** The dimension of vectors this leg takes from callers (documents' and queries' `vector`); absent: none. */
  readonly vectorDim?: number;
  /**
   * The leg scores the documents the other legs found (`candidates`) rather than searching the whole
   * index: the pipeline runs it after them. Alone, it searches as any leg does.
   */
  readonly rescores?: boolean;
  /** A rescoring leg scores each other leg's best this many documents (absent: all they found). */
  readonly rescoreDepth?: number;
  prepare(docs: readonly LegDocument[], options?: PrepareOptions): Promise<PreparedBatch>;
  capture(docs: readonly LegDocument[]): Promise<PreparedBatch>;
  commit(batch: PreparedBatch): Promise<void>;
  /** Removes documents by id (unknown ids are ignored). */
  remove(ids: readonly string[]): Promise<void>;
  search(query: LegQuery, options: LegSearchOptions): Promise<LegHit[]>;
  /** Writes the leg's files into `dir` (a fresh, empty directory of its own) and returns its manifest state. */
  save(dir: string): Promise<LegState>;
  stats(): LegStats;
  /** Human-readable facts for reports (`tamsaek eval`, `describe()`): model, index kind, passage split … */
  describe(): Record<string, unknown>;
  /** Releases what the leg loaded (model sessions). */
  close?(): Promise<void>;
  /**
   * Legs whose model can learn from the corpus: a batch that replaces the leg's model and every unit
   * with ones adapted to `docs` (all the documents the engine holds). `commit` applies it.
   */
  adapt?(docs: readonly LegDocument[], options?: PrepareOptions & Record<string, unknown>): Promise<PreparedBatch>;
}

/** What the engine gives a leg factory. */
export interface LegContext {
  /** The leg's name in this engine. */
  readonly name: string;
  /** The engine's analyzer (BM25-style legs index its terms; queries arrive analysed by it). */
  readonly analyzer: Analyzer;
}

/** Creates and reopens legs of one kind. */
export interface LegFactory<Options = unknown> {
  create(options: Options | undefined, context: LegContext): Promise<Leg>;
  /** Reopens a saved leg from its directory and the state its `save` returned. */
  open(dir: string, state: LegState, context: LegContext, options?: Options): Promise<Leg>;
}
