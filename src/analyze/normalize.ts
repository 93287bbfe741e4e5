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

/**
 * Where each UTF-16 unit of normalizeText(raw) came from in `raw`: unit k of the normalized text
 * stems from raw.slice(start[k], end[k]). A span of normalized text [a, b) highlights
 * raw.slice(start[a], end[b - 1]).
 */
export interface SourceMap {
  start: Int32Array;
  end: Int32Array;
}

/**
 * Code points before which NFKC can be applied piecewise: starters that never compose with what
 * precedes them (ASCII, Hangul syllables, CJK unified ideographs). Between two of them lies a piece
 * whose normalization does not depend on its neighbours.
 */
function isStableStarter(c: number): boolean {
  return c < 0x80 || (c >= 0xac00 && c <= 0xd7a3) || (c >= 0x4e00 && c <= 0x9fff);
}

function mapPiece(piece: string, at: number, normalized: string, map: { start: number[]; end: number[] }): void {
  // Per code point when that reproduces the piece's normalization (full-width Latin, circled
  // digits …); else every unit of the piece's normalization stems from the whole piece.
  let joined = '';
  const spans: Array<[number, number, number]> = []; // [raw start, raw end, normalized length]
  for (let i = 0; i < piece.length; ) {
    const cp = piece.codePointAt(i)!;
    const w = cp > 0xffff ? 2 : 1;
    const n = String.fromCodePoint(cp).normalize('NFKC');
    spans.push([at + i, at + i + w, n.length]);
    joined += n;
    i += w;
  }
  if (joined === normalized) {
    for (const [s, e, n] of spans) for (let k = 0; k < n; k++) map.start.push(s), map.end.push(e);
  } else {
    for (let k = 0; k < normalized.length; k++) map.start.push(at), map.end.push(at + piece.length);
  }
}

/**
 * The source map of normalizeText(raw). toWellFormed and the control-character replacement keep
 * every unit in place; NFKC is mapped piece by piece between stable starters (the pieces' NFKC
 * joined is the text's NFKC; where it were not, every unit maps to the whole text).
 */
export function sourceMap(raw: string): SourceMap {
  const pre = toWellFormed(raw).replace(CONTROLS, ' ');
  const whole = pre.normalize('NFKC');
  if (whole === pre) {
    const start = new Int32Array(pre.length);
    for (let k = 0; k < start.length; k++) start[k] = k;
    return { start, end: start.map((k) => k + 1) };
  }
  const map = { start: [] as number[], end: [] as number[] };
  let joined = '';
  for (let i = 0; i < pre.length; ) {
    let j = i + 1;
    while (j < pre.length && !isStableStarter(pre.charCodeAt(j))) j++;
    const piece = pre.slice(i, j);
    const normalized = piece.normalize('NFKC');
    if (normalized === piece) {
      for (let k = 0; k < piece.length; k++) map.start.push(i + k), map.end.push(i + k + 1);
    } else mapPiece(piece, i, normalized, map);
    joined += normalized;
    i = j;
  }
  if (joined !== whole) {
    return { start: new Int32Array(whole.length), end: new Int32Array(whole.length).fill(raw.length) };
  }
  return { start: Int32Array.from(map.start), end: Int32Array.from(map.end) };
}
