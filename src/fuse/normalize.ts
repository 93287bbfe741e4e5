/**
 * Per-leg score normalizers for convex combination. Each maps one leg's scores (the hits that take part in
 * the fusion, i.e. after the depth cut) to new values; pure, deterministic, no allocation beyond the result.
 *
 * Degenerate cases (decided here, documented in docs/fusion.md):
 * - empty input → empty output, for every normalizer;
 * - mm: all scores equal (incl. a single hit) → 0.5 for every hit (Qdrant's choice; AutoRAG yields NaN);
 * - tmm: (s − tmin) / (max − tmin), clipped below at 0 (a score under the declared minimum counts as the
 *   minimum); max ≤ tmin → 0 for every hit;
 * - z: σ = 0 (all equal, incl. a single hit) → 0 for every hit;
 * - dbsf: σ = 0 → 0.5 for every hit (as Qdrant); otherwise clipped to [0, 1];
 * - l2: ‖s‖₂ = 0 (all zero) → 0 for every hit;
 * - rank: (N − r + 1) / N with N the largest rank present; a single hit → 1.
 * σ is the population standard deviation (numpy's default, as AutoRAG's normalize_z / normalize_dbsf).
 */
import { invalidArgument } from '../errors.js';
import type { Normalizer } from './types.js';

export interface NormalizeOptions {
  /** Required by `tmm`. */
  theoreticalMin?: number;
  /** Required by `rank`: the 1-based rank of each score, same length as the scores. */
  ranks?: readonly number[];
}

function minMax(scores: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of scores) {
    if (s < lo) lo = s;
    if (s > hi) hi = s;
  }
  return [lo, hi];
}

/** Population mean and σ; σ is exactly 0 when all scores are equal (no rounding residue). */
function meanStd(scores: readonly number[]): [number, number] {
  const n = scores.length;
  let sum = 0;
  for (const s of scores) sum += s;
  const mean = sum / n;
  const [lo, hi] = minMax(scores);
  if (lo === hi) return [lo, 0];
  let sq = 0;
  for (const s of scores) sq += (s - mean) * (s - mean);
  return [mean, Math.sqrt(sq / n)];
}

export function normalizeMinMax(scores: readonly number[]): number[] {
  if (scores.length === 0) return [];
  const [lo, hi] = minMax(scores);
  if (lo === hi) return scores.map(() => 0.5);
  const range = hi - lo;
  return scores.map((s) => (s - lo) / range);
}

export function normalizeTheoreticalMinMax(scores: readonly number[], theoreticalMin: number): number[] {
  if (!Number.isFinite(theoreticalMin))
    throw invalidArgument(`tmm: theoreticalMin must be a finite number, got ${theoreticalMin}`);
  if (scores.length === 0) return [];
  const [, hi] = minMax(scores);
  const range = hi - theoreticalMin;
  if (!(range > 0)) return scores.map(() => 0);
  return scores.map((s) => Math.max(0, (s - theoreticalMin) / range));
}

export function normalizeZ(scores: readonly number[]): number[] {
  if (scores.length === 0) return [];
  const [mean, std] = meanStd(scores);
  if (std === 0) return scores.map(() => 0);
  return scores.map((s) => (s - mean) / std);
}

export function normalizeDbsf(scores: readonly number[]): number[] {
  if (scores.length === 0) return [];
  const [mean, std] = meanStd(scores);
  if (std === 0) return scores.map(() => 0.5);
  const lo = mean - 3 * std;
  const range = 6 * std;
  return scores.map((s) => Math.min(1, Math.max(0, (s - lo) / range)));
}

export function normalizeL2(scores: readonly number[]): number[] {
  if (scores.length === 0) return [];
  // Scale by the largest magnitude first so squaring cannot overflow for huge scores.
  let maxAbs = 0;
  for (const s of scores) if (Math.abs(s) > maxAbs) maxAbs = Math.abs(s);
  if (maxAbs === 0) return scores.map(() => 0);
  let sq = 0;
  for (const s of scores) sq += (s / maxAbs) * (s / maxAbs);
  const norm = Math.sqrt(sq) * maxAbs;
  return scores.map((s) => s / norm);
}

export function normalizeRank(ranks: readonly number[]): number[] {
  if (ranks.length === 0) return [];
  let n = 0;
  for (const r of ranks) if (r > n) n = r;
  return ranks.map((r) => (n - r + 1) / n);
}

/** Normalises one leg's scores with `normalizer`. Scores must be finite (fuse() checks this). */
export function normalizeScores(
  normalizer: Normalizer,
  scores: readonly number[],
  options: NormalizeOptions = {},
): number[] {
  for (const s of scores) {
    if (typeof s !== 'number' || !Number.isFinite(s))
      throw invalidArgument(`normalize: scores must be finite numbers, got ${String(s)}`);
  }
  switch (normalizer) {
    case 'mm':
      return normalizeMinMax(scores);
    case 'tmm':
      if (options.theoreticalMin === undefined) throw invalidArgument('normalize: tmm needs theoreticalMin');
      return normalizeTheoreticalMinMax(scores, options.theoreticalMin);
    case 'z':
      return normalizeZ(scores);
    case 'dbsf':
      return normalizeDbsf(scores);
    case 'l2':
      return normalizeL2(scores);
    case 'rank': {
      const ranks = options.ranks;
      if (ranks === undefined || ranks.length !== scores.length) {
        throw invalidArgument('normalize: rank needs one rank per score');
      }
      for (const r of ranks) {
        if (!Number.isSafeInteger(r) || r < 1)
          throw invalidArgument(`normalize: ranks must be positive integers, got ${r}`);
      }
      return normalizeRank(ranks);
    }
    default:
      throw invalidArgument(`normalize: unknown normalizer "${String(normalizer)}"`);
  }
}
