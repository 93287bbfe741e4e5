/**
 * Tokenization from a Hugging Face `tokenizer.json` (+ `tokenizer_config.json`) on
 * @huggingface/tokenizers (pure JS, the tokenizer core of transformers.js: WordPiece, Unigram,
 * BPE, normalizers, pre-tokenizers, TemplateProcessing). That library has no truncation or
 * padding, so this module adds them the way the Rust `tokenizers` crate does: the special tokens
 * the post-processor adds are counted once, the text (or the longer of a pair, one token at a time —
 * "longest_first") is cut so the whole sequence fits `maxLength`, then the post-processor adds the
 * specials. Padding is the embedder's job (per batch, to the batch's longest sequence).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkOptions, invalidArgument, TamsaekError } from '../errors.js';

interface PostProcessed {
  tokens: string[];
  token_type_ids?: number[];
}
interface HfTokenizerCore {
  tokenize(text: string, options?: { add_special_tokens?: boolean }): string[];
  token_to_id(token: string): number | undefined;
  post_processor: ((a: string[], b: string[] | null, addSpecial: boolean) => PostProcessed) | null;
  model: { unk_token_id?: number };
}
type TokenizersModule = { Tokenizer: new (tokenizer: object, config: object) => HfTokenizerCore };

let tokenizersModule: Promise<TokenizersModule> | undefined;
function loadTokenizers(): Promise<TokenizersModule> {
  tokenizersModule ??= import('@huggingface/tokenizers') as unknown as Promise<TokenizersModule>;
  return tokenizersModule;
}

export interface Encoded {
  ids: number[];
  typeIds: number[];
}

export interface EncodeOptions {
  /** Second text of a pair (cross-encoders). */
  pair?: string;
  /** Overrides the tokenizer's maximum length (including special tokens). */
  maxLength?: number;
}

export class Tokenizer {
  private constructor(
    private readonly core: HfTokenizerCore,
    /** Maximum sequence length including special tokens. */
    readonly maxLength: number,
    readonly padId: number,
    private readonly specialsSingle: number,
    private readonly specialsPair: number,
  ) {}

  /** Builds a tokenizer from parsed tokenizer.json / tokenizer_config.json objects. */
  static async fromJSON(
    tokenizerJson: unknown,
    tokenizerConfig: unknown = {},
    options: { maxLength?: number; source?: string } = {},
  ): Promise<Tokenizer> {
    const source = options.source ?? 'tokenizer.json';
    if (typeof tokenizerJson !== 'object' || tokenizerJson === null || !('model' in tokenizerJson)) {
      throw new TamsaekError('INVALID_MODEL', `${source}: not a Hugging Face tokenizer.json (no "model")`);
    }
    const cfg = (typeof tokenizerConfig === 'object' && tokenizerConfig !== null ? tokenizerConfig : {}) as Record<
      string,
      unknown
    >;
    const { Tokenizer: Core } = await loadTokenizers();
    let core: HfTokenizerCore;
    try {
      core = new Core(tokenizerJson, cfg);
    } catch (e) {
      throw new TamsaekError(
        'INVALID_MODEL',
        `${source}: unsupported or malformed tokenizer (${(e as Error).message})`,
        { cause: e },
      );
    }
    const tj = tokenizerJson as { truncation?: { max_length?: number } | null; padding?: { pad_id?: number } | null };
    const fromConfig =
      typeof cfg.model_max_length === 'number' && cfg.model_max_length < 1e6 ? cfg.model_max_length : undefined;
    const maxLength = options.maxLength ?? tj.truncation?.max_length ?? fromConfig ?? 512;
    if (!Number.isInteger(maxLength) || maxLength < 2)
      throw invalidArgument(`${source}: maxLength must be an integer ≥ 2 (got ${maxLength})`);
    const padToken =
      typeof cfg.pad_token === 'string'
        ? cfg.pad_token
        : typeof (cfg.pad_token as { content?: string })?.content === 'string'
          ? (cfg.pad_token as { content: string }).content
          : undefined;
    const padId = tj.padding?.pad_id ?? (padToken !== undefined ? core.token_to_id(padToken) : undefined) ?? 0;
    const count = (b: string[] | null) =>
      core.post_processor ? core.post_processor(['x'], b, true).tokens.length - 1 - (b?.length ?? 0) : 0;
    return new Tokenizer(core, maxLength, padId, count(null), count(['y']));
  }

  /** Loads `tokenizer.json` (required) and `tokenizer_config.json` (optional) from a model directory. */
  static async fromDir(dir: string, options: { maxLength?: number } = {}): Promise<Tokenizer> {
    const path = join(dir, 'tokenizer.json');
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new TamsaekError(
        code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR',
        `model directory ${dir} has no readable tokenizer.json (${(e as Error).message})`,
        { cause: e },
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new TamsaekError('PARSE_ERROR', `${path}: invalid JSON (${(e as Error).message})`, { cause: e });
    }
    let cfg: unknown = {};
    try {
      cfg = JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8'));
    } catch {
      // optional
    }
    return Tokenizer.fromJSON(json, cfg, { ...options, source: path });
  }

  private toIds(tokens: string[]): number[] {
    const unk = this.core.model.unk_token_id ?? 0;
    return tokens.map((t) => this.core.token_to_id(t) ?? unk);
  }

  /** Encodes one text (or a pair), truncated to `maxLength` tokens including the special tokens. */
  encode(text: string, options: EncodeOptions = {}): Encoded {
    checkOptions('Tokenizer.encode', options, ['pair', 'maxLength']);
    if (typeof text !== 'string') throw invalidArgument('Tokenizer.encode: text must be a string');
    const { pair, maxLength = this.maxLength } = options;
    if (pair !== undefined && typeof pair !== 'string')
      throw invalidArgument('Tokenizer.encode: pair must be a string');
    if (!Number.isInteger(maxLength) || maxLength < 2)
      throw invalidArgument(`Tokenizer.encode: maxLength must be an integer ≥ 2 (got ${maxLength})`);
    let a = this.core.tokenize(text, { add_special_tokens: false });
    let b = pair === undefined ? null : this.core.tokenize(pair, { add_special_tokens: false });
    const budget = Math.max(0, maxLength - (b ? this.specialsPair : this.specialsSingle));
    if (b === null) {
      if (a.length > budget) a = a.slice(0, budget);
    } else if (a.length + b.length > budget) {
      // longest_first: drop one token at a time from the longer sequence
      let la = a.length;
      let lb = b.length;
      while (la + lb > budget) {
        if (la >= lb) la--;
        else lb--;
      }
      a = a.slice(0, la);
      b = b.slice(0, lb);
    }
    return this.encodeTokens(a, b);
  }

  /** Special tokens the post-processor adds to one text (`pair` false) or a pair. */
  specialTokens(pair: boolean): number {
    return pair ? this.specialsPair : this.specialsSingle;
  }

  /**
   * Ids of already tokenized pieces (from `tokenize`) with the special tokens added, without
   * truncation: for callers that choose which pieces to keep themselves (the reranker's passage window).
   */
  encodeTokens(a: readonly string[], b: readonly string[] | null = null): Encoded {
    const out = this.core.post_processor
      ? this.core.post_processor([...a], b ? [...b] : null, true)
      : { tokens: b ? [...a, ...b] : [...a] };
    const ids = this.toIds(out.tokens);
    const typeIds = out.token_type_ids ?? new Array<number>(ids.length).fill(0);
    return { ids, typeIds };
  }

  /** Token strings of a text without special tokens (for inspection). */
  tokenize(text: string): string[] {
    if (typeof text !== 'string') throw invalidArgument('Tokenizer.tokenize: text must be a string');
    return this.core.tokenize(text, { add_special_tokens: false });
  }
}
