/**
 * tamsaek's fusion configuration as the target's: OpenSearch's `normalization-processor` (min_max, l2,
 * z_score; arithmetic_mean with weights) or `score-ranker-processor` (rrf), Elasticsearch's `linear`
 * (minmax, l2_norm) or `rrf` retriever. Anything the target cannot express is a NOT_SUPPORTED error
 * naming what to change (FACTS.md §2–§6 for the target's rules).
 *
 * Weights: cc renormalises weights to sum 1, so the target gets w / Σw (OpenSearch requires each in
 * [0, 1] summing to 1). RRF weights scale every document's sum alike, so w / Σw ranks as tamsaek's
 * unnormalised weights do; equal weights are left out (plain RRF, every version).
 */
import { TamsaekError } from '../errors.js';
import { type CcConfig, DEFAULT_RRF_K, type FusionConfig, type RrfConfig } from '../fuse/types.js';
import type { Metric } from '../legs/dense/types.js';
import type { Difference } from './differences.js';
import { bm25Scale, describeTarget, features, type TargetSpec } from './target.js';

export type TargetFusion =
  | { kind: 'normalization'; technique: 'min_max' | 'l2' | 'z_score'; weights: number[]; lowerBounds?: number[] }
  | { kind: 'score-ranker'; rankConstant: number; weights?: number[] }
  | { kind: 'linear'; normalizer: 'minmax' | 'l2_norm'; weights: number[] }
  | { kind: 'rrf'; rankConstant: number; weights?: number[] };

export interface FusionContext {
  spec: TargetSpec;
  /** The sub-queries / retrievers, in order: tamsaek's leg names (the BM25 leg first). */
  legs: readonly string[];
  /** The name of the dense leg among `legs` (default `dense`); every other leg scores as BM25. */
  dense?: string;
  /** Candidates the engine takes from each leg. */
  depth: number;
  /** The dense leg's metric (to move theoretical minima to the target's score scale). */
  metric?: Metric;
  k1: number;
}

export interface FusionMapping {
  target: TargetFusion;
  legs: string[];
  /** Candidates per leg, in `legs` order: the depth cut tamsaek applies, as the target applies it. */
  depths: number[];
  /** OpenSearch `pagination_depth` / Elasticsearch `rank_window_size`: the deepest leg. */
  window: number;
  differences: Difference[];
}

/** Largest RRF rank constant OpenSearch accepts (FACTS.md §4). */
const MAX_RANK_CONSTANT = 10_000;
/** OpenSearch min-max bounds must lie in this range (FACTS.md §3). */
const MAX_BOUND = 10_000;

const isDense = (leg: string, ctx: Pick<FusionContext, 'dense'>) => leg === (ctx.dense ?? 'dense');

function notSupported(spec: TargetSpec, what: string, instead: string): TamsaekError {
  return new TamsaekError('NOT_SUPPORTED', `${describeTarget(spec)} cannot express ${what}; ${instead}`);
}

/** A leg score on tamsaek's scale moved to the target's (`_score` of a match or k-NN query). */
export function targetScore(
  leg: string,
  score: number,
  ctx: Pick<FusionContext, 'spec' | 'metric' | 'k1' | 'dense'>,
): number {
  if (!isDense(leg, ctx)) return score * bm25Scale(ctx.spec, ctx.k1);
  switch (ctx.metric ?? 'cosine') {
    case 'cosine':
      return (1 + score) / 2;
    case 'dot':
      return score >= 0 ? score + 1 : 1 / (1 - score);
    case 'l2':
      // tamsaek scores −(squared L2 distance); the targets score 1 / (1 + squared distance)
      return 1 / (1 - score);
  }
}

function legDepths(config: FusionConfig, ctx: FusionContext): { depths: number[]; window: number } {
  const cut = (leg: string) =>
    typeof config.depth === 'number'
      ? config.depth
      : config.depth && Object.hasOwn(config.depth, leg)
        ? config.depth[leg]!
        : Infinity;
  const depths = ctx.legs.map((leg) => Math.min(ctx.depth, cut(leg)));
  const window = Math.max(...depths);
  // the lexical sub-query returns pagination_depth / rank_window_size hits; only the k-NN one has its own k
  ctx.legs.forEach((leg, i) => {
    if (!isDense(leg, ctx) && depths[i] !== window)
      throw notSupported(
        ctx.spec,
        `a BM25 depth (${depths[i]}) below the dense leg's (${window})`,
        'give the legs one depth, or the dense leg the smaller one',
      );
  });
  return { depths, window };
}

function normalisedWeights(config: FusionConfig, legs: readonly string[]): number[] {
  const raw = legs.map((leg) => (config.weights && Object.hasOwn(config.weights, leg) ? config.weights[leg]! : 1));
  const total = raw.reduce((a, b) => a + b, 0);
  if (!(total > 0))
    throw new TamsaekError('INVALID_ARGUMENT', 'fusion weights: at least one leg weight must be positive');
  return raw.map((w) => w / total);
}

/** tamsaek's fusion config as the target's. NOT_SUPPORTED when the target has no way to express it. */
export function mapFusion(config: FusionConfig, ctx: FusionContext): FusionMapping {
  if (ctx.legs.length < 2 || ctx.legs.length > 5)
    throw new TamsaekError('INVALID_ARGUMENT', `fusion export needs 2 to 5 legs, got ${ctx.legs.length}`);
  const { depths, window } = legDepths(config, ctx);
  const target = config.method === 'rrf' ? mapRrf(config, ctx) : mapCc(config, ctx);
  return { target, legs: [...ctx.legs], depths, window, differences: fusionDifferences(target, ctx.spec) };
}

function mapRrf(config: RrfConfig, ctx: FusionContext): TargetFusion {
  const k = config.k ?? DEFAULT_RRF_K;
  if (!(Number.isInteger(k) && k >= 1 && k <= MAX_RANK_CONSTANT))
    throw notSupported(ctx.spec, `the RRF constant ${k}`, `use an integer in 1..${MAX_RANK_CONSTANT}`);
  const weights = normalisedWeights(config, ctx.legs);
  const equal = weights.every((w) => w === weights[0]);
  if (!equal && !features(ctx.spec).rrfWeights)
    throw notSupported(
      ctx.spec,
      'per-leg RRF weights',
      `export to ${ctx.spec.target === 'opensearch' ? 'OpenSearch 3.x (3.1+)' : 'Elasticsearch 9.x'} or use equal weights`,
    );
  const kind = ctx.spec.target === 'opensearch' ? 'score-ranker' : 'rrf';
  return { kind, rankConstant: k, ...(equal ? {} : { weights }) };
}

function mapCc(config: CcConfig, ctx: FusionContext): TargetFusion {
  const { spec } = ctx;
  if ((config.missing ?? 'zero') === 'min' && config.normalizer !== 'mm')
    throw notSupported(
      spec,
      `missing: "min" with normalizer ${config.normalizer}`,
      'use missing: "zero" (a leg that did not return a document adds 0 there)',
    );
  const weights = normalisedWeights(config, ctx.legs);
  const os = spec.target === 'opensearch';
  switch (config.normalizer) {
    case 'mm':
      return os
        ? { kind: 'normalization', technique: 'min_max', weights }
        : { kind: 'linear', normalizer: 'minmax', weights };
    case 'l2':
      return os
        ? { kind: 'normalization', technique: 'l2', weights }
        : { kind: 'linear', normalizer: 'l2_norm', weights };
    case 'z':
      if (!features(spec).zScore)
        throw notSupported(spec, 'z-score normalisation', 'export to OpenSearch 3.x, or use normalizer "mm"');
      return { kind: 'normalization', technique: 'z_score', weights };
    case 'tmm':
      if (!features(spec).lowerBounds)
        throw notSupported(
          spec,
          'theoretical min-max (tmm)',
          'export to OpenSearch 3.x (min_max lower_bounds), or use normalizer "mm"',
        );
      return { kind: 'normalization', technique: 'min_max', weights, lowerBounds: lowerBounds(config, ctx) };
    default:
      throw notSupported(spec, `the "${config.normalizer}" normalizer`, 'use "mm" or "l2" (or "z" on OpenSearch 3.x)');
  }
}

function lowerBounds(config: CcConfig, ctx: FusionContext): number[] {
  return ctx.legs.map((leg) => {
    const min = config.theoreticalMin?.[leg];
    if (min === undefined) throw new TamsaekError('INVALID_ARGUMENT', `tmm needs theoreticalMin for leg "${leg}"`);
    if (isDense(leg, ctx) && ctx.metric === 'l2' && min > 0)
      throw new TamsaekError(
        'INVALID_ARGUMENT',
        'tmm: an l2 leg scores −(squared distance) ≤ 0, so its theoreticalMin must be ≤ 0',
      );
    const bound = targetScore(leg, min, ctx);
    if (!(Math.abs(bound) <= MAX_BOUND))
      throw notSupported(
        ctx.spec,
        `the lower bound ${bound} of leg "${leg}"`,
        `keep bounds in [-${MAX_BOUND}, ${MAX_BOUND}]`,
      );
    return bound;
  });
}

/** The `PUT /_search/pipeline/<id>` body for an OpenSearch fusion. */
export function pipelineBody(target: TargetFusion, description: string): Record<string, unknown> {
  if (target.kind === 'normalization') {
    const normalization: Record<string, unknown> = { technique: target.technique };
    if (target.lowerBounds)
      normalization.parameters = { lower_bounds: target.lowerBounds.map((min_score) => ({ mode: 'clip', min_score })) };
    return {
      description,
      phase_results_processors: [
        {
          'normalization-processor': {
            normalization,
            combination: { technique: 'arithmetic_mean', parameters: { weights: target.weights } },
          },
        },
      ],
    };
  }
  if (target.kind === 'score-ranker') {
    const combination: Record<string, unknown> = { technique: 'rrf', rank_constant: target.rankConstant };
    if (target.weights) combination.parameters = { weights: target.weights };
    return { description, phase_results_processors: [{ 'score-ranker-processor': { combination } }] };
  }
  throw new TamsaekError('INVALID_ARGUMENT', `an Elasticsearch ${target.kind} retriever has no search pipeline`);
}

function fusionDifferences(target: TargetFusion, spec: TargetSpec): Difference[] {
  const out: Difference[] = [];
  const same = 'Both normalise each leg over the hits it returned (its top `depth`), not over the corpus.';
  if (target.kind === 'normalization' && target.technique === 'min_max')
    out.push({
      area: 'fusion',
      difference: `${same} OpenSearch's min_max turns a normalised 0 into 0.001 and gives 1.0 when a sub-query's hits all score alike; tamsaek gives 0 and 0.5.${target.lowerBounds ? ' Lower bounds in clip mode stand for tmm: a score under the bound becomes 0.001 (tamsaek: 0).' : ''}`,
      effect:
        "A leg's last hit keeps 0.001 · weight of credit (tamsaek: none, like a missing document); a leg with a single hit weighs twice as much as in tamsaek.",
    });
  if (target.kind === 'normalization' && target.technique === 'z_score')
    out.push({
      area: 'fusion',
      difference: `${same} OpenSearch's z_score uses the sample standard deviation and raises every z ≤ 0 to 0.001; tamsaek keeps negative z-scores (population σ).`,
      effect: 'Below-average hits of a leg all count alike in the cluster: the ranking of the tail changes.',
    });
  if (target.kind === 'normalization' && target.technique === 'l2')
    out.push({
      area: 'fusion',
      difference: `${same} L2 normalisation is the same formula, applied to the cluster's k-NN scores (a transform of tamsaek's).`,
      effect: 'The dense leg weighs differently than in tamsaek; see eval --fusion-as.',
    });
  if (target.kind === 'linear')
    out.push({
      area: 'fusion',
      difference: `${same} Elasticsearch's ${target.normalizer}${target.normalizer === 'minmax' ? " keeps the raw score when a retriever's hits all score alike (tamsaek: 0.5)" : ' keeps the raw scores when their norm is below 1e-6'}.`,
      effect: 'Rare: single-hit or all-equal legs weigh differently.',
    });
  if (spec.target === 'elasticsearch' && target.kind === 'linear' && spec.version === '8.x')
    out.push({
      area: 'fusion',
      difference:
        'The linear retriever is in recent 8.x releases only (retrievers became generally available in 8.16).',
      effect: 'An older 8.x rejects the query: upgrade, or export an RRF fusion.',
    });
  if (target.kind === 'rrf' && target.weights)
    out.push({
      area: 'fusion',
      difference:
        'Per-retriever RRF weights are in the current Elasticsearch specification (added in late 2025); earlier 9.x releases do not take them.',
      effect: 'An older 9.x rejects the query: upgrade, or use equal weights.',
    });
  if (target.kind === 'score-ranker' && target.weights)
    out.push({
      area: 'fusion',
      difference: 'score-ranker-processor weights need OpenSearch 3.1 or later.',
      effect: 'OpenSearch 3.0 rejects the pipeline.',
    });
  if (target.kind === 'score-ranker' || target.kind === 'rrf')
    out.push({
      area: 'fusion',
      difference: `RRF is the same formula${target.weights ? "; weights are scaled to sum 1, which ranks as tamsaek's weights do" : ''}.`,
      effect: "None beyond the legs' own hit lists.",
    });
  if (spec.target === 'opensearch')
    out.push({
      area: 'fusion',
      difference:
        'Hybrid scores are fused only when the search names the pipeline (?search_pipeline=) or the index sets it as index.search.default_pipeline.',
      effect: 'A search without it returns unfused sub-query results.',
    });
  return out;
}
