/**
 * Text embedder on onnxruntime (CPU), for ONNX exports of transformer encoders in Hugging Face layout.
 * The runtime (onnxruntime-node, else onnxruntime-web's WebAssembly build; ./ort.ts) is loaded lazily
 * so BM25-only use works without it.
 *
 * - Texts are tokenized (with the query / passage prefix), sorted by length and cut into batches, each
 *   padded only to its own longest sequence (dynamic padding); the attention mask keeps padding out
 *   of the result, so a text embeds the same alone and in any batch.
 * - Pooling: `cls` (first token), `mean` (mask-weighted mean), `last` (last unmasked token); then
 *   L2 normalization (default on).
 * - `session.run` executes on onnxruntime's own threads (intra-op threads = `threads`), off the JS
 *   thread; tokenization and pooling stay on it.
 * - An optional bounded LRU cache (`cacheSize`) keyed by model, settings and the prefixed text.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { checkOptions, invalidArgument, TamsaekError } from '../errors.js';
import { Slicer } from '../util/slices.js';
import { LruCache } from './cache.js';
import { batchFeeds, padBatch } from './feeds.js';
import { HUB_OPTION_KEYS, type HubOptions, resolveModel } from './hub.js';
import { inspectModelDir, type OnnxModelInfo } from './model-dir.js';
import { loadOrt, type OrtModule, type OrtRuntime, type OrtSession, type OrtTensor } from './ort.js';
import { findPreset, type ModelPreset, type Pooling, PRESETS } from './presets.js';
import {
  checkExecutionProviders,
  createSession,
  type ExecutionProviderOption,
  MODEL_FILE_OPTION_KEYS,
  preferQuantized,
} from './session.js';
import { Tokenizer } from './tokenizer.js';

export { loadOnnxRuntime, type OrtModule, type OrtSession, type OrtTensor } from './ort.js';

export type EmbedKind = 'query' | 'passage' | 'none';

export interface EmbedderOptions extends HubOptions {
  /** A preset id (see PRESETS); by default the preset whose id matches the model name, if any. */
  preset?: string;
  pooling?: Pooling;
  queryPrefix?: string;
  passagePrefix?: string;
  maxLength?: number;
  normalize?: boolean;
  /** Texts per ONNX run, default 32. */
  batchSize?: number;
  /** onnxruntime intra-op threads, default: all available cores. */
  threads?: number;
  /** Prefer an int8 ONNX file when present (default true). */
  quantized?: boolean;
  /** Force an ONNX file (relative to the model directory). */
  file?: string;
  /** Entries of the LRU embedding cache (0 = off, the default). */
  cacheSize?: number;
  /** 'cpu' (default), 'cuda' (CUDA_UNAVAILABLE when it cannot start) or 'auto' (CUDA, else the CPU with a warning). */
  executionProviders?: ExecutionProviderOption;
  /** Receives the line 'auto' reports when it falls back to the CPU (default: process.emitWarning). */
  onWarning?: (message: string) => void;
}

export interface EmbedOptions {
  kind?: EmbedKind;
  onProgress?: (done: number, total: number) => void;
}

const EMBEDDER_OPTIONS = [
  'preset',
  'pooling',
  'queryPrefix',
  'passagePrefix',
  'maxLength',
  'normalize',
  'batchSize',
  'cacheSize',
  ...MODEL_FILE_OPTION_KEYS,
  ...HUB_OPTION_KEYS,
];
const OUTPUT_NAMES = ['last_hidden_state', 'token_embeddings'];
const POOLINGS: Pooling[] = ['cls', 'mean', 'last'];

function positionLimit(config: Record<string, unknown>): number | undefined {
  const mpe = config.max_position_embeddings;
  if (typeof mpe !== 'number') return undefined;
  // RoBERTa-family position ids start after the padding index: 514 positions hold 512 tokens
  return ['roberta', 'xlm-roberta', 'camembert'].includes(String(config.model_type)) ? mpe - 2 : mpe;
}

/** Validates the plain settings of OnnxEmbedder.load; returns the preset asked for or matched by name. */
function checkSettings(
  where: string,
  model: string,
  options: EmbedderOptions,
  s: { presetName?: string; batchSize: number; threads: number; cacheSize: number },
): ModelPreset | undefined {
  let preset: ModelPreset | undefined;
  if (s.presetName !== undefined) {
    preset = PRESETS[s.presetName] ?? findPreset(s.presetName);
    if (!preset)
      throw invalidArgument(`${where}: unknown preset "${s.presetName}" (known: ${Object.keys(PRESETS).join(', ')})`);
  } else preset = findPreset(model);
  if (options.pooling !== undefined && !POOLINGS.includes(options.pooling))
    throw invalidArgument(`${where}: pooling must be one of ${POOLINGS.join(', ')} (got ${String(options.pooling)})`);
  for (const [name, v] of [
    ['batchSize', s.batchSize],
    ['threads', s.threads],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 4096)
      throw invalidArgument(`${where}: ${name} must be an integer in 1..4096 (got ${v})`);
  }
  if (!Number.isInteger(s.cacheSize) || s.cacheSize < 0)
    throw invalidArgument(`${where}: cacheSize must be a non-negative integer (got ${s.cacheSize})`);
  for (const [name, v] of [
    ['queryPrefix', options.queryPrefix],
    ['passagePrefix', options.passagePrefix],
  ] as const) {
    if (v !== undefined && typeof v !== 'string') throw invalidArgument(`${where}: ${name} must be a string`);
  }
  if (options.onWarning !== undefined && typeof options.onWarning !== 'function')
    throw invalidArgument(`${where}: onWarning must be a function`);
  return preset;
}

/** Checks an encoder session's inputs and output (releasing it on failure); returns the output to read. */
async function checkEncoderSession(session: OrtSession, path: string, dim: number): Promise<string> {
  const fail = (code: 'INVALID_MODEL' | 'DIMENSION_MISMATCH', msg: string): never => {
    void session.release().catch(() => undefined);
    throw new TamsaekError(code, `${path}: ${msg}`);
  };
  for (const need of ['input_ids', 'attention_mask'])
    if (!session.inputNames.includes(need))
      fail('INVALID_MODEL', `missing input "${need}" (inputs: ${session.inputNames.join(', ')})`);
  const extra = session.inputNames.filter((n) => !['input_ids', 'attention_mask', 'token_type_ids'].includes(n));
  if (extra.length > 0)
    fail(
      'INVALID_MODEL',
      `unsupported inputs ${extra.join(', ')} (expected input_ids, attention_mask, optional token_type_ids)`,
    );
  const outputName = OUTPUT_NAMES.find((n) => session.outputNames.includes(n));
  if (!outputName)
    fail(
      'INVALID_MODEL',
      `no "last_hidden_state" (or "token_embeddings") output (outputs: ${session.outputNames.join(', ')}); export with --task feature-extraction`,
    );
  const meta = session.outputMetadata?.find((m) => m.name === outputName);
  const last = meta?.shape?.[meta.shape.length - 1];
  if (typeof last === 'number' && last !== dim)
    fail('DIMENSION_MISMATCH', `output ${outputName} has ${last} dimensions, config.json hidden_size says ${dim}`);
  return outputName as string;
}

export class OnnxEmbedder {
  readonly dim: number;
  readonly pooling: Pooling;
  readonly queryPrefix: string;
  readonly passagePrefix: string;
  readonly maxLength: number;
  readonly normalize: boolean;
  readonly batchSize: number;
  readonly threads: number;
  /** The model directory and the ONNX file used (relative to it). */
  readonly dir: string;
  readonly file: string;
  readonly quantized: boolean;
  /** Where the session runs ('cuda' only when asked for and started). */
  readonly executionProvider: 'cpu' | 'cuda';
  /** The ONNX runtime running the session: `node` (onnxruntime-node) or `web` (WebAssembly). */
  readonly runtime: OrtRuntime;
  readonly preset: ModelPreset | undefined;
  readonly cache: LruCache<Float32Array> | undefined;
  private readonly hasTypeIds: boolean;
  private readonly outputName: string;
  private readonly cacheKey: string;

  private constructor(
    private readonly ort: OrtModule,
    private readonly session: OrtSession,
    readonly tokenizer: Tokenizer,
    readonly modelId: string,
    info: OnnxModelInfo,
    s: {
      dim: number;
      pooling: Pooling;
      queryPrefix: string;
      passagePrefix: string;
      maxLength: number;
      normalize: boolean;
      batchSize: number;
      threads: number;
      preset?: ModelPreset;
      cacheSize: number;
      outputName: string;
      provider: 'cpu' | 'cuda';
      runtime: OrtRuntime;
    },
  ) {
    this.executionProvider = s.provider;
    this.runtime = s.runtime;
    this.dim = s.dim;
    this.pooling = s.pooling;
    this.queryPrefix = s.queryPrefix;
    this.passagePrefix = s.passagePrefix;
    this.maxLength = s.maxLength;
    this.normalize = s.normalize;
    this.batchSize = s.batchSize;
    this.threads = s.threads;
    this.dir = info.dir;
    this.file = info.file;
    this.quantized = info.quantized;
    this.preset = s.preset;
    this.outputName = s.outputName;
    this.hasTypeIds = session.inputNames.includes('token_type_ids');
    this.cache = s.cacheSize > 0 ? new LruCache<Float32Array>(s.cacheSize) : undefined;
    this.cacheKey = `${modelId}\u0000${info.file}\u0000${s.pooling}\u0000${s.maxLength}\u0000${s.normalize}\u0000`;
  }

  /** Loads a model from a local directory (HF layout) or a Hub id (downloaded into the cache). */
  static async load(model: string, options: EmbedderOptions = {}): Promise<OnnxEmbedder> {
    const where = 'OnnxEmbedder.load';
    checkOptions(where, options, EMBEDDER_OPTIONS);
    if (typeof model !== 'string' || model.length === 0)
      throw invalidArgument(`${where}: model must be a directory or a Hub id`);
    const {
      preset: presetName,
      pooling,
      queryPrefix,
      passagePrefix,
      maxLength,
      normalize = true,
      batchSize = 32,
      threads = availableParallelism(),
      quantized,
      file,
      cacheSize = 0,
      executionProviders,
      onWarning,
      ...hub
    } = options;
    const preset = checkSettings(where, model, options, { presetName, batchSize, threads, cacheSize });
    const providers = checkExecutionProviders(where, executionProviders);
    const loaded = await loadOrt();
    const quantizedFile = preferQuantized(quantized, providers, loaded.runtime);
    const dir = await resolveModel(model, { ...hub, quantized: quantizedFile, file });
    const info = await inspectModelDir(dir, { quantized: quantizedFile, file });
    const config = info.config;
    const dim = [config.hidden_size, config.d_model, config.dim].find((v): v is number => typeof v === 'number');
    if (dim === undefined) throw new TamsaekError('INVALID_MODEL', `${dir}/config.json has no hidden_size`);
    if (preset && preset.dim !== dim) {
      throw new TamsaekError(
        'DIMENSION_MISMATCH',
        `${dir}: config.json hidden_size ${dim} differs from preset ${preset.id} (${preset.dim})`,
      );
    }
    const limit = positionLimit(config);
    const tokenizer = await Tokenizer.fromDir(dir);
    let maxLen = maxLength ?? preset?.maxLength ?? tokenizer.maxLength;
    if (maxLength === undefined && limit !== undefined) maxLen = Math.min(maxLen, limit);
    if (!Number.isInteger(maxLen) || maxLen < 2)
      throw invalidArgument(`${where}: maxLength must be an integer ≥ 2 (got ${maxLen})`);
    if (limit !== undefined && maxLen > limit)
      throw invalidArgument(`${where}: maxLength ${maxLen} exceeds the model's ${limit} positions`);

    const { ort, runtime } = loaded;
    const { session, provider } = await createSession(loaded, join(dir, info.file), {
      threads,
      executionProviders: providers,
      onWarning,
    });
    const outputName = await checkEncoderSession(session, join(dir, info.file), dim);
    return new OnnxEmbedder(ort, session, tokenizer, preset?.id ?? model, info, {
      dim,
      pooling: pooling ?? info.pooling ?? preset?.pooling ?? 'mean',
      queryPrefix: queryPrefix ?? info.prompts?.query ?? preset?.queryPrefix ?? '',
      passagePrefix: passagePrefix ?? info.prompts?.passage ?? preset?.passagePrefix ?? '',
      maxLength: maxLen,
      normalize,
      batchSize,
      threads,
      preset,
      cacheSize,
      outputName,
      provider,
      runtime,
    });
  }

  private prefixed(text: string, kind: EmbedKind): string {
    return kind === 'query' ? this.queryPrefix + text : kind === 'passage' ? this.passagePrefix + text : text;
  }

  /** Embeds texts; resolves to a row-major Float32Array of texts.length × dim. */
  async embed(texts: readonly string[], options: EmbedOptions = {}): Promise<Float32Array> {
    const where = 'OnnxEmbedder.embed';
    checkOptions(where, options, ['kind', 'onProgress']);
    const { kind = 'passage', onProgress } = options;
    if (!['query', 'passage', 'none'].includes(kind))
      throw invalidArgument(`${where}: kind must be query, passage or none (got ${String(kind)})`);
    if (!Array.isArray(texts)) throw invalidArgument(`${where}: texts must be an array of strings`);
    texts.forEach((t, i) => {
      if (typeof t !== 'string') throw invalidArgument(`${where}: texts[${i}] is not a string`);
    });
    const dim = this.dim;
    const out = new Float32Array(texts.length * dim);
    const todo: { index: number; ids: number[]; typeIds: number[]; key: string }[] = [];
    const slicer = new Slicer();
    for (let i = 0; i < texts.length; i++) {
      await slicer.pause(); // tokenization runs on this thread
      const text = this.prefixed(texts[i], kind);
      const key = this.cacheKey + text;
      const hit = this.cache?.get(key);
      if (hit) {
        out.set(hit, i * dim);
        continue;
      }
      const enc = this.tokenizer.encode(text, { maxLength: this.maxLength });
      todo.push({ index: i, ids: enc.ids, typeIds: enc.typeIds, key });
    }
    // length-sorted batches: similar lengths share a batch, so little padding is computed
    todo.sort((a, b) => b.ids.length - a.ids.length || a.index - b.index);
    let done = texts.length - todo.length;
    onProgress?.(done, texts.length);
    for (let start = 0; start < todo.length; start += this.batchSize) {
      const batch = todo.slice(start, start + this.batchSize);
      const vectors = await this.runBatch(batch);
      for (let b = 0; b < batch.length; b++) {
        const v = vectors.subarray(b * dim, (b + 1) * dim);
        out.set(v, batch[b].index * dim);
        this.cache?.set(batch[b].key, v.slice());
      }
      done += batch.length;
      onProgress?.(done, texts.length);
    }
    return out;
  }

  /** One query vector (with the query prefix). */
  async embedQuery(text: string): Promise<Float32Array> {
    return this.embed([text], { kind: 'query' });
  }

  private async runBatch(batch: { ids: number[]; typeIds: number[] }[]): Promise<Float32Array> {
    const B = batch.length;
    const padded = padBatch(batch, this.tokenizer.padId, this.hasTypeIds);
    const { T, lens } = padded;
    const feeds = batchFeeds(this.ort.Tensor, padded);
    let result: Record<string, OrtTensor>;
    try {
      result = await this.session.run(feeds, [this.outputName]);
    } catch (e) {
      throw new TamsaekError(
        'INVALID_MODEL',
        `${this.file}: inference failed (${(e as Error).message.split('\n')[0]})`,
        { cause: e },
      );
    }
    const hidden = result[this.outputName];
    const H = this.dim;
    if (hidden.dims.length !== 3 || hidden.dims[0] !== B || hidden.dims[1] !== T || hidden.dims[2] !== H) {
      throw new TamsaekError(
        'DIMENSION_MISMATCH',
        `${this.file}: output ${this.outputName} has shape [${hidden.dims.join(', ')}], expected [${B}, ${T}, ${H}]`,
      );
    }
    return poolHidden(hidden.data as Float32Array, lens, T, H, this.pooling, this.normalize);
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Pools [B, T, H] hidden states of right-padded sequences with real lengths `lens` into [B, H]
 * (cls: position 0; mean: average over the first len positions; last: position len − 1), then
 * optionally L2-normalizes each row.
 */
export function poolHidden(
  hidden: Float32Array,
  lens: Int32Array,
  T: number,
  H: number,
  pooling: Pooling,
  normalize: boolean,
): Float32Array {
  const B = lens.length;
  const out = new Float32Array(B * H);
  for (let b = 0; b < B; b++) {
    const len = lens[b];
    const o = b * H;
    if (pooling === 'mean') {
      const acc = new Float64Array(H);
      for (let t = 0; t < len; t++) {
        const base = (b * T + t) * H;
        for (let h = 0; h < H; h++) acc[h] += hidden[base + h];
      }
      for (let h = 0; h < H; h++) out[o + h] = acc[h] / Math.max(1, len);
    } else {
      const t = pooling === 'cls' ? 0 : Math.max(0, len - 1);
      out.set(hidden.subarray((b * T + t) * H, (b * T + t + 1) * H), o);
    }
    if (normalize) {
      let s = 0;
      for (let h = 0; h < H; h++) s += out[o + h] * out[o + h];
      const n = Math.sqrt(s);
      if (n > 0) for (let h = 0; h < H; h++) out[o + h] /= n;
    }
  }
  return out;
}
