import { forEachMorpheme, isDecomposable, TagFilter, termOf } from './korean.js';
import { getKoDicTokenizer, type LinderaToken } from './lindera.js';
import { isWordish, normalizeText } from './normalize.js';
import type { FixIMode, UserWord } from './types.js';
import { cutText } from './windows.js';

export { canonicalUserDictionary, TagFilter } from './korean.js';

/** Longest chunk handed to lindera at once (chars); long texts are cut at whitespace near this size. */
export const MAX_CHUNK = 8192;

/** Cuts text into pieces of at most `max` chars, preferring line ends, then sentence ends, then spaces. */
export function chunkText(text: string, max = MAX_CHUNK): string[] {
  return cutText(text, max);
}

function hasJongseong(c: number): boolean {
  return c >= 0xac00 && c <= 0xd7a3 && (c - 0xac00) % 28 !== 0;
}

/**
 * Words that really end in 이 (adverbs in -이, nouns like 어린이) and that ko-dic analyses right:
 * they are not split. Suffixes match the end of the Hangul run (관계없이, 똑같이, 물놀이); whole words
 * must be the entire run (길이 but not 시간이…).
 */
const I_SUFFIXES = [
  '없이',
  '같이',
  '많이',
  '어린이',
  '맞벌이',
  '놀이',
  '일찍이',
  '깨끗이',
  '꼼꼼이',
  '틈틈이',
  '일일이',
  '낱낱이',
  '곰곰이',
];
const I_WORDS = new Set(['길이', '높이', '깊이', '넓이', '종이', '먹이', '굳이', '벌이']);

function isLexicalI(text: string, idx: number): boolean {
  let s = idx;
  while (s > 0) {
    const c = text.charCodeAt(s - 1);
    if (c < 0xac00 || c > 0xd7a3) break;
    s--;
  }
  const word = text.slice(s, idx + 1);
  if (I_WORDS.has(word)) return true;
  for (const suf of I_SUFFIXES) if (word.endsWith(suf)) return true;
  return false;
}

/**
 * lindera's ko-dic never recognises the morpheme `이` (subject particle / copula): the Viterbi path
 * then glues it to the previous syllable ("학생이" → 학/NNG 생이/NNG, "지방은행이" → 지방 은 행이).
 * Fix, before tokenizing: an eojeol-final `이` that follows a Hangul syllable with a final consonant
 * (where `이` is the particle in standard Korean; after a vowel the particle is `가`) is set apart
 * by a space. After tokenizing, unknown tokens that are `이` alone or `이…` glued to the previous
 * token (e.g. "이었다" in "학생이었다") are dropped as particle/copula material.
 */
export function splitFinalI(text: string): string {
  let idx = text.indexOf('이', 1);
  if (idx < 0) return text;
  let out = '';
  let last = 0;
  const n = text.length;
  while (idx >= 0) {
    const prev = text.charCodeAt(idx - 1);
    const next = idx + 1 < n ? text.charCodeAt(idx + 1) : 32;
    // final: followed by whitespace, end, or an ASCII/CJK punctuation mark
    const final =
      next === 32 ||
      (next >= 9 && next <= 13) ||
      (next < 128 && !((next >= 48 && next <= 57) || ((next | 32) >= 97 && (next | 32) <= 122))) ||
      next === 0x3000 ||
      (next >= 0x2018 && next <= 0x201d) ||
      next === 0x2026 ||
      next === 0x3001 ||
      next === 0x3002;
    if (final && hasJongseong(prev) && !isLexicalI(text, idx)) {
      out += `${text.slice(last, idx)} `;
      last = idx;
    }
    idx = text.indexOf('이', idx + 1);
  }
  return last === 0 ? text : out + text.slice(last);
}

interface Span {
  start: number;
  end: number;
  user: UserWord;
  done: boolean;
}

interface Segment {
  text: string;
  user?: UserWord;
}

/** Longest-leftmost matching of user words; returns alternating plain / user segments. */
export class UserDictionary {
  private readonly byFirst = new Map<number, UserWord[]>();
  readonly size: number;
  constructor(words: readonly UserWord[]) {
    for (const w of words) {
      const c = w.word.charCodeAt(0);
      let list = this.byFirst.get(c);
      if (list === undefined) this.byFirst.set(c, (list = []));
      list.push(w);
    }
    for (const list of this.byFirst.values()) list.sort((a, b) => b.word.length - a.word.length);
    this.size = words.length;
  }
  segment(text: string): Segment[] {
    const segs: Segment[] = [];
    let plainStart = 0;
    const n = text.length;
    for (let i = 0; i < n; ) {
      const list = this.byFirst.get(text.charCodeAt(i));
      let hit: UserWord | undefined;
      if (list !== undefined) {
        for (const w of list) {
          if (text.startsWith(w.word, i)) {
            hit = w;
            break;
          }
        }
      }
      if (hit === undefined) {
        i++;
        continue;
      }
      if (i > plainStart) segs.push({ text: text.slice(plainStart, i) });
      segs.push({ text: hit.word, user: hit });
      i += hit.word.length;
      plainStart = i;
    }
    if (plainStart < n) segs.push({ text: text.slice(plainStart) });
    return segs;
  }
}

/**
 * Whether the token starting at UTF-8 offset `byteStart` of `chunk` follows the previous character
 * with no whitespace between — lindera turns every other character into a token, so this is "the
 * previous token ends where this one starts", and it holds even when the previous token was a stop
 * tag dropped inside lindera. `at` is a forward-only (byte, char) cursor over the chunk.
 */
function gluedToPrevious(chunk: string, byteStart: number, at: { byte: number; char: number }): boolean {
  while (at.byte < byteStart && at.char < chunk.length) {
    const cp = chunk.codePointAt(at.char)!;
    at.byte += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    at.char += cp > 0xffff ? 2 : 1;
  }
  return at.char > 0 && !/\s/.test(chunk[at.char - 1]!);
}

export class KoMorphCore {
  private readonly tags: TagFilter;
  private readonly decompound: boolean;
  private readonly fixI: FixIMode;
  private readonly dict: UserDictionary | undefined;
  private readonly dropTags: readonly string[];

  constructor(opts: {
    decompound: boolean;
    fixI: FixIMode;
    stopTags: readonly string[];
    userDictionary: readonly UserWord[];
  }) {
    this.tags = new TagFilter(opts.stopTags);
    this.decompound = opts.decompound;
    this.fixI = opts.fixI;
    this.dict = opts.userDictionary.length > 0 ? new UserDictionary(opts.userDictionary) : undefined;
    this.dropTags = this.tags.droppedTags();
  }

  /** Terms of one text (before stopwords/synonyms); a fresh array the caller may change. */
  terms(raw: string): string[] {
    return this.analyze(raw);
  }

  private analyze(raw: string): string[] {
    const out: string[] = [];
    if (raw.length === 0) return out;
    const text = normalizeText(raw);
    if (this.dict === undefined) {
      if (text.trim() === '') return out;
      const t = this.fixI === 'split' ? splitFinalI(text) : text;
      const tk = getKoDicTokenizer(this.dropTags);
      for (const chunk of chunkText(t)) this.emit(chunk, tk.tokenize(chunk), out, 0, undefined);
      return out;
    }
    // User words are replaced by a placeholder noun that ko-dic segments reliably and that keeps the
    // grammatical context (the particle after it), then the placeholder's tokens are replaced by the
    // user word. Placeholder: 사람 after a final consonant (사람이/을/은), 나무 otherwise (나무가/를/는).
    const segs = this.dict.segment(text);
    let buf = '';
    let bytes = 0;
    const spans: Span[] = [];
    for (const seg of segs) {
      if (seg.user === undefined) {
        const t = this.fixI === 'split' ? splitFinalI(seg.text) : seg.text;
        buf += t;
        bytes += Buffer.byteLength(t, 'utf8');
      } else {
        const ph = hasJongseong(seg.text.charCodeAt(seg.text.length - 1)) ? '사람' : '나무';
        spans.push({ start: bytes, end: bytes + 6, user: seg.user, done: false });
        buf += ph;
        bytes += 6;
      }
    }
    if (buf.trim() === '') return out;
    const tk = getKoDicTokenizer(this.dropTags);
    const cursor = { spans, i: 0 };
    let base = 0;
    for (const chunk of chunkText(buf)) {
      this.emit(chunk, tk.tokenize(chunk), out, base, cursor);
      base += Buffer.byteLength(chunk, 'utf8');
    }
    return out;
  }

  private emit(
    chunk: string,
    tokens: LinderaToken[],
    out: string[],
    base: number,
    cursor: { spans: Span[]; i: number } | undefined,
  ): void {
    const { tags, decompound } = this;
    const fixI = this.fixI !== 'off';
    const at = { byte: 0, char: 0 };
    for (let i = 0; i < tokens.length; i++) {
      const tok = tokens[i]!;
      const tag = tok.partOfSpeechTag;
      const surface = tok.surface;
      if (cursor !== undefined) {
        const spans = cursor.spans;
        const a = base + tok.byteStart;
        while (cursor.i < spans.length && spans[cursor.i]!.end <= a) cursor.i++;
        const sp = spans[cursor.i];
        if (sp !== undefined && sp.start < base + tok.byteEnd) {
          if (!sp.done) {
            sp.done = true;
            const u = sp.user;
            if (tags.keep(u.pos ?? 'NNP')) {
              if (u.parts !== undefined) for (const p of u.parts) out.push(p.toLowerCase());
              else out.push(u.word.toLowerCase());
            }
          }
          continue;
        }
      }
      if (tag === 'UNK') {
        if (
          fixI &&
          surface.charCodeAt(0) === 0xc774 /* 이 */ &&
          (surface.length === 1 || gluedToPrevious(chunk, tok.byteStart, at))
        )
          continue;
        if (isWordish(surface)) out.push(surface.toLowerCase());
        continue;
      }
      forEachMorpheme(decompound && isDecomposable(tok.type, tok.expression), surface, tag, tok.expression, (m, t) => {
        const term = termOf(m, t, tags);
        if (term !== null) out.push(term);
      });
    }
  }
}
