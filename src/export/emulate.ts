/**
 * The target's fusion formulas, applied client-side to tamsaek's own leg results: what the cluster's
 * fusion would rank from the same hit lists. It isolates the fusion from the other differences (the
 * cluster's analyzer and BM25 statistics, approximate k-NN), which it does not model.
 *
 * Formulas as the targets' code computes them (read at the commits in docs/SCALE-OUT.md):
 * - OpenSearch min_max: (s − min) / (max − min) over a sub-query's returned hits; 0 → 0.001; a score equal
 *   to both min and max → 1.0; with a clip lower bound b (when max ≥ b): s < b → 0.001, else (s − b) / (max − b).
 * - OpenSearch l2: s / √Σs² (0 when the norm is 0). z_score: (s − mean) / sample σ, ≤ 0 → 0.001; a score
 *   equal to the mean → the sub-query's max, σ = 0 → its min.
 * - OpenSearch arithmetic_mean: Σ wᵢ nᵢ / Σ wᵢ with 0 for a sub-query that missed the document.
 * - RRF (both): Σ wᵢ / (rank_constant + rankᵢ), wᵢ = 1 without weights.
 * - Elasticsearch linear: Σ wᵢ nᵢ; minmax keeps raw scores when max − min < 1e-6, l2_norm when the norm < 1e-6.
 * Scores are moved to the target's scale first (targetScore: k-NN transforms, BM25 without (k1 + 1)).
 * Arithmetic is in doubles (the engines use floats) and ties go to the smaller id.
 */
import type { FusionLeg } from '../fuse/types.js';
import { type FusionContext, type FusionMapping, type TargetFusion, targetScore } from './fusion.js';

const OS_MIN_SCORE = 0.001;
const ES_EPSILON = 1e-6;

export interface EmulatedHit {
  id: string;
  score: number;
}

function osMinMax(scores: number[], bound: number | undefined): number[] {
  let min = Infinity;
  let max = -Infinity;
  for (const s of scores) {
    if (s < min) min = s;
    if (s > max) max = s;
  }
  return scores.map((s) => {
    if (max === min && s === max) return 1;
    const lo = bound !== undefined && !(max < bound) ? bound : min;
    if (bound !== undefined && s < lo) return OS_MIN_SCORE;
    if (max === lo) return 1;
    const n = (s - lo) / (max - lo);
    return n === 0 ? OS_MIN_SCORE : n;
  });
}

function l2(scores: number[], epsilon: number, keepRaw: boolean): number[] {
  const norm = Math.sqrt(scores.reduce((a, s) => a + s * s, 0));
  if (norm === 0 || norm < epsilon) return keepRaw ? scores : scores.map(() => 0);
  return scores.map((s) => s / norm);
}

function osZScore(scores: number[]): number[] {
  const n = scores.length;
  const mean = scores.reduce((a, s) => a + s, 0) / n;
  const std = n > 1 ? Math.sqrt(scores.reduce((a, s) => a + (s - mean) ** 2, 0) / (n - 1)) : 0;
  const max = Math.max(...scores);
  const min = Math.min(...scores);
  return scores.map((s) => {
    if (s === mean) return max;
    if (std === 0) return min;
    const z = (s - mean) / std;
    return z <= 0 ? OS_MIN_SCORE : z;
  });
}

function esMinMax(scores: number[]): number[] {
  const min = Math.min(...scores);
  const max = Math.max(...scores);
  if (Math.abs(max - min) < ES_EPSILON) return scores;
  return scores.map((s) => (s - min) / (max - min));
}

/** Per-document contribution of one sub-query (already weighted), by the target's formula. */
function contributions(target: TargetFusion, i: number, scores: number[]): number[] {
  const w = 'weights' in target && target.weights ? target.weights[i]! : 1;
  switch (target.kind) {
    case 'score-ranker':
    case 'rrf':
      return scores.map((_s, r) => w / (target.rankConstant + r + 1));
    case 'linear':
      return (target.normalizer === 'minmax' ? esMinMax(scores) : l2(scores, ES_EPSILON, true)).map((n) => w * n);
    case 'normalization': {
      const n =
        target.technique === 'min_max'
          ? osMinMax(scores, target.lowerBounds?.[i])
          : target.technique === 'l2'
            ? l2(scores, 0, false)
            : osZScore(scores);
      // arithmetic_mean divides by Σw, which is 1 for the exported weights
      const total = target.weights.reduce((a, b) => a + b, 0);
      return n.map((v) => (w * v) / total);
    }
  }
}

/**
 * Fuses tamsaek's leg results (`legs`, each best-first, tamsaek's scores) as the target would and
 * returns the top `k`, best first (ties by id ascending).
 */
export function fuseAs(
  legs: readonly FusionLeg[],
  mapping: FusionMapping,
  ctx: Pick<FusionContext, 'spec' | 'metric' | 'k1' | 'dense'>,
  k: number,
): EmulatedHit[] {
  const fused = new Map<string, number>();
  mapping.legs.forEach((name, i) => {
    const hits = (legs.find((l) => l.name === name)?.hits ?? []).slice(0, mapping.depths[i]);
    if (hits.length === 0) return;
    const scores = hits.map((h) => targetScore(name, h.score, ctx));
    const add = contributions(mapping.target, i, scores);
    hits.forEach((h, j) => fused.set(h.id, (fused.get(h.id) ?? 0) + add[j]!));
  });
  return [...fused]
    .map(([id, score]) => ({ id, score }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, k);
}
