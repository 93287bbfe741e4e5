/**
 * The one interface every dense vector index implements: the native exact index (`flat.ts`, built on
 * the C++ addon), the pure-TypeScript exact index (`exact.ts`, the fallback when the addon is absent)
 * and the approximate HNSW index (`hnsw.ts`, on hnswlib-node).
 *
 * Conventions shared by all of them:
 * - ids are external: all strings or all numbers within one index (the first add decides);
 * - `vectors` / `queries` are row-major Float32Arrays of `n × dim` values;
 * - scores are "higher is better": the dot product, the cosine similarity, or −(squared L2 distance);
 * - add() of an existing id throws DUPLICATE_ID; remove() ignores unknown ids and resolves to the
 *   number removed; operations are serialized per index;
 * - save(path) is atomic (temp file + fsync + rename); each implementation has a static
 *   `load(path)`, and `loadVectorIndex` (./index.ts) picks the right one from the file.
 */
export type VectorId = string | number;
export type Metric = 'dot' | 'cosine' | 'l2';
export const METRICS: readonly Metric[] = ['dot', 'cosine', 'l2'];

export interface DenseHit {
  id: VectorId;
  /** Higher is better: dot product, cosine similarity, or the negative squared L2 distance. */
  score: number;
}

export interface VectorSearchOptions {
  /** Keep only ids for which this returns true (or that are in this set). */
  filter?: ((id: VectorId) => boolean) | ReadonlySet<VectorId>;
}

export interface VectorIndex {
  readonly dim: number;
  readonly metric: Metric;
  /** Number of live vectors. */
  readonly size: number;
  has(id: VectorId): boolean;
  ids(): VectorId[];
  add(ids: readonly VectorId[], vectors: Float32Array): Promise<void>;
  /** Optional: makes room for `size` vectors in all now, so a batch added in several calls grows the storage once. */
  reserve?(size: number): Promise<void>;
  remove(ids: readonly VectorId[]): Promise<number>;
  /**
   * The stored vectors of `ids` (ids.length × dim), as the index holds them: normalised where it
   * normalises, decoded from fp16 / int8 where it quantises. Unknown id → NOT_FOUND. Lets a caller
   * put removed rows back without the model that made them.
   */
  vectorsOf(ids: readonly VectorId[]): Promise<Float32Array>;
  search(query: Float32Array, k: number, options?: VectorSearchOptions): Promise<DenseHit[]>;
  searchBatch(queries: Float32Array, k: number, options?: VectorSearchOptions): Promise<DenseHit[][]>;
  save(path: string): Promise<void>;
}

/** The kinds `createVectorIndex` knows: `flat` = native exact, `exact` = pure TS exact, `hnsw`. */
export type VectorIndexKind = 'flat' | 'exact' | 'hnsw';
