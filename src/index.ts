/**
 * tamsaek public API. Stages: analyze → legs → (fuse → rerank, later) → results.
 */
export { TamsaekError, type ErrorCode } from './errors.js';
export * from './analyze/index.js';
export {
  Bm25Index,
  MAX_K,
  type Bm25Document,
  type Bm25Options,
  type Bm25SearchOptions,
  type Bm25Stats,
  type Metadata,
  type MetadataFilter,
  type SearchHit,
} from './legs/bm25/index.js';
export { BM25_FORMAT_VERSION } from './legs/bm25/format.js';
export * from './eval/index.js';
export { indexCorpus, type IndexCorpusOptions } from './engine/corpus.js';
export {
  evaluateRetriever,
  RETRIEVERS,
  type EvaluateRetrieverOptions,
  type EvaluationReport,
  type RetrieverName,
} from './engine/evaluate.js';
export * from './fuse/index.js';
export * from './legs/dense/index.js';
export * from './models/index.js';
export { indexCorpusDense, type DenseCorpusOptions, type DenseRetriever } from './engine/dense.js';
export {
  createServer,
  serveBench,
  statusFor,
  parseByteSize,
  type ServeOptions,
  type TamsaekServer,
  type ServeBenchOptions,
  type ServeBenchResult,
} from './serve/index.js';
export {
  Engine,
  type EngineOptions,
  type EngineDocument,
  type EngineHit,
  type EngineSearchOptions,
  type TextEmbedder,
  type Reranker,
  type OpenOptions,
  type LegName,
} from './engine/engine.js';
export { tuneEngine, type TunedConfig, type TuneOptions, type TuneReport } from './tune/index.js';
export { buildEngine } from './engine/evaluate.js';
export { CrossEncoder, type CrossEncoderOptions } from './rerank/index.js';
export {
  exportIndex,
  prepareExport,
  checkIndexName,
  type ExportOptions,
  type ExportReport,
  EXPORT_TARGETS,
  TARGET_VERSIONS,
  resolveTarget,
  type ExportTarget,
  type TargetSpec,
  mapFusion,
  pipelineBody,
  targetScore,
  type FusionMapping,
  type TargetFusion,
  fuseAs,
  type EmulatedHit,
  checkExportRules,
  type ExportBodies,
  queryTemplate,
  renderQueryTemplate,
  searchBody,
  type QueryPlan,
  type SearchParams,
  mapAnalysis,
  noriStopTags,
  noriTags,
  NORI_DEFAULT_STOP_TAGS,
  float32Json,
  type Difference,
  readExportSource,
  type ExportSource,
} from './export/index.js';
export { evaluateFusionAs, type FusionAsOptions, type FusionAsReport } from './export/evaluate.js';
export type { StoredDocumentView } from './engine/engine.js';
