/** Evaluation: BEIR loader, metrics (BEIR/pytrec_eval + AutoRAG variants), significance tests, TREC run I/O. */
export {
  readJsonl,
  readCorpus,
  readQueries,
  readQrels,
  writeQrels,
  loadBeir,
  listSplits,
  isBeirDir,
  resolveCorpusPath,
} from './beir.js';
export type { BeirDocument, BeirQuery, BeirDataset, LoadBeirOptions, Qrels } from './beir.js';
export { readLines } from './lines.js';
export type { Line } from './lines.js';
export {
  evaluate,
  metricKeys,
  trecOrder,
  compareCodePoints,
  percentile,
  latencySummary,
  BEIR_METRICS,
  AUTORAG_METRICS,
} from './metrics.js';
export type { ScoredId, Run, MetricName, EvaluateOptions, EvalResult, LatencySummary } from './metrics.js';
export { pairedRandomizationTest, pairedBootstrapTest, pairedScores } from './significance.js';
export type { SignificanceOptions, SignificanceResult } from './significance.js';
export { writeTrecRun, readTrecRun } from './trec.js';
export type { WriteTrecRunOptions, TrecRun } from './trec.js';
export { runQueries } from './runner.js';
export type { SearchFn, RunQueriesOptions, QueryRun } from './runner.js';
