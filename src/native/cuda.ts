/**
 * The GPU side of the native addon (native/cuda/, built by `npm run build:native` where a CUDA toolkit
 * exists): device discovery, the runtime choice `device: 'cpu' | 'cuda' | 'auto'`, and a row store
 * resident in device memory that the flat index uploads once and searches many times.
 *
 * Every addon build answers these calls: one without CUDA reports `built: false`; one with CUDA on a
 * machine without a driver or GPU reports why no device is usable. Nothing here crashes the process:
 * CUDA failures become TamsaekError('CUDA_ERROR'), asking for 'cuda' without a GPU TamsaekError('CUDA_UNAVAILABLE').
 */
import { invalidArgument, TamsaekError } from '../errors.js';
import { DTYPE_CODE, type DType, loadNative, METRIC_CODE, type Metric, wrapNativeError } from './addon.js';

export type Device = 'cpu' | 'cuda' | 'auto';
export const DEVICES: readonly Device[] = ['cpu', 'cuda', 'auto'];

export interface CudaDevice {
  index: number;
  name: string;
  /** e.g. "9.0" for H100. */
  computeCapability: string;
  /** Bytes. */
  totalMemory: number;
  multiprocessors: number;
  /** Peak DRAM bandwidth from the memory clock and bus width, bytes/s (0 when the driver does not say). */
  memoryBandwidth: number;
}

export interface CudaInfo {
  /** The loaded addon was compiled with the CUDA kernels. */
  built: boolean;
  /** CUDA architectures compiled in, e.g. "80-real,86-real,89-real,90-real,90-virtual". */
  archs: string;
  /** CUDA runtime (linked statically) and driver versions, e.g. 13000; driver 0 = no driver. */
  runtimeVersion: number;
  driverVersion: number;
  devices: CudaDevice[];
  /** Why no device is usable (empty when one is). */
  reason: string;
  /** Whether the cuBLAS baseline (bench only) can run. */
  cublas: boolean;
  /** Largest k and dimension the GPU kernels take (larger: the CPU kernels). */
  maxK: number;
  maxDim: number;
}

let infoCache: CudaInfo | undefined;

/** What the addon knows about CUDA; never throws for a missing GPU (only for a missing addon). */
export function cudaInfo(): CudaInfo {
  if (infoCache) return infoCache;
  const raw = loadNative().cudaInfo();
  infoCache = {
    built: raw.built,
    archs: raw.archs,
    runtimeVersion: raw.runtimeVersion,
    driverVersion: raw.driverVersion,
    devices: raw.devices,
    reason: raw.reason,
    cublas: raw.cublas,
    maxK: raw.maxK,
    maxDim: raw.maxDim,
  };
  return infoCache;
}

/** True when the loaded addon has the CUDA kernels and a GPU is visible (never throws). */
export function cudaAvailable(): boolean {
  try {
    return cudaInfo().devices.length > 0;
  } catch {
    return false;
  }
}

/** Why the GPU cannot be used, or undefined when it can. */
export function cudaUnavailableReason(): string | undefined {
  try {
    const i = cudaInfo();
    return i.devices.length > 0 ? undefined : i.reason || 'no CUDA device';
  } catch (e) {
    return (e as Error).message;
  }
}

/** Validates a `device` option and decides: 'cuda' without a GPU throws CUDA_UNAVAILABLE; 'auto' = a GPU when visible. */
export function resolveDevice(where: string, device: unknown): 'cpu' | 'cuda' {
  if (device === undefined || device === 'cpu') return 'cpu';
  if (device !== 'cuda' && device !== 'auto')
    throw invalidArgument(`${where}: device must be "cpu", "cuda" or "auto" (got ${String(device)})`);
  const why = cudaUnavailableReason();
  if (why === undefined) return 'cuda';
  if (device === 'auto') return 'cpu';
  throw new TamsaekError('CUDA_UNAVAILABLE', `${where}: device "cuda" asked for, but ${why}`);
}

/** Which kernels a GPU search runs: 'auto' = scan below 8 queries, fused tensor-core tiles otherwise. */
export type CudaSearchPath = 'auto' | 'scan' | 'fused' | 'gemm-select';
const PATH_CODE: Record<CudaSearchPath, number> = { auto: 0, scan: 1, fused: 2, 'gemm-select': 3 };

export interface CudaSearchResult {
  /** m*k row indices best-first per query, -1 where fewer than k rows qualified. */
  rows: Int32Array;
  /** m*k scores (higher is better), NaN where rows is -1. */
  scores: Float32Array;
  /** Kernel time between CUDA events (no host transfers), seconds. */
  deviceSeconds: number;
  path: string;
}

/**
 * A row store in device memory, in the flat index's layout (fp32, fp16, or int8 with per-row scales, plus
 * squared norms). `write` uploads rows from a host copy (appending or rewriting from a row on);
 * `search` runs on the GPU. `release()` frees the device memory now (otherwise garbage collection does).
 */
export class CudaMatrix {
  readonly dtype: DType;
  readonly dim: number;
  private handle: unknown;
  private count = 0;

  constructor(dtype: DType, dim: number) {
    const info = cudaInfo();
    if (!Number.isInteger(dim) || dim <= 0 || dim > info.maxDim)
      throw invalidArgument(`CudaMatrix: dim must be an integer in 1..${info.maxDim} (got ${dim})`);
    this.dtype = dtype;
    this.dim = dim;
    try {
      this.handle = loadNative().cudaMatrixCreate({ dtype: DTYPE_CODE[dtype], dim });
    } catch (e) {
      throw wrapNativeError('CudaMatrix', e);
    }
  }

  /** Rows held on the device. */
  get rows(): number {
    return this.count;
  }

  /** Uploads rows [row0, row0 + count) of the host arrays; the device then holds row0 + count rows. */
  async write(
    row0: number,
    count: number,
    data: Float32Array | Uint16Array | Int8Array,
    norms: Float32Array,
    scales?: Float32Array,
  ): Promise<void> {
    if (!this.handle) throw invalidArgument('CudaMatrix.write: the matrix was released');
    try {
      await loadNative().cudaMatrixWrite({
        matrix: this.handle,
        dtype: DTYPE_CODE[this.dtype],
        dim: this.dim,
        row0,
        count,
        data,
        norms,
        scales,
      });
    } catch (e) {
      throw wrapNativeError('CudaMatrix.write', e);
    }
    this.count = row0 + count;
  }

  /** Exact top-k of queries.length / dim queries over the resident rows (k ≤ cudaInfo().maxK). */
  async search(
    queries: Float32Array,
    k: number,
    options: { metric?: Metric; allow?: Uint8Array; path?: CudaSearchPath } = {},
  ): Promise<CudaSearchResult> {
    const where = 'CudaMatrix.search';
    if (!this.handle) throw invalidArgument(`${where}: the matrix was released`);
    const { metric = 'dot', allow, path = 'auto' } = options;
    const maxK = cudaInfo().maxK;
    if (!Number.isInteger(k) || k < 1 || k > maxK)
      throw invalidArgument(`${where}: k must be in 1..${maxK} (got ${k})`);
    if (!(metric in METRIC_CODE)) throw invalidArgument(`${where}: unknown metric "${metric}"`);
    if (!(path in PATH_CODE)) throw invalidArgument(`${where}: unknown path "${path}"`);
    if (!(queries instanceof Float32Array) || queries.length === 0 || queries.length % this.dim !== 0)
      throw new TamsaekError('DIMENSION_MISMATCH', `${where}: queries must be a non-empty multiple of dim ${this.dim}`);
    try {
      return await loadNative().cudaSearch({
        matrix: this.handle,
        queries,
        m: queries.length / this.dim,
        dim: this.dim,
        n: this.count,
        k,
        metric: METRIC_CODE[metric],
        allow,
        path: PATH_CODE[path],
      });
    } catch (e) {
      throw wrapNativeError(where, e);
    }
  }

  /** Frees the device memory (off the JS thread; searches in flight finish first). */
  async release(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    this.count = 0;
    if (h) {
      try {
        await loadNative().cudaMatrixRelease(h);
      } catch (e) {
        throw wrapNativeError('CudaMatrix.release', e);
      }
    }
  }

  /** Bench probes over the resident bytes: seconds per device-to-device copy or per plain read. */
  async probe(kind: 'copy' | 'read', reps = 10): Promise<number> {
    try {
      return await loadNative().cudaBench({ kind, matrix: this.handle, reps });
    } catch (e) {
      throw wrapNativeError('CudaMatrix.probe', e);
    }
  }
}

/** Issue rate of the WMMA fp16 loop the batched kernel is built from (flop/s), for the bench. */
export async function cudaTensorPeak(reps = 20): Promise<number> {
  try {
    return await loadNative().cudaBench({ kind: 'peak', reps });
  } catch (e) {
    throw wrapNativeError('cudaTensorPeak', e);
  }
}

/** Device time and extra device memory of the last GPU loss call (bench). */
export function cudaLossStats(): { extraDeviceBytes: number; deviceSeconds: number } {
  return loadNative().cudaLossStats();
}
