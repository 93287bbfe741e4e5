/**
 * tamsaek static embedding models: an embedding table over hashed morphemes (ko-morph or ko-mecab) and Hangul
 * syllable bigrams (./static-features.ts), weighted-mean pooled (native sparse kernel) and
 * L2-normalized. No tokenizer, no ONNX, no attention: a text costs one analyzer pass plus
 * (features x dim) multiply-adds. ./static-onnx.ts exports the pooling as an ONNX graph.
 *
 * Model directory:
 *   config.json        {"tamsaek_model": "static", "format": 1, "dim": D, "features": {...},
 *                       "pooling": "mean", "normalize": true, "weights": "model.safetensors",
 *                       "dtype": "float32" | "int8", "name": "...", "training": {...},
 *                       "passages": {"by": "chars", "size": 150, "overlap": 50}}   (optional: see below)
 *   model.safetensors  "embeddings": F32 [rows, D], or I8 [rows, D] with "scales": F32 [rows]
 *                      (row r = embeddings[r] * scales[r]; symmetric per-row int8).
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { checkOptions, invalidArgument, TamsaekError } from '../errors.js';
import { sparsePool } from '../native/sparse.js';
import { atomicWrite } from '../util/atomic-file.js';
import { type ChunkOptions, checkChunkOptions } from '../util/chunker.js';
import { runNow, runSliced } from '../util/slices.js';
import {
  checkFeatureConfig,
  checkKeptBuckets,
  Featurizer,
  type MorphemeAnalyzerName,
  readingMorphemes,
  type StaticFeatureConfig,
  tableRows,
  toBatch,
} from './static-features.js';
import { readSafetensors, type Tensor, writeSafetensors } from './static-safetensors.js';

export const STATIC_FORMAT = 1;

export interface StaticModelConfig {
  tamsaek_model: 'static';
  format: number;
  dim: number;
  features: StaticFeatureConfig;
  pooling: 'mean';
  normalize: true;
  weights: string;
  dtype: 'float32' | 'int8';
  name?: string;
  /** Free-form provenance (recipe, data, scores) written by the trainer. */
  training?: Record<string, unknown>;
  /**
   * How documents should be split for this model's dense leg (each passage embedded, a document
   * scored by its best passage). Mean pooling dilutes a long page: on the validation splits a
   * static model scores better over ~150-character windows than over whole documents
   * (docs/training.md, Round 6). Absent: whole documents.
   */
  passages?: ChunkOptions;
}

/** The passage split `tamsaek train` records in the models it writes (chosen on validation, Round 6). */
export const DEFAULT_STATIC_PASSAGES: ChunkOptions = { by: 'chars', size: 150, overlap: 50 };

export interface StaticWeights {
  rows: number;
  dim: number;
  table: Float32Array | Int8Array;
  scales?: Float32Array;
  /** Pruned vocabulary: the buckets that own a row (features.rows set), ascending. */
  keptBuckets?: Int32Array;
}

/** Symmetric per-row int8 quantization: q = round(x / s), s = max|x| / 127. */
export function quantizeRows(
  table: Float32Array,
  rows: number,
  dim: number,
): { table: Int8Array; scales: Float32Array } {
  return runNow(quantizeSteps(table, rows, dim));
}

/** `quantizeRows` with event-loop turns every few milliseconds (a corpus-adapted model has ~10⁵ rows). */
export function quantizeRowsAsync(
  table: Float32Array,
  rows: number,
  dim: number,
): Promise<{ table: Int8Array; scales: Float32Array }> {
  return runSliced(quantizeSteps(table, rows, dim));
}

function* quantizeSteps(table: Float32Array, rows: number, dim: number) {
  const q = new Int8Array(rows * dim);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let mx = 0;
    for (let k = 0; k < dim; k++) mx = Math.max(mx, Math.abs(table[r * dim + k]!));
    const s = mx > 0 ? mx / 127 : 1;
    scales[r] = s;
    for (let k = 0; k < dim; k++) q[r * dim + k] = Math.max(-127, Math.min(127, Math.round(table[r * dim + k]! / s)));
    if ((r & 255) === 255) yield;
  }
  return { table: q, scales };
}

export interface SaveStaticOptions {
  dtype?: 'float32' | 'int8';
  name?: string;
  training?: Record<string, unknown>;
  /** The passage split recorded for the dense leg (config.json `passages`); omitted: whole documents. */
  passages?: ChunkOptions;
}

/** Files of a static model directory that saving replaces. */
export const STATIC_MODEL_FILES = ['config.json', 'model.safetensors'] as const;

/** Throws INVALID_ARGUMENT when `dir` already holds a model file (so a run cannot overwrite one by accident). */
export async function refuseExistingModel(where: string, dir: string): Promise<void> {
  for (const f of STATIC_MODEL_FILES) {
    const path = join(dir, f);
    const exists = await stat(path).then(
      () => true,
      () => false,
    );
    if (exists)
      throw new TamsaekError(
        'INVALID_ARGUMENT',
        `${where}: ${path} already exists (use force / --force to replace the model)`,
      );
  }
}

/** Writes a model directory (config.json + model.safetensors). */
export async function saveStaticModel(
  dir: string,
  features: StaticFeatureConfig,
  weights: StaticWeights,
  options: SaveStaticOptions = {},
): Promise<StaticModelConfig> {
  checkOptions('saveStaticModel', options, ['dtype', 'name', 'training', 'passages']);
  const passages = options.passages === undefined ? undefined : checkChunkOptions(options.passages);
  const dtype = options.dtype ?? (weights.table instanceof Int8Array ? 'int8' : 'float32');
  const { rows, dim } = weights;
  if (rows !== tableRows(features))
    throw invalidArgument(`saveStaticModel: table has ${rows} rows but the features give ${tableRows(features)}`);
  if ((features.rows !== undefined) !== (weights.keptBuckets !== undefined))
    throw invalidArgument('saveStaticModel: kept buckets go with features.rows, and only with it');
  // int8 quantization would turn a NaN row into plausible zeros: refuse the table instead
  const bad = firstNonFinite(
    weights.table instanceof Float32Array ? weights.table : (weights.scales ?? new Float32Array(0)),
  );
  if (bad >= 0)
    throw invalidArgument(
      `saveStaticModel: the ${weights.table instanceof Float32Array ? 'table' : 'scales'} hold a non-finite value at element ${bad}; nothing written`,
    );
  let tensors: Record<string, Tensor>;
  if (dtype === 'int8') {
    const q =
      weights.table instanceof Int8Array
        ? { table: weights.table, scales: weights.scales! }
        : quantizeRows(weights.table, rows, dim);
    tensors = {
      embeddings: { dtype: 'I8', shape: [rows, dim], data: q.table },
      scales: { dtype: 'F32', shape: [rows], data: q.scales },
    };
  } else {
    if (!(weights.table instanceof Float32Array))
      throw invalidArgument('saveStaticModel: an int8 table cannot be saved as float32');
    tensors = { embeddings: { dtype: 'F32', shape: [rows, dim], data: weights.table } };
  }
  if (weights.keptBuckets)
    tensors.kept_buckets = { dtype: 'I32', shape: [weights.keptBuckets.length], data: weights.keptBuckets };
  await mkdir(dir, { recursive: true });
  const config: StaticModelConfig = {
    tamsaek_model: 'static',
    format: STATIC_FORMAT,
    dim,
    features,
    pooling: 'mean',
    normalize: true,
    weights: 'model.safetensors',
    dtype,
    ...(options.name ? { name: options.name } : {}),
    ...(options.training ? { training: options.training } : {}),
    ...(passages ? { passages } : {}),
  };
  await writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'tamsaek-static', dim: String(dim) });
  // config.json last and atomically: a reader sees the old model or the new one, not half a file
  await atomicWrite('saveStaticModel', join(dir, 'config.json'), [Buffer.from(`${JSON.stringify(config, null, 2)}\n`)]);
  return config;
}

/** Validates a parsed config.json of a static model. */
export function checkStaticConfig(c: Record<string, unknown>, dir: string): StaticModelConfig {
  const bad = (msg: string): never => {
    throw new TamsaekError('INVALID_MODEL', `${dir}/config.json: ${msg}`);
  };
  if (c.tamsaek_model !== 'static') bad('not a static model');
  if (c.format !== STATIC_FORMAT) {
    throw new TamsaekError(
      'UNSUPPORTED_VERSION',
      `${dir}/config.json: static model format ${String(c.format)} (this version reads ${STATIC_FORMAT})`,
    );
  }
  if (!Number.isInteger(c.dim) || (c.dim as number) < 1 || (c.dim as number) > 65536)
    bad('dim must be a positive integer');
  if (c.pooling !== 'mean') bad('pooling must be "mean"');
  if (c.dtype !== 'float32' && c.dtype !== 'int8') bad('dtype must be "float32" or "int8"');
  if (typeof c.weights !== 'string' || c.weights.includes('/') || c.weights.includes('\\') || c.weights.startsWith('.'))
    bad('weights must be a file name inside the directory');
  let features: StaticFeatureConfig;
  try {
    features = checkFeatureConfig(c.features, 'features');
  } catch (e) {
    return bad((e as Error).message);
  }
  if (c.passages !== undefined) {
    try {
      checkChunkOptions(c.passages as ChunkOptions);
    } catch (e) {
      return bad(`passages: ${(e as Error).message}`);
    }
  }
  return { ...(c as unknown as StaticModelConfig), features };
}

/** Index of the first NaN or ±Infinity in `data`, or -1. */
function firstNonFinite(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return i;
  return -1;
}

/** A damaged table must fail at load, not as NaN vectors at the first document that uses the row. */
function checkFinite(path: string, name: string, data: Float32Array): void {
  const i = firstNonFinite(data);
  if (i >= 0)
    throw new TamsaekError('INVALID_MODEL', `${path}: "${name}" holds a non-finite value (${data[i]}) at element ${i}`);
}

export async function loadStaticWeights(dir: string, config: StaticModelConfig): Promise<StaticWeights> {
  const path = join(dir, config.weights);
  const { tensors } = await readSafetensors(path);
  const emb = tensors.embeddings;
  const rows = tableRows(config.features);
  let keptBuckets: Int32Array | undefined;
  if (config.features.rows !== undefined) {
    const kb = tensors.kept_buckets;
    if (kb?.dtype !== 'I32' || kb.data.length !== config.features.rows - config.features.oovRows!) {
      throw new TamsaekError(
        'INVALID_MODEL',
        `${path}: a pruned vocabulary needs I32 "kept_buckets" [${config.features.rows - config.features.oovRows!}]`,
      );
    }
    keptBuckets = kb.data;
    try {
      checkKeptBuckets(config.features, keptBuckets);
    } catch (e) {
      throw new TamsaekError('INVALID_MODEL', `${path}: ${(e as Error).message}`, { cause: e });
    }
  }
  if (emb?.shape.length !== 2 || emb.shape[0] !== rows || emb.shape[1] !== config.dim) {
    throw new TamsaekError('INVALID_MODEL', `${path}: "embeddings" must have shape [${rows}, ${config.dim}]`);
  }
  if (config.dtype === 'int8') {
    const sc = tensors.scales;
    if (emb.dtype !== 'I8' || !sc || sc.dtype !== 'F32' || sc.data.length !== rows)
      throw new TamsaekError('INVALID_MODEL', `${path}: int8 weights need I8 "embeddings" and F32 "scales" [${rows}]`);
    checkFinite(path, 'scales', sc.data);
    return { rows, dim: config.dim, table: emb.data, scales: sc.data, keptBuckets };
  }
  if (emb.dtype !== 'F32')
    throw new TamsaekError('INVALID_MODEL', `${path}: float32 model with ${emb.dtype} embeddings`);
  checkFinite(path, 'embeddings', emb.data);
  return { rows, dim: config.dim, table: emb.data, keptBuckets };
}

/** Reads and validates a static model directory's config.json (NOT_FOUND, PARSE_ERROR, INVALID_MODEL …). */
export async function readStaticModelDir(dir: string): Promise<{ path: string; config: StaticModelConfig }> {
  const path = resolve(dir);
  let text: string;
  try {
    if (!(await stat(path)).isDirectory()) throw new Error('not a directory');
    text = await readFile(join(path, 'config.json'), 'utf8');
  } catch {
    throw new TamsaekError('NOT_FOUND', `static model directory ${dir} does not exist or has no config.json`);
  }
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new TamsaekError('PARSE_ERROR', `${dir}/config.json: invalid JSON (${(e as Error).message})`, { cause: e });
  }
  return { path, config: checkStaticConfig(raw, dir) };
}

export interface StaticEmbedderOptions {
  threads?: number;
  /** Texts featurized and pooled per native call (default 256). */
  batchSize?: number;
  /**
   * The morpheme analyzer to read instead of the one the model was trained on, with the model's stop tags:
   * a ko-morph model reading ko-mecab's terms loses nothing measurable in the hybrid and never loads lindera
   * (docs/training.md, Round 11). An engine whose analyzer is ko-mecab asks for it.
   */
  morphemes?: MorphemeAnalyzerName;
}

export class StaticEmbedder {
  readonly kind = 'static';
  readonly normalize = true;
  readonly dim: number;
  readonly featurizer: Featurizer;
  /** The model's passage split for documents (config.json `passages`); undefined: whole documents. */
  readonly passages: ChunkOptions | undefined;
  private constructor(
    readonly modelId: string,
    readonly dir: string | undefined,
    readonly config: Pick<StaticModelConfig, 'dim' | 'features'> & Partial<StaticModelConfig>,
    readonly weights: StaticWeights,
    private readonly options: StaticEmbedderOptions,
  ) {
    this.dim = weights.dim;
    this.featurizer = new Featurizer(config.features, weights.keptBuckets);
    this.passages = config.passages;
  }

  /** Loads a static model directory. */
  static async load(dir: string, options: StaticEmbedderOptions = {}): Promise<StaticEmbedder> {
    checkOptions('StaticEmbedder.load', options, ['threads', 'batchSize', 'morphemes']);
    const { path, config } = await readStaticModelDir(dir);
    const weights = await loadStaticWeights(path, config);
    const features = readingMorphemes(config.features, options.morphemes);
    return new StaticEmbedder(config.name ?? basename(path), path, { ...config, features }, weights, options);
  }

  /** An embedder over in-memory weights (the trainer's evaluation path). */
  static fromWeights(
    features: StaticFeatureConfig,
    weights: StaticWeights,
    modelId = 'static',
    options: StaticEmbedderOptions = {},
    passages?: ChunkOptions,
  ): StaticEmbedder {
    const config = { dim: weights.dim, features, ...(passages ? { passages } : {}) };
    return new StaticEmbedder(modelId, undefined, config, weights, options);
  }

  /** L2-normalized embeddings (texts x dim), row-major. Queries and passages are treated alike. */
  async embed(
    texts: readonly string[],
    options: { kind?: 'query' | 'passage'; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<Float32Array> {
    if (!Array.isArray(texts)) throw invalidArgument('embed: texts must be an array of strings');
    for (const t of texts) if (typeof t !== 'string') throw invalidArgument('embed: texts must be strings');
    const dim = this.dim;
    const out = new Float32Array(texts.length * dim);
    const step = this.options.batchSize ?? 256;
    for (let s = 0; s < texts.length; s += step) {
      const part = texts.slice(s, s + step);
      const batch = await this.featurizer.batchAsync(part);
      await sparsePool(batch, this.weights, {
        normalize: true,
        threads: this.options.threads,
        out: out.subarray(s * dim, (s + part.length) * dim),
      });
      options.onProgress?.(s + part.length, texts.length);
    }
    return out;
  }

  async embedQuery(text: string): Promise<Float32Array> {
    return this.embed([text], { kind: 'query' });
  }

  /** The analyzer whose terms `embedQueryTerms` takes: a search that analysed its query with it passes them on. */
  get termsAnalyzer(): string | undefined {
    return this.featurizer.morphemeAnalyzer;
  }

  /** `embedQuery` for a text whose `termsAnalyzer` terms are known (no second analysis). */
  async embedQueryTerms(text: string, terms: readonly string[]): Promise<Float32Array> {
    if (typeof text !== 'string') throw invalidArgument('embed: texts must be strings');
    const f = this.featurizer;
    const batch = toBatch([f.counts(text, terms)], (c) => f.weight(c));
    return sparsePool(batch, this.weights, { normalize: true, threads: this.options.threads });
  }

  async dispose(): Promise<void> {}
}
