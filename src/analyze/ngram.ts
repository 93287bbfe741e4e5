import { normalizeText } from './normalize.js';
import { isSpace } from './whitespace.js';

const WORD_CHAR_RE = /[\p{L}\p{N}\p{M}]/u;

function isWordChar(c: number, s: string, i: number): boolean {
  if (c < 128) return (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
  if (c >= 0xac00 && c <= 0xd7a3) return true;
  if (c >= 0xd800 && c <= 0xdfff) return true; // astral code points (text is well-formed here)
  return WORD_CHAR_RE.test(s[i]!);
}

/** Whitespace as `\s` has it, plus NEL (U+0085). */
function isNgramSpace(c: number): boolean {
  return isSpace(c) || c === 0x85;
}

export interface NgramParams {
  words: boolean;
  minGram: number;
  maxGram: number;
}

/**
 * Words (whitespace-separated, lower-cased, leading/trailing punctuation stripped) plus Hangul
 * syllable n-grams (minGram…maxGram) inside every run of Hangul syllables of each word.
 * Single pass over char codes; no per-token regular expressions on Hangul or ASCII.
 */
export function ngramTerms(raw: string, p: NgramParams): string[] {
  const out: string[] = [];
  if (raw.length === 0) return out;
  const text = normalizeText(raw).toLowerCase();
  const n = text.length;
  const { words, minGram, maxGram } = p;
  let i = 0;
  while (i < n) {
    // skip whitespace
    while (i < n && isNgramSpace(text.charCodeAt(i))) i++;
    if (i >= n) break;
    let e = i;
    while (e < n && !isNgramSpace(text.charCodeAt(e))) e++;
    // strip edge punctuation
    let s = i;
    let t = e;
    while (s < t && !isWordChar(text.charCodeAt(s), text, s)) s++;
    while (t > s && !isWordChar(text.charCodeAt(t - 1), text, t - 1)) t--;
    i = e;
    if (s >= t) continue;
    if (words) out.push(text.slice(s, t));
    // Hangul runs
    let j = s;
    while (j < t) {
      const c = text.charCodeAt(j);
      if (c < 0xac00 || c > 0xd7a3) {
        j++;
        continue;
      }
      let r = j + 1;
      while (r < t) {
        const d = text.charCodeAt(r);
        if (d < 0xac00 || d > 0xd7a3) break;
        r++;
      }
      for (let k = j; k < r; k++) {
        for (let g = minGram; g <= maxGram && k + g <= r; g++) out.push(text.slice(k, k + g));
      }
      j = r;
    }
  }
  return out;
}
