/**
 * The narrow surface tuning and evaluation use (`engine.tunable()`): run the legs once per query,
 * then fuse and rerank those cached lists under as many configurations as they like. Nothing here
 * changes the engine; `engine.configure()` applies what they choose.
 */
import { invalidArgument } from '../errors.js';
import { validateFusionConfig } from '../fuse/config.js';
import type { FusionConfig } from '../fuse/types.js';
import type { Candidate, LegResult, SearchPipeline } from './pipeline.js';
import type { QueryConfig } from './types.js';

export type { Candidate, LegResult };

export interface Tunable {
  /** The legs' names, in order. */
  readonly legs: readonly string[];
  /** The engine's query-time configuration now. */
  readonly defaults: QueryConfig;
  /** Whether a reranker is configured. */
  readonly reranks: boolean;
  /**
   * Every leg's documents for a query, `depth` deep (a precomputed query vector skips embedding), or
   * only the legs `legs` names (a rescoring leg named alone searches on its own).
   */
  retrieve(
    query: string,
    options: { depth: number; vector?: Float32Array; legs?: readonly string[] },
  ): Promise<LegResult[]>;
  /** Fused documents of cached leg results under `fusion`, best first. */
  fuse(results: readonly LegResult[], fusion: FusionConfig, depth: number): Candidate[];
  /** Reranker scores of candidates (undefined without a reranker); `Candidate.key` names what was scored. */
  rerankScores(query: string, candidates: readonly Candidate[]): Promise<Float32Array | undefined>;
}

export function tunableOf(
  pipeline: SearchPipeline,
  legs: readonly string[],
  defaults: QueryConfig,
  reranks: boolean,
): Tunable {
  return {
    legs,
    defaults,
    reranks,
    retrieve: (query, { depth, vector, legs: only }) => {
      const unknown = only?.find((name) => !legs.includes(name));
      if (unknown !== undefined) return Promise.reject(invalidArgument(`retrieve: no leg named "${unknown}"`));
      return pipeline.retrieve(pipeline.query(query, vector), { depth, legs: only ?? legs });
    },
    fuse: (results, fusion, depth) => pipeline.fuse(results, validateFusionConfig(fusion), depth),
    rerankScores: async (query, candidates) =>
      reranks ? pipeline.rerankScores(query, candidates) : Promise.resolve(undefined),
  };
}
