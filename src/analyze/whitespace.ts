import type { TermFilter } from './filters.js';
import { checkText, checkTexts } from './normalize.js';

/** JavaScript's `\s` (WhiteSpace and LineTerminator): what the analyzer has always split on. */
export function isSpace(c: number): boolean {
  return (
    c === 32 ||
    (c >= 9 && c <= 13) ||
    (c > 127 &&
      (c === 0xa0 ||
        c === 0x1680 ||
        (c >= 0x2000 && c <= 0x200a) ||
        c === 0x2028 ||
        c === 0x2029 ||
        c === 0x202f ||
        c === 0x205f ||
        c === 0x3000 ||
        c === 0xfeff))
  );
}

/**
 * Splits on Unicode whitespace and lower-cases. Nothing else: it is the throughput baseline and the
 * analyzer for pre-tokenized text. Lone surrogates and NUL pass through as parts of terms. A scan of
 * char codes: `split(/\s+/)` costs a third more.
 */
export function whitespaceTerms(text: string): string[] {
  const lower = text.toLowerCase();
  const out: string[] = [];
  const n = lower.length;
  let i = 0;
  while (i < n) {
    while (i < n && isSpace(lower.charCodeAt(i))) i++;
    if (i >= n) break;
    let end = i + 1;
    while (end < n && !isSpace(lower.charCodeAt(end))) end++;
    out.push(lower.slice(i, end));
    i = end;
  }
  return out;
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
