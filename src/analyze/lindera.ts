import { createRequire } from 'node:module';
import { TamsaekError } from '../errors.js';

/** The token fields tamsaek reads from lindera-wasm (ko-dic). UNK tokens only carry surface + tag. */
export interface LinderaToken {
  surface: string;
  partOfSpeechTag: string;
  type?: string;
  expression?: string;
  byteStart: number;
  byteEnd: number;
}

export interface LinderaTokenizer {
  tokenize(text: string): LinderaToken[];
}

interface LinderaModule {
  TokenizerBuilder: new () => {
    setDictionary(uri: string): void;
    setMode(mode: string): void;
    appendTokenFilter(name: string, args: unknown): void;
    build(): LinderaTokenizer;
  };
}

const tokenizers = new Map<string, LinderaTokenizer>();
let loadMs = 0;

/**
 * The process-wide ko-dic tokenizer, loaded on first use (≈0.5 s and ≈250 MB: the 42 MB wasm
 * embeds the dictionary). Requiring the package compiles the wasm, so nothing happens until a
 * ko-morph analyzer analyzes its first text; other analyzers never pay for it.
 *
 * `dropTags` (exact ko-dic tags) are removed inside the wasm by lindera's `korean_stop_tags` filter:
 * every token that crosses into JS costs an object and its strings (a third of the analysis time),
 * so tokens the caller would drop anyway are better never built. One tokenizer per distinct list
 * (≈20 MB each after the first: the dictionary is shared).
 */
export function getKoDicTokenizer(dropTags: readonly string[] = []): LinderaTokenizer {
  const key = dropTags.join(',');
  const cached = tokenizers.get(key);
  if (cached !== undefined) return cached;
  const t0 = performance.now();
  let mod: LinderaModule;
  try {
    const require = createRequire(import.meta.url);
    mod = require('lindera-wasm-nodejs-cjk') as LinderaModule;
  } catch (cause) {
    throw new TamsaekError(
      'ANALYZER_ERROR',
      'ko-morph: cannot load lindera-wasm-nodejs-cjk (npm install lindera-wasm-nodejs-cjk), or use the "ngram" analyzer',
      { cause },
    );
  }
  let tokenizer: LinderaTokenizer;
  try {
    const b = new mod.TokenizerBuilder();
    b.setDictionary('embedded://ko-dic');
    b.setMode('normal');
    if (dropTags.length > 0) b.appendTokenFilter('korean_stop_tags', { tags: [...dropTags] });
    tokenizer = b.build();
  } catch (cause) {
    throw new TamsaekError('ANALYZER_ERROR', `ko-morph: cannot build the ko-dic tokenizer: ${String(cause)}`, {
      cause,
    });
  }
  if (tokenizers.size === 0) loadMs = performance.now() - t0;
  tokenizers.set(key, tokenizer);
  return tokenizer;
}

/** Whether the ko-dic tokenizer has been loaded in this process, and how long loading took (ms). */
export function koDicStatus(): { loaded: boolean; loadMs: number } {
  return { loaded: tokenizers.size > 0, loadMs };
}
