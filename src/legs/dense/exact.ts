/**
 * Exact (brute-force) dense index in pure TypeScript: the fallback behind the `VectorIndex` interface
 * when the native flat index (./flat.ts, C++ addon) is not available. Rows live in one growable
 * row-major Float32Array with their norms; removal swaps the last row into the hole.
 *
 * Search runs on the calling thread (a 10k × 768 scan is a few ms); batches yield to the event loop
 * every ~20 ms. Ties are broken by the smaller id so results never depend on row order.
 *
 * File: magic "TSKEXCT\0" · version u32 LE · header length u32 LE · header JSON {dim, metric, n,
 * idKind, ids} · zero padding to a multiple of 4 · n × dim float32 LE · SHA-256 of all the above.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { checkOptions, invalidArgument, TamsaekError } from '../../errors.js';
import { TopK } from '../../util/topk.js';
import {
  atomicWrite,
  checkAddArgs,
  checkDim,
  checkFilter,
  checkK,
  checkMetric,
  checkVectors,
  ioError,
  RowIdIndex,
  Serial,
} from './common.js';
import type { DenseHit, Metric, VectorId, VectorIndex, VectorSearchOptions } from './types.js';

export interface ExactIndexOptions {
  dim: number;
  metric?: Metric;
}

const MAGIC = Buffer.from('TSKEXCT\0', 'latin1');
export const EXACT_FORMAT_VERSION = 1;

export class ExactIndex extends RowIdIndex implements VectorIndex {
  readonly dim: number;
  readonly metric: Metric;
  private data = new Float32Array(0);
  private norms = new Float32Array(0);
  private readonly serial = new Serial();

  constructor(options: ExactIndexOptions) {
    super();
    checkOptions('ExactIndex', options, ['dim', 'metric']);
    if (options === undefined || options === null) throw invalidArgument('ExactIndex: options { dim } are required');
    this.dim = checkDim('ExactIndex', options.dim);
    this.metric = checkMetric('ExactIndex', options.metric ?? 'cosine');
  }

  private ensureCapacity(rows: number): void {
    const cap = this.norms.length;
    if (rows <= cap) return;
    const newCap = Math.max(rows, Math.ceil(cap * 1.5), 64);
    const data = new Float32Array(newCap * this.dim);
    data.set(this.data.subarray(0, this.rows.size * this.dim));
    const norms = new Float32Array(newCap);
    norms.set(this.norms.subarray(0, this.rows.size));
    this.data = data;
    this.norms = norms;
  }

  /** Room for `rows` rows in all: `addInChunks` reserves a whole batch so the arrays grow once, not per chunk. */
  reserve(rows: number): Promise<void> {
    return this.serial.run(() => this.ensureCapacity(rows));
  }

  vectorsOf(ids: readonly VectorId[]): Promise<Float32Array> {
    return this.serial.run(() => {
      const dim = this.dim;
      const out = new Float32Array(ids.length * dim);
      this.rowsOf('ExactIndex.vectorsOf', ids).forEach((row, i) =>
        out.set(this.data.subarray(row * dim, (row + 1) * dim), i * dim),
      );
      return out;
    });
  }

  add(ids: readonly VectorId[], vectors: Float32Array): Promise<void> {
    const where = 'ExactIndex.add';
    try {
      checkAddArgs(where, ids, vectors, this.dim, this.rows.kind);
    } catch (e) {
      return Promise.reject(e);
    }
    const src = vectors.slice();
    const list = ids.slice();
    return this.serial.run(() => {
      this.rows.checkNew(where, list);
      if (list.length === 0) return;
      const n = this.rows.size;
      this.ensureCapacity(n + list.length);
      const dim = this.dim;
      this.data.set(src, n * dim);
      for (let i = 0; i < list.length; i++) {
        let s = 0;
        for (let j = i * dim, e = j + dim; j < e; j++) s += src[j] * src[j];
        this.norms[n + i] = Math.sqrt(s);
      }
      this.rows.append(list);
    });
  }

  remove(ids: readonly VectorId[]): Promise<number> {
    if (!Array.isArray(ids)) return Promise.reject(invalidArgument('ExactIndex.remove: ids must be an array'));
    const list = ids.slice();
    return this.serial.run(() => {
      let removed = 0;
      const dim = this.dim;
      const moveLast = (last: number, row: number) => {
        this.data.copyWithin(row * dim, last * dim, (last + 1) * dim);
        this.norms[row] = this.norms[last];
      };
      for (const id of list) if (this.rows.remove(id, moveLast)) removed++;
      return removed;
    });
  }

  /** Synchronous top-k of one query (`query.length === dim`), validated by the caller. */
  private searchOne(
    query: Float32Array,
    offset: number,
    k: number,
    allow: ((row: number) => boolean) | undefined,
  ): DenseHit[] {
    const { dim, data, norms, metric, rows } = this;
    const n = rows.size;
    let qn = 0;
    for (let j = 0; j < dim; j++) qn += query[offset + j] * query[offset + j];
    const qNorm = Math.sqrt(qn);
    const top = new TopK<number>(Math.min(k, n), (row) => String(rows.idAt(row)));
    for (let r = 0; r < n; r++) {
      if (allow && !allow(r)) continue;
      const base = r * dim;
      let score: number;
      if (metric === 'l2') {
        let s = 0;
        for (let j = 0; j < dim; j++) {
          const d = query[offset + j] - data[base + j];
          s += d * d;
        }
        score = -s;
      } else {
        let s = 0;
        for (let j = 0; j < dim; j++) s += query[offset + j] * data[base + j];
        if (metric === 'cosine') {
          const denom = qNorm * norms[r];
          score = denom > 0 ? s / denom : 0;
        } else score = s;
      }
      if (score >= top.threshold) top.push(score, r);
    }
    return top.drain().map(({ item, score }) => ({ id: rows.idAt(item), score }));
  }

  private allowRows(filter: VectorSearchOptions['filter']): ((row: number) => boolean) | undefined {
    if (filter === undefined) return undefined;
    const rows = this.rows;
    if (typeof filter === 'function') return (row) => filter(rows.idAt(row)) === true;
    const allowed = new Uint8Array(rows.size);
    for (const id of filter) {
      const r = rows.rowOf(id);
      if (r !== undefined) allowed[r] = 1;
    }
    return (row) => allowed[row] === 1;
  }

  async search(query: Float32Array, k: number, options?: VectorSearchOptions): Promise<DenseHit[]> {
    const where = 'ExactIndex.search';
    checkOptions(where, options, ['filter']);
    checkK(where, k);
    checkVectors(where, 'query', query, this.dim, 1);
    checkFilter(where, options?.filter);
    if (this.rows.size === 0) return [];
    return this.searchOne(query, 0, k, this.allowRows(options?.filter));
  }

  async searchBatch(queries: Float32Array, k: number, options?: VectorSearchOptions): Promise<DenseHit[][]> {
    const where = 'ExactIndex.searchBatch';
    checkOptions(where, options, ['filter']);
    checkK(where, k);
    checkVectors(where, 'queries', queries, this.dim);
    checkFilter(where, options?.filter);
    const m = queries.length / this.dim;
    if (this.rows.size === 0) return Array.from({ length: m }, () => []);
    const allow = this.allowRows(options?.filter);
    const out: DenseHit[][] = [];
    let lastYield = performance.now();
    for (let q = 0; q < m; q++) {
      out.push(this.searchOne(queries, q * this.dim, k, allow));
      if (performance.now() - lastYield > 20) {
        await new Promise((r) => setImmediate(r));
        lastYield = performance.now();
      }
    }
    return out;
  }

  save(path: string): Promise<void> {
    return this.serial.run(async () => {
      const n = this.rows.size;
      const header = Buffer.from(
        JSON.stringify({
          dim: this.dim,
          metric: this.metric,
          n,
          idKind: this.rows.kind.kind ?? null,
          ids: this.rows.ids(),
        }),
        'utf8',
      );
      const pre = Buffer.alloc(16);
      MAGIC.copy(pre, 0);
      pre.writeUInt32LE(EXACT_FORMAT_VERSION, 8);
      pre.writeUInt32LE(header.length, 12);
      const pad = Buffer.alloc((4 - ((16 + header.length) % 4)) % 4);
      const body = new Uint8Array(this.data.buffer, this.data.byteOffset, n * this.dim * 4);
      const hash = createHash('sha256').update(pre).update(header).update(pad).update(body).digest();
      await atomicWrite('ExactIndex.save', path, [pre, header, pad, body, hash]);
    });
  }

  static async load(path: string): Promise<ExactIndex> {
    const where = 'ExactIndex.load';
    let buf: Buffer;
    try {
      buf = await readFile(path);
    } catch (e) {
      throw ioError(where, path, e);
    }
    if (buf.length < 8 || !buf.subarray(0, 8).equals(MAGIC))
      throw new TamsaekError('FOREIGN_FILE', `${where}: ${path} is not a tamsaek exact index`);
    if (buf.length < 16 + 32) throw new TamsaekError('CORRUPT_INDEX', `${where}: ${path} is truncated`);
    const version = buf.readUInt32LE(8);
    if (version > EXACT_FORMAT_VERSION) {
      throw new TamsaekError(
        'UNSUPPORTED_VERSION',
        `${where}: ${path} has format version ${version}; this build reads up to ${EXACT_FORMAT_VERSION}`,
      );
    }
    const digest = createHash('sha256')
      .update(buf.subarray(0, buf.length - 32))
      .digest();
    if (!digest.equals(buf.subarray(buf.length - 32)))
      throw new TamsaekError('CORRUPT_INDEX', `${where}: ${path} checksum mismatch`);
    const headerLen = buf.readUInt32LE(12);
    let header: { dim: number; metric: Metric; n: number; idKind: 'string' | 'number' | null; ids: VectorId[] };
    try {
      header = JSON.parse(buf.toString('utf8', 16, 16 + headerLen));
    } catch (e) {
      throw new TamsaekError('CORRUPT_INDEX', `${where}: ${path} has a corrupt header`, { cause: e });
    }
    const start = 16 + headerLen + ((4 - ((16 + headerLen) % 4)) % 4);
    const { dim, metric, n, ids } = header;
    if (!Array.isArray(ids) || ids.length !== n || start + n * dim * 4 !== buf.length - 32) {
      throw new TamsaekError('CORRUPT_INDEX', `${where}: ${path} is inconsistent`);
    }
    const idx = new ExactIndex({ dim, metric });
    if (n > 0) {
      const aligned = new Uint8Array(n * dim * 4);
      aligned.set(buf.subarray(start, start + n * dim * 4));
      await idx.add(ids, new Float32Array(aligned.buffer));
    }
    return idx;
  }
}
