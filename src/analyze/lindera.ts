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
    build(): LinderaTokenizer;
  };
}

let tokenizer: LinderaTokenizer | undefined;
let loadMs = 0;

/**
 * The process-wide ko-dic tokenizer, loaded on first use (≈0.5 s and ≈250 MB: the 42 MB wasm
 * embeds the dictionary). Requiring the package compiles the wasm, so nothing happens until a
 * ko-morph analyzer analyzes its first text; other analyzers never pay for it.
 */
export function getKoDicTokenizer(): LinderaTokenizer {
  if (tokenizer !== undefined) return tokenizer;
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
  try {
    const b = new mod.TokenizerBuilder();
    b.setDictionary('embedded://ko-dic');
    b.setMode('normal');
    tokenizer = b.build();
  } catch (cause) {
    throw new TamsaekError('ANALYZER_ERROR', `ko-morph: cannot build the ko-dic tokenizer: ${String(cause)}`, { cause });
  }
  loadMs = performance.now() - t0;
  return tokenizer;
}

/** Whether the ko-dic tokenizer has been loaded in this process, and how long loading took (ms). */
export function koDicStatus(): { loaded: boolean; loadMs: number } {
  return { loaded: tokenizer !== undefined, loadMs };
}
