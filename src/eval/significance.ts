/**
 * Paired significance tests over per-query scores of two systems on the same queries.
 * Both are Monte-Carlo tests driven by a seeded PRNG (mulberry32), so results are reproducible.
 * p-values use the (count + 1) / (trials + 1) estimator, which is never 0 and is exactly 1 when
 * every resample is at least as extreme as the observed difference (e.g. identical runs).
 */
import { checkOptions, invalidArgument } from '../errors.js';
import { mulberry32, mulberry32Uint32 } from '../util/random.js';
import type { EvalResult } from './metrics.js';

export interface SignificanceOptions {
  /** Number of random resamples (default 10,000). */
  trials?: number;
  /** PRNG seed (default 42). */
  seed?: number;
}

export interface SignificanceResult {
  meanA: number;
  meanB: number;
  /** meanA − meanB. */
  diff: number;
  /** Two-sided p-value. */
  pValue: number;
  /** 95% confidence interval of meanA − meanB (bootstrap percentile interval); bootstrap only. */
  ci95?: [number, number];
  trials: number;
}

/** Relative tolerance for "at least as extreme": sums of the same values in another order differ by rounding. */
const EPS = 1e-12;

function prepare(where: string, a: ArrayLike<number>, b: ArrayLike<number>, options: SignificanceOptions | undefined) {
  checkOptions(where, options, ['trials', 'seed']);
  const n = a?.length;
  if (typeof n !== 'number' || typeof b?.length !== 'number')
    throw invalidArgument(`${where}: a and b must be arrays of numbers`);
  if (n !== b.length)
    throw invalidArgument(`${where}: a and b must have the same length (paired by query), got ${n} and ${b.length}`);
  if (n === 0) throw invalidArgument(`${where}: no scores`);
  const trials = options?.trials ?? 10_000;
  if (!Number.isInteger(trials) || trials <= 0)
    throw invalidArgument(`${where}: trials must be a positive integer (got ${trials})`);
  const seed = options?.seed ?? 42;
  if (!Number.isFinite(seed)) throw invalidArgument(`${where}: seed must be a finite number`);
  const d = new Float64Array(n);
  let sumA = 0;
  let sumB = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (!Number.isFinite(x) || !Number.isFinite(y))
      throw invalidArgument(`${where}: score ${i} is not a finite number`);
    sumA += x;
    sumB += y;
    d[i] = x - y;
  }
  let sumD = 0;
  let sumAbs = 0;
  for (let i = 0; i < n; i++) {
    sumD += d[i]!;
    sumAbs += Math.abs(d[i]!);
  }
  return {
    n,
    d,
    trials,
    seed,
    meanA: sumA / n,
    meanB: sumB / n,
    diff: sumA / n - sumB / n,
    sumD,
    tol: EPS * (sumAbs + 1),
  };
}

/**
 * Paired randomization (sign-flip permutation) test: under H0 the labels A/B of each query are
 * exchangeable, so each per-query difference's sign is flipped with probability ½. p = share of
 * resamples with |Σ flipped d| ≥ |Σ d| (two-sided), as (count + 1) / (trials + 1).
 */
export function pairedRandomizationTest(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options?: SignificanceOptions,
): SignificanceResult {
  const { n, d, trials, seed, meanA, meanB, diff, sumD, tol } = prepare('pairedRandomizationTest', a, b, options);
  const next = mulberry32Uint32(seed);
  const observed = Math.abs(sumD);
  let extreme = 0;
  for (let t = 0; t < trials; t++) {
    let s = 0;
    let bits = 0;
    for (let i = 0; i < n; i++) {
      if ((i & 31) === 0) bits = next();
      s += (bits & 1) === 1 ? -d[i]! : d[i]!;
      bits >>>= 1;
    }
    if (Math.abs(s) >= observed - tol) extreme++;
  }
  return { meanA, meanB, diff, pValue: (extreme + 1) / (trials + 1), trials };
}

/**
 * Paired bootstrap test: resample queries with replacement `trials` times and recompute the mean
 * difference d*. The 95% CI is the 2.5th–97.5th percentile of d* (percentile method). The two-sided
 * p-value uses the bootstrap distribution shifted to H0 (mean 0): share of |d* − d| ≥ |d|,
 * as (count + 1) / (trials + 1).
 */
export function pairedBootstrapTest(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options?: SignificanceOptions,
): SignificanceResult {
  const { n, d, trials, seed, meanA, meanB, diff, tol } = prepare('pairedBootstrapTest', a, b, options);
  const random = mulberry32(seed);
  const means = new Float64Array(trials);
  const observed = Math.abs(diff);
  let extreme = 0;
  for (let t = 0; t < trials; t++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += d[Math.floor(random() * n)]!;
    const m = s / n;
    means[t] = m;
    if (Math.abs(m - diff) >= observed - tol / n) extreme++;
  }
  means.sort();
  const at = (q: number): number => {
    const pos = (trials - 1) * q;
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, trials - 1);
    return means[lo]! + (means[hi]! - means[lo]!) * (pos - lo);
  };
  return { meanA, meanB, diff, pValue: (extreme + 1) / (trials + 1), ci95: [at(0.025), at(0.975)], trials };
}

/**
 * Per-query values of one metric from two evaluations, paired by query id (the queries of `a`, in order).
 * Throws INVALID_ARGUMENT when the query sets differ or the metric is missing.
 */
export function pairedScores(
  a: EvalResult,
  b: EvalResult,
  metric: string,
): { queries: string[]; a: number[]; b: number[] } {
  if (a.perQuery.size !== b.perQuery.size) {
    throw invalidArgument(
      `pairedScores: evaluations cover different query sets (${a.perQuery.size} vs ${b.perQuery.size} queries)`,
    );
  }
  const queries: string[] = [];
  const xs: number[] = [];
  const ys: number[] = [];
  for (const [qid, row] of a.perQuery) {
    const other = b.perQuery.get(qid);
    if (other === undefined)
      throw invalidArgument(`pairedScores: query ${JSON.stringify(qid)} is missing from the second evaluation`);
    const x = row[metric];
    const y = other[metric];
    if (x === undefined || y === undefined) continue; // e.g. autorag_* skipped for this query in both
    queries.push(qid);
    xs.push(x);
    ys.push(y);
  }
  if (queries.length === 0)
    throw invalidArgument(`pairedScores: metric ${JSON.stringify(metric)} not present in the evaluations`);
  return { queries, a: xs, b: ys };
}
