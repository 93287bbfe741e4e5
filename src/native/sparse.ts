/**
 * Typed wrappers around the native sparse pooling kernels (native/train/sparse.h): weighted mean
 * pooling of embedding-table rows for a CSR batch of texts (static embedding models), its backward
 * pass, and the backward pass fused with a lazy Adam update of the touched rows. All run off the JS
 * thread.
 */
import { invalidArgument } from '../errors.js';
import { checkThreads, loadNative, wrapNativeError } from './addon.js';

/** A batch of texts as CSR: text t owns features offsets[t] .. offsets[t+1]-1. */
export interface SparseBatch {
  offsets: Int32Array;
  ids: Int32Array;
  /** Per-feature weights (default 1). */
  weights?: Float32Array;
}

export interface PoolTable {
  rows: number;
  dim: number;
  /** Float32 table, or Int8 table with per-row `scales`. */
  table: Float32Array | Int8Array;
  scales?: Float32Array;
}

function checkBatch(where: string, b: SparseBatch, rows: number): number {
  if (!(b.offsets instanceof Int32Array) || b.offsets.length < 1)
    throw invalidArgument(`${where}: offsets must be a non-empty Int32Array`);
  if (!(b.ids instanceof Int32Array)) throw invalidArgument(`${where}: ids must be an Int32Array`);
  const n = b.offsets.length - 1;
  const nnz = b.offsets[n]!;
  if (b.offsets[0] !== 0 || nnz > b.ids.length)
    throw invalidArgument(`${where}: offsets must start at 0 and end at ≤ ids.length`);
  for (let t = 0; t < n; t++)
    if (b.offsets[t + 1]! < b.offsets[t]!) throw invalidArgument(`${where}: offsets must be non-decreasing`);
  for (let j = 0; j < nnz; j++) {
    const r = b.ids[j]!;
    if (r < 0 || r >= rows) throw invalidArgument(`${where}: feature id ${r} is outside 0..${rows - 1}`);
  }
  if (b.weights !== undefined && (!(b.weights instanceof Float32Array) || b.weights.length < nnz)) {
    throw invalidArgument(`${where}: weights must be a Float32Array with one value per feature`);
  }
  return n;
}

function checkTable(where: string, t: PoolTable): void {
  if (!Number.isInteger(t.dim) || t.dim < 1 || !Number.isInteger(t.rows) || t.rows < 1)
    throw invalidArgument(`${where}: rows and dim must be positive integers`);
  if (t.table.length !== t.rows * t.dim)
    throw invalidArgument(`${where}: table has ${t.table.length} values, expected rows x dim = ${t.rows * t.dim}`);
  if (t.table instanceof Int8Array && (!(t.scales instanceof Float32Array) || t.scales.length !== t.rows)) {
    throw invalidArgument(`${where}: an Int8 table needs one Float32 scale per row`);
  }
}

/** Weighted mean of the rows of each text (n x dim); `normalize` L2-normalizes each output. */
export async function sparsePool(
  batch: SparseBatch,
  table: PoolTable,
  options: { normalize?: boolean; threads?: number; out?: Float32Array } = {},
): Promise<Float32Array> {
  const where = 'sparsePool';
  checkTable(where, table);
  const n = checkBatch(where, batch, table.rows);
  const out = options.out ?? new Float32Array(n * table.dim);
  if (out.length < n * table.dim) throw invalidArgument(`${where}: out is too short`);
  try {
    await loadNative().poolForward({
      n,
      off: batch.offsets,
      ids: batch.ids,
      w: batch.weights,
      rows: table.rows,
      dim: table.dim,
      int8: table.table instanceof Int8Array,
      table: table.table,
      scales: table.scales,
      out,
      normalize: options.normalize === true,
      threads: checkThreads(where, options.threads),
    });
  } catch (e) {
    throw wrapNativeError(where, e);
  }
  return out;
}

/** Pooling backward into a dense gradient table (rows x dim, accumulated). For checks and tests. */
export async function sparsePoolBackward(
  batch: SparseBatch,
  grad: Float32Array,
  gradTable: Float32Array,
  rows: number,
  dim: number,
  threads?: number,
): Promise<void> {
  const where = 'sparsePoolBackward';
  const n = checkBatch(where, batch, rows);
  if (grad.length < n * dim || gradTable.length !== rows * dim)
    throw invalidArgument(`${where}: grad must be n x dim and gradTable rows x dim`);
  try {
    await loadNative().poolBackward({
      n,
      off: batch.offsets,
      ids: batch.ids,
      w: batch.weights,
      rows,
      dim,
      grad,
      gradTable,
      threads: checkThreads(where, threads),
    });
  } catch (e) {
    throw wrapNativeError(where, e);
  }
}

/** Adam state of a Float32 table: first/second moments and the row-slot scratch (all -1). */
export interface AdamState {
  table: Float32Array;
  rows: number;
  dim: number;
  m: Float32Array;
  v: Float32Array;
  slot: Int32Array;
  step: number;
}

export function createAdamState(table: Float32Array, rows: number, dim: number): AdamState {
  if (table.length !== rows * dim) throw invalidArgument('createAdamState: table must be rows x dim');
  return {
    table,
    rows,
    dim,
    m: new Float32Array(rows * dim),
    v: new Float32Array(rows * dim),
    slot: new Int32Array(rows).fill(-1),
    step: 0,
  };
}

/** Pooling backward fused with a lazy (sparse) Adam step on the touched rows; returns how many rows moved. */
export async function sparsePoolAdam(
  batch: SparseBatch,
  grad: Float32Array,
  state: AdamState,
  options: { lr: number; beta1?: number; beta2?: number; eps?: number; threads?: number },
): Promise<number> {
  const where = 'sparsePoolAdam';
  const n = checkBatch(where, batch, state.rows);
  if (grad.length < n * state.dim) throw invalidArgument(`${where}: grad must be n x dim`);
  if (!(options.lr > 0)) throw invalidArgument(`${where}: lr must be positive`);
  state.step++;
  try {
    const touched = await loadNative().poolBackward({
      n,
      off: batch.offsets,
      ids: batch.ids,
      w: batch.weights,
      rows: state.rows,
      dim: state.dim,
      grad,
      table: state.table,
      m: state.m,
      v: state.v,
      slot: state.slot,
      lr: options.lr,
      beta1: options.beta1 ?? 0.9,
      beta2: options.beta2 ?? 0.999,
      eps: options.eps ?? 1e-8,
      step: state.step,
      threads: checkThreads(where, options.threads),
    });
    return touched ?? 0;
  } catch (e) {
    throw wrapNativeError(where, e);
  }
}
