/**
 * The native addon's typed wrappers: exact search, row encoding, the contrastive losses and sparse
 * pooling (./loss.ts, ./sparse.ts), and the addon's facts. The addon itself is loaded by ./addon.ts.
 */
import { invalidArgument, TamsaekError } from '../errors.js';
import {
  checkFinite,
  checkThreads,
  currentKernel,
  DTYPE_CODE,
  type DType,
  loadNative,
  METRIC_CODE,
  type Metric,
  wrapNativeError,
} from './addon.js';

export {
  addonCandidates,
  checkFinite,
  checkThreads,
  DTYPE_CODE,
  type DType,
  loadNative,
  METRIC_CODE,
  type Metric,
  type NativeAddon,
  type NativeInfo,
  nativeAvailable,
  nativeInfo,
  nativePath,
  type RawCudaInfo,
  scratchStats,
  setKernel,
  wrapNativeError,
} from './addon.js';

export interface ExactSearchStore {
  /** Row-major rows: Float32Array (f32), Uint16Array of binary16 (f16) or Int8Array (i8). */
  data: Float32Array | Uint16Array | Int8Array;
  dtype: DType;
  n: number;
  dim: number;
  /** i8 only: one scale per row. */
  scales?: Float32Array;
  /** Squared row norms (required for cosine and l2). */
  norms?: Float32Array;
}

/**
 * Searches of at most this many multiply-adds (rows × dim × queries) run on the calling thread with
 * one thread: below it the worker round trip and thread start-up cost more than the work (measured
 * in docs/native.md); above it the search goes to a worker (AsyncWorker) as every longer native call.
 */
export const INLINE_SEARCH_MACS = 1 << 21;
/** The same bound for the scalar kernels (no AVX2), which are several times slower per multiply-add. */
export const INLINE_SEARCH_MACS_SCALAR = 1 << 18;

function inlineSearchBound(): number {
  return currentKernel() === 'scalar' ? INLINE_SEARCH_MACS_SCALAR : INLINE_SEARCH_MACS;
}

export interface ExactSearchOptions {
  k: number;
  metric?: Metric;
  /** Bitmap, bit i set = row i may be returned. */
  allow?: Uint8Array;
  threads?: number;
  /**
   * Run on the calling thread (true) or on a worker (false). Default: on the calling thread, with one
   * thread, when the search is at most INLINE_SEARCH_MACS multiply-adds (INLINE_SEARCH_MACS_SCALAR
   * with the scalar kernels); `threads` then does not apply.
   */
  inline?: boolean;
}

export interface ExactSearchResult {
  /** m*k row indices best-first per query, -1 where fewer than k rows qualified. */
  rows: Int32Array;
  /** m*k scores (higher is better; l2 returns the negative squared distance), NaN where rows is -1. */
  scores: Float32Array;
}

/**
 * Exact top-k over a row store for m = queries.length / dim queries. Runs on worker threads; one
 * query streams the store once with a fused bounded heap, several queries use the blocked GEMM.
 */
export async function exactSearch(
  store: ExactSearchStore,
  queries: Float32Array,
  options: ExactSearchOptions,
): Promise<ExactSearchResult> {
  const where = 'exactSearch';
  const { k, metric = 'dot', allow } = options;
  if (!Number.isInteger(k) || k <= 0) throw invalidArgument(`${where}: k must be a positive integer (got ${k})`);
  if (k > 1_000_000) throw invalidArgument(`${where}: k must be at most 1,000,000 (got ${k})`);
  if (!(metric in METRIC_CODE)) throw invalidArgument(`${where}: unknown metric "${metric}"`);
  if (!(queries instanceof Float32Array)) throw invalidArgument(`${where}: queries must be a Float32Array`);
  if (queries.length === 0 || queries.length % store.dim !== 0) {
    throw new TamsaekError(
      'DIMENSION_MISMATCH',
      `${where}: query length ${queries.length} is not a positive multiple of the dimension ${store.dim}`,
    );
  }
  checkFinite(where, 'query', queries);
  const threads = checkThreads(where, options.threads);
  const addon = loadNative();
  if (options.inline !== undefined && typeof options.inline !== 'boolean')
    throw invalidArgument(`${where}: inline must be a boolean`);
  const inline = options.inline ?? store.n * queries.length <= inlineSearchBound();
  try {
    return await addon.search({
      data: store.data,
      dtype: DTYPE_CODE[store.dtype],
      n: store.n,
      dim: store.dim,
      scales: store.scales,
      norms: store.norms,
      allow,
      queries,
      m: queries.length / store.dim,
      k,
      metric: METRIC_CODE[metric],
      threads: inline ? 1 : threads,
      inline,
    });
  } catch (e) {
    throw wrapNativeError(where, e);
  }
}

/** Encodes n fp32 rows into `dst` starting at row `row0` (quantizing for f16/i8) and writes norms. */
export async function encodeRows(
  src: Float32Array,
  n: number,
  dim: number,
  dtype: DType,
  dst: Float32Array | Uint16Array | Int8Array,
  norms: Float32Array,
  scales: Float32Array | undefined,
  row0: number,
  threads?: number,
): Promise<void> {
  const addon = loadNative();
  try {
    await addon.encode({ src, n, dim, dtype: DTYPE_CODE[dtype], dst, norms, scales, row0, threads });
  } catch (e) {
    throw wrapNativeError('encodeRows', e);
  }
}

export type { CachedStepOptions, CachedStepResult, GistOptions, InfoNCEOptions, LossResult } from './loss.js';
export { cachedContrastiveStep, gistLoss, infoNCELoss } from './loss.js';
export {
  type AdamState,
  createAdamState,
  type PoolTable,
  type SparseBatch,
  sparsePool,
  sparsePoolAdam,
  sparsePoolBackward,
} from './sparse.js';
