/**
 * The only module that loads the native addon (a local build or the shipped prebuild), with the checks every
 * typed wrapper shares. Code outside src/native imports the wrappers from ./index.ts, never this
 * file's raw surface or the .node file.
 */

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { invalidArgument, TamsaekError } from '../errors.js';

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
  // CUDA (native/bindings/cuda.cpp); present in every build, answering "not built" without CUDA
  cudaInfo(): RawCudaInfo;
  cudaMatrixCreate(o: { dtype: number; dim: number }): unknown;
  cudaMatrixRelease(handle: unknown): Promise<void>;
  cudaMatrixWrite(o: Record<string, unknown>): Promise<void>;
  cudaSearch(
    o: Record<string, unknown>,
  ): Promise<{ rows: Int32Array; scores: Float32Array; deviceSeconds: number; path: string }>;
  cudaBench(o: {
    kind: 'copy' | 'read' | 'peak' | 'alloc';
    matrix?: unknown;
    reps: number;
    bytes?: number;
  }): Promise<number>;
  cudaLossStats(): { extraDeviceBytes: number; deviceSeconds: number };
  recurrence(o: Record<string, unknown>): unknown;
}

/** What the addon reports about CUDA (src/native/cuda.ts has the typed view). */
export interface RawCudaInfo {
  built: boolean;
  archs: string;
  runtimeVersion: number;
  driverVersion: number;
  reason: string;
  devices: {
    index: number;
    name: string;
    computeCapability: string;
    totalMemory: number;
    multiprocessors: number;
    memoryBandwidth: number;
  }[];
  cublas: boolean;
  cublasReason: string;
  maxK: number;
  maxDim: number;
}

let cached: NativeAddon | undefined;
let cachedPath: string | undefined;
let loadError: TamsaekError | undefined;

function packageRoot(): string {
  // dist/native/index.js -> package root is two levels up
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

const require = createRequire(import.meta.url);

/** node-gyp-build's resolver: build/Release, build/Debug, then prebuilds/<platform>-<arch>/ by tags. */
type GypBuildPath = (dir: string) => string;

const BUILD_FROM_SOURCE =
  'build it from source in a checkout of the tamsaek repository (`npm install` there compiles it: a C++17 ' +
  'compiler and Python 3) and set TAMSAEK_NATIVE_PATH to its build/Release/tamsaek.node';

/**
 * Where the addon comes from, first match wins: TAMSAEK_NATIVE_PATH; the cmake-js build
 * (`npm run build:native`, with the CUDA kernels where a toolkit was found; cmake-js builds into
 * build-cmake/ because node-gyp rebuilds wipe build/); then node-gyp-build's choice: a local node-gyp
 * build (build/Release, build/Debug: someone built it here on purpose), else the prebuild shipped in
 * the package for this platform, architecture and libc (prebuilds/linux-x64/tamsaek.glibc.node).
 */
export function addonCandidates(): string[] {
  const root = packageRoot();
  const list = [join(root, 'build-cmake', 'Release', 'tamsaek.node')];
  try {
    list.push((require('node-gyp-build') as { path: GypBuildPath }).path(root));
  } catch {
    // nothing built and no prebuild for this platform: loadNative says so with the fix
  }
  const env = process.env.TAMSAEK_NATIVE_PATH;
  return env ? [resolve(env), ...list] : list;
}

/** The path of the loaded addon (loads it). */
export function nativePath(): string {
  loadNative();
  return cachedPath!;
}

function platformTag(): string {
  const libc = process.platform === 'linux' ? (existsSync('/etc/alpine-release') ? ' (musl)' : ' (glibc)') : '';
  return `${process.platform}-${process.arch}${libc}`;
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
      `tamsaek has no prebuilt native addon for ${platformTag()} and none was built here ` +
        `(looked in ${[...candidates, join(packageRoot(), 'build'), join(packageRoot(), 'prebuilds')].join(', ')}); ` +
        BUILD_FROM_SOURCE,
    );
    throw loadError;
  }
  try {
    cached = require(found) as NativeAddon;
    cachedPath = found;
    // the addon reads TAMSAEK_KERNEL=scalar|avx2 itself; avx512 is otherwise chosen by a timing
    // calibration at load, so pinning it makes runs (training above all) repeatable
    if (process.env.TAMSAEK_KERNEL === 'avx512') cached.setKernel('avx512');
    return cached;
  } catch (cause) {
    loadError = new TamsaekError(
      'NATIVE_UNAVAILABLE',
      `tamsaek native addon at ${found} failed to load on ${platformTag()} (${(cause as Error).message.split('\n')[0]}); ` +
        `rebuild it (\`npm rebuild\` or \`npm run build:native\` in a checkout) or ${BUILD_FROM_SOURCE}`,
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
  /** The loaded .node file, and whether it was built with the CUDA kernels. */
  path: string;
  cudaBuilt: boolean;
}

export function nativeInfo(): NativeInfo {
  const i = loadNative().info();
  return {
    kernel: i.kernel,
    available: i.available.split(',').filter(Boolean),
    cpu: i.cpu.split(',').filter(Boolean),
    defaultThreads: i.defaultThreads,
    path: nativePath(),
    cudaBuilt: loadNative().cudaInfo().built,
  };
}

/** Selects the kernel family ('auto' | 'avx512' | 'avx2' | 'scalar'); for tests and benchmarks. */
export function setKernel(name: 'auto' | 'avx512' | 'avx2' | 'scalar'): void {
  if (!['auto', 'avx512', 'avx2', 'scalar'].includes(name))
    throw invalidArgument(`setKernel: unknown kernel "${name}"`);
  if (!loadNative().setKernel(name)) {
    throw new TamsaekError('NATIVE_UNAVAILABLE', `setKernel: this CPU or build cannot run the "${name}" kernels`);
  }
  kernelCache = undefined;
}

let kernelCache: string | undefined;

/** The kernel family in use (cached until setKernel changes it). */
export function currentKernel(): string {
  kernelCache ??= loadNative().info().kernel;
  return kernelCache;
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

/**
 * Maps an error thrown by the addon to a TamsaekError: CUDA failures ("CUDA_ERROR: …") and a missing GPU
 * ("CUDA_UNAVAILABLE: …") keep their codes; other addon errors are argument errors.
 */
export function wrapNativeError(where: string, e: unknown): TamsaekError {
  if (e instanceof TamsaekError) return e;
  const msg = (e as Error)?.message ?? String(e);
  for (const code of ['CUDA_ERROR', 'CUDA_UNAVAILABLE'] as const) {
    if (msg.startsWith(`${code}: `))
      return new TamsaekError(code, `${where}: ${msg.slice(code.length + 2)}`, { cause: e });
  }
  if (/out of memory/.test(msg)) return new TamsaekError('IO_ERROR', `${where}: native ${msg}`, { cause: e });
  return new TamsaekError('INVALID_ARGUMENT', `${where}: ${msg}`, { cause: e });
}
