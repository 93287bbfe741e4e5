import { invalidArgument } from '../errors.js';

/** Throws INVALID_ARGUMENT unless `text` is a string (the one error an analyzer raises on input). */
export function checkText(where: string, text: unknown): asserts text is string {
  if (typeof text !== 'string') {
    throw invalidArgument(`${where}: text must be a string, got ${text === null ? 'null' : typeof text}`);
  }
}

export function checkTexts(where: string, texts: unknown): asserts texts is readonly string[] {
  if (!Array.isArray(texts)) throw invalidArgument(`${where}: texts must be an array of strings`);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// C0/C1 controls except \t \n \r, plus U+FFFE/U+FFFF non-characters: become spaces.
const CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]/g;
const HAS_SURROGATE = /[\uD800-\uDFFF]/;

/** Replaces lone surrogates by U+FFFD (so NFKC and UTF-8 encoders see well-formed text). */
export function toWellFormed(text: string): string {
  return HAS_SURROGATE.test(text) ? text.replace(LONE_SURROGATE, '\uFFFD') : text;
}

/**
 * The text every normalizing analyzer works on: well-formed UTF-16, control characters (NUL …)
 * turned into spaces, Unicode NFKC (full-width Latin → ASCII, compatibility Hangul jamo → jamo,
 * circled numbers → digits …). Case is folded per term later.
 */
export function normalizeText(text: string): string {
  return toWellFormed(text).replace(CONTROLS, ' ').normalize('NFKC');
}

/** Normalization applied to dictionary-like user input (stopwords): NFKC + lower case, trimmed. */
export function normalizeTerm(term: string): string {
  return normalizeText(term).trim().toLowerCase();
}

/** True when the string has at least one letter, mark or number (i.e. is not pure punctuation/symbols). */
const WORDISH = /[\p{L}\p{N}]/u;
export function isWordish(s: string): boolean {
  return WORDISH.test(s);
}

/** FNV-1a 32-bit, hex: a short stable hash of canonical option JSON for analyzer names. */
export function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
