/** Helpers shared by the dense indexes: id checks, vector checks, atomic file writes. */
import { invalidArgument, TamsaekError } from '../../errors.js';
import { Slicer } from '../../util/slices.js';
import { METRICS, type Metric, type VectorId } from './types.js';

export function checkDim(where: string, dim: unknown): number {
  if (typeof dim !== 'number' || !Number.isInteger(dim) || dim <= 0 || dim > 65536) {
    throw invalidArgument(`${where}: dim must be an integer in 1..65536 (got ${String(dim)})`);
  }
  return dim;
}

export function checkMetric(where: string, metric: unknown): Metric {
  if (!METRICS.includes(metric as Metric))
    throw invalidArgument(`${where}: metric must be one of ${METRICS.join(', ')} (got ${String(metric)})`);
  return metric as Metric;
}

export function checkK(where: string, k: unknown): number {
  if (typeof k !== 'number' || !Number.isInteger(k) || k <= 0)
    throw invalidArgument(`${where}: k must be a positive integer (got ${String(k)})`);
  return k;
}

/** ids must be non-empty strings or finite numbers, all of one kind per index. */
export class IdKind {
  kind: 'string' | 'number' | undefined;
  check(where: string, id: unknown): VectorId {
    if (typeof id === 'string') {
      if (id.length === 0) throw invalidArgument(`${where}: ids must be non-empty strings or finite numbers`);
    } else if (typeof id !== 'number' || !Number.isFinite(id)) {
      throw invalidArgument(`${where}: ids must be non-empty strings or finite numbers (got ${String(id)})`);
    }
    const kind = typeof id as 'string' | 'number';
    if (this.kind !== undefined && kind !== this.kind)
      throw invalidArgument(`${where}: this index uses ${this.kind} ids, got a ${kind} id`);
    return id;
  }
}

/** INVALID_ARGUMENT at the first NaN or ±Infinity, scanning in pieces with event-loop turns between them. */
export async function checkFiniteSliced(where: string, name: string, vectors: Float32Array): Promise<void> {
  const slicer = new Slicer();
  for (let at = 0; at < vectors.length; at += 1 << 16) {
    const end = Math.min(vectors.length, at + (1 << 16));
    for (let i = at; i < end; i++)
      if (!Number.isFinite(vectors[i])) throw invalidArgument(`${where}: ${name} contain a non-finite value at ${i}`);
    await slicer.pause();
  }
}

/** `finite: false` skips the O(n·dim) NaN/Infinity scan for callers whose native encoder rejects them off the JS thread. */
export function checkVectors(
  where: string,
  name: string,
  vectors: unknown,
  dim: number,
  rows?: number,
  { finite = true } = {},
): Float32Array {
  if (!(vectors instanceof Float32Array)) throw invalidArgument(`${where}: ${name} must be a Float32Array`);
  if (rows !== undefined ? vectors.length !== rows * dim : vectors.length === 0 || vectors.length % dim !== 0) {
    throw new TamsaekError(
      'DIMENSION_MISMATCH',
      rows !== undefined
        ? `${where}: expected ${rows} x ${dim} = ${rows * dim} values, got ${vectors.length}`
        : `${where}: ${vectors.length} values is not a positive multiple of dim ${dim}`,
    );
  }
  if (finite)
    for (let i = 0; i < vectors.length; i++) {
      if (!Number.isFinite(vectors[i])) throw invalidArgument(`${where}: ${name} contain a non-finite value at ${i}`);
    }
  return vectors;
}

export function checkFilter(where: string, filter: unknown): void {
  if (filter !== undefined && typeof filter !== 'function' && !(filter instanceof Set)) {
    throw invalidArgument(`${where}: filter must be a function or a Set of ids`);
  }
}

export { atomicWrite, fsyncFile, syncDir } from '../../util/atomic-file.js';

/** A promise chain that runs mutations one at a time. */
export class Serial {
  private chain: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }
}

export function ioError(where: string, path: string, e: unknown): TamsaekError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new TamsaekError('NOT_FOUND', `${where}: ${path} does not exist`, { cause: e });
  return new TamsaekError('IO_ERROR', `${where}: cannot read ${path}: ${(e as Error).message}`, { cause: e });
}

/** Argument checks shared by the indexes' add(): an id array matching the rows of `vectors`, one id kind. */
export function checkAddArgs(
  where: string,
  ids: readonly VectorId[],
  vectors: Float32Array,
  dim: number,
  idKind: IdKind,
  options: { finite?: boolean } = {},
): void {
  if (!Array.isArray(ids)) throw invalidArgument(`${where}: ids must be an array`);
  checkVectors(where, 'vectors', vectors, dim, ids.length, options);
  ids.forEach((id) => idKind.check(where, id));
}

/** Throws DUPLICATE_ID for an id already in the index (`exists`) or repeated within `list`. */
export function checkNewIds(
  where: string,
  list: readonly VectorId[],
  idKind: IdKind,
  exists: (id: VectorId) => boolean,
): void {
  const seen = new Set<VectorId>();
  for (const id of list) {
    idKind.check(where, id);
    if (exists(id) || seen.has(id))
      throw new TamsaekError('DUPLICATE_ID', `${where}: id ${JSON.stringify(id)} already exists`);
    seen.add(id);
  }
}

/**
 * Row ↔ id bookkeeping of the row-major indexes (exact, flat): rows 0..size-1 hold one id each;
 * removing a row moves the last row into the hole, so rows stay dense.
 */
export class RowIds {
  readonly kind = new IdKind();
  private rows: VectorId[] = [];
  private index = new Map<VectorId, number>();

  get size(): number {
    return this.rows.length;
  }

  has(id: VectorId): boolean {
    return this.index.has(id);
  }

  rowOf(id: VectorId): number | undefined {
    return this.index.get(id);
  }

  idAt(row: number): VectorId {
    return this.rows[row]!;
  }

  /** A copy of the ids in row order. */
  ids(): VectorId[] {
    return this.rows.slice();
  }

  checkNew(where: string, list: readonly VectorId[]): void {
    checkNewIds(where, list, this.kind, (id) => this.index.has(id));
  }

  /** Appends ids as rows size.. (checked by checkNew). */
  append(list: readonly VectorId[]): void {
    if (list.length > 0 && this.kind.kind === undefined) this.kind.kind = typeof list[0] as 'string' | 'number';
    for (const id of list) {
      this.index.set(id, this.rows.length);
      this.rows.push(id);
    }
  }

  /**
   * Removes `id`; when it was not the last row, `moveLast(from, to)` is called before the last row's
   * id takes its place, so the caller moves the row's data alike. Returns false for an unknown id.
   */
  remove(id: VectorId, moveLast: (from: number, to: number) => void): boolean {
    const row = this.index.get(id);
    if (row === undefined) return false;
    const last = this.rows.length - 1;
    if (row !== last) {
      moveLast(last, row);
      const moved = this.rows[last]!;
      this.rows[row] = moved;
      this.index.set(moved, row);
    }
    this.index.delete(id);
    this.rows.length = last;
    return true;
  }
}

/** The id accessors of the row-major indexes (exact, flat), over their RowIds. */
export abstract class RowIdIndex {
  protected rows = new RowIds();

  /** The rows of `ids`, or NOT_FOUND naming the first unknown one. */
  protected rowsOf(where: string, ids: readonly VectorId[]): number[] {
    return ids.map((id) => {
      const row = this.rows.rowOf(id);
      if (row === undefined) throw new TamsaekError('NOT_FOUND', `${where}: unknown id ${JSON.stringify(id)}`);
      return row;
    });
  }

  get size(): number {
    return this.rows.size;
  }

  has(id: VectorId): boolean {
    return this.rows.has(id);
  }

  ids(): VectorId[] {
    return this.rows.ids();
  }
}

/** Copies `source` into `target` in 4 MiB pieces with event-loop turns between them (many vectors at once). */
export async function copySliced(target: Uint8Array, source: Uint8Array, slicer: Slicer): Promise<void> {
  const piece = 1 << 22;
  for (let at = 0; at < source.length; at += piece) {
    target.set(source.subarray(at, at + piece), at);
    await slicer.pause();
  }
}

/** The first `len` bytes of a typed array's memory. */
export function bytes(a: ArrayBufferView, len: number): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, len);
}
