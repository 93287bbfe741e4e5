/**
 * Dense leg entry: picks a vector index by option or by corpus size, and opens saved ones.
 *
 * kinds: `hnsw` (hnswlib-node, approximate), `flat` (native addon, exact), `exact` (pure TS, exact).
 * `auto` = exact below HNSW_MIN_VECTORS vectors (an exact scan is then fast and has perfect recall),
 * HNSW above; "exact" means the native flat index when the addon loads, else the TS one.
 */
import { open } from 'node:fs/promises';
import { checkOptions, invalidArgument, TamsaekError } from '../../errors.js';
import { ioError } from './common.js';
import { ExactIndex } from './exact.js';
import { HNSW_SIDECAR_SUFFIX, HnswIndex, type HnswOptions, loadHnswlib } from './hnsw.js';
import type { Metric, VectorId, VectorIndex, VectorIndexKind } from './types.js';

export { EXACT_FORMAT_VERSION, ExactIndex, type ExactIndexOptions } from './exact.js';
export {
  HNSW_SIDECAR_SUFFIX,
  HNSW_SIDECAR_VERSION,
  HnswIndex,
  type HnswOptions,
  type HnswSearchOptions,
  loadHnswlib,
} from './hnsw.js';
export * from './types.js';

/** Below this many vectors `auto` builds an exact index. */
export const HNSW_MIN_VECTORS = 20_000;

export interface CreateVectorIndexOptions extends Omit<HnswOptions, 'capacity'> {
  kind?: VectorIndexKind | 'auto';
  /** Expected number of vectors: decides `auto` and pre-sizes HNSW. */
  expectedSize?: number;
  /** The native flat index's device ('cpu' default, 'cuda', 'auto'; see FlatIndexOptions.device). */
  device?: 'cpu' | 'cuda' | 'auto';
}

export function defaultIndexKind(expectedSize: number): 'exact' | 'hnsw' {
  return expectedSize >= HNSW_MIN_VECTORS ? 'hnsw' : 'exact';
}

interface FlatModule {
  FlatIndex: {
    new (o: { dim: number; metric?: Metric; device?: 'cpu' | 'cuda' | 'auto' }): VectorIndex;
    load(path: string): Promise<VectorIndex>;
  };
}

/** The native flat index module (./flat.js, from the native branch) when present, else undefined. */
async function importFlat(): Promise<FlatModule | undefined> {
  const spec = './flat.js';
  try {
    return (await import(spec)) as FlatModule;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw e;
  }
}

async function nativeFlat(
  dim: number,
  metric: Metric,
  required: boolean,
  device?: 'cpu' | 'cuda' | 'auto',
): Promise<VectorIndex | undefined> {
  const mod = await importFlat();
  if (!mod) {
    if (required)
      throw new TamsaekError('NATIVE_UNAVAILABLE', 'the native flat index is not part of this build; use kind "exact"');
    return undefined;
  }
  try {
    return new mod.FlatIndex({ dim, metric, ...(device ? { device } : {}) });
  } catch (e) {
    if (!required && e instanceof TamsaekError && e.code === 'NATIVE_UNAVAILABLE') return undefined;
    throw e;
  }
}

export async function createVectorIndex(options: CreateVectorIndexOptions): Promise<VectorIndex> {
  const where = 'createVectorIndex';
  checkOptions(where, options, [
    'kind',
    'expectedSize',
    'dim',
    'metric',
    'M',
    'efConstruction',
    'efSearch',
    'seed',
    'device',
  ]);
  if (options === undefined || options === null) throw invalidArgument(`${where}: options { dim } are required`);
  const { kind = 'auto', expectedSize, dim, metric = 'cosine', device, ...hnsw } = options;
  if (expectedSize !== undefined && !(Number.isInteger(expectedSize) && expectedSize >= 0)) {
    throw invalidArgument(`${where}: expectedSize must be a non-negative integer (got ${expectedSize})`);
  }
  if (!['auto', 'hnsw', 'flat', 'exact'].includes(kind))
    throw invalidArgument(`${where}: kind must be auto, hnsw, flat or exact (got ${String(kind)})`);
  const chosen = kind === 'auto' ? await autoKind(expectedSize ?? 0) : kind;
  if (device === 'cuda' && chosen !== 'flat' && !(chosen === 'exact' && kind === 'auto'))
    throw invalidArgument(`${where}: device "cuda" applies to the native flat index (kind "flat"), not "${chosen}"`);
  if (chosen === 'hnsw') {
    return HnswIndex.create({ dim, metric, ...hnsw, capacity: Math.max(1024, expectedSize ?? 0) });
  }
  const extra = Object.keys(hnsw).filter((k) => (hnsw as Record<string, unknown>)[k] !== undefined);
  if (extra.length > 0) throw invalidArgument(`${where}: ${extra.join(', ')} only apply to kind "hnsw"`);
  if (chosen === 'flat') return (await nativeFlat(dim, metric, true, device))!;
  if (kind === 'auto') {
    const flat = await nativeFlat(dim, metric, device === 'cuda', device);
    if (flat) return flat;
  }
  return new ExactIndex({ dim, metric });
}

/**
 * `auto`'s kind: HNSW from HNSW_MIN_VECTORS on when hnswlib-node (an optional peer: it compiles at
 * install) can be loaded, else exact (the native flat index where the addon is present).
 */
async function autoKind(expectedSize: number): Promise<'exact' | 'hnsw'> {
  const kind = defaultIndexKind(expectedSize);
  if (
    kind === 'hnsw' &&
    !(await loadHnswlib().then(
      () => true,
      () => false,
    ))
  )
    return 'exact';
  return kind;
}

/**
 * A vector index over a first batch of vectors: the one place that chooses the kind. `auto` bulk-builds
 * HNSW on a worker thread from HNSW_MIN_VECTORS vectors on, and below that takes the native flat index
 * (the pure-TS exact index where the addon is absent).
 */
export async function buildVectorIndex(
  ids: readonly VectorId[],
  vectors: Float32Array,
  options: {
    kind?: VectorIndexKind | 'auto';
    dim: number;
    metric?: Metric;
    hnsw?: Pick<HnswOptions, 'M' | 'efConstruction' | 'efSearch'>;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<VectorIndex> {
  const { kind = 'auto', dim, metric = 'cosine', hnsw, onProgress } = options;
  if ((kind === 'auto' ? await autoKind(ids.length) : kind) === 'hnsw')
    return HnswIndex.build(ids, vectors, { dim, metric, capacity: Math.max(1024, ids.length), ...hnsw, onProgress });
  // the configured kind, not a resolved one: "auto" below the HNSW size is the native flat index
  const index = await createVectorIndex({ kind, dim, metric, expectedSize: ids.length });
  await addInChunks(index, ids, vectors, dim);
  return index;
}

/** Vectors added per call by `addInChunks`: each call's synchronous bookkeeping stays a few milliseconds. */
export const ADD_CHUNK = 2048;

/**
 * Adds many vectors in calls of ADD_CHUNK (the event loop turns between them); should a call fail,
 * the ones already added are removed again.
 */
export async function addInChunks(
  index: VectorIndex,
  ids: readonly VectorId[],
  vectors: Float32Array,
  dim: number,
): Promise<void> {
  let at = 0;
  // one growth of the index's storage for the whole batch instead of one per chunk
  if (ids.length > ADD_CHUNK) await index.reserve?.(index.size + ids.length);
  try {
    for (; at < ids.length; at += ADD_CHUNK) {
      const end = Math.min(ids.length, at + ADD_CHUNK);
      await index.add(ids.slice(at, end), vectors.subarray(at * dim, end * dim));
    }
  } catch (error) {
    if (at > 0) await index.remove(ids.slice(0, at)).catch(() => {});
    throw error;
  }
}

/** Opens a saved index of any kind: flat (TSKFLAT), exact (TSKEXCT) or hnsw (graph + `.ids.json` sidecar). */
export async function loadVectorIndex(path: string): Promise<VectorIndex> {
  if (typeof path !== 'string' || path.length === 0)
    throw invalidArgument('loadVectorIndex: path must be a non-empty string');
  const magic = Buffer.alloc(8);
  try {
    const fh = await open(path, 'r');
    try {
      await fh.read(magic, 0, 8, 0);
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw ioError('loadVectorIndex', path, e);
  }
  const m = magic.toString('latin1');
  if (m === 'TSKEXCT\0') return ExactIndex.load(path);
  if (m === 'TSKFLAT\0') {
    const mod = await importFlat();
    if (!mod)
      throw new TamsaekError(
        'NATIVE_UNAVAILABLE',
        `loadVectorIndex: ${path} is a native flat index, which this build cannot read`,
      );
    return mod.FlatIndex.load(path);
  }
  try {
    await open(path + HNSW_SIDECAR_SUFFIX, 'r').then((f) => f.close());
  } catch {
    throw new TamsaekError(
      'FOREIGN_FILE',
      `loadVectorIndex: ${path} is not a tamsaek vector index (no known magic and no ${HNSW_SIDECAR_SUFFIX} sidecar)`,
    );
  }
  return HnswIndex.load(path);
}
