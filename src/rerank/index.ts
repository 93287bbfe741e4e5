/**
 * Cross-encoder reranking on onnxruntime (../models/ort.ts), for ONNX exports in the layout of
 * dragonkue/bge-reranker-v2-m3-ko and Dongjin-kr/ko-reranker (XLM-R / BERT sequence classification
 * with one label): (query, passage) pairs → logits [batch, 1] → sigmoid.
 *
 * Pairs are length-sorted into batches with dynamic padding (the attention mask keeps padding out,
 * so a pair scores the same alone and in any batch); truncation cuts the longer side first (the
 * tokenizer's pair rule), so the query survives. A bounded LRU cache keyed by (query, passage)
 * makes repeated candidates free, which tuning relies on.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { checkOptions, invalidArgument, TamsaekError } from '../errors.js';
import { LruCache } from '../models/cache.js';
import { type EncodedRow, padBatch } from '../models/feeds.js';
import { type HubOptions, resolveModel } from '../models/hub.js';
import { inspectModelDir } from '../models/model-dir.js';
import { loadOrt, type OrtModule, type OrtSession, type OrtTensor, sessionOptions } from '../models/ort.js';
import { Tokenizer } from '../models/tokenizer.js';
import { checkSignal, checkStop, Slicer } from '../util/slices.js';
import type { Reranker } from './types.js';

export interface CrossEncoderOptions extends HubOptions {
  /** Tokens per pair including special tokens (default: the tokenizer's, capped by the model's positions). */
  maxLength?: number;
  /** Pairs per ONNX run (default 16). */
  batchSize?: number;
  threads?: number;
  /** Prefer an int8 ONNX file when present (default true). */
  quantized?: boolean;
  file?: string;
  /** Map logits through the logistic function (default true, as the Korean rerankers' model cards do). */
  sigmoid?: boolean;
  /** Entries of the (query, passage) score cache (default 10,000; 0 = off). */
  cacheSize?: number;
}

const OPTIONS = [
  'maxLength',
  'batchSize',
  'threads',
  'quantized',
  'file',
  'sigmoid',
  'cacheSize',
  'cacheDir',
  'offline',
  'endpoint',
  'revision',
  'token',
  'onDownloadProgress',
];

export class CrossEncoder implements Reranker {
  readonly cache: LruCache<number> | undefined;
  private readonly hasTypeIds: boolean;

  private constructor(
    private readonly ort: OrtModule,
    private readonly session: OrtSession,
    readonly tokenizer: Tokenizer,
    readonly modelId: string,
    readonly file: string,
    readonly maxLength: number,
    readonly batchSize: number,
    readonly sigmoid: boolean,
    cacheSize: number,
  ) {
    this.hasTypeIds = session.inputNames.includes('token_type_ids');
    this.cache = cacheSize > 0 ? new LruCache<number>(cacheSize) : undefined;
  }

  static async load(model: string, options: CrossEncoderOptions = {}): Promise<CrossEncoder> {
    const where = 'CrossEncoder.load';
    checkOptions(where, options, OPTIONS);
    if (typeof model !== 'string' || model.length === 0)
      throw invalidArgument(`${where}: model must be a directory or a Hub id`);
    const {
      maxLength,
      batchSize = 16,
      threads = availableParallelism(),
      quantized,
      file,
      sigmoid = true,
      cacheSize = 10_000,
      ...hub
    } = options;
    for (const [name, v] of [
      ['batchSize', batchSize],
      ['threads', threads],
    ] as const) {
      if (!Number.isInteger(v) || v < 1 || v > 4096)
        throw invalidArgument(`${where}: ${name} must be an integer in 1..4096 (got ${v})`);
    }
    if (!Number.isInteger(cacheSize) || cacheSize < 0)
      throw invalidArgument(`${where}: cacheSize must be a non-negative integer`);
    const dir = await resolveModel(model, { ...hub, quantized, file });
    const info = await inspectModelDir(dir, { quantized, file });
    const labels =
      info.config.num_labels ?? (info.config.id2label ? Object.keys(info.config.id2label as object).length : 1);
    if (labels !== 1)
      throw new TamsaekError('INVALID_MODEL', `${dir}: a reranker has one output label (config.json says ${labels})`);
    const tokenizer = await Tokenizer.fromDir(dir);
    const positions =
      typeof info.config.max_position_embeddings === 'number'
        ? info.config.max_position_embeddings -
          (['roberta', 'xlm-roberta'].includes(String(info.config.model_type)) ? 2 : 0)
        : undefined;
    const maxLen = maxLength ?? Math.min(tokenizer.maxLength, positions ?? Infinity);
    if (!Number.isInteger(maxLen) || maxLen < 4 || (positions !== undefined && maxLen > positions)) {
      throw invalidArgument(`${where}: maxLength must be an integer in 4..${positions ?? '∞'} (got ${maxLen})`);
    }
    const { ort, runtime } = await loadOrt();
    let session: OrtSession;
    try {
      session = await ort.InferenceSession.create(join(dir, info.file), sessionOptions(runtime, threads));
    } catch (e) {
      throw new TamsaekError(
        'INVALID_MODEL',
        `${join(dir, info.file)}: onnxruntime cannot load it (${(e as Error).message.split('\n')[0]})`,
        { cause: e },
      );
    }
    const missing = ['input_ids', 'attention_mask'].filter((n) => !session.inputNames.includes(n));
    if (missing.length > 0 || !session.outputNames.includes('logits')) {
      await session.release().catch(() => undefined);
      throw new TamsaekError(
        'INVALID_MODEL',
        `${join(dir, info.file)}: a cross-encoder needs inputs input_ids, attention_mask and output "logits" (has ${session.inputNames.join(', ')} → ${session.outputNames.join(', ')}); export with --task text-classification`,
      );
    }
    return new CrossEncoder(ort, session, tokenizer, model, info.file, maxLen, batchSize, sigmoid, cacheSize);
  }

  /** Relevance of each passage to the query, in input order. */
  async score(
    query: string,
    passages: readonly string[],
    options: { signal?: AbortSignal } = {},
  ): Promise<Float32Array> {
    if (typeof query !== 'string') throw invalidArgument('CrossEncoder.score: query must be a string');
    if (!Array.isArray(passages) || passages.some((p) => typeof p !== 'string'))
      throw invalidArgument('CrossEncoder.score: passages must be an array of strings');
    checkSignal('CrossEncoder.score', options.signal);
    const out = new Float32Array(passages.length);
    const todo: (EncodedRow & { index: number; key: string })[] = [];
    // tokenization runs on this thread: in slices, checking the signal between them
    const slicer = new Slicer({ signal: options.signal, what: 'reranking' });
    for (let index = 0; index < passages.length; index++) {
      await slicer.pause();
      const key = `${query}\u0000${passages[index]}`;
      const hit = this.cache?.get(key);
      if (hit !== undefined) out[index] = hit;
      else
        todo.push({
          index,
          key,
          ...this.tokenizer.encode(query, { pair: passages[index], maxLength: this.maxLength }),
        });
    }
    todo.sort((a, b) => b.ids.length - a.ids.length || a.index - b.index);
    for (let start = 0; start < todo.length; start += this.batchSize) {
      checkStop(options.signal, Infinity, 'reranking');
      const batch = todo.slice(start, start + this.batchSize);
      const logits = await this.run(batch);
      batch.forEach((row, b) => {
        const s = this.sigmoid ? 1 / (1 + Math.exp(-logits[b])) : logits[b];
        out[row.index] = s;
        this.cache?.set(row.key, s);
      });
    }
    return out;
  }

  private async run(batch: EncodedRow[]): Promise<Float32Array> {
    const B = batch.length;
    const { T, ids, mask, types } = padBatch(batch, this.tokenizer.padId, this.hasTypeIds);
    const { Tensor } = this.ort;
    const feeds: Record<string, OrtTensor> = {
      input_ids: new Tensor('int64', ids, [B, T]),
      attention_mask: new Tensor('int64', mask, [B, T]),
    };
    if (types) feeds.token_type_ids = new Tensor('int64', types, [B, T]);
    let result: Record<string, OrtTensor>;
    try {
      result = await this.session.run(feeds, ['logits']);
    } catch (e) {
      throw new TamsaekError(
        'INVALID_MODEL',
        `${this.file}: inference failed (${(e as Error).message.split('\n')[0]})`,
        { cause: e },
      );
    }
    const logits = result.logits;
    if (logits.dims[0] !== B || logits.dims.slice(1).reduce((a, b) => a * b, 1) !== 1) {
      throw new TamsaekError(
        'DIMENSION_MISMATCH',
        `${this.file}: logits have shape [${logits.dims.join(', ')}], expected [${B}, 1]`,
      );
    }
    return logits.data as Float32Array;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
