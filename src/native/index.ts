/**
 * The only module that loads the native addon (build/Release/tamsaek.node). Everything else imports
 * the typed wrappers from here (or from ./loss.ts / ./reference.ts), never the .node file.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TamsaekError, invalidArgument } from '../errors.js';

export type DType = 'f32' | 'f16' | 'i8';
export type Metric = 'dot' | 'cosine' | 'l2';

export const DTYPE_CODE: Record<DType, number> = { f32: 0, f16: 1, i8: 2 };
export const METRIC_CODE: Record<Metric, number> = { dot: 0, cosine: 1, l2: 2 };

/** Raw addon surface (positional numbers; validated by the wrappers below). */
export interface NativeAddon {
  info(): { kernel: string; available: string; cpu: string; defaultThreads: number };
  setKernel(name: string): boolean;
  scratch(resetPeak?: boolean): { current: number; peak: number };
  encode(o: Record<string, unknown>): Promise<void>;
  search(o: Record<string, unknown>): Promise<{ rows: Int32Array; scores: Float32Array }>;
  contrastive(o: Record<string, unknown>): Promise<number>;
  poolForward(o: Record<string, unknown>): Promise<void>;
  poolBackward(o: Record<string, unknown>): Promise<number | undefined>;
  benchStream(o: { data: Float32Array; n: number; threads?: number }): Promise<{ seconds: number; sink: number }>;
  benchPeak(o: { iters: number; threads?: number; kernel?: string }): Promise<{ flops: number; seconds: number }>;
}

let cached: NativeAddon | undefined;
let loadError: TamsaekError | undefined;

function packageRoot(): string {
  // dist/native/index.js -> package root is two levels up
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** Candidate locations of the compiled addon, first match wins. */
export function addonCandidates(): string[] {
  const root = packageRoot();
  const list = [join(root, 'build', 'Release', 'tamsaek.node'), join(root, 'build', 'Debug', 'tamsaek.node')];
  const env = process.env.TAMSAEK_NATIVE_PATH;
  return env ? [resolve(env), ...list] : list;
}

/** Loads the addon once; throws TamsaekError('NATIVE_UNAVAILABLE') telling how to build it. */
export function loadNative(): NativeAddon {
  if (cached) return cached;
  if (loadError) throw loadError;
  const candidates = addonCandidates();
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    loadError = new TamsaekError(
      'NATIVE_UNAVAILABLE',
      `tamsaek native addon not found (looked in ${candidates.join(', ')}); build it with ` +
        '`npm install` (node-gyp, needs a C++17 compiler and Python) or `npm run build:native` (cmake-js)',
    );
    throw loadError;
  }
  try {
    const require = createRequire(import.meta.url);
    cached = require(found) as NativeAddon;
    // the addon reads TAMSAEK_KERNEL=scalar|avx2 itself; avx512 is otherwise chosen by a timing
    // calibration at load, so pinning it makes runs (training above all) repeatable
    if (process.env.TAMSAEK_KERNEL === 'avx512') cached.setKernel('avx512');
    return cached;
  } catch (cause) {
    loadError = new TamsaekError(
      'NATIVE_UNAVAILABLE',
      `tamsaek native addon at ${found} failed to load (${(cause as Error).message}); rebuild it with ` +
        '`npm rebuild` or `npm run build:native`',
      { cause },
    );
    throw loadError;
  }
}

/** True when the addon can be loaded (never throws). */
export function nativeAvailable(): boolean {
  try {
    loadNative();
    return true;
  } catch {
    return false;
  }
}

export interface NativeInfo {
  /** Kernel family in use: 'avx512', 'avx2' or 'scalar'. */
  kernel: string;
  /** Kernel families this CPU can run. */
  available: string[];
  /** Detected CPU features. */
  cpu: string[];
  /** Default worker thread count (hardware concurrency). */
  defaultThreads: number;
}

export function nativeInfo(): NativeInfo {
  const i = loadNative().info();
  return {
    kernel: i.kernel,
    available: i.available.split(',').filter(Boolean),
    cpu: i.cpu.split(',').filter(Boolean),
    defaultThreads: i.defaultThreads,
  };
}

/** Selects the kernel family ('auto' | 'avx512' | 'avx2' | 'scalar'); for tests and benchmarks. */
export function setKernel(name: 'auto' | 'avx512' | 'avx2' | 'scalar'): void {
  if (!['auto', 'avx512', 'avx2', 'scalar'].includes(name))
    throw invalidArgument(`setKernel: unknown kernel "${name}"`);
  if (!loadNative().setKernel(name)) {
    throw new TamsaekError('NATIVE_UNAVAILABLE', `setKernel: this CPU or build cannot run the "${name}" kernels`);
  }
  inlineBound = undefined;
}

/** Native scratch memory accounting (bytes): current and peak since the last reset. */
export function scratchStats(resetPeak = false): { current: number; peak: number } {
  return loadNative().scratch(resetPeak);
}

export function checkThreads(where: string, threads: number | undefined): number | undefined {
  if (threads === undefined) return undefined;
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024) {
    throw invalidArgument(`${where}: threads must be an integer in 1..1024 (got ${threads})`);
  }
  return threads;
}

/** Throws INVALID_ARGUMENT when `a` holds NaN or ±Infinity. */
export function checkFinite(where: string, name: string, a: Float32Array): void {
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v - v !== 0) throw invalidArgument(`${where}: ${name}[${i}] is ${v} (NaN/Infinity are not allowed)`);
  }
}

/** Maps an error thrown by the addon to a TamsaekError (addon errors are argument errors). */
export function wrapNativeError(where: string, e: unknown): TamsaekError {
  if (e instanceof TamsaekError) return e;
  const msg = (e as Error)?.message ?? String(e);
  if (/out of memory/.test(msg)) return new TamsaekError('IO_ERROR', `${where}: native ${msg}`, { cause: e });
  return new TamsaekError('INVALID_ARGUMENT', `${where}: ${msg}`, { cause: e });
}

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

let inlineBound: number | undefined;
function inlineSearchBound(): number {
  return (inlineBound ??= loadNative().info().kernel === 'scalar' ? INLINE_SEARCH_MACS_SCALAR : INLINE_SEARCH_MACS);
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

export { infoNCELoss, gistLoss, cachedContrastiveStep } from './loss.js';
export {
  sparsePool,
  sparsePoolBackward,
  sparsePoolAdam,
  createAdamState,
  type SparseBatch,
  type AdamState,
  type PoolTable,
} from './sparse.js';
export type { InfoNCEOptions, GistOptions, CachedStepOptions, LossResult, CachedStepResult } from './loss.js';
