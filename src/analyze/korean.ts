/**
 * What the two Korean morpheme analyzers share (ko-morph on lindera, ko-mecab on the native lattice):
 * mecab-ko-dic's tags, the Nori-like tag filter, the rule that turns a dictionary entry into index
 * terms (decompounding), and the validation of their common options.
 */
import { invalidArgument } from '../errors.js';
import { isWordish, normalizeText } from './normalize.js';
import type { UserWord } from './types.js';

export const DECOMPOUND_TYPES = new Set(['Compound', 'Inflect', 'Preanalysis']);
const ALWAYS_KEEP = new Set(['SL', 'SN', 'SH']);

/** mecab-ko-dic's part-of-speech tags (single tags; dictionary entries may join several with "+"). */
export const KO_DIC_TAGS = [
  'NNG',
  'NNP',
  'NNB',
  'NNBC',
  'NR',
  'NP',
  'VV',
  'VA',
  'VX',
  'VCP',
  'VCN',
  'MM',
  'MAG',
  'MAJ',
  'IC',
  'JKS',
  'JKC',
  'JKG',
  'JKO',
  'JKB',
  'JKV',
  'JKQ',
  'JX',
  'JC',
  'EP',
  'EF',
  'EC',
  'ETN',
  'ETM',
  'XPN',
  'XSN',
  'XSV',
  'XSA',
  'XR',
  'SF',
  'SE',
  'SSO',
  'SSC',
  'SC',
  'SY',
  'SL',
  'SH',
  'SN',
];

/** Tag filter: drop tags starting with any stop prefix, except SL/SN/SH (Nori-like). Cached per tag. */
export class TagFilter {
  private readonly prefixes: readonly string[];
  private readonly cache = new Map<string, boolean>();
  constructor(prefixes: readonly string[]) {
    this.prefixes = prefixes;
  }
  /**
   * The single ko-dic tags this filter drops. A token carrying one of them is dropped whatever its
   * type (an entry with a single stop tag decompounds into stop parts only), so lindera may drop it
   * before it reaches JS; entries with joined tags ("VV+EC") are left to the analyzer. Checked:
   * identical terms on 54,640 texts × six configurations (docs/analyzers.md, *Stop filter*).
   */
  droppedTags(): string[] {
    return KO_DIC_TAGS.filter((t) => !this.keep(t));
  }

  keep(tag: string): boolean {
    let k = this.cache.get(tag);
    if (k === undefined) {
      k = ALWAYS_KEEP.has(tag) || !this.prefixes.some((p) => tag.startsWith(p));
      this.cache.set(tag, k);
    }
    return k;
  }
}

/** Tags mecab-ko-dic's entries and unknown words carry besides KO_DIC_TAGS (rare entries, unknown Hangul, space). */
export const KO_DIC_EXTRA_TAGS = ['NA', 'UNA', 'VSV', 'UNKNOWN', 'SP'];

/** Default stop tags: endings, particles, determiners, symbols (SL/SN/SH kept), copula. */
export const DEFAULT_STOP_TAGS: readonly string[] = ['E', 'J', 'MM', 'S', 'VC'];

/**
 * ko-mecab's default stop tags: DEFAULT_STOP_TAGS plus the other grammatical morphemes that MeCab's
 * tagging tells apart — auxiliary predicates (VX: 있 in 하고 있다, 하 in 해야 한다, 보 in 해 보다, 않, 주),
 * noun-deriving suffixes (XSN: 성, 적, 화, 들 …; the stem stays: 가능성 → 가능) and pronouns (NP: the
 * anaphoric 이 of 이를/이에/이는, 그, 우리). Lindera's tagging does not separate these (its 있/하/보 are
 * mostly VV/VA, its 이 is never recognised), so ko-morph keeps DEFAULT_STOP_TAGS. Sorted, as a given
 * stopTags list is. Measured: docs/analyzers.md, *Quality*.
 */
export const KO_MECAB_STOP_TAGS: readonly string[] = ['E', 'J', 'MM', 'NP', 'S', 'VC', 'VX', 'XSN'];

/** Whether an entry of this type and expression stands for the morphemes of its expression. */
export function isDecomposable(type: string | undefined, expression: string | undefined): boolean {
  return (
    type !== undefined &&
    DECOMPOUND_TYPES.has(type) &&
    expression !== undefined &&
    expression !== '*' &&
    expression.includes('/')
  );
}

/**
 * Calls fn(surface, tag) for the morphemes an entry stands for: the parts "surface/TAG/…" of its
 * expression (joined by "+") when `split`, else the entry itself.
 */
export function forEachMorpheme(
  split: boolean,
  surface: string,
  tag: string,
  expression: string | undefined,
  fn: (surface: string, tag: string) => void,
): void {
  if (!split || expression === undefined) {
    fn(surface, tag);
    return;
  }
  for (const m of expression.split('+')) {
    const a = m.indexOf('/');
    if (a <= 0) continue;
    const b = m.indexOf('/', a + 1);
    const mtag = b < 0 ? m.slice(a + 1) : m.slice(a + 1, b);
    fn(m.slice(0, a), mtag);
  }
}

/**
 * The index term of a morpheme, or null: kept when its tag (the first of joined tags like VV+EP)
 * passes the filter and it has a letter or digit; Latin is lower-cased.
 */
export function termOf(surface: string, tag: string, tags: TagFilter): string | null {
  const plus = tag.indexOf('+');
  if (!tags.keep(plus < 0 ? tag : tag.slice(0, plus))) return null;
  return isWordish(surface) ? surface.toLowerCase() : null;
}

/** Validates and normalizes user-dictionary entries into canonical objects (NFKC words). */
export function canonicalUserDictionary(where: string, entries: unknown, allowCost = false): UserWord[] {
  if (entries === undefined) return [];
  if (!Array.isArray(entries)) throw invalidArgument(`${where}: userDictionary must be an array`);
  const out: UserWord[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    let w: UserWord;
    if (typeof e === 'string') w = { word: e };
    else if (e !== null && typeof e === 'object' && typeof (e as UserWord).word === 'string') {
      const keys = Object.keys(e);
      for (const k of keys) {
        if (k !== 'word' && k !== 'pos' && k !== 'parts' && (k !== 'cost' || !allowCost)) {
          const known = allowCost ? 'word, pos, cost, parts' : 'word, pos, parts';
          throw invalidArgument(`${where}: userDictionary entry has unknown key "${k}" (known: ${known})`);
        }
      }
      w = e as UserWord;
    } else throw invalidArgument(`${where}: userDictionary entries must be strings or {word, pos?, parts?}`);
    const word = normalizeText(w.word).trim();
    if (word === '' || /\s/.test(word))
      throw invalidArgument(`${where}: user word "${w.word}" must be non-empty without spaces`);
    const pos = w.pos === undefined ? 'NNP' : w.pos;
    if (typeof pos !== 'string' || !/^[A-Z]{1,4}$/.test(pos))
      throw invalidArgument(`${where}: user word "${w.word}": pos must be a ko-dic tag like NNG, NNP`);
    const c: UserWord = { word, pos };
    if (w.parts !== undefined) {
      if (
        !Array.isArray(w.parts) ||
        w.parts.length === 0 ||
        w.parts.some((p) => typeof p !== 'string' || p.trim() === '')
      ) {
        throw invalidArgument(`${where}: user word "${w.word}": parts must be non-empty strings`);
      }
      c.parts = w.parts.map((p) => normalizeText(p).trim());
    }
    if (w.cost !== undefined) {
      if (!Number.isInteger(w.cost) || w.cost < -32768 || w.cost > 32767)
        throw invalidArgument(`${where}: user word "${w.word}": cost must be an integer in -32768..32767`);
      c.cost = w.cost;
    }
    if (seen.has(word)) continue;
    seen.add(word);
    out.push(c);
  }
  return out;
}

/** The options ko-morph and ko-mecab share, validated. */
export interface MorphSettings {
  decompound: boolean;
  stopTags: readonly string[];
  /** Whether stopTags differs from the analyzer's default (only then does a config name it). */
  customStopTags: boolean;
  userDictionary: UserWord[];
}

/**
 * Validates decompound, stopTags and userDictionary; INVALID_ARGUMENT names `where`. `defaultStopTags`
 * is the analyzer's default (sorted): DEFAULT_STOP_TAGS for ko-morph, KO_MECAB_STOP_TAGS for ko-mecab.
 */
export function morphSettings(
  where: string,
  c: { decompound?: unknown; stopTags?: unknown; userDictionary?: unknown },
  allowCost: boolean,
  defaultStopTags: readonly string[] = DEFAULT_STOP_TAGS,
): MorphSettings {
  if (c.decompound !== undefined && typeof c.decompound !== 'boolean')
    throw invalidArgument(`${where}: decompound must be a boolean`);
  let stopTags = defaultStopTags;
  if (c.stopTags !== undefined) {
    if (!Array.isArray(c.stopTags) || c.stopTags.some((t) => typeof t !== 'string' || !/^[A-Z]{1,4}$/.test(t))) {
      throw invalidArgument(`${where}: stopTags must be an array of ko-dic tags or tag prefixes like "J", "EC"`);
    }
    stopTags = [...new Set(c.stopTags as string[])].sort();
  }
  return {
    decompound: c.decompound !== false,
    stopTags,
    customStopTags: c.stopTags !== undefined && stopTags.join() !== defaultStopTags.join(),
    userDictionary: canonicalUserDictionary(where, c.userDictionary, allowCost),
  };
}
