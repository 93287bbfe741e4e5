/**
 * Approximate dense index on hnswlib-node (HNSW graph, C++), loaded lazily so BM25-only use works
 * where the package is absent or failed to build.
 *
 * - External ids (strings or numbers) map to internal hnswlib labels: labels are handed out in
 *   increasing order and never reused (hnswlib's replace-deleted path re-labels a freed slot, and
 *   reusing a label there would corrupt its label table); a removed id is `markDelete`d and its
 *   graph slot is reused by a later add (`allowReplaceDeleted`).
 * - The graph grows by `resizeIndex` (×1.5) when full.
 * - hnswlib-node's binding takes only plain JS Arrays, so each query is copied once into a reusable
 *   Array (no per-query allocation); results are mapped back to ids without further copies.
 * - Adds are synchronous native calls; large batches yield to the event loop every ~20 ms so the
 *   process stays responsive while a corpus is indexed.
 * - save(path) writes hnswlib's own file at `path` and a versioned JSON sidecar `path + ".ids.json"`
 *   (id ↔ label map, parameters, byte size and SHA-256 of the graph file). Both are written to temp
 *   files, fsynced and renamed; load() refuses a sidecar whose size/hash does not match the graph
 *   (CORRUPT_INDEX), so a crash between the two renames is detected instead of mis-mapping ids.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rename, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { checkOptions, invalidArgument, TamsaekError } from '../../errors.js';
import { Slicer } from '../../util/slices.js';
import {
  atomicWrite,
  bytes,
  checkAddArgs,
  checkDim,
  checkFilter,
  checkFiniteSliced,
  checkK,
  checkMetric,
  checkNewIds,
  checkVectors,
  copySliced,
  fsyncFile,
  IdKind,
  ioError,
  Serial,
  syncDir,
} from './common.js';
import type { DenseHit, Metric, VectorId, VectorIndex, VectorSearchOptions } from './types.js';

/** The part of hnswlib-node's HierarchicalNSW this module uses (typed here so the package stays optional). */
export interface RawHnsw {
  initIndex(opts: {
    maxElements: number;
    m?: number;
    efConstruction?: number;
    randomSeed?: number;
    allowReplaceDeleted?: boolean;
  }): void;
  readIndex(filename: string, allowReplaceDeleted?: boolean): Promise<boolean>;
  writeIndex(filename: string): Promise<boolean>;
  resizeIndex(newMaxElements: number): void;
  addPoint(point: number[], label: number, replaceDeleted?: boolean): void;
  markDelete(label: number): void;
  getPoint(label: number): number[];
  searchKnn(
    queryPoint: number[],
    numNeighbors: number,
    filter?: (label: number) => boolean,
  ): { distances: number[]; neighbors: number[] };
  getMaxElements(): number;
  getCurrentCount(): number;
  getNumDimensions(): number;
  getEf(): number;
  setEf(ef: number): void;
}
type HnswModule = { HierarchicalNSW: new (space: 'l2' | 'ip' | 'cosine', dim: number) => RawHnsw };

let hnswModule: Promise<HnswModule> | undefined;

/** Loads hnswlib-node once; NATIVE_UNAVAILABLE with the fix when it is missing or not built. */
export function loadHnswlib(): Promise<HnswModule> {
  hnswModule ??= (async () => {
    const spec = 'hnswlib-node';
    try {
      const mod = (await import(spec)) as { default?: HnswModule } & Partial<HnswModule>;
      const m = (mod.HierarchicalNSW ? mod : mod.default) as HnswModule;
      if (typeof m?.HierarchicalNSW !== 'function') throw new Error('HierarchicalNSW export missing');
      return m;
    } catch (cause) {
      hnswModule = undefined;
      throw new TamsaekError(
        'NATIVE_UNAVAILABLE',
        `the HNSW index needs the optional package hnswlib-node, which could not be loaded (${(cause as Error).message}); ` +
          'install it with `npm install hnswlib-node` (builds with node-gyp: needs a C++ compiler and Python; allow its install script) ' +
          'or use the exact index ({ kind: "exact" })',
        { cause },
      );
    }
  })();
  return hnswModule;
}

export interface HnswOptions {
  dim: number;
  metric?: Metric;
  /** Graph degree (hnswlib M), default 16. */
  M?: number;
  /** Candidate list size while building, default 200. */
  efConstruction?: number;
  /** Candidate list size while searching (≥ k is enforced by hnswlib), default 64. */
  efSearch?: number;
  /** Initial capacity (grows automatically), default 1024. */
  capacity?: number;
  /** Seed of hnswlib's level generator, default 100. */
  seed?: number;
}

export interface HnswSearchOptions extends VectorSearchOptions {
  /** Overrides efSearch for this call. */
  efSearch?: number;
}

export const HNSW_SIDECAR_VERSION = 1;
export const HNSW_SIDECAR_SUFFIX = '.ids.json';
const SIDECAR_FORMAT = 'tamsaek-hnsw';
/** Longest stretch (ms) a bulk add or batch search runs before yielding to the event loop. */
const YIELD_MS = 20;

interface Sidecar {
  format: string;
  version: number;
  dim: number;
  metric: Metric;
  M: number;
  efConstruction: number;
  efSearch: number;
  seed: number;
  nextLabel: number;
  idKind: 'string' | 'number' | null;
  labels: number[];
  ids: VectorId[];
  graphBytes: number;
  graphSha256: string;
}

const SPACE: Record<Metric, 'l2' | 'ip' | 'cosine'> = { dot: 'ip', cosine: 'cosine', l2: 'l2' };

function checkPositiveInt(where: string, name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw invalidArgument(`${where}: ${name} must be an integer in ${min}..${max} (got ${String(v)})`);
  return v;
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export class HnswIndex implements VectorIndex {
  readonly dim: number;
  readonly metric: Metric;
  readonly M: number;
  readonly efConstruction: number;
  readonly seed: number;
  private ef: number;
  private readonly hnsw: RawHnsw;
  private labelIds: (VectorId | undefined)[] = [];
  private idLabel = new Map<VectorId, number>();
  private nextLabel = 0;
  private readonly idKind = new IdKind();
  private readonly serial = new Serial();
  /** The one plain Array the binding reads each query from (it copies it synchronously). */
  private readonly qbuf: number[];
  private readonly pbuf: number[];

  private constructor(
    hnsw: RawHnsw,
    o: { dim: number; metric: Metric; M: number; efConstruction: number; efSearch: number; seed: number },
  ) {
    this.hnsw = hnsw;
    this.dim = o.dim;
    this.metric = o.metric;
    this.M = o.M;
    this.efConstruction = o.efConstruction;
    this.seed = o.seed;
    this.ef = o.efSearch;
    this.qbuf = new Array<number>(o.dim).fill(0.5);
    this.pbuf = new Array<number>(o.dim).fill(0.5);
    hnsw.setEf(o.efSearch);
  }

  private static checkOptions(where: string, options: HnswOptions) {
    checkOptions(where, options, ['dim', 'metric', 'M', 'efConstruction', 'efSearch', 'capacity', 'seed']);
    if (options === undefined || options === null) throw invalidArgument(`${where}: options { dim } are required`);
    return {
      dim: checkDim(where, options.dim),
      metric: checkMetric(where, options.metric ?? 'cosine'),
      M: checkPositiveInt(where, 'M', options.M ?? 16, 2, 256),
      efConstruction: checkPositiveInt(where, 'efConstruction', options.efConstruction ?? 200, 1, 100_000),
      efSearch: checkPositiveInt(where, 'efSearch', options.efSearch ?? 64, 1, 100_000),
      capacity: checkPositiveInt(where, 'capacity', options.capacity ?? 1024, 1, 2 ** 31),
      seed: checkPositiveInt(where, 'seed', options.seed ?? 100, 0, 2 ** 31),
    };
  }

  /** Creates an empty index (async: loads hnswlib-node on first use). */
  static async create(options: HnswOptions): Promise<HnswIndex> {
    const o = HnswIndex.checkOptions('HnswIndex.create', options);
    const { HierarchicalNSW } = await loadHnswlib();
    const raw = new HierarchicalNSW(SPACE[o.metric], o.dim);
    raw.initIndex({
      maxElements: o.capacity,
      m: o.M,
      efConstruction: o.efConstruction,
      randomSeed: o.seed,
      allowReplaceDeleted: true,
    });
    return new HnswIndex(raw, o);
  }

  /**
   * Builds an index from many vectors at once on a worker thread (the main thread stays free): the
   * worker inserts them in order (the same graph as `add` with the same seed), writes hnswlib's file to
   * a temp path, and the main thread reads it back asynchronously. Labels are 0..n-1.
   */
  static async build(
    ids: readonly VectorId[],
    vectors: Float32Array,
    options: HnswOptions & { onProgress?: (done: number, total: number) => void },
  ): Promise<HnswIndex> {
    const where = 'HnswIndex.build';
    const { onProgress, ...rest } = options ?? ({} as HnswOptions);
    const o = HnswIndex.checkOptions(where, rest as HnswOptions);
    if (onProgress !== undefined && typeof onProgress !== 'function')
      throw invalidArgument(`${where}: onProgress must be a function`);
    if (!Array.isArray(ids)) throw invalidArgument(`${where}: ids must be an array`);
    checkVectors(where, 'vectors', vectors, o.dim, ids.length, { finite: false });
    await checkFiniteSliced(where, 'vectors', vectors);
    const kind = new IdKind();
    const seen = new Set<VectorId>();
    // tens of thousands of ids and vectors: checked and copied in slices, with event-loop turns
    const slicer = new Slicer({ what: 'index build' });
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      kind.check(where, id);
      if (kind.kind === undefined) kind.kind = typeof id as 'string' | 'number';
      if (seen.has(id)) throw new TamsaekError('DUPLICATE_ID', `${where}: id ${JSON.stringify(id)} appears twice`);
      seen.add(id);
      if ((i & 1023) === 1023 && slicer.due) await slicer.turn();
    }
    const { HierarchicalNSW } = await loadHnswlib();
    const n = ids.length;
    const raw = new HierarchicalNSW(SPACE[o.metric], o.dim);
    if (n === 0) {
      raw.initIndex({
        maxElements: o.capacity,
        m: o.M,
        efConstruction: o.efConstruction,
        randomSeed: o.seed,
        allowReplaceDeleted: true,
      });
      return new HnswIndex(raw, o);
    }
    const shared = new SharedArrayBuffer(vectors.length * 4);
    await copySliced(new Uint8Array(shared), bytes(vectors, vectors.byteLength), slicer);
    const out = join(
      tmpdir(),
      `tamsaek-hnsw-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.bin`,
    );
    try {
      await new Promise<void>((resolve, reject) => {
        const worker = new Worker(new URL('./hnsw-worker.js', import.meta.url), {
          workerData: {
            space: SPACE[o.metric],
            dim: o.dim,
            n,
            capacity: Math.max(o.capacity, n),
            M: o.M,
            efConstruction: o.efConstruction,
            seed: o.seed,
            vectors: shared,
            out,
          },
        });
        worker.on('message', (m: { progress?: number; done?: boolean; error?: string }) => {
          if (m.progress !== undefined) onProgress?.(m.progress, n);
          else if (m.done) resolve();
          else if (m.error)
            reject(new TamsaekError('NATIVE_UNAVAILABLE', `${where}: the build worker failed: ${m.error}`));
        });
        worker.on('error', (e) =>
          reject(new TamsaekError('IO_ERROR', `${where}: the build worker failed: ${e.message}`, { cause: e })),
        );
        worker.on('exit', (code) => {
          if (code !== 0) reject(new TamsaekError('IO_ERROR', `${where}: the build worker exited with code ${code}`));
        });
      });
      await raw.readIndex(out, true);
    } finally {
      await unlink(out).catch(() => undefined);
    }
    onProgress?.(n, n);
    const idx = new HnswIndex(raw, o);
    idx.idKind.kind = kind.kind;
    for (let i = 0; i < n; i++) {
      idx.labelIds[i] = ids[i];
      idx.idLabel.set(ids[i], i);
    }
    idx.nextLabel = n;
    return idx;
  }

  get size(): number {
    return this.idLabel.size;
  }

  /** Current efSearch. */
  get efSearch(): number {
    return this.ef;
  }

  set efSearch(ef: number) {
    this.ef = checkPositiveInt('HnswIndex.efSearch', 'efSearch', ef, 1, 100_000);
    this.hnsw.setEf(ef);
  }

  /** The hnswlib-node object (for benchmarks against the raw binding); labels are internal. */
  get raw(): RawHnsw {
    return this.hnsw;
  }

  /** The id of an internal label (undefined for deleted / unknown labels). */
  idOfLabel(label: number): VectorId | undefined {
    return this.labelIds[label];
  }

  has(id: VectorId): boolean {
    return this.idLabel.has(id);
  }

  ids(): VectorId[] {
    return [...this.idLabel.keys()];
  }

  vectorsOf(ids: readonly VectorId[]): Promise<Float32Array> {
    return this.serial.run(() => {
      const out = new Float32Array(ids.length * this.dim);
      ids.forEach((id, i) => {
        const label = this.idLabel.get(id);
        if (label === undefined)
          throw new TamsaekError('NOT_FOUND', `HnswIndex.vectorsOf: unknown id ${JSON.stringify(id)}`);
        out.set(this.hnsw.getPoint(label), i * this.dim);
      });
      return out;
    });
  }

  add(ids: readonly VectorId[], vectors: Float32Array): Promise<void> {
    const where = 'HnswIndex.add';
    try {
      checkAddArgs(where, ids, vectors, this.dim, this.idKind);
    } catch (e) {
      return Promise.reject(e);
    }
    const src = vectors.slice();
    const list = ids.slice();
    return this.serial.run(async () => {
      checkNewIds(where, list, this.idKind, (id) => this.idLabel.has(id));
      if (list.length === 0) return;
      const h = this.hnsw;
      let reusable = h.getCurrentCount() - this.idLabel.size; // marked-deleted slots
      const need = h.getCurrentCount() + Math.max(0, list.length - reusable);
      if (need > h.getMaxElements()) h.resizeIndex(Math.max(need, Math.ceil(h.getMaxElements() * 1.5)));
      if (this.idKind.kind === undefined) this.idKind.kind = typeof list[0] as 'string' | 'number';
      const dim = this.dim;
      const p = this.pbuf;
      let lastYield = performance.now();
      for (let i = 0; i < list.length; i++) {
        for (let j = 0, o = i * dim; j < dim; j++) p[j] = src[o + j];
        const label = this.nextLabel++;
        try {
          h.addPoint(p, label, reusable > 0);
        } catch (e) {
          throw new TamsaekError('INVALID_ARGUMENT', `${where}: hnswlib refused a point: ${(e as Error).message}`, {
            cause: e,
          });
        }
        if (reusable > 0) reusable--;
        this.labelIds[label] = list[i];
        this.idLabel.set(list[i], label);
        if ((i & 15) === 15 && performance.now() - lastYield > YIELD_MS) {
          await new Promise((r) => setImmediate(r));
          lastYield = performance.now();
        }
      }
    });
  }

  remove(ids: readonly VectorId[]): Promise<number> {
    if (!Array.isArray(ids)) return Promise.reject(invalidArgument('HnswIndex.remove: ids must be an array'));
    const list = ids.slice();
    return this.serial.run(() => {
      let removed = 0;
      for (const id of list) {
        const label = this.idLabel.get(id);
        if (label === undefined) continue;
        this.hnsw.markDelete(label);
        this.idLabel.delete(id);
        this.labelIds[label] = undefined;
        removed++;
      }
      return removed;
    });
  }

  private labelFilter(filter: VectorSearchOptions['filter']): ((label: number) => boolean) | undefined {
    if (filter === undefined) return undefined;
    const labelIds = this.labelIds;
    if (typeof filter === 'function') {
      return (label) => {
        const id = labelIds[label];
        return id !== undefined && filter(id) === true;
      };
    }
    return (label) => {
      const id = labelIds[label];
      return id !== undefined && filter.has(id);
    };
  }

  /**
   * Synchronous search on the calling thread; `offset` selects a row of a packed batch.
   * Validation is left to the public methods.
   */
  searchSync(query: Float32Array, k: number, options?: HnswSearchOptions, offset = 0): DenseHit[] {
    const live = this.idLabel.size;
    if (live === 0) return [];
    const kk = Math.min(k, live);
    const q = this.qbuf;
    const dim = this.dim;
    for (let j = 0; j < dim; j++) q[j] = query[offset + j];
    const ef = options?.efSearch;
    if (ef !== undefined && ef !== this.ef) this.hnsw.setEf(ef);
    let res: { distances: number[]; neighbors: number[] };
    try {
      res = this.hnsw.searchKnn(q, kk, this.labelFilter(options?.filter));
    } finally {
      if (ef !== undefined && ef !== this.ef) this.hnsw.setEf(this.ef);
    }
    const { distances, neighbors } = res;
    const n = neighbors.length;
    const out: DenseHit[] = new Array(n);
    const labelIds = this.labelIds;
    const l2 = this.metric === 'l2';
    for (let i = 0; i < n; i++)
      out[i] = { id: labelIds[neighbors[i]] as VectorId, score: l2 ? -distances[i] : 1 - distances[i] };
    return out;
  }

  private checkSearch(where: string, k: number, options: HnswSearchOptions | undefined): void {
    checkOptions(where, options, ['filter', 'efSearch']);
    checkK(where, k);
    checkFilter(where, options?.filter);
    if (options?.efSearch !== undefined) checkPositiveInt(where, 'efSearch', options.efSearch, 1, 100_000);
  }

  async search(query: Float32Array, k: number, options?: HnswSearchOptions): Promise<DenseHit[]> {
    const where = 'HnswIndex.search';
    this.checkSearch(where, k, options);
    checkVectors(where, 'query', query, this.dim, 1);
    return this.searchSync(query, k, options);
  }

  async searchBatch(queries: Float32Array, k: number, options?: HnswSearchOptions): Promise<DenseHit[][]> {
    const where = 'HnswIndex.searchBatch';
    this.checkSearch(where, k, options);
    checkVectors(where, 'queries', queries, this.dim);
    const m = queries.length / this.dim;
    const out: DenseHit[][] = [];
    let lastYield = performance.now();
    for (let i = 0; i < m; i++) {
      out.push(this.searchSync(queries, k, options, i * this.dim));
      if (performance.now() - lastYield > YIELD_MS) {
        await new Promise((r) => setImmediate(r));
        lastYield = performance.now();
      }
    }
    return out;
  }

  save(path: string): Promise<void> {
    const where = 'HnswIndex.save';
    return this.serial.run(async () => {
      const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
      try {
        await this.hnsw.writeIndex(tmp);
        await fsyncFile(tmp);
        const graphBytes = (await stat(tmp)).size;
        const graphSha256 = await sha256File(tmp);
        const labels: number[] = [];
        const ids: VectorId[] = [];
        for (const [id, label] of this.idLabel) {
          ids.push(id);
          labels.push(label);
        }
        const sidecar: Sidecar = {
          format: SIDECAR_FORMAT,
          version: HNSW_SIDECAR_VERSION,
          dim: this.dim,
          metric: this.metric,
          M: this.M,
          efConstruction: this.efConstruction,
          efSearch: this.ef,
          seed: this.seed,
          nextLabel: this.nextLabel,
          idKind: this.idKind.kind ?? null,
          labels,
          ids,
          graphBytes,
          graphSha256,
        };
        await rename(tmp, path);
        await syncDir(dirname(path));
        await atomicWrite(where, path + HNSW_SIDECAR_SUFFIX, [Buffer.from(JSON.stringify(sidecar), 'utf8')]);
      } catch (e) {
        await unlink(tmp).catch(() => undefined);
        if (e instanceof TamsaekError) throw e;
        throw new TamsaekError('IO_ERROR', `${where}: cannot write ${path}: ${(e as Error).message}`, { cause: e });
      }
    });
  }

  /** Reads an index written by save(): the graph at `path` and its sidecar `path + ".ids.json"`. */
  static async load(path: string, options?: { efSearch?: number }): Promise<HnswIndex> {
    const where = 'HnswIndex.load';
    checkOptions(where, options, ['efSearch']);
    const sidecarPath = path + HNSW_SIDECAR_SUFFIX;
    let text: string;
    try {
      text = await readFile(sidecarPath, 'utf8');
    } catch (e) {
      throw ioError(where, sidecarPath, e);
    }
    let s: Sidecar;
    try {
      s = JSON.parse(text) as Sidecar;
    } catch (e) {
      throw new TamsaekError('CORRUPT_INDEX', `${where}: ${sidecarPath} is not valid JSON`, { cause: e });
    }
    if (s?.format !== SIDECAR_FORMAT)
      throw new TamsaekError('FOREIGN_FILE', `${where}: ${sidecarPath} is not a tamsaek HNSW sidecar`);
    if (typeof s.version !== 'number' || s.version > HNSW_SIDECAR_VERSION) {
      throw new TamsaekError(
        'UNSUPPORTED_VERSION',
        `${where}: ${sidecarPath} has version ${s.version}; this build reads up to ${HNSW_SIDECAR_VERSION}`,
      );
    }
    if (!Array.isArray(s.ids) || !Array.isArray(s.labels) || s.ids.length !== s.labels.length) {
      throw new TamsaekError('CORRUPT_INDEX', `${where}: ${sidecarPath} has an inconsistent id table`);
    }
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (e) {
      throw ioError(where, path, e);
    }
    if (size !== s.graphBytes || (await sha256File(path)) !== s.graphSha256) {
      throw new TamsaekError(
        'CORRUPT_INDEX',
        `${where}: ${path} does not match its sidecar (size or SHA-256 differs: interrupted save or a replaced file)`,
      );
    }
    const o = HnswIndex.checkOptions(where, {
      dim: s.dim,
      metric: s.metric,
      M: s.M,
      efConstruction: s.efConstruction,
      efSearch: options?.efSearch ?? s.efSearch,
      seed: s.seed,
    });
    const { HierarchicalNSW } = await loadHnswlib();
    const raw = new HierarchicalNSW(SPACE[o.metric], o.dim);
    try {
      await raw.readIndex(path, true);
    } catch (e) {
      throw new TamsaekError('CORRUPT_INDEX', `${where}: hnswlib cannot read ${path}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    if (raw.getNumDimensions() !== o.dim)
      throw new TamsaekError(
        'CORRUPT_INDEX',
        `${where}: ${path} has dim ${raw.getNumDimensions()}, sidecar says ${o.dim}`,
      );
    const idx = new HnswIndex(raw, o);
    idx.nextLabel = s.nextLabel;
    if (s.idKind) idx.idKind.kind = s.idKind;
    for (let i = 0; i < s.ids.length; i++) {
      idx.idLabel.set(s.ids[i], s.labels[i]);
      idx.labelIds[s.labels[i]] = s.ids[i];
    }
    return idx;
  }
}
