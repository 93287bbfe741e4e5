import type { TermFilter } from './filters.js';
import { checkText, checkTexts } from './normalize.js';

const WS = /\s+/;

/**
 * Splits on Unicode whitespace and lower-cases. Nothing else: it is the throughput baseline and the
 * analyzer for pre-tokenized text. Lone surrogates and NUL pass through as parts of terms.
 */
export function whitespaceTerms(text: string): string[] {
  if (text.length === 0) return [];
  const parts = text.toLowerCase().split(WS);
  // split() yields "" only at the ends (leading/trailing whitespace).
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length > 0 && parts[0] === '') parts.shift();
  return parts;
}

export function makeWhitespaceAnalyze(filter: TermFilter | undefined): {
  analyze(text: string): string[];
  analyzeBatch(texts: readonly string[]): string[][];
} {
  const analyze =
    filter === undefined
      ? (text: string): string[] => {
          checkText('whitespace', text);
          return whitespaceTerms(text);
        }
      : (text: string): string[] => {
          checkText('whitespace', text);
          return filter.apply(whitespaceTerms(text));
        };
  return {
    analyze,
    analyzeBatch(texts: readonly string[]): string[][] {
      checkTexts('whitespace', texts);
      const out = new Array<string[]>(texts.length);
      for (let i = 0; i < texts.length; i++) out[i] = analyze(texts[i]!);
      return out;
    },
  };
}
