/** The Engine's public types. */
import type { Analyzer, AnalyzerConfig } from '../analyze/types.js';
import type { FusionConfig } from '../fuse/types.js';
import type { MetadataFilter } from '../legs/bm25/index.js';
import type { Bm25LegOptions } from '../legs/bm25/leg.js';
import type { DenseLegOptions } from '../legs/dense/leg.js';
import type { Metadata } from '../legs/types.js';
import type { TextEmbedder } from '../models/types.js';
import type { Reranker } from '../rerank/types.js';
import type { ChunkOptions } from '../util/chunker.js';
import type { Limits, QueryLimits } from '../util/limits.js';
import type { Snippet } from './highlight.js';

export interface EngineDocument {
  id: string;
  text: string;
  title?: string;
  meta?: Metadata;
  /**
   * The document's vector, already computed with the dense leg's model (for the text the engine
   * would embed: `title text`), so `add`/`upsert` skip embedding it; it is one unit even when the
   * dense leg splits passages. `dim` values, all finite. Not returned by `get`.
   */
  vector?: Float32Array | readonly number[];
}

export type DenseOptions = DenseLegOptions;

export interface RerankOptions {
  reranker: Reranker | string;
  /** How many fused candidates to rerank (default: the reranker's defaultTopN, else 20). */
  topN?: number;
  /** Drop reranked results scoring below this. */
  threshold?: number;
}

/** A leg of the engine: a registered kind under a name of the caller's choice. */
export interface LegSpec {
  /** What fusion weights, search options and hits call the leg (letters, digits, _ and -). */
  name: string;
  /** A built-in kind (`bm25`, `dense`) or one registered with `registerLeg`. */
  kind: string;
  options?: unknown;
}

export interface EngineOptions {
  analyzer?: Analyzer | string | AnalyzerConfig;
  /** Options of the `bm25` leg (sugar for `legs`). */
  bm25?: Bm25LegOptions;
  /**
   * A dense leg named `dense` (sugar for `legs`). With it the default legs are `bm25`, `passages` and
   * `dense`, fused with the zero-shot default weights (docs/fusion.md).
   */
  dense?: DenseOptions;
  /** With a dense leg: the split of the `passages` BM25 leg (default 150 characters, 50 shared); false leaves it out. */
  passages?: ChunkOptions | false;
  /** The legs in order. Default: `bm25`, then `dense` when `dense` is given. */
  legs?: LegSpec[];
  rerank?: RerankOptions;
  /** How legs are fused (default: min-max convex combination, equal weights; docs/fusion.md, *The engine's default*). */
  fusion?: FusionConfig;
  /** Candidates taken from each leg (default 100; 64 for the default three legs bm25, passages and dense without a `fusion` of your own). */
  depth?: number;
  /** Split long documents into passages for the default legs (BM25 and dense); hits map back to their documents. */
  chunk?: ChunkOptions;
  /**
   * Bounded work per request (not saved with the index): `maxQueryChars` (default 4,096),
   * `maxQueryTerms` (1,024), `maxDocumentChars` (10 Mi, id + text + title + meta); past one, a typed
   * LIMIT_EXCEEDED before any work. Infinity lifts a limit.
   */
  limits?: Limits;
}

export interface EngineSearchOptions {
  k?: number;
  filter?: MetadataFilter;
  /** Overrides the engine's fusion configuration for this search. */
  fusion?: FusionConfig;
  /** Per-leg weights, merged into the fusion configuration. */
  weights?: Record<string, number>;
  depth?: number;
  /** Which legs to run, by name (default all). */
  legs?: string[];
  /** false skips the reranker; a number overrides topN. */
  rerank?: boolean | number;
  /** Attach a snippet with highlight offsets (true = 160 characters). */
  highlight?: boolean | { maxChars?: number };
  /** Stops the search, including work in progress (ABORTED). */
  signal?: AbortSignal;
  /** Stops the search, including work in progress, once it has run this long (TIMEOUT). */
  timeoutMs?: number;
  /** This search's query limits over the engine's (`maxQueryChars`, `maxQueryTerms`). */
  limits?: QueryLimits;
  /** The query's vector, already computed with the dense model: dense legs use it instead of embedding `query`. */
  vector?: Float32Array | readonly number[];
}

/** @deprecated a leg name is any string now; kept for code written against the closed pair. */
export type LegName = string;

export interface EngineHit {
  id: string;
  score: number;
  title?: string;
  meta?: Metadata;
  /** Per-leg evidence: each leg's own score and rank for this document (best passage), and the reranker's score. */
  legs: Record<string, { score: number; rank: number }> & { rerank?: { score: number } };
  /** The fused score before reranking. */
  fusedScore: number;
  /** For legs that split documents: the passage that matched, as offsets in the document text. */
  passage?: { start: number; end: number };
  snippet?: Snippet;
}

/** One unit a dense leg stores for a document: a passage (or the whole text) and its stored vector. */
export interface StoredUnit {
  /** Character offsets of the unit in the document's text (0 and its length for a document held whole). */
  start: number;
  end: number;
  /** The vector the index stores (normalised or decoded where the index does so). */
  vector: Float32Array;
}

/** A stored document as `Engine.documents()` yields it. */
export interface StoredDocumentView {
  id: string;
  text: string;
  title?: string;
  meta?: Metadata;
  /** With dense legs: each one's units of this document, in order, by leg name. */
  vectors?: Record<string, StoredUnit[]>;
}

export interface OpenOptions {
  /** Open without the write lock: searches only (several readers may share a directory). */
  readOnly?: boolean;
  /** Required when the index was built with an embedder instance (not a model name). */
  embedder?: TextEmbedder;
  reranker?: Reranker;
  /** As Engine.create's `limits` (runtime settings: an index does not store them). */
  limits?: Limits;
}

/** The query-time configuration that tuning chooses and `configure` applies (saved with the index). */
export interface QueryConfig {
  fusion: FusionConfig;
  depth: number;
  rerankTopN: number;
}

/** What `describe()` reports: the legs with their facts, the analyzer and the query-time configuration. */
export interface EngineDescription {
  analyzer: string;
  documents: number;
  legs: { name: string; kind: string; [fact: string]: unknown }[];
  fusion: FusionConfig;
  depth: number;
  rerank?: { model: string; topN: number; threshold?: number };
}
