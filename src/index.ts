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
export {
  CrossEncoder,
  DEFAULT_PAIR_TOKENS,
  QUERY_TOKEN_BUDGET,
  passageWindow,
  planBatches,
  type CrossEncoderOptions,
  type PassageWindowMode,
} from './rerank/index.js';
export { compareScores, type ScoreAgreement } from './rerank/agreement.js';
