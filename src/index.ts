/**
 * tamsaek public API. The query path: analyze → legs → fuse → rerank → results, wired by `Engine`;
 * evaluation and tuning sit above it.
 */

export * from './analyze/index.js';
export * from './data/index.js';
export { Engine } from './engine/engine.js';
export type { Candidate, LegResult, Tunable } from './engine/tunable.js';
export type {
  DenseOptions,
  EngineDescription,
  EngineDocument,
  EngineHit,
  EngineOptions,
  EngineSearchOptions,
  LegName,
  LegSpec,
  OpenOptions,
  QueryConfig,
  RerankOptions,
  StoredDocumentView,
  StoredUnit,
} from './engine/types.js';
export { type ErrorCode, TamsaekError } from './errors.js';
export * from './eval/index.js';
export {
  checkExportRules,
  checkIndexName,
  type Difference,
  type EmulatedHit,
  EXPORT_TARGETS,
  type ExportBm25Leg,
  type ExportBodies,
  type ExportDenseLeg,
  type ExportOptions,
  type ExportReport,
  type ExportSource,
  type ExportTarget,
  exportIndex,
  type FusionMapping,
  float32Json,
  fuseAs,
  mapAnalysis,
  mapFusion,
  NORI_DEFAULT_STOP_TAGS,
  noriStopTags,
  noriTags,
  pipelineBody,
  prepareExport,
  type QueryPlan,
  queryTemplate,
  readExportSource,
  renderQueryTemplate,
  resolveTarget,
  type SearchParams,
  searchBody,
  TARGET_VERSIONS,
  type TargetFusion,
  type TargetSpec,
  targetScore,
  UNSUPPORTED_LEGS,
} from './export/index.js';
export * from './fuse/index.js';
export { BM25_FORMAT_VERSION } from './legs/bm25/format.js';
export {
  type Bm25AsyncSearchOptions,
  type Bm25Document,
  Bm25Index,
  type Bm25OpenOptions,
  type Bm25Options,
  type Bm25SearchOptions,
  type Bm25Stats,
  MAX_K,
  type Metadata,
  type MetadataFilter,
  type SearchHit,
} from './legs/bm25/index.js';
export { Bm25Leg, type Bm25LegOptions } from './legs/bm25/leg.js';
export * from './legs/dense/index.js';
export { DenseLeg, type DenseLegOptions } from './legs/dense/leg.js';
export { registerLeg } from './legs/registry.js';
export type {
  Leg,
  LegContext,
  LegDocument,
  LegFactory,
  LegHit,
  LegQuery,
  LegSearchOptions,
  LegState,
  LegStats,
  PreparedBatch,
  PrepareOptions,
} from './legs/types.js';
export * from './models/index.js';
export type { TextEmbedder } from './models/types.js';
export { type NativeInfo, nativeAvailable, nativeInfo } from './native/index.js';
export { compareScores, type ScoreAgreement } from './rerank/agreement.js';
export {
  CrossEncoder,
  type CrossEncoderOptions,
  DEFAULT_PAIR_TOKENS,
  type PassageWindowMode,
  passageWindow,
  planBatches,
  QUERY_TOKEN_BUDGET,
} from './rerank/index.js';
export type { Reranker } from './rerank/types.js';
export { rerankOrder } from './rerank/types.js';
export {
  createServer,
  parseByteSize,
  type ServeBenchOptions,
  type ServeBenchResult,
  type ServeOptions,
  serveBench,
  statusFor,
  type TamsaekServer,
} from './serve/index.js';
export { type TunedConfig, type TuneOptions, type TuneReport, tuneEngine } from './tune/index.js';
export { DEFAULT_LIMITS, type Limits, type QueryLimits } from './util/limits.js';
