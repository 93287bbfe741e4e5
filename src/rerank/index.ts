/**
 * Cross-encoder reranking on onnxruntime (../models/ort.ts), for ONNX exports in the layout of
 * dragonkue/bge-reranker-v2-m3-ko and Dongjin-kr/ko-reranker (XLM-R / BERT sequence classification
 * with one label): (query, passage) pairs → logits [batch, 1] → sigmoid.
 *
 * Cost controls (docs/models.md, *Reranking budget*): each pair has a token budget (`maxLength`,
 * default DEFAULT_PAIR_TOKENS): the query keeps up to `maxQueryTokens` pieces and the passage the
 * window with the most query pieces that fits the rest (./budget.ts); pairs are length-sorted into
 * runs capped in pairs and padded tokens, with dynamic padding (the attention mask keeps padding
 * out, so a pair scores the same alone and in any batch). A bounded LRU cache keyed by (query,
 * passage) makes repeated candidates free, which tuning relies on.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { checkOptions, invalidArgument, TamsaekError } from '../errors.js';
import { LruCache } from '../models/cache.js';
import { batchFeeds, type EncodedRow, padBatch } from '../models/feeds.js';
import { HUB_OPTION_KEYS, type HubOptions, hubOptionsOf, resolveModel } from '../models/hub.js';
import { inspectModelDir } from '../models/model-dir.js';
import { loadOrt, type OrtModule, type OrtSession, type OrtTensor } from '../models/ort.js';
import {
  checkExecutionProviders,
  createSession,
  type ExecutionProviderOption,
  MODEL_FILE_OPTION_KEYS,
  preferQuantized,
} from '../models/session.js';
import type { Encoded } from '../models/tokenizer.js';
import { Tokenizer } from '../models/tokenizer.js';
import { checkSignal, checkStop, Slicer } from '../util/slices.js';
import { type PassageWindowMode, passageWindow, planBatches } from './budget.js';
import type { Reranker } from './types.js';

export { type PassageWindowMode, passageWindow, planBatches } from './budget.js';

/** Tokens per (query, passage) pair by default, special tokens included (docs/models.md, *Reranking budget*). */
export const DEFAULT_PAIR_TOKENS = 192;
/** Query tokens kept in a pair by default; the passage gets the rest of the pair's budget. */
export const DEFAULT_QUERY_TOKENS = 64;
/** Padded tokens per ONNX run by default. */
export const DEFAULT_BATCH_TOKENS = 4096;
/**
 * Tokens reranked per query by default: `defaultTopN` = this ÷ the pair budget (docs/models.md,
 * *Reranking budget*: with the int8 XLM-R-large reranker on 2 cores this is the documented per-query time).
 */
export const QUERY_TOKEN_BUDGET = 2400;

export interface CrossEncoderOptions extends HubOptions {
  /**
   * Tokens per pair including special tokens: the token budget (default 192, capped by the tokenizer's
   * maximum and the model's positions).
   */
  maxLength?: number;
  /** Query tokens kept (default 64, at most half the pair budget); longer queries keep their head. */
  maxQueryTokens?: number;
  /** How a passage over its share of the budget is cut: 'best' (default) keeps the window with the most query pieces, 'head' its start. */
  passageWindow?: PassageWindowMode;
  /** Pairs per ONNX run at most (default 32). */
  batchSize?: number;
  /** Padded tokens (pairs × longest pair) per ONNX run at most (default 4,096). */
  batchTokens?: number;
  threads?: number;
  /** Prefer an int8 ONNX file when present (default true). */
  quantized?: boolean;
  file?: string;
  /** Map logits through the logistic function (default true, as the Korean rerankers' model cards do). */
  sigmoid?: boolean;
  /** Entries of the (query, passage) score cache (default 10,000; 0 = off). */
  cacheSize?: number;
  /** 'cpu' (default), 'cuda' or 'auto' (see OnnxEmbedder). */
  executionProviders?: ExecutionProviderOption;
  onWarning?: (message: string) => void;
}

const OPTIONS = [
  'maxLength',
  'maxQueryTokens',
  'passageWindow',
  'batchSize',
  'batchTokens',
  'sigmoid',
  'cacheSize',
  ...MODEL_FILE_OPTION_KEYS,
  ...HUB_OPTION_KEYS,
];

interface CrossEncoderSettings {
  maxLength: number;
  maxQueryTokens: number;
  passageWindow: PassageWindowMode;
  batchSize: number;
  batchTokens: number;
  sigmoid: boolean;
  cacheSize: number;
}

function checkCount(where: string, name: string, v: unknown, min: number, max: number): number {
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max)
    throw invalidArgument(`${where}: ${name} must be an integer in ${min}..${max} (got ${String(v)})`);
  return v as number;
}

/** The pair budget and batching settings, from the options and the model's limits. */
function pairSettings(
  where: string,
  options: CrossEncoderOptions,
  tokenizer: Tokenizer,
  positions: number | undefined,
): CrossEncoderSettings {
  const limit = Math.min(tokenizer.maxLength, positions ?? Infinity);
  const maxLength = checkCount(
    where,
    'maxLength',
    options.maxLength ?? Math.min(DEFAULT_PAIR_TOKENS, limit),
    4,
    positions ?? 1_000_000,
  );
  const half = Math.floor((maxLength - tokenizer.specialTokens(true)) / 2);
  const maxQueryTokens = checkCount(
    where,
    'maxQueryTokens',
    options.maxQueryTokens ?? Math.max(1, Math.min(DEFAULT_QUERY_TOKENS, half)),
    1,
    Math.max(1, half),
  );
  const mode = options.passageWindow ?? 'best';
  if (mode !== 'best' && mode !== 'head')
    throw invalidArgument(`${where}: passageWindow must be 'best' or 'head' (got ${String(mode)})`);
  const cacheSize = options.cacheSize ?? 10_000;
  if (!Number.isInteger(cacheSize) || cacheSize < 0)
    throw invalidArgument(`${where}: cacheSize must be a non-negative integer`);
  return {
    maxLength,
    maxQueryTokens,
    passageWindow: mode,
    batchSize: checkCount(where, 'batchSize', options.batchSize ?? 32, 1, 4096),
    batchTokens: checkCount(where, 'batchTokens', options.batchTokens ?? DEFAULT_BATCH_TOKENS, 1, 1 << 24),
    sigmoid: options.sigmoid ?? true,
    cacheSize,
  };
}

export class CrossEncoder implements Reranker {
  readonly cache: LruCache<number> | undefined;
  /** Tokens per pair, special tokens included (the token budget). */
  readonly maxLength: number;
  readonly maxQueryTokens: number;
  readonly passageWindow: PassageWindowMode;
  readonly batchSize: number;
  readonly batchTokens: number;
  readonly sigmoid: boolean;
  /** Candidates per query that fit QUERY_TOKEN_BUDGET at this pair budget (the engine's rerank.topN default). */
  readonly defaultTopN: number;
  private readonly hasTypeIds: boolean;

  private constructor(
    private readonly ort: OrtModule,
    private readonly session: OrtSession,
    readonly tokenizer: Tokenizer,
    readonly modelId: string,
    readonly file: string,
    readonly executionProvider: 'cpu' | 'cuda',
    s: CrossEncoderSettings,
  ) {
    this.maxLength = s.maxLength;
    this.maxQueryTokens = s.maxQueryTokens;
    this.passageWindow = s.passageWindow;
    this.batchSize = s.batchSize;
    this.batchTokens = s.batchTokens;
    this.sigmoid = s.sigmoid;
    this.defaultTopN = Math.max(1, Math.min(1000, Math.floor(QUERY_TOKEN_BUDGET / s.maxLength)));
    this.hasTypeIds = session.inputNames.includes('token_type_ids');
    this.cache = s.cacheSize > 0 ? new LruCache<number>(s.cacheSize) : undefined;
  }

  static async load(model: string, options: CrossEncoderOptions = {}): Promise<CrossEncoder> {
    const where = 'CrossEncoder.load';
    checkOptions(where, options, OPTIONS);
    if (typeof model !== 'string' || model.length === 0)
      throw invalidArgument(`${where}: model must be a directory or a Hub id`);
    const { threads = availableParallelism(), quantized, file, executionProviders, onWarning } = options;
    checkCount(where, 'threads', threads, 1, 4096);
    const providers = checkExecutionProviders(where, executionProviders);
    if (onWarning !== undefined && typeof onWarning !== 'function')
      throw invalidArgument(`${where}: onWarning must be a function`);
    const hub = hubOptionsOf(options);
    const loaded = await loadOrt();
    const quantizedFile = preferQuantized(quantized, providers, loaded.runtime);
    const dir = await resolveModel(model, { ...hub, quantized: quantizedFile, file });
    const info = await inspectModelDir(dir, { quantized: quantizedFile, file });
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
    const settings = pairSettings(where, options, tokenizer, positions);
    const path = join(dir, info.file);
    const { session, provider } = await createSession(loaded, path, {
      threads,
      executionProviders: providers,
      onWarning,
    });
    const missing = ['input_ids', 'attention_mask'].filter((n) => !session.inputNames.includes(n));
    if (missing.length > 0 || !session.outputNames.includes('logits')) {
      await session.release().catch(() => undefined);
      throw new TamsaekError(
        'INVALID_MODEL',
        `${path}: a cross-encoder needs inputs input_ids, attention_mask and output "logits" (has ${session.inputNames.join(', ')} → ${session.outputNames.join(', ')}); export with --task text-classification`,
      );
    }
    return new CrossEncoder(loaded.ort, session, tokenizer, model, info.file, provider, settings);
  }

  /**
   * The ids the model sees for a pair: the query (its first maxQueryTokens pieces) and the passage
   * window that fits the pair budget, with the special tokens.
   */
  encodePair(query: string, passage: string): Encoded {
    return this.encodeWith(this.queryPieces(query), passage);
  }

  private queryPieces(query: string): string[] {
    return this.tokenizer.tokenize(query).slice(0, this.maxQueryTokens);
  }

  private encodeWith(query: readonly string[], passage: string): Encoded {
    const room = this.maxLength - this.tokenizer.specialTokens(true) - query.length;
    const window = passageWindow(query, this.tokenizer.tokenize(passage), room, this.passageWindow);
    return this.tokenizer.encodeTokens(query, window);
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
    const pieces = this.queryPieces(query);
    // tokenization runs on this thread: in slices, checking the signal between them
    const slicer = new Slicer({ signal: options.signal, what: 'reranking' });
    for (let index = 0; index < passages.length; index++) {
      await slicer.pause();
      const key = `${query}\u0000${passages[index]}`;
      const hit = this.cache?.get(key);
      if (hit !== undefined) out[index] = hit;
      else todo.push({ index, key, ...this.encodeWith(pieces, passages[index]!) });
    }
    // length-sorted runs capped in pairs and padded tokens: little padding, bounded memory per run
    todo.sort((a, b) => b.ids.length - a.ids.length || a.index - b.index);
    for (const batch of planBatches(todo, this.batchSize, this.batchTokens)) {
      checkStop(options.signal, Infinity, 'reranking');
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
    const feeds = batchFeeds(this.ort.Tensor, padBatch(batch, this.tokenizer.padId, this.hasTypeIds));
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
