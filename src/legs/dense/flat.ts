/**
 * Exact (flat) dense vector index backed by the native addon: rows live in one contiguous row-major
 * typed array (fp32, fp16 or int8 with a per-row scale) that the addon reads zero-copy on worker
 * threads. Ids are external (all strings or all numbers); removal swaps the last row into the hole.
 *
 * Concurrency: add/remove are serialized; a search snapshots the current arrays, and a removal that
 * overlaps an in-flight search copies the arrays first (copy-on-write), so results stay consistent.
 */
import { readFile } from 'node:fs/promises';
import * as zlib from 'node:zlib';
import { checkOptions, invalidArgument, TamsaekError } from '../../errors.js';
import { CudaMatrix, cudaInfo, type Device, resolveDevice } from '../../native/cuda.js';
import {
  checkFinite,
  checkThreads,
  type DType,
  type ExactSearchResult,
  encodeRows,
  exactSearch,
  INLINE_SEARCH_MACS,
  loadNative,
  type Metric,
} from '../../native/index.js';
import { atomicWrite } from '../../util/atomic-file.js';
import { Slicer } from '../../util/slices.js';
import { bytes, checkAddArgs, copySliced, RowIdIndex, RowIds, Serial } from './common.js';
import type { VectorId } from './types.js';

export type { VectorId } from './types.js';

export interface FlatIndexOptions {
  dim: number;
  metric?: Metric;
  dtype?: DType;
  /** Worker threads per search (default: hardware concurrency). */
  threads?: number;
  /**
   * Where searches run: 'cpu' (default); 'cuda' = the GPU kernels of `npm run build:native` on a copy of the
   * rows kept in device memory (CUDA_UNAVAILABLE when no GPU is usable); 'auto' = the GPU when one is visible,
   * for searches above INLINE_SEARCH_MACS multiply-adds (smaller ones stay on the CPU, where they are faster).
   * A search with k (plus the tie check's one row) above cudaInfo().maxK runs on the CPU either way.
   */
  device?: Device;
}

export interface DenseHit {
  id: VectorId;
  /** Higher is better: dot product, cosine similarity, or the negative squared L2 distance. */
  score: number;
}

export interface FlatSearchOptions {
  /** Keep only ids for which this returns true (or that are in this set). */
  filter?: ((id: VectorId) => boolean) | ReadonlySet<VectorId>;
  threads?: number;
}

type Store = Float32Array | Uint16Array | Int8Array;

const MAGIC = 'TSKFLAT\0';
const VERSION = 1;
const HEADER = 64;
const DTYPES: DType[] = ['f32', 'f16', 'i8'];
const METRICS: Metric[] = ['dot', 'cosine', 'l2'];

function allocStore(dtype: DType, len: number): Store {
  if (dtype === 'f32') return new Float32Array(len);
  if (dtype === 'f16') return new Uint16Array(len);
  return new Int8Array(len);
}

const crcTable = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

function crc32(parts: Uint8Array[]): number {
  const native = (zlib as unknown as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
  let crc = 0;
  if (native) {
    for (const p of parts) crc = native(p, crc);
    return crc >>> 0;
  }
  let c = ~0;
  for (const p of parts) for (let i = 0; i < p.length; i++) c = crcTable[(c ^ p[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** crc32 of large parts in pieces of 4 MiB, with event-loop turns between slices (save and load of big indexes). */
async function crc32Sliced(parts: Uint8Array[], slicer: Slicer): Promise<number> {
  const piece = 1 << 22;
  const pieces: Uint8Array[] = [];
  for (const p of parts) for (let at = 0; at < p.length; at += piece) pieces.push(p.subarray(at, at + piece));
  const native = (zlib as unknown as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
  if (!native) {
    await slicer.pause();
    return crc32(parts); // Node without zlib.crc32: one pass in JavaScript
  }
  let crc = 0;
  for (const p of pieces) {
    crc = native(p, crc);
    await slicer.pause();
  }
  return crc >>> 0;
}

/** An IEEE binary16 value as a number. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

export class FlatIndex extends RowIdIndex {
  readonly dim: number;
  readonly metric: Metric;
  readonly dtype: DType;
  private threads: number | undefined;
  private data: Store;
  private norms: Float32Array;
  private scales: Float32Array | undefined;
  private readonly serial = new Serial();
  private busy = 0;
  /** The device asked for, and whether searches may use the GPU. */
  readonly device: Device;
  private readonly gpu: boolean;
  private cuda: CudaMatrix | undefined;
  /** Rows moved since the device copy was written (a removal): the next GPU search rewrites it. */
  private deviceDirty = false;
  /** Bumped by every add/remove: a GPU search whose snapshot is older runs on the CPU. */
  private version = 0;

  constructor(options: FlatIndexOptions) {
    super();
    checkOptions('FlatIndex', options, ['dim', 'metric', 'dtype', 'threads', 'device']);
    const { dim, metric = 'cosine', dtype = 'f32' } = options ?? ({} as FlatIndexOptions);
    if (!Number.isInteger(dim) || dim <= 0)
      throw invalidArgument(`FlatIndex: dim must be a positive integer (got ${dim})`);
    if (!METRICS.includes(metric)) throw invalidArgument(`FlatIndex: metric must be one of ${METRICS.join(', ')}`);
    if (!DTYPES.includes(dtype)) throw invalidArgument(`FlatIndex: dtype must be one of ${DTYPES.join(', ')}`);
    this.threads = checkThreads('FlatIndex', options.threads);
    loadNative();
    this.device = options.device ?? 'cpu';
    this.gpu = resolveDevice('FlatIndex', this.device) === 'cuda' && dim <= cudaInfo().maxDim;
    if (this.device === 'cuda' && !this.gpu)
      throw invalidArgument(`FlatIndex: dim ${dim} is above the GPU kernels' limit ${cudaInfo().maxDim}`);
    this.dim = dim;
    this.metric = metric;
    this.dtype = dtype;
    this.data = allocStore(dtype, 0);
    this.norms = new Float32Array(0);
    this.scales = dtype === 'i8' ? new Float32Array(0) : undefined;
  }

  /**
   * Grows the arrays to hold `rows` rows (×1.5 at least, so single adds stay amortised). The stored
   * rows are copied in 4 MiB pieces with event-loop turns between them: at tens of thousands of rows
   * one copy is tens of milliseconds on the JS thread. Searches meanwhile read the old arrays, which
   * stay valid: every mutation runs in the serial queue, as this does.
   */
  private async ensureCapacity(rows: number): Promise<void> {
    const cap = this.norms.length;
    if (rows <= cap) return;
    const newCap = Math.max(rows, Math.ceil(cap * 1.5), 64);
    const n = this.rows.size;
    const slicer = new Slicer({ what: 'add' });
    const data = allocStore(this.dtype, newCap * this.dim);
    await copySliced(
      bytes(data, n * this.dim * data.BYTES_PER_ELEMENT),
      bytes(this.data, n * this.dim * data.BYTES_PER_ELEMENT),
      slicer,
    );
    const norms = new Float32Array(newCap);
    await copySliced(bytes(norms, n * 4), bytes(this.norms, n * 4), slicer);
    let scales: Float32Array | undefined;
    if (this.scales) {
      scales = new Float32Array(newCap);
      await copySliced(bytes(scales, n * 4), bytes(this.scales, n * 4), slicer);
    }
    this.data = data;
    this.norms = norms;
    this.scales = scales;
  }

  /**
   * Room for `rows` rows in all, made now: `addInChunks` reserves a whole batch so the arrays grow
   * (allocate and copy every stored row) once, not at every chunk — each growth is a new buffer of
   * the whole index, and that churn of ArrayBuffer memory is what sets off V8's full collections.
   */
  reserve(rows: number): Promise<void> {
    return this.serial.run(() => this.ensureCapacity(rows));
  }

  /** The stored rows of `ids`, decoded to fp32 (int8: scale · q; fp16: binary16). */
  vectorsOf(ids: readonly VectorId[]): Promise<Float32Array> {
    return this.serial.run(() => {
      const dim = this.dim;
      const out = new Float32Array(ids.length * dim);
      this.rowsOf('FlatIndex.vectorsOf', ids).forEach((row, i) => {
        const stored = this.data.subarray(row * dim, (row + 1) * dim);
        const scale = this.scales ? this.scales[row]! : 1;
        for (let j = 0; j < dim; j++)
          out[i * dim + j] = this.dtype === 'f16' ? halfToFloat(stored[j]!) : stored[j]! * scale;
      });
      return out;
    });
  }

  /** Adds rows; `vectors` holds ids.length x dim values. Duplicate ids throw DUPLICATE_ID. */
  add(ids: readonly VectorId[], vectors: Float32Array): Promise<void> {
    const where = 'FlatIndex.add';
    try {
      // NaN/Infinity are rejected by the native encoder (off the JS thread) before the rows count
      checkAddArgs(where, ids, vectors, this.dim, this.rows.kind, { finite: false });
    } catch (e) {
      return Promise.reject(e);
    }
    const src = vectors.slice(); // the caller may reuse its buffer while we encode
    const list = ids.slice();
    return this.serial.run(async () => {
      this.rows.checkNew(where, list);
      if (list.length === 0) return;
      const n = this.rows.size;
      await this.ensureCapacity(n + list.length);
      await encodeRows(src, list.length, this.dim, this.dtype, this.data, this.norms, this.scales, n, this.threads);
      this.rows.append(list);
      this.version++;
    });
  }

  /** Removes ids (unknown ids are ignored); resolves to the number removed. */
  remove(ids: readonly VectorId[]): Promise<number> {
    if (!Array.isArray(ids)) return Promise.reject(invalidArgument('FlatIndex.remove: ids must be an array'));
    const list = ids.slice();
    return this.serial.run(async () => {
      if (this.busy > 0) {
        // copy-on-write: in-flight searches keep reading the old arrays
        this.data = this.data.slice() as Store;
        this.norms = this.norms.slice();
        if (this.scales) this.scales = this.scales.slice();
      }
      let removed = 0;
      const dim = this.dim;
      const moveLast = (last: number, row: number) => {
        (this.data as Float32Array).copyWithin(row * dim, last * dim, (last + 1) * dim);
        this.norms[row] = this.norms[last]!;
        if (this.scales) this.scales[row] = this.scales[last]!;
      };
      for (const id of list) if (this.rows.remove(id, moveLast)) removed++;
      if (removed > 0) {
        this.version++;
        this.deviceDirty = true;
      }
      return removed;
    });
  }

  private allowBitmap(filter: FlatSearchOptions['filter'], n: number, rowIds: VectorId[]): Uint8Array | undefined {
    if (filter === undefined) return undefined;
    const bits = new Uint8Array((n + 7) >> 3);
    if (typeof filter === 'function') {
      for (let i = 0; i < n; i++) if (filter(rowIds[i]!)) bits[i >> 3]! |= 1 << (i & 7);
    } else if (filter instanceof Set) {
      for (const id of filter) {
        const r = this.rows.rowOf(id);
        if (r !== undefined && r < n) bits[r >> 3]! |= 1 << (r & 7);
      }
    } else {
      throw invalidArgument('FlatIndex.search: filter must be a function or a Set of ids');
    }
    return bits;
  }

  /** Top-k for one query (Float32Array of dim values). */
  async search(query: Float32Array, k: number, options?: FlatSearchOptions): Promise<DenseHit[]> {
    if (!(query instanceof Float32Array)) throw invalidArgument('FlatIndex.search: query must be a Float32Array');
    if (query.length !== this.dim) {
      throw new TamsaekError(
        'DIMENSION_MISMATCH',
        `FlatIndex.search: query has ${query.length} values, index dim is ${this.dim}`,
      );
    }
    return (await this.searchBatch(query, k, options))[0]!;
  }

  /** Top-k for m queries packed in one Float32Array (m x dim). */
  async searchBatch(queries: Float32Array, k: number, options?: FlatSearchOptions): Promise<DenseHit[][]> {
    const where = 'FlatIndex.searchBatch';
    checkOptions(where, options, ['filter', 'threads']);
    if (!Number.isInteger(k) || k <= 0) throw invalidArgument(`${where}: k must be a positive integer (got ${k})`);
    if (!(queries instanceof Float32Array)) throw invalidArgument(`${where}: queries must be a Float32Array`);
    if (queries.length === 0 || queries.length % this.dim !== 0) {
      throw new TamsaekError(
        'DIMENSION_MISMATCH',
        `${where}: ${queries.length} values is not a multiple of dim ${this.dim}`,
      );
    }
    checkFinite(where, 'queries', queries);
    const threads = checkThreads(where, options?.threads) ?? this.threads;
    const m = queries.length / this.dim;
    const n = this.rows.size;
    if (n === 0) return Array.from({ length: m }, () => []);
    const snapshotIds = this.rows.ids();
    const allow = this.allowBitmap(options?.filter, n, snapshotIds);
    // one snapshot of the arrays for every native call below (a removal meanwhile copies, see remove)
    const store = { data: this.data, dtype: this.dtype, n, dim: this.dim, scales: this.scales, norms: this.norms };
    const version = this.version;
    const top = async (q: Float32Array, count: number): Promise<DenseHit[][]> => {
      const res =
        (this.useGpu(q.length / this.dim, count, n) && (await this.gpuSearch(q, count, allow, version))) ||
        (await exactSearch(store, q, { k: count, metric: this.metric, allow, threads }));
      const lists: DenseHit[][] = [];
      for (let j = 0; j < q.length / this.dim; j++) {
        const hits: DenseHit[] = [];
        for (let r = 0; r < count; r++) {
          const row = res.rows[j * count + r]!;
          if (row < 0) break;
          hits.push({ id: snapshotIds[row]!, score: res.scores[j * count + r]! });
        }
        lists.push(hits);
      }
      return lists;
    };
    this.busy++;
    try {
      // The kernel breaks ties by row, and rows move when others are removed; so, as ExactIndex does,
      // equal scores rank by the smaller id. One row past k shows whether a tie straddles the cut;
      // then that query is searched deeper until the whole tie is in.
      const first = Math.min(k + 1, n);
      const out = await top(queries, first);
      for (let j = 0; j < m; j++) {
        let hits = out[j]!;
        let depth = first;
        // deeper only while the list came back full (a filter may leave fewer) and its last hit ties the k-th
        while (depth < n && hits.length === depth && hits[depth - 1]!.score === hits[k - 1]!.score) {
          depth = Math.min(n, depth * 2);
          hits = (await top(queries.subarray(j * this.dim, (j + 1) * this.dim), depth))[0]!;
        }
        out[j] = byScoreThenId(hits).slice(0, k);
      }
      return out;
    } finally {
      this.busy--;
    }
  }

  private useGpu(m: number, count: number, n: number): boolean {
    if (!this.gpu || count > cudaInfo().maxK) return false;
    return this.device === 'cuda' || n * this.dim * m > INLINE_SEARCH_MACS;
  }

  /**
   * Searches the device copy, first bringing it up to date (appended rows, or a rewrite after a removal).
   * Runs in the write queue so the copy matches the rows; undefined when rows changed since the
   * search's snapshot (the caller then searches the snapshot on the CPU).
   */
  private gpuSearch(
    q: Float32Array,
    count: number,
    allow: Uint8Array | undefined,
    version: number,
  ): Promise<ExactSearchResult | undefined> {
    return this.serial.run(async () => {
      if (version !== this.version) return undefined;
      const n = this.rows.size;
      this.cuda ??= new CudaMatrix(this.dtype, this.dim);
      const from = this.deviceDirty ? 0 : this.cuda.rows;
      if (from < n || this.cuda.rows !== n) {
        await this.cuda.write(from, n - from, this.data, this.norms, this.scales);
        this.deviceDirty = false;
      }
      return this.cuda.search(q, count, { metric: this.metric, allow });
    });
  }

  /** Frees the device copy of the rows now (the next GPU search uploads them again). */
  releaseDevice(): Promise<void> {
    return this.serial.run(async () => {
      await this.cuda?.release();
      this.cuda = undefined;
    });
  }

  /** Writes the index atomically: temp file + fsync + rename. */
  save(path: string): Promise<void> {
    return this.serial.run(async () => {
      const n = this.rows.size;
      const el = this.data.BYTES_PER_ELEMENT;
      const parts: Uint8Array[] = [
        bytes(this.data, n * this.dim * el),
        bytes(this.norms, n * 4),
        ...(this.scales ? [bytes(this.scales, n * 4)] : []),
        Buffer.from(JSON.stringify(this.rows.ids()), 'utf8'),
      ];
      const payload = parts.reduce((s, p) => s + p.length, 0);
      const header = Buffer.alloc(HEADER);
      header.write(MAGIC, 0, 'latin1');
      header.writeUInt32LE(VERSION, 8);
      header.writeUInt32LE(DTYPES.indexOf(this.dtype), 12);
      header.writeUInt32LE(METRICS.indexOf(this.metric), 16);
      header.writeUInt32LE(this.dim, 20);
      header.writeDoubleLE(n, 24);
      header.writeUInt32LE(this.rows.kind.kind === 'string' ? 1 : 0, 32);
      header.writeDoubleLE(payload, 36);
      header.writeUInt32LE(await crc32Sliced(parts, new Slicer({ what: 'save' })), 44);
      header.writeUInt32LE(crc32([header.subarray(0, 48)]), 48);
      await atomicWrite('FlatIndex.save', path, [header, ...parts]);
    });
  }

  /** Reads an index written by save(); corrupt or foreign files throw typed errors. */
  static async load(path: string, options?: { threads?: number; device?: Device }): Promise<FlatIndex> {
    const where = 'FlatIndex.load';
    checkOptions(where, options, ['threads', 'device']);
    let buf: Buffer;
    try {
      buf = await readFile(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new TamsaekError('NOT_FOUND', `${where}: ${path} does not exist`, { cause: e });
      throw new TamsaekError('IO_ERROR', `${where}: cannot read ${path}: ${(e as Error).message}`, { cause: e });
    }
    if (buf.length < 8 || buf.toString('latin1', 0, 8) !== MAGIC) {
      throw new TamsaekError('FOREIGN_FILE', `${where}: ${path} is not a tamsaek flat index`);
    }
    if (buf.length < HEADER) throw new TamsaekError('CORRUPT_INDEX', `${where}: ${path} is truncated`);
    const version = buf.readUInt32LE(8);
    if (version > VERSION) {
      throw new TamsaekError(
        'UNSUPPORTED_VERSION',
        `${where}: ${path} has format version ${version}; this build reads up to ${VERSION}`,
      );
    }
    if (crc32([buf.subarray(0, 48)]) !== buf.readUInt32LE(48)) {
      throw new TamsaekError('CORRUPT_INDEX', `${where}: ${path} has a corrupt header`);
    }
    const dtype = DTYPES[buf.readUInt32LE(12)];
    const metric = METRICS[buf.readUInt32LE(16)];
    const dim = buf.readUInt32LE(20);
    const n = buf.readDoubleLE(24);
    const idKind = buf.readUInt32LE(32) === 1 ? 'string' : 'number';
    const payload = buf.readDoubleLE(36);
    if (!dtype || !metric || dim === 0 || !Number.isInteger(n) || buf.length !== HEADER + payload) {
      throw new TamsaekError('CORRUPT_INDEX', `${where}: ${path} is truncated or inconsistent`);
    }
    const body = buf.subarray(HEADER);
    const slicer = new Slicer({ what: 'open' });
    if ((await crc32Sliced([body], slicer)) !== buf.readUInt32LE(44))
      throw new TamsaekError('CORRUPT_INDEX', `${where}: ${path} checksum mismatch`);
    const idx = new FlatIndex({
      dim,
      metric,
      dtype,
      ...(options?.threads ? { threads: options.threads } : {}),
      ...(options?.device ? { device: options.device } : {}),
    });
    await idx.ensureCapacity(n);
    const el = idx.data.BYTES_PER_ELEMENT;
    let off = 0;
    for (const [target, len] of [
      [idx.data, n * dim * el],
      [idx.norms, n * 4],
      ...(idx.scales ? [[idx.scales, n * 4] as const] : []),
    ] as const) {
      await copySliced(bytes(target, len), body.subarray(off, off + len), slicer);
      off += len;
    }
    let ids: VectorId[];
    try {
      ids = JSON.parse(body.subarray(off).toString('utf8')) as VectorId[];
    } catch (e) {
      throw new TamsaekError('CORRUPT_INDEX', `${where}: ${path} has a corrupt id table`, { cause: e });
    }
    if (!Array.isArray(ids) || ids.length !== n)
      throw new TamsaekError('CORRUPT_INDEX', `${where}: ${path} id table length mismatch`);
    const rows = new RowIds();
    rows.kind.kind = n > 0 ? idKind : undefined;
    rows.append(ids);
    idx.rows = rows;
    return idx;
  }
}

/** Best first; equal scores by the smaller id (String order, as ExactIndex's TopK), so a search never depends on row order. */
function byScoreThenId(hits: DenseHit[]): DenseHit[] {
  return hits.sort((a, b) =>
    a.score !== b.score ? b.score - a.score : String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0,
  );
}
