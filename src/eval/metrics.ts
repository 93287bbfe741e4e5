/**
 * Retrieval metrics with BEIR / pytrec_eval (trec_eval 9.x) definitions, plus AutoRAG's variants under
 * `autorag_*` names. Definitions, tie order and differences are documented in docs/metrics.md.
 */

import type { Qrels } from '../data/beir.js';
import { checkOptions, invalidArgument } from '../errors.js';

/** One retrieved document of a ranked list. */
export interface ScoredId {
  id: string;
  score: number;
}

/** query id → ranked results (best first). */
export type Run = Map<string, ScoredId[]>;

export const BEIR_METRICS = ['ndcg', 'recall', 'precision', 'f1', 'mrr', 'map', 'hit'] as const;
export const AUTORAG_METRICS = [
  'autorag_recall',
  'autorag_precision',
  'autorag_f1',
  'autorag_ndcg',
  'autorag_mrr',
  'autorag_map',
] as const;
export type MetricName = (typeof BEIR_METRICS)[number] | (typeof AUTORAG_METRICS)[number];

export interface EvaluateOptions {
  /** Cutoffs (positive integers). Default [1, 10]. Every metric is reported at every cutoff. */
  ks?: readonly number[];
  /** Metrics to compute. Default: all BEIR metrics (ndcg, recall, precision, f1, mrr, map, hit). */
  metrics?: readonly MetricName[];
  /**
   * How the result lists are ordered before cutting at k:
   * - "trec" (default): like pytrec_eval/trec_eval — by score descending, ties by document id
   *   descending (byte-wise UTF-8 order, i.e. C strcmp, which equals Unicode code-point order).
   * - "given": the order of the arrays as passed (scores are ignored).
   */
  order?: 'trec' | 'given';
  /**
   * AutoRAG ground truth per query: a list of groups; a group is satisfied by any of its ids, and every
   * group is one "relevant item". Default: each qrels document with score > 0 is its own group.
   */
  autoragGroups?: Map<string, readonly (readonly string[])[]>;
}

export interface EvalResult {
  /** Metric key (e.g. "ndcg@10") → mean over all queries of the qrels (queries without results count 0). */
  mean: Record<string, number>;
  /** query id → metric key → value, for every query of the qrels, in qrels order. */
  perQuery: Map<string, Record<string, number>>;
  /** Number of queries averaged (= qrels.size). */
  queries: number;
}

/** Compares two strings the way C `strcmp` compares their UTF-8 bytes (= code-point order). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // Surrogates (U+D800–DFFF in UTF-16) encode code points ≥ U+10000, which sort after U+E000–FFFF.
    const sa = ca >= 0xd800 && ca <= 0xdfff;
    const sb = cb >= 0xd800 && cb <= 0xdfff;
    if (sa !== sb) return sa ? 1 : -1;
    return ca - cb;
  }
  return a.length - b.length;
}

/** Orders results like trec_eval: score descending, ties broken by document id descending (strcmp). */
export function trecOrder(results: readonly ScoredId[]): ScoredId[] {
  return [...results].sort((x, y) => (x.score > y.score ? -1 : x.score < y.score ? 1 : compareCodePoints(y.id, x.id)));
}

function checkKs(ks: readonly number[]): number[] {
  if (!Array.isArray(ks) || ks.length === 0) throw invalidArgument('evaluate: ks must be a non-empty array');
  for (const k of ks) {
    if (!Number.isInteger(k) || k <= 0)
      throw invalidArgument(`evaluate: every k must be a positive integer (got ${k})`);
  }
  return [...new Set(ks)].sort((a, b) => a - b);
}

function rankedIds(qid: string, results: readonly ScoredId[] | undefined, order: 'trec' | 'given'): string[] {
  if (results === undefined) return [];
  if (!Array.isArray(results))
    throw invalidArgument(`evaluate: results of query ${JSON.stringify(qid)} must be an array`);
  const seen = new Set<string>();
  for (const r of results) {
    if (r === null || typeof r !== 'object' || typeof r.id !== 'string') {
      throw invalidArgument(
        `evaluate: results of query ${JSON.stringify(qid)} must be {id: string, score: number} objects`,
      );
    }
    if (order === 'trec' && (typeof r.score !== 'number' || Number.isNaN(r.score))) {
      throw invalidArgument(
        `evaluate: score of ${JSON.stringify(r.id)} for query ${JSON.stringify(qid)} is not a number`,
      );
    }
    if (seen.has(r.id))
      throw invalidArgument(
        `evaluate: document ${JSON.stringify(r.id)} appears twice in the results of query ${JSON.stringify(qid)}`,
      );
    seen.add(r.id);
  }
  const ordered = order === 'trec' ? trecOrder(results) : results;
  return ordered.map((r) => r.id);
}

/** BEIR / pytrec_eval metrics of one query at cutoff k. `ranked` holds ids best first. */
function beirAtK(
  ranked: readonly string[],
  rels: ReadonlyMap<string, number>,
  numRel: number,
  idealGains: readonly number[],
  k: number,
  out: Record<string, number>,
  want: ReadonlySet<MetricName>,
): void {
  const n = Math.min(k, ranked.length);
  let found = 0;
  let firstRank = 0;
  let dcg = 0;
  let apSum = 0;
  for (let i = 0; i < n; i++) {
    const gain = rels.get(ranked[i]!) ?? 0;
    if (gain > 0) {
      found++;
      if (firstRank === 0) firstRank = i + 1;
      dcg += gain / Math.log2(i + 2);
      apSum += found / (i + 1);
    }
  }
  const recall = numRel > 0 ? found / numRel : 0;
  const precision = found / k;
  if (want.has('ndcg')) {
    let idcg = 0;
    const m = Math.min(k, idealGains.length);
    for (let i = 0; i < m; i++) idcg += idealGains[i]! / Math.log2(i + 2);
    out[`ndcg@${k}`] = idcg > 0 ? dcg / idcg : 0;
  }
  if (want.has('recall')) out[`recall@${k}`] = recall;
  if (want.has('precision')) out[`precision@${k}`] = precision;
  if (want.has('f1')) out[`f1@${k}`] = recall + precision > 0 ? (2 * recall * precision) / (recall + precision) : 0;
  if (want.has('mrr')) out[`mrr@${k}`] = firstRank > 0 ? 1 / firstRank : 0;
  if (want.has('map')) out[`map@${k}`] = numRel > 0 ? apSum / numRel : 0;
  if (want.has('hit')) out[`hit@${k}`] = found > 0 ? 1 : 0;
}

/**
 * AutoRAG's retrieval metrics (autorag/evaluation/metric/retrieval.py) of one query, transcribed:
 * `pred` is the top-k list, `gt` a list of OR-groups.
 */
function autoragAtK(
  pred: readonly string[],
  gt: readonly (readonly string[])[],
  k: number,
  out: Record<string, number>,
  want: ReadonlySet<MetricName>,
): void {
  const gtSets = gt.map((g) => new Set(g));
  const inAny = (id: string): boolean => gtSets.some((s) => s.has(id));
  const predSet = new Set(pred);
  // retrieval_recall: groups with any predicted member ÷ number of groups
  let groupHits = 0;
  for (const s of gtSets) {
    for (const id of predSet) {
      if (s.has(id)) {
        groupHits++;
        break;
      }
    }
  }
  const recall = gt.length > 0 ? groupHits / gt.length : 0;
  // retrieval_precision: distinct predicted ids in any group ÷ len(pred) (not ÷ k)
  let predHits = 0;
  for (const id of predSet) if (inAny(id)) predHits++;
  const precision = pred.length > 0 ? predHits / pred.length : 0;
  if (want.has('autorag_recall')) out[`autorag_recall@${k}`] = recall;
  if (want.has('autorag_precision')) out[`autorag_precision@${k}`] = precision;
  if (want.has('autorag_f1')) {
    out[`autorag_f1@${k}`] = recall + precision === 0 ? 0 : (2 * recall * precision) / (recall + precision);
  }
  if (want.has('autorag_ndcg')) {
    // binary relevance, gain 2^rel − 1; ideal = min(#flattened gt ids, len(pred)) ones
    let dcg = 0;
    for (let i = 0; i < pred.length; i++) if (inAny(pred[i]!)) dcg += 1 / Math.log2(i + 2);
    let flat = 0;
    for (const g of gt) flat += g.length;
    const m = Math.min(flat, pred.length);
    let idcg = 0;
    for (let i = 0; i < m; i++) idcg += 1 / Math.log2(i + 2);
    out[`autorag_ndcg@${k}`] = idcg > 0 ? dcg / idcg : 0;
  }
  if (want.has('autorag_mrr')) {
    // sum over groups of 1/rank of the group's first hit ÷ number of groups
    let sum = 0;
    let any = false;
    for (const s of gtSets) {
      for (let i = 0; i < pred.length; i++) {
        if (s.has(pred[i]!)) {
          sum += 1 / (i + 1);
          any = true;
          break;
        }
      }
    }
    out[`autorag_mrr@${k}`] = any ? sum / gtSets.length : 0;
  }
  if (want.has('autorag_map')) {
    // per group: mean of precision (counting only that group's hits) at each of its hits; mean over groups
    let sum = 0;
    for (const s of gtSets) {
      let hits = 0;
      let precSum = 0;
      for (let i = 0; i < pred.length; i++) {
        if (s.has(pred[i]!)) {
          hits++;
          precSum += hits / (i + 1);
        }
      }
      sum += hits > 0 ? precSum / hits : 0;
    }
    out[`autorag_map@${k}`] = gtSets.length > 0 ? sum / gtSets.length : 0;
  }
}

/** AutoRAG skips (returns None for) a query whose gt is [[]] or contains an empty id; pandas' mean then ignores it. */
function autoragSkips(gt: readonly (readonly string[])[]): boolean {
  if (gt.length === 1 && gt[0]!.length === 0) return true;
  return gt.some((g) => g.some((id) => !id));
}

/** Metric key list in output order for the given ks and metrics, e.g. ["ndcg@1", "ndcg@10", …]. */
export function metricKeys(ks: readonly number[], metrics: readonly MetricName[]): string[] {
  const keys: string[] = [];
  for (const m of metrics) for (const k of ks) keys.push(`${m}@${k}`);
  return keys;
}

/**
 * Evaluates a run against qrels. The queries evaluated are exactly the qrels' queries (results for
 * other query ids are ignored); a query with no results scores 0 on every metric and still counts in
 * the mean. Relevant means qrels score > 0; nDCG uses the score as gain.
 */
export function evaluate(results: Run, qrels: Qrels, options?: EvaluateOptions): EvalResult {
  checkOptions('evaluate', options, ['ks', 'metrics', 'order', 'autoragGroups']);
  if (!(results instanceof Map)) throw invalidArgument('evaluate: results must be a Map<queryId, {id, score}[]>');
  if (!(qrels instanceof Map)) throw invalidArgument('evaluate: qrels must be a Map<queryId, Map<docId, score>>');
  const ks = checkKs(options?.ks ?? [1, 10]);
  const metrics = options?.metrics ?? BEIR_METRICS;
  const known: readonly string[] = [...BEIR_METRICS, ...AUTORAG_METRICS];
  for (const m of metrics) {
    if (!known.includes(m))
      throw invalidArgument(`evaluate: unknown metric ${JSON.stringify(m)} (known: ${known.join(', ')})`);
  }
  const order = options?.order ?? 'trec';
  if (order !== 'trec' && order !== 'given')
    throw invalidArgument(`evaluate: order must be "trec" or "given" (got ${JSON.stringify(order)})`);
  const want = new Set<MetricName>(metrics);
  const wantBeir = BEIR_METRICS.some((m) => want.has(m));
  const wantAutorag = AUTORAG_METRICS.some((m) => want.has(m));
  const groupsOverride = options?.autoragGroups;

  const keys = metricKeys(ks, [...want]);
  const sums: Record<string, number> = {};
  const counts: Record<string, number> = {};
  for (const key of keys) {
    sums[key] = 0;
    counts[key] = 0;
  }
  const perQuery = new Map<string, Record<string, number>>();
  for (const [qid, rels] of qrels) {
    const ranked = rankedIds(qid, results.get(qid), order);
    const row: Record<string, number> = {};
    if (wantBeir) {
      const idealGains: number[] = [];
      for (const g of rels.values()) if (g > 0) idealGains.push(g);
      idealGains.sort((a, b) => b - a);
      for (const k of ks) beirAtK(ranked, rels, idealGains.length, idealGains, k, row, want);
    }
    if (wantAutorag) {
      let gt = groupsOverride?.get(qid);
      if (gt === undefined) {
        const singletons: string[][] = [];
        for (const [did, g] of rels) if (g > 0) singletons.push([did]);
        gt = singletons;
      }
      if (!autoragSkips(gt)) {
        for (const k of ks) autoragAtK(ranked.slice(0, k), gt, k, row, want);
      }
    }
    // Keep keys in the stable output order.
    const ordered: Record<string, number> = {};
    for (const key of keys) {
      const v = row[key];
      if (v === undefined) continue;
      ordered[key] = v;
      sums[key]! += v;
      counts[key]! += 1;
    }
    perQuery.set(qid, ordered);
  }
  const mean: Record<string, number> = {};
  for (const key of keys) mean[key] = counts[key]! > 0 ? sums[key]! / counts[key]! : 0;
  return { mean, perQuery, queries: qrels.size };
}

/**
 * The p-th percentile (0 ≤ p ≤ 100) with linear interpolation between closest ranks — numpy's default
 * ("linear", Hyndman–Fan type 7): position (n − 1)·p/100 in the ascending sort. NaN values are an error;
 * an empty input → INVALID_ARGUMENT.
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (typeof p !== 'number' || !(p >= 0 && p <= 100))
    throw invalidArgument(`percentile: p must be in [0, 100] (got ${p})`);
  const n = values.length;
  if (n === 0) throw invalidArgument('percentile: no values');
  const sorted = Float64Array.from(values as ArrayLike<number>);
  for (let i = 0; i < n; i++) if (Number.isNaN(sorted[i]!)) throw invalidArgument('percentile: values contain NaN');
  sorted.sort();
  const pos = ((n - 1) * p) / 100;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const frac = pos - lo;
  return frac === 0 ? sorted[lo]! : sorted[lo]! + (sorted[hi]! - sorted[lo]!) * frac;
}

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** count, mean, p50, p95, p99 (linear-interpolated percentiles) and max of latency samples (any unit). */
export function latencySummary(values: ArrayLike<number>): LatencySummary {
  const n = values.length;
  if (n === 0) throw invalidArgument('latencySummary: no values');
  let sum = 0;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    sum += values[i]!;
    if (values[i]! > max) max = values[i]!;
  }
  return {
    count: n,
    mean: sum / n,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max,
  };
}
