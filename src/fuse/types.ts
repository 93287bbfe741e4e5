/**
 * Fusion types. `fuse/` sees ranked lists only: a leg is a name plus its hits best-first. Nothing here knows
 * which retriever produced a list (BM25, dense, anything else) — the caller names the legs.
 */

/** One hit of one leg. `rank` is 1-based; when absent it is the hit's position in the leg + 1. */
export interface FusionHit {
  readonly id: string;
  readonly score: number;
  readonly rank?: number;
}

/** One ranked list to fuse. `hits` are best-first. `weight` is overridden by `config.weights[name]`. */
export interface FusionLeg {
  readonly name: string;
  readonly hits: readonly FusionHit[];
  readonly weight?: number;
}

/** What one leg said about a fused document (only legs that returned the document appear). */
export interface LegEvidence {
  /** The leg's raw score for the document. */
  score: number;
  /** The leg's 1-based rank for the document. */
  rank: number;
  /** The term this leg added to the fused score: w/(k+rank) for rrf, w·norm(score) for cc. */
  contribution: number;
}

export interface FusedHit {
  id: string;
  score: number;
  legs: Record<string, LegEvidence>;
}

/**
 * Score normalizers for convex combination:
 * - `mm`   min-max over the leg's fused hits
 * - `tmm`  theoretical min-max: caller-given minimum per leg, observed maximum
 * - `z`    z-score (population σ)
 * - `dbsf` distribution-based: mean ± 3σ mapped to [0, 1] and clipped
 * - `l2`   score / ‖scores‖₂
 * - `rank` linear in rank: (N − rank + 1) / N, N = largest rank in the leg's fused hits
 */
export type Normalizer = 'mm' | 'tmm' | 'z' | 'dbsf' | 'l2' | 'rank';

export const NORMALIZERS: readonly Normalizer[] = ['mm', 'tmm', 'z', 'dbsf', 'l2', 'rank'];

/** Per-leg candidate depth: one number for every leg, or per leg name (legs not named are not cut). */
export type Depth = number | Record<string, number>;

export interface RrfConfig {
  method: 'rrf';
  /** The RRF constant k in w / (k + rank). Default 60. Finite, ≥ 0. */
  k?: number;
  /** Per-leg weights (finite, ≥ 0). Legs not named use their own `weight` or 1. Not renormalised. */
  weights?: Record<string, number>;
  depth?: Depth;
}

export interface CcConfig {
  method: 'cc';
  normalizer: Normalizer;
  /** Per-leg weights (finite, ≥ 0, not all 0). Legs not named use their own `weight` or 1. Renormalised to sum 1. */
  weights?: Record<string, number>;
  /** Theoretical minimum per leg, required by `tmm` for every leg (e.g. { bm25: 0, dense: -1 }); ignored otherwise. */
  theoreticalMin?: Record<string, number>;
  depth?: Depth;
  /**
   * Normalised score of a document a leg did not return. `zero` (default, as AutoRAG's `fillna(0)`) or `min`
   * (the lowest normalised score among that leg's fused hits; 0 for an empty leg).
   */
  missing?: 'zero' | 'min';
}

/** JSON-serializable fusion configuration (stored in an index manifest, tuned by `tune/`). */
export type FusionConfig = RrfConfig | CcConfig;

export const DEFAULT_RRF_K = 60;
