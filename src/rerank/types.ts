/** What the engine needs of a reranker. */

/** Scores (query, passage) pairs; higher is more relevant (e.g. a cross-encoder's sigmoid). */
export interface Reranker {
  readonly modelId: string;
  /** How many candidates to rerank when the engine's rerank.topN is not given (default 20). */
  readonly defaultTopN?: number;
  score(query: string, passages: readonly string[], options?: { signal?: AbortSignal }): Promise<Float32Array>;
  dispose?(): Promise<void>;
}

/**
 * The reranked head: candidates ordered by reranker score (ties keep the fused order), each taking
 * the reranker score as its score. Shared by search and tuning so both rank alike.
 */
export function rerankOrder<T extends { score: number }>(head: readonly T[], scores: ArrayLike<number>): T[] {
  return head
    .map((_c, i) => i)
    .sort((a, b) => scores[b] - scores[a] || a - b)
    .map((i) => ({ ...head[i], score: scores[i] }));
}
