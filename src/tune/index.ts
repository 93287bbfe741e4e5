/**
 * Joint tuning of the query-time configuration — fusion method, RRF k, per-leg weights, normalizer,
 * per-leg depth and rerank top-N — on labelled queries.
 *
 * Every leg is queried once per query at the largest depth; each candidate configuration then only
 * re-fuses those cached lists (and reuses cached reranker scores), so thousands of configurations
 * cost seconds. Search: a grid over the method/normalizer/weight lattice, then coordinate ascent
 * from the best grid points with shrinking steps. Deterministic for a seed and an evaluation budget
 * (a wall-clock budget can stop it earlier; the report says so).
 *
 * Honesty: configurations are chosen on training queries only. With a train split the report gives
 * train and test scores of the default and the tuned configuration. Without one, the test queries
 * are cross-fitted: split into k folds, each fold scored with the configuration tuned on the others,
 * so every reported test score comes from a configuration that never saw that query.
 */

import type { BeirQuery, Qrels } from '../data/beir.js';
import type { Candidate, LegResult, Tunable } from '../engine/tunable.js';
import { checkOptions, invalidArgument, TamsaekError } from '../errors.js';
import { evaluate, type Run } from '../eval/metrics.js';
import type { FusionConfig, Normalizer } from '../fuse/types.js';
import { NORMALIZERS } from '../fuse/types.js';
import { rerankOrder } from '../rerank/types.js';
import { mulberry32, shuffleInPlace } from '../util/random.js';

/** A query-time configuration (`engine.configure(config)` applies it). */
export interface TunedConfig {
  fusion: FusionConfig;
  depth: number;
  rerankTopN: number;
}

export interface TuneOptions {
  /** Metric key as reported by evaluate(), e.g. "ndcg@10" (default), "recall@10", "mrr@10". */
  metric?: string;
  seed?: number;
  /** Stop after this many configuration evaluations (default 400). */
  maxEvaluations?: number;
  /** Stop after this much wall time. */
  budgetMs?: number;
  /** Folds for cross-fitting when there are no training queries (default 5). */
  folds?: number;
  /**
   * What is searched. `full` (default): method, k, weights, normalizer, depths, rerank top-N.
   * `weight`: one number — the BM25 weight of a min-max convex combination, on a grid of 21 points,
   * the point with the best ±0.1 neighbourhood (`pickOnLine`; the rest as configured). Few labelled
   * queries overfit the full space; on our validation splits the one-weight line cross-fitted better
   * than larger spaces (docs/fusion.md).
   */
  space?: TuneSpace;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface TuneReport {
  metric: string;
  mode: 'train/test' | 'cross-fitted';
  queries: { train: number; test: number };
  default: { config: TunedConfig; train?: number; test: number };
  tuned: { config: TunedConfig; train?: number; test: number };
  /** Significance of tuned vs default on the test queries (paired randomization), when computed by the caller. */
  evaluations: number;
  stoppedByBudget: boolean;
  elapsedMs: number;
}

export const TUNE_SPACES = ['full', 'weight'] as const;
export type TuneSpace = (typeof TUNE_SPACES)[number];

const DEPTHS = [10, 20, 50, 100];
const WEIGHT_LINE = Array.from({ length: 21 }, (_, i) => i / 20);
const RERANK_TOPN = [0, 5, 10, 20, 50];
/** Theoretical minima for tmm: BM25 scores are ≥ 0, cosine similarities ≥ −1. */
const THEORETICAL_MIN: Record<string, number> = { bm25: 0, dense: -1 };

interface QueryCache {
  id: string;
  text: string;
  legs: LegResult[];
  rerank: Map<string, number>;
}

class Evaluator {
  evaluations = 0;
  readonly started = performance.now();
  constructor(
    private readonly engine: Tunable,
    private readonly cache: QueryCache[],
    private readonly qrels: Qrels,
    private readonly metric: string,
    private readonly ks: number[],
  ) {}

  /** Mean metric of `config` over the queries at `indices`. */
  async score(
    config: TunedConfig,
    indices: readonly number[],
  ): Promise<{ mean: number; perQuery: Map<string, number> }> {
    this.evaluations++;
    const run: Run = new Map();
    const qrels: Qrels = new Map();
    for (const i of indices) {
      const q = this.cache[i];
      const legs = q.legs.map((l) => ({ name: l.name, hits: l.hits.slice(0, config.depth) }));
      let ranked: Candidate[] = this.engine.fuse(legs, config.fusion, config.depth);
      if (config.rerankTopN > 0) {
        const head = ranked.slice(0, config.rerankTopN);
        const missing = head.filter((c) => !q.rerank.has(c.key));
        if (missing.length > 0) {
          const scores = await this.engine.rerankScores(q.text, missing);
          missing.forEach((c, j) => q.rerank.set(c.key, scores![j]));
        }
        ranked = [
          ...rerankOrder(
            head,
            head.map((c) => q.rerank.get(c.key)!),
          ),
          ...ranked.slice(config.rerankTopN),
        ];
      }
      run.set(
        q.id,
        ranked.map((c, rank) => ({ id: c.id, score: -rank })),
      );
      qrels.set(q.id, this.qrels.get(q.id)!);
    }
    const result = evaluate(run, qrels, { ks: this.ks, order: 'given' });
    const perQuery = new Map<string, number>();
    for (const [id, row] of result.perQuery) perQuery.set(id, row[this.metric]);
    return { mean: result.mean[this.metric], perQuery };
  }
}

function key(c: TunedConfig): string {
  return JSON.stringify(c);
}

function gridCandidates(legNames: string[], maxDepth: number, rerank: boolean): TunedConfig[] {
  const out: TunedConfig[] = [];
  const depths = DEPTHS.filter((d) => d <= maxDepth);
  const depth = depths[depths.length - 1] ?? maxDepth;
  const topNs = rerank ? RERANK_TOPN : [0];
  if (legNames.length < 2) {
    // one leg: only depth and rerank top-N matter
    for (const topN of topNs)
      for (const d of depths) out.push({ fusion: { method: 'rrf', k: 60 }, depth: d, rerankTopN: topN });
    return out;
  }
  const weightSets =
    legNames.length === 2
      ? [0.2, 0.35, 0.5, 0.65, 0.8].map((w) => legWeights(legNames, w))
      : simplexWeights(legNames, 5).filter((w) => Object.values(w).every((x) => x > 0));
  for (const topN of topNs) {
    for (const weights of weightSets) {
      for (const k of [5, 20, 60]) out.push({ fusion: { method: 'rrf', k, weights }, depth, rerankTopN: topN });
      for (const normalizer of NORMALIZERS) {
        out.push({
          fusion: {
            method: 'cc',
            normalizer,
            weights,
            ...(normalizer === 'tmm' ? { theoreticalMin: pickMin(legNames) } : {}),
          },
          depth,
          rerankTopN: topN,
        });
      }
    }
  }
  return out;
}

/** Every weight vector over the legs on a grid of `steps` per unit (sums to 1), as weight records. */
export function simplexWeights(legNames: readonly string[], steps: number): Record<string, number>[] {
  const out: Record<string, number>[] = [];
  const walk = (i: number, left: number, acc: number[]) => {
    if (i === legNames.length - 1) {
      const w = [...acc, left];
      out.push(Object.fromEntries(legNames.map((n, j) => [n, Math.round((w[j]! / steps) * 1000) / 1000])));
      return;
    }
    for (let x = left; x >= 0; x--) walk(i + 1, left - x, [...acc, x]);
  };
  walk(0, steps, []);
  return out;
}

/**
 * The best point of weight vectors scored on a few hundred queries: each scored by the mean of itself
 * and its grid neighbours (one step moved from one leg to another), the simplex version of
 * `pickOnLine`. Ties go to the earlier point.
 */
export function pickOnSimplex(points: readonly { weights: Record<string, number>; v: number }[], step: number): number {
  const key = (w: Record<string, number>) =>
    Object.values(w)
      .map((x) => Math.round(x / step))
      .join(',');
  const at = new Map(points.map((p, i) => [key(p.weights), i]));
  let best = 0;
  let bestMean = -Infinity;
  points.forEach((p, i) => {
    const units = Object.values(p.weights).map((x) => Math.round(x / step));
    const around = [p.v];
    for (let a = 0; a < units.length; a++)
      for (let b = 0; b < units.length; b++) {
        if (a === b || units[a]! === 0) continue;
        const moved = units.slice();
        moved[a]!--;
        moved[b]!++;
        const j = at.get(moved.join(','));
        if (j !== undefined) around.push(points[j]!.v);
      }
    const mean = around.reduce((x, y) => x + y, 0) / around.length;
    if (mean > bestMean + 1e-12) {
      best = i;
      bestMean = mean;
    }
  });
  return best;
}

/** Weight `w` on the first leg, the rest (rounded to 1e-3) on the second. */
function legWeights([a, b]: string[], w: number): Record<string, number> {
  return { [a]: w, [b]: Math.round((1 - w) * 1000) / 1000 };
}

/** Grid points on each side of a weight that `pickOnLine` averages over (±0.1 on the 0.05 grid). */
export const LINE_SMOOTHING_RADIUS = 2;

/**
 * The index of the best point of a curve scored on a few hundred queries: the point whose
 * neighbourhood (±`radius` points, cut at the ends) has the highest mean score, ties to the lower
 * index. A single best grid point is mostly noise there; a good region is not. Chosen on validation
 * splits (docs/fusion.md).
 */
export function pickOnLine(scores: readonly number[], radius = LINE_SMOOTHING_RADIUS): number {
  if (scores.length === 0) throw invalidArgument('pickOnLine: no scores');
  let best = 0;
  let bestMean = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    const window = scores.slice(Math.max(0, i - radius), i + radius + 1);
    const mean = window.reduce((s, v) => s + v, 0) / window.length;
    if (mean > bestMean + 1e-12) {
      best = i;
      bestMean = mean;
    }
  }
  return best;
}

/** Weight records `delta` moved from one leg to another (each kept in [0, 1]). */
function weightMoves(
  weights: Record<string, number>,
  legNames: readonly string[],
  delta: number,
): Record<string, number>[] {
  const out: Record<string, number>[] = [];
  const round = (x: number) => Math.round(x * 1000) / 1000;
  for (const from of legNames)
    for (const to of legNames) {
      const wf = weights[from] ?? 1 / legNames.length;
      const wt = weights[to] ?? 1 / legNames.length;
      if (from === to || wf - delta < -1e-9) continue;
      const next = Object.fromEntries(legNames.map((n) => [n, round(weights[n] ?? 1 / legNames.length)]));
      next[from] = round(Math.max(0, wf - delta));
      next[to] = round(Math.min(1, wt + delta));
      out.push(next);
    }
  return out;
}

/** The `weight` space: min-max CC with the first leg's weight on a grid (picked by `pickOnLine`). */
function weightLine(legNames: string[], depth: number, rerankTopN: number): TunedConfig[] {
  return WEIGHT_LINE.map((w) => ({
    fusion: { method: 'cc', normalizer: 'mm', weights: legWeights(legNames, w) },
    depth,
    rerankTopN,
  }));
}

function pickMin(legNames: string[]): Record<string, number> {
  return Object.fromEntries(legNames.map((n) => [n, THEORETICAL_MIN[n] ?? 0]));
}

/** Neighbours of a configuration along each coordinate, at step scale `s` (1 = coarse). */
function neighbours(c: TunedConfig, legNames: string[], maxDepth: number, rerank: boolean, s: number): TunedConfig[] {
  const out: TunedConfig[] = [];
  const [a, b] = legNames;
  const w = c.fusion.weights?.[a] ?? 0.5;
  if (b === undefined) {
    for (const d of DEPTHS) if (d <= maxDepth && d !== c.depth) out.push({ ...c, depth: d });
    if (rerank) for (const n of RERANK_TOPN) if (n !== c.rerankTopN) out.push({ ...c, rerankTopN: n });
    return out;
  }
  if (legNames.length === 2)
    for (const dw of [-0.1 * s, 0.1 * s]) {
      const nw = Math.round(Math.min(1, Math.max(0, w + dw)) * 1000) / 1000;
      if (nw !== w) out.push({ ...c, fusion: { ...c.fusion, weights: legWeights(legNames, nw) } as FusionConfig });
    }
  else
    for (const weights of weightMoves(c.fusion.weights ?? {}, legNames, 0.1 * s))
      out.push({ ...c, fusion: { ...c.fusion, weights } as FusionConfig });
  if (c.fusion.method === 'rrf') {
    const k = c.fusion.k ?? 60;
    for (const f of [1 / (1 + s), 1 + s]) {
      const nk = Math.max(1, Math.round(k * f));
      if (nk !== k) out.push({ ...c, fusion: { ...c.fusion, k: nk } });
    }
  } else {
    for (const normalizer of NORMALIZERS) {
      if (normalizer !== c.fusion.normalizer)
        out.push({
          ...c,
          fusion: {
            ...c.fusion,
            normalizer,
            ...(normalizer === 'tmm' ? { theoreticalMin: pickMin(legNames) } : {}),
          } as FusionConfig,
        });
    }
  }
  for (const d of DEPTHS) if (d <= maxDepth && d !== c.depth) out.push({ ...c, depth: d });
  // per-leg depth: how many of one leg's candidates enter the fusion (within the overall depth)
  const legDepth = typeof c.fusion.depth === 'object' ? c.fusion.depth : {};
  for (const leg of legNames) {
    for (const d of DEPTHS) {
      if (d >= c.depth || d === legDepth[leg]) continue;
      out.push({ ...c, fusion: { ...c.fusion, depth: { ...legDepth, [leg]: d } } as FusionConfig });
    }
    if (legDepth[leg] !== undefined) {
      const { [leg]: _dropped, ...rest } = legDepth;
      out.push({ ...c, fusion: { ...c.fusion, depth: Object.keys(rest).length ? rest : undefined } as FusionConfig });
    }
  }
  if (rerank) for (const n of RERANK_TOPN) if (n !== c.rerankTopN) out.push({ ...c, rerankTopN: n });
  return out;
}

async function optimize(
  evaluator: Evaluator,
  train: readonly number[],
  legNames: string[],
  maxDepth: number,
  rerank: boolean,
  options: { seed: number; maxEvaluations: number; budgetMs: number; space: TuneSpace; rerankTopN: number },
): Promise<{ best: TunedConfig; score: number; stoppedByBudget: boolean }> {
  const rand = mulberry32(options.seed);
  const seen = new Map<string, number>();
  let stoppedByBudget = false;
  const exhausted = () => {
    if (seen.size >= options.maxEvaluations) return true;
    if (performance.now() - evaluator.started > options.budgetMs) {
      stoppedByBudget = true;
      return true;
    }
    return false;
  };
  const score = async (c: TunedConfig): Promise<number> => {
    const k = key(c);
    const known = seen.get(k);
    if (known !== undefined) return known;
    const value = (await evaluator.score(c, train)).mean;
    seen.set(k, value);
    return value;
  };
  // ties keep the earlier (simpler, grid-order) configuration
  const ranked: { c: TunedConfig; v: number }[] = [];
  const line = options.space === 'weight' && legNames.length === 2;
  const simplex = options.space === 'weight' && legNames.length > 2;
  const candidates = line
    ? weightLine(legNames, maxDepth, options.rerankTopN)
    : simplex
      ? simplexWeights(legNames, 10).map((weights) => ({
          fusion: { method: 'cc', normalizer: 'mm', weights } as FusionConfig,
          depth: maxDepth,
          rerankTopN: options.rerankTopN,
        }))
      : gridCandidates(legNames, maxDepth, rerank);
  for (const c of candidates) {
    if (ranked.length > 0 && exhausted()) break; // one configuration is always scored
    ranked.push({ c, v: await score(c) });
  }
  if (line) {
    const best = ranked[pickOnLine(ranked.map((r) => r.v))];
    return { best: best.c, score: best.v, stoppedByBudget };
  }
  if (simplex) {
    const best =
      ranked[
        pickOnSimplex(
          ranked.map((r) => ({ weights: r.c.fusion.weights ?? {}, v: r.v })),
          0.1,
        )
      ];
    return { best: best.c, score: best.v, stoppedByBudget };
  }
  ranked.sort((x, y) => y.v - x.v);
  let best = ranked[0];
  for (const start of ranked.slice(0, 3)) {
    let current = start;
    for (const s of [1, 0.5, 0.25]) {
      let improved = true;
      while (improved && !exhausted()) {
        improved = false;
        const moves = neighbours(current.c, legNames, maxDepth, rerank, s);
        shuffleInPlace(moves, rand);
        for (const m of moves) {
          if (exhausted()) break;
          const v = await score(m);
          if (v > current.v + 1e-12) {
            current = { c: m, v };
            improved = true;
          }
        }
      }
    }
    if (current.v > best.v + 1e-12) best = current;
  }
  return { best: best.c, score: best.v, stoppedByBudget };
}

/** TuneOptions with their defaults, checked; `cutoff` is the metric's k. */
function checkTuneOptions(options: TuneOptions) {
  checkOptions('tune', options, ['metric', 'seed', 'maxEvaluations', 'budgetMs', 'folds', 'space', 'onProgress']);
  const {
    metric = 'ndcg@10',
    seed = 42,
    maxEvaluations = 400,
    budgetMs = Infinity,
    folds = 5,
    space = 'full',
    onProgress,
  } = options;
  if (!TUNE_SPACES.includes(space))
    throw invalidArgument(`tune: space must be one of ${TUNE_SPACES.join(', ')} (got ${JSON.stringify(space)})`);
  const match = /^(ndcg|recall|precision|mrr|map|f1|hit)@(\d+)$/.exec(metric);
  if (!match)
    throw invalidArgument(`tune: metric must look like ndcg@10, recall@10, mrr@10 … (got ${JSON.stringify(metric)})`);
  if (!Number.isInteger(maxEvaluations) || maxEvaluations < 1)
    throw invalidArgument('tune: maxEvaluations must be a positive integer');
  if (!Number.isInteger(folds) || folds < 2) throw invalidArgument('tune: folds must be an integer >= 2');
  return { metric, cutoff: Number(match[2]), seed, maxEvaluations, budgetMs, folds, space, onProgress };
}

/** Every query's leg lists, searched once at the deepest depth tried (configurations re-fuse them). */
async function retrieveAll(
  engine: Tunable,
  queries: readonly BeirQuery[],
  depth: number,
  onProgress: TuneOptions['onProgress'],
): Promise<QueryCache[]> {
  const cache: QueryCache[] = [];
  for (let i = 0; i < queries.length; i++) {
    cache.push({
      id: queries[i].id,
      text: queries[i].text,
      legs: await engine.retrieve(queries[i].text, { depth }),
      rerank: new Map(),
    });
    if (onProgress && (i % 32 === 31 || i === queries.length - 1)) onProgress('retrieve', i + 1, queries.length);
  }
  return cache;
}

/**
 * Tunes `engine`'s query-time configuration on `train` queries (or cross-fits `test` when `train`
 * is empty) and reports default vs tuned scores. Works through the engine's narrow tuning surface
 * (`engine.tunable()`); does not change the engine: apply `tuned.config` with `engine.configure()`.
 */
export async function tuneEngine(
  target: Tunable | { tunable(): Tunable },
  data: { train: readonly BeirQuery[]; test: readonly BeirQuery[]; qrels: Qrels },
  options: TuneOptions = {},
): Promise<TuneReport> {
  const { metric, cutoff, seed, maxEvaluations, budgetMs, folds, space, onProgress } = checkTuneOptions(options);
  const engine = 'tunable' in target ? target.tunable() : target;
  const legNames = [...engine.legs];
  const rerank = engine.reranks && engine.defaults.rerankTopN > 0;
  if (legNames.length < 2 && !rerank)
    throw new TamsaekError(
      'INVALID_ARGUMENT',
      'tune: nothing to tune — the engine has one leg and no reranker (configure a dense model)',
    );
  const started = performance.now();
  const maxDepth = Math.max(...DEPTHS);
  const all = [...data.train, ...data.test];
  const cache = await retrieveAll(engine, all, maxDepth, onProgress);
  const evaluator = new Evaluator(engine, cache, data.qrels, metric, [cutoff]);
  const trainIdx = data.train.map((_, i) => i);
  const testIdx = data.test.map((_, i) => data.train.length + i);
  const defaultConfig: TunedConfig = {
    fusion: engine.defaults.fusion,
    depth: Math.min(maxDepth, 100),
    rerankTopN: engine.defaults.rerankTopN,
  };
  const settings = { seed, maxEvaluations, budgetMs, space, rerankTopN: engine.defaults.rerankTopN };

  if (trainIdx.length > 0) {
    const { best, score, stoppedByBudget } = await optimize(evaluator, trainIdx, legNames, maxDepth, rerank, settings);
    onProgress?.('tune', 1, 1);
    return {
      metric,
      mode: 'train/test',
      queries: { train: trainIdx.length, test: testIdx.length },
      default: {
        config: defaultConfig,
        train: (await evaluator.score(defaultConfig, trainIdx)).mean,
        test: testIdx.length ? (await evaluator.score(defaultConfig, testIdx)).mean : NaN,
      },
      tuned: { config: best, train: score, test: testIdx.length ? (await evaluator.score(best, testIdx)).mean : NaN },
      evaluations: evaluator.evaluations,
      stoppedByBudget,
      elapsedMs: performance.now() - started,
    };
  }

  // cross-fitting: every test query is scored by a configuration tuned without it
  const order = testIdx.slice();
  shuffleInPlace(order, mulberry32(seed));
  const k = Math.min(folds, order.length);
  let weighted = 0;
  let stopped = false;
  for (let f = 0; f < k; f++) {
    const held = order.filter((_, i) => i % k === f);
    const rest = order.filter((_, i) => i % k !== f);
    const { best, stoppedByBudget } = await optimize(evaluator, rest, legNames, maxDepth, rerank, {
      ...settings,
      seed: seed + f,
    });
    stopped ||= stoppedByBudget;
    weighted += (await evaluator.score(best, held)).mean * held.length;
    onProgress?.('tune', f + 1, k + 1);
  }
  const final = await optimize(evaluator, testIdx, legNames, maxDepth, rerank, settings);
  onProgress?.('tune', k + 1, k + 1);
  return {
    metric,
    mode: 'cross-fitted',
    queries: { train: 0, test: testIdx.length },
    default: { config: defaultConfig, test: (await evaluator.score(defaultConfig, testIdx)).mean },
    // the config written out is tuned on all queries; its honest estimate is the cross-fitted score
    tuned: { config: final.best, test: weighted / order.length },
    evaluations: evaluator.evaluations,
    stoppedByBudget: stopped || final.stoppedByBudget,
    elapsedMs: performance.now() - started,
  };
}

export type { Normalizer };
