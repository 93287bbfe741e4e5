/** Models: model directories and the Hub cache, tokenizer.json, ONNX embedders, presets. */
export {
  OnnxEmbedder,
  poolHidden,
  loadOnnxRuntime,
  type EmbedderOptions,
  type EmbedOptions,
  type EmbedKind,
} from './embedder.js';
export { Tokenizer, type Encoded, type EncodeOptions } from './tokenizer.js';
export { PRESETS, findPreset, type ModelPreset, type Pooling } from './presets.js';
export { inspectModelDir, modelDirKind, INT8_FILES, FP32_FILES, type OnnxModelInfo } from './model-dir.js';
export { loadEmbedder, resolveModelName, defaultModelDir, DEFAULT_MODEL, type AnyEmbedder } from './load.js';
export {
  StaticEmbedder,
  saveStaticModel,
  quantizeRows,
  readStaticModelDir,
  type StaticModelConfig,
  type StaticWeights,
} from './static.js';
export {
  exportStaticOnnx,
  encodeStaticOnnx,
  ONNX_OPSET,
  ONNX_IR_VERSION,
  type ExportOnnxOptions,
  type ExportOnnxResult,
} from './static-onnx.js';
export { Featurizer, DEFAULT_FEATURES, type StaticFeatureConfig } from './static-features.js';
export {
  resolveModel,
  downloadModel,
  isOffline,
  defaultCacheDir,
  type HubOptions,
  type ResolveOptions,
} from './hub.js';
export { LruCache } from './cache.js';
export {
  quantizeModel,
  quantizeSymmetric,
  QUANTIZE_FORMATS,
  type QuantizeFormat,
  type QuantizeOptions,
  type QuantizeReport,
} from './quantize.js';
export {
  compareEmbeddings,
  embeddingAgreement,
  kendallTau,
  SAMPLE_TEXTS,
  SAMPLE_QUERIES,
  type EmbeddingAgreement,
} from './quantize-check.js';
export {
  generateSyntheticModel,
  ensureSyntheticModel,
  XLMR_LARGE,
  type SyntheticModelOptions,
  type SyntheticModelResult,
  type TransformerShape,
} from './synthetic.js';
export { EXECUTION_PROVIDERS, cudaUnavailableReason, type ExecutionProviderOption } from './session.js';
