/** Models: model directories and the Hub cache, tokenizer.json, ONNX embedders, presets. */

export { LruCache } from './cache.js';
export {
  type EmbedderOptions,
  type EmbedKind,
  type EmbedOptions,
  loadOnnxRuntime,
  OnnxEmbedder,
  poolHidden,
} from './embedder.js';
export {
  defaultCacheDir,
  downloadModel,
  type HubOptions,
  isOffline,
  type ResolveOptions,
  resolveModel,
} from './hub.js';
export { type AnyEmbedder, DEFAULT_MODEL, defaultModelDir, loadEmbedder, resolveModelName } from './load.js';
export { FP32_FILES, INT8_FILES, inspectModelDir, modelDirKind, type OnnxModelInfo } from './model-dir.js';
export { type LoadedOrt, loadOrt, type OrtRuntime, vendoredOrtWeb } from './ort.js';
export { findPreset, type ModelPreset, type Pooling, PRESETS } from './presets.js';
export {
  quantizeRows,
  readStaticModelDir,
  StaticEmbedder,
  type StaticModelConfig,
  type StaticWeights,
  saveStaticModel,
} from './static.js';
export { DEFAULT_FEATURES, Featurizer, type StaticFeatureConfig } from './static-features.js';
export {
  type ExportOnnxOptions,
  type ExportOnnxResult,
  encodeStaticOnnx,
  exportStaticOnnx,
  ONNX_IR_VERSION,
  ONNX_OPSET,
} from './static-onnx.js';
export { type Encoded, type EncodeOptions, Tokenizer } from './tokenizer.js';
