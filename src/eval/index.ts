/** Evaluation: the BEIR harness, metrics (BEIR/pytrec_eval + AutoRAG variants), significance tests, TREC run I/O. */

export { buildEngine, type IndexCorpusOptions, indexCorpus } from './corpus.js';
export { evaluateFusionAs, type FusionAsOptions, type FusionAsReport } from './fusion-as.js';
export {
  type EvaluateRetrieverOptions,
  type EvaluationReport,
  evaluateRetriever,
  RETRIEVERS,
  type RetrieverName,
} from './harness.js';
export type { EvalResult, EvaluateOptions, LatencySummary, MetricName, Run, ScoredId } from './metrics.js';
export {
  AUTORAG_METRICS,
  BEIR_METRICS,
  compareCodePoints,
  evaluate,
  latencySummary,
  metricKeys,
  percentile,
  trecOrder,
} from './metrics.js';
export type { QueryRun, RunQueriesOptions, SearchFn } from './runner.js';
export { runQueries } from './runner.js';
export type { SignificanceOptions, SignificanceResult } from './significance.js';
export { pairedBootstrapTest, pairedRandomizationTest, pairedScores } from './significance.js';
export type { TrecRun, WriteTrecRunOptions } from './trec.js';
export { readTrecRun, writeTrecRun } from './trec.js';
