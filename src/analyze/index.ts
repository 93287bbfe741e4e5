import { checkOptions, invalidArgument, TamsaekError } from '../errors.js';
import { TermFilter } from './filters.js';
import { isCompoundTerm, KoMecabCore } from './ko-mecab.js';
import { KoMorphCore } from './ko-morph.js';
import { DEFAULT_STOP_TAGS, KO_DIC_TAGS, KO_MECAB_STOP_TAGS, morphSettings } from './korean.js';
import { type NgramParams, ngramTerms } from './ngram.js';
import { checkText, checkTexts, shortHash } from './normalize.js';
import type {
  AnalyzeAsyncOptions,
  Analyzer,
  AnalyzerConfig,
  AnalyzerToken,
  CombineConfig,
  KoMecabConfig,
  KoMorphConfig,
  NgramConfig,
  TermFilterOptions,
  WhitespaceConfig,
} from './types.js';
import { makeWhitespaceAnalyze } from './whitespace.js';

export { isCompoundTerm, koMecabStatus, mecabKoDicDir } from './ko-mecab.js';
export { koDicStatus } from './lindera.js';
export type {
  AnalyzeAsyncOptions,
  Analyzer,
  AnalyzerConfig,
  AnalyzerMorpheme,
  AnalyzerToken,
  CombineConfig,
  FixIMode,
  KoMecabConfig,
  KoMorphConfig,
  NgramConfig,
  TermFilterOptions,
  UserWord,
  WhitespaceConfig,
} from './types.js';

/** The analyzer a bare `createAnalyzer()` / an index without an explicit analyzer uses. */
export const DEFAULT_ANALYZER = 'ko-morph';

export interface AnalyzerInfo {
  name: string;
  description: string;
  options: string[];
  /** True when the analyzer needs lindera-wasm-nodejs-cjk (loaded lazily on first use). */
  needsDictionary: boolean;
}

const FILTER_KEYS = ['stopwords', 'synonyms'] as const;
const WHITESPACE_KEYS = ['name', ...FILTER_KEYS];
const NGRAM_KEYS = ['name', 'words', 'minGram', 'maxGram', ...FILTER_KEYS];
const KO_MORPH_KEYS = ['name', 'decompound', 'fixI', 'stopTags', 'userDictionary', ...FILTER_KEYS];
const KO_MECAB_KEYS = ['name', 'decompound', 'spacePenalty', 'stopTags', 'userDictionary', 'compounds', ...FILTER_KEYS];

/** ko-mecab's default `compounds`: the query weight of its compound terms (docs/analyzers.md, Compound terms). */
export const COMPOUND_WEIGHT: number | false = 0.5;
const COMBINE_KEYS = ['name', 'parts', 'prefix'];

/** "bigram": the ngram analyzer with Hangul syllable bigrams only (no words, no unigrams). */
const BIGRAM: NgramConfig = { name: 'ngram', words: false, minGram: 2 };

/** An analyzer configuration plus prefixed Hangul syllable bigrams ("ko-morph" → "ko-morph+bigram"). */
export function withBigrams(config: AnalyzerConfig): AnalyzerConfig {
  const isBigram = (c: AnalyzerConfig) => JSON.stringify(c) === JSON.stringify(BIGRAM);
  if (config.name === 'combine' && config.parts.some(isBigram)) return config;
  return { name: 'combine', parts: [config, { ...BIGRAM }] };
}

export function listAnalyzers(): AnalyzerInfo[] {
  return [
    {
      name: 'ko-morph',
      description:
        'Korean morphemes (lindera ko-dic), Nori-like stop filter (drops particles J*, endings E*, symbols S* except SL/SN/SH, copula VC*, determiners MM), decompounding, NFKC, lower-case. The default.',
      options: KO_MORPH_KEYS.slice(1),
      needsDictionary: true,
    },
    {
      name: 'ko-mecab',
      description:
        "ko-morph's options on the addon's MeCab-compatible analyzer (mecab-ko-dic, its dictionary memory-mapped): same morphemes as Debian's mecab, analysed in C++ (batches on worker threads), offsets for highlighting. Stop filter: ko-morph's plus pronouns NP, auxiliary predicates VX and noun suffixes XSN.",
      options: KO_MECAB_KEYS.slice(1),
      needsDictionary: true,
    },
    {
      name: 'ngram',
      description: 'Words plus Hangul syllable 1- and 2-grams; no dictionary (zero-dependency fallback).',
      options: NGRAM_KEYS.slice(1),
      needsDictionary: false,
    },
    {
      name: 'bigram',
      description:
        'Hangul syllable bigrams only (= {name: "ngram", words: false, minGram: 2}); best as "ko-morph+bigram".',
      options: NGRAM_KEYS.slice(1),
      needsDictionary: false,
    },
    {
      name: 'ko-morph+bigram',
      description:
        'ko-morph terms plus prefixed Hangul bigrams: the best measured quality on welfare-ssis (short colloquial queries), about equal on autorag-ko.',
      options: COMBINE_KEYS.slice(1),
      needsDictionary: true,
    },
    {
      name: 'whitespace',
      description: 'Split on Unicode whitespace, lower-case. For pre-tokenized text and throughput baselines.',
      options: WHITESPACE_KEYS.slice(1),
      needsDictionary: false,
    },
    {
      name: 'ko-morph+ngram',
      description:
        'Terms of several analyzers concatenated ("a+b" or {name: "combine", parts: [...]}); terms of the 2nd… part are prefixed "1:" … to keep vocabularies apart.',
      options: COMBINE_KEYS.slice(1),
      needsDictionary: true,
    },
  ];
}

function assertBool(where: string, key: string, v: unknown): void {
  if (v !== undefined && typeof v !== 'boolean') throw invalidArgument(`${where}: ${key} must be a boolean`);
}

function filterConfig(where: string, c: TermFilterOptions): TermFilterOptions {
  const out: TermFilterOptions = {};
  if (c.stopwords !== undefined) {
    if (!Array.isArray(c.stopwords) || c.stopwords.some((s) => typeof s !== 'string')) {
      throw invalidArgument(`${where}: stopwords must be an array of strings`);
    }
    if (c.stopwords.length > 0) out.stopwords = [...c.stopwords];
  }
  if (c.synonyms !== undefined) {
    if (
      !Array.isArray(c.synonyms) ||
      c.synonyms.some((g) => !Array.isArray(g) || g.some((m) => typeof m !== 'string'))
    ) {
      throw invalidArgument(`${where}: synonyms must be an array of string arrays`);
    }
    if (c.synonyms.length > 0) out.synonyms = c.synonyms.map((g) => [...g]);
  }
  return out;
}

/** name = base name when options are default, else base#hash(canonical options). */
function nameFor(base: string, config: object): string {
  const { name: _n, ...rest } = config as { name: string };
  const keys = Object.keys(rest);
  return keys.length === 0 ? base : `${base}#${shortHash(JSON.stringify(rest))}`;
}

interface AnalyzerExtras {
  analyzeBatch?: (texts: readonly string[]) => string[][];
  analyzeAsync?: (texts: readonly string[], options?: AnalyzeAsyncOptions) => Promise<string[][]>;
  tokens?: (text: string) => AnalyzerToken[];
  analyzeReusing?: (text: string, analyzer: string, terms: readonly string[]) => string[] | undefined;
  termWeight?: (term: string) => number;
}

function build(config: AnalyzerConfig, analyze: (text: string) => string[], extras: AnalyzerExtras = {}): Analyzer {
  const name = config.name === 'combine' ? combineName(config) : baseName(config);
  const frozen = deepFreeze(config);
  const batch =
    extras.analyzeBatch ??
    ((texts: readonly string[]): string[][] => {
      checkTexts(name, texts);
      const out = new Array<string[]>(texts.length);
      for (let i = 0; i < texts.length; i++) out[i] = analyze(texts[i]!);
      return out;
    });
  const a: Analyzer = { name, config: frozen, analyze, analyzeBatch: batch };
  const batchAsync = extras.analyzeAsync;
  if (batchAsync !== undefined) {
    a.analyzeAsync = async (texts: readonly string[], options?: AnalyzeAsyncOptions): Promise<string[][]> => {
      checkTexts(name, texts);
      checkOptions(`${name} analyzeAsync`, options, ['threads']);
      return batchAsync(texts, options);
    };
  }
  if (extras.tokens !== undefined) a.tokens = extras.tokens;
  if (extras.analyzeReusing !== undefined) a.analyzeReusing = extras.analyzeReusing;
  if (extras.termWeight !== undefined) a.termWeight = extras.termWeight;
  return Object.freeze(a);
}

function baseName(c: AnalyzerConfig): string {
  if (JSON.stringify(c) === JSON.stringify(BIGRAM)) return 'bigram';
  return nameFor(c.name, c);
}

function combineName(c: CombineConfig): string {
  const base = c.parts.map((p) => (p.name === 'combine' ? `(${combineName(p)})` : baseName(p))).join('+');
  return c.prefix === false ? `${base}#noprefix` : base;
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

function createWhitespace(c: WhitespaceConfig): Analyzer {
  checkOptions('whitespace', c, WHITESPACE_KEYS);
  const config: WhitespaceConfig = { name: 'whitespace', ...filterConfig('whitespace', c) };
  const raw = makeWhitespaceAnalyze(undefined);
  const filter = TermFilter.create('whitespace', config, raw.analyze);
  const fn = filter === undefined ? raw : makeWhitespaceAnalyze(filter);
  return build(config, fn.analyze, { analyzeBatch: fn.analyzeBatch });
}

function createNgram(c: NgramConfig): Analyzer {
  checkOptions('ngram', c, NGRAM_KEYS);
  assertBool('ngram', 'words', c.words);
  const minGram = c.minGram ?? 1;
  const maxGram = c.maxGram ?? 2;
  if (!Number.isInteger(minGram) || !Number.isInteger(maxGram) || minGram < 1 || maxGram < minGram || maxGram > 3) {
    throw invalidArgument('ngram: need integers 1 <= minGram <= maxGram <= 3');
  }
  const config: NgramConfig = { name: 'ngram' };
  if (c.words === false) config.words = false;
  if (minGram !== 1) config.minGram = minGram;
  if (maxGram !== 2) config.maxGram = maxGram;
  Object.assign(config, filterConfig('ngram', c));
  const p: NgramParams = { words: c.words !== false, minGram, maxGram };
  const raw = (text: string): string[] => {
    checkText('ngram', text);
    return ngramTerms(text, p);
  };
  const filter = TermFilter.create('ngram', config, raw);
  return build(config, filter === undefined ? raw : (text) => filter.apply(raw(text)));
}

/** Terms through stopwords/synonyms; synonym members are analysed on first use, so creating stays cheap. */
function withTermFilter(where: string, config: TermFilterOptions, raw: (text: string) => string[]) {
  let filter: TermFilter | undefined | null = config.stopwords || config.synonyms ? null : undefined;
  const get = (): TermFilter | undefined => {
    if (filter === null) filter = TermFilter.create(where, config, raw);
    return filter;
  };
  return {
    /** undefined when there is nothing to filter */
    apply:
      filter === undefined
        ? undefined
        : (terms: string[]): string[] => {
            const f = get();
            return f === undefined ? terms : f.apply(terms);
          },
  };
}

function createKoMorph(c: KoMorphConfig): Analyzer {
  checkOptions('ko-morph', c, KO_MORPH_KEYS);
  if (c.fixI !== undefined && c.fixI !== 'drop' && c.fixI !== 'split' && c.fixI !== 'off') {
    throw invalidArgument('ko-morph: fixI must be "drop", "split" or "off"');
  }
  const m = morphSettings('ko-morph', c, false);
  const config: KoMorphConfig = { name: 'ko-morph' };
  if (!m.decompound) config.decompound = false;
  if (c.fixI !== undefined && c.fixI !== 'drop') config.fixI = c.fixI;
  if (m.customStopTags) config.stopTags = [...m.stopTags];
  if (m.userDictionary.length > 0) config.userDictionary = m.userDictionary;
  Object.assign(config, filterConfig('ko-morph', c));
  const core = new KoMorphCore({ ...m, fixI: c.fixI ?? 'drop' });
  const raw = (text: string): string[] => {
    checkText('ko-morph', text);
    return core.terms(text);
  };
  const filter = withTermFilter('ko-morph', config, (t) => core.terms(t)).apply;
  return build(config, filter === undefined ? raw : (text) => filter(raw(text)));
}

/** Tags a ko-mecab user word may take: mecab-ko-dic gives each of them context ids. */
const USER_TAGS = new Set(KO_DIC_TAGS);

function createKoMecab(c: KoMecabConfig): Analyzer {
  checkOptions('ko-mecab', c, KO_MECAB_KEYS);
  const m = morphSettings('ko-mecab', c, true, KO_MECAB_STOP_TAGS);
  assertBool('ko-mecab', 'spacePenalty', c.spacePenalty);
  const compounds = compoundWeight(c.compounds);
  for (const w of m.userDictionary) {
    if (!USER_TAGS.has(w.pos!))
      throw invalidArgument(`ko-mecab: user word "${w.word}": pos ${w.pos} is not a mecab-ko-dic tag (NNG, NNP, VV …)`);
    if (w.parts?.some((p) => /[+/]/.test(p)))
      throw invalidArgument(`ko-mecab: user word "${w.word}": parts must not contain "+" or "/"`);
  }
  const config: KoMecabConfig = { name: 'ko-mecab' };
  if (!m.decompound) config.decompound = false;
  if (c.spacePenalty === true) config.spacePenalty = true;
  if (m.customStopTags) config.stopTags = [...m.stopTags];
  if (m.userDictionary.length > 0) config.userDictionary = m.userDictionary;
  if (compounds !== COMPOUND_WEIGHT) config.compounds = compounds;
  Object.assign(config, filterConfig('ko-mecab', c));
  const core = new KoMecabCore({ ...m, compounds: compounds !== false, spacePenalty: c.spacePenalty === true });
  const filter = withTermFilter('ko-mecab', config, (t) => core.morphemeTerms(t)).apply;
  const analyze = (text: string): string[] => {
    checkText('ko-mecab', text);
    return core.terms(text, filter);
  };
  const analyzeAsync = async (texts: readonly string[], o?: AnalyzeAsyncOptions): Promise<string[][]> => {
    for (const t of texts) checkText('ko-mecab', t);
    return core.termsBatch(texts, o?.threads, filter);
  };
  const tokens = (text: string): AnalyzerToken[] => {
    checkText('ko-mecab', text);
    return core.tokens(text);
  };
  const termWeight = compounds === false ? undefined : (t: string): number => (isCompoundTerm(t) ? compounds : 1);
  return build(config, analyze, { analyzeAsync, tokens, ...(termWeight ? { termWeight } : {}) });
}

/** ko-mecab's `compounds`: false, or a query weight in (0, 1]; true and undefined give the default. */
function compoundWeight(v: unknown): number | false {
  if (v === undefined || v === true) return COMPOUND_WEIGHT;
  if (v === false) return false;
  if (typeof v !== 'number' || !(v > 0 && v <= 1))
    throw invalidArgument('ko-mecab: compounds must be false or a query weight in (0, 1]');
  return v;
}

function createCombine(c: CombineConfig): Analyzer {
  checkOptions('combine', c, COMBINE_KEYS);
  assertBool('combine', 'prefix', c.prefix);
  if (!Array.isArray(c.parts) || c.parts.length < 2)
    throw invalidArgument('combine: parts must list at least two analyzers');
  const parts = c.parts.map((p) => createAnalyzer(p));
  const config: CombineConfig = { name: 'combine', parts: parts.map((p) => p.config) };
  if (c.prefix === false) config.prefix = false;
  const prefix = c.prefix !== false;
  const join = (out: string[], k: number, terms: string[]): void => {
    if (prefix) {
      const pre = `${k}:`;
      for (const t of terms) out.push(pre + t);
    } else for (const t of terms) out.push(t);
  };
  /** `head` (the first part's terms of `text`) followed by the other parts' terms. */
  const withRest = (text: string, head: string[]): string[] => {
    for (let k = 1; k < parts.length; k++) join(head, k, parts[k]!.analyze(text));
    return head;
  };
  const analyze = (text: string): string[] => {
    checkText('combine', text);
    return withRest(text, parts[0]!.analyze(text));
  };
  const analyzeReusing = (text: string, analyzer: string, terms: readonly string[]): string[] | undefined => {
    if (analyzer !== parts[0]!.name) return undefined;
    checkText('combine', text);
    return withRest(text, [...terms]);
  };
  // off the JS thread where a part can be (ko-mecab); the other parts analyse on the calling thread
  const partAsync = (k: number, texts: readonly string[], o?: AnalyzeAsyncOptions): Promise<string[][]> | string[][] =>
    parts[k]!.analyzeAsync?.(texts, o) ?? texts.map((t) => parts[k]!.analyze(t));
  const analyzeAsync = async (texts: readonly string[], o?: AnalyzeAsyncOptions): Promise<string[][]> => {
    for (const t of texts) checkText('combine', t);
    const out = await partAsync(0, texts, o);
    for (let k = 1; k < parts.length; k++) {
      const terms = await partAsync(k, texts, o);
      for (let i = 0; i < out.length; i++) join(out[i]!, k, terms[i]!);
    }
    return out;
  };
  return build(config, analyze, {
    analyzeReusing,
    ...(parts.some((p) => p.analyzeAsync !== undefined) ? { analyzeAsync } : {}),
    ...(parts.some((p) => p.termWeight !== undefined) ? { termWeight: combinedTermWeight(parts, prefix) } : {}),
  });
}

/** A combination's term weights: a prefixed term's from its part, an unprefixed one's from the first part. */
function combinedTermWeight(parts: readonly Analyzer[], prefix: boolean): (term: string) => number {
  return (term: string): number => {
    if (prefix) {
      const colon = term.indexOf(':');
      const k = colon > 0 ? Number(term.slice(0, colon)) : 0;
      if (Number.isInteger(k) && k >= 1 && k < parts.length) return parts[k]!.termWeight?.(term.slice(colon + 1)) ?? 1;
    }
    return parts[0]!.termWeight?.(term) ?? 1;
  };
}

/**
 * Creates an analyzer from a name ("ko-morph", "ngram", "whitespace", "ko-morph+ngram" …) or a
 * config object (as stored in `analyzer.config`). Throws UNKNOWN_ANALYZER / UNKNOWN_OPTION /
 * INVALID_ARGUMENT. Creating a ko-morph analyzer is cheap: the dictionary loads on first analyze().
 */
export function createAnalyzer(spec: string | AnalyzerConfig = DEFAULT_ANALYZER): Analyzer {
  if (typeof spec === 'string') {
    const s = spec.trim();
    if (s.includes('+')) {
      const names = s.split('+').map((x) => x.trim());
      if (names.some((x) => x === '')) throw new TamsaekError('UNKNOWN_ANALYZER', `unknown analyzer "${spec}"`);
      return createCombine({
        name: 'combine',
        parts: names.map((x) => (x === 'bigram' ? { ...BIGRAM } : ({ name: x } as AnalyzerConfig))),
      });
    }
    if (s === 'bigram') return createNgram({ ...BIGRAM });
    return createAnalyzer({ name: s } as AnalyzerConfig);
  }
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw invalidArgument('createAnalyzer: spec must be an analyzer name or a config object');
  }
  const name = (spec as { name?: unknown }).name;
  if (typeof name !== 'string') throw invalidArgument('createAnalyzer: config.name must be a string');
  switch (name) {
    case 'ko-morph':
      return createKoMorph(spec as KoMorphConfig);
    case 'ko-mecab':
      return createKoMecab(spec as KoMecabConfig);
    case 'ngram':
      return createNgram(spec as NgramConfig);
    case 'whitespace':
      return createWhitespace(spec as WhitespaceConfig);
    case 'combine':
      return createCombine(spec as CombineConfig);
    default:
      if (name.includes('+') && Object.keys(spec).length === 1) return createAnalyzer(name);
      throw new TamsaekError(
        'UNKNOWN_ANALYZER',
        `unknown analyzer "${name}" (known: ko-morph, ko-mecab, ngram, whitespace, combinations like ko-morph+ngram)`,
      );
  }
}

/**
 * An analyzer config as an index stores it: defaults that have changed, or may, spelled out — ko-mecab's
 * stop tags (its default grew NP, VX and XSN on 2026-12-06) and compound terms — so a stored index keeps
 * analysing as it did.
 */
export function storedAnalyzerConfig(config: AnalyzerConfig): AnalyzerConfig {
  return withKoMecabDefaults(config, { stopTags: KO_MECAB_STOP_TAGS, compounds: COMPOUND_WEIGHT });
}

interface KoMecabDefaults {
  stopTags: readonly string[];
  compounds: number | false;
}

/** `config` with every ko-mecab config (combinations' parts too) naming its stop tags and compounds. */
function withKoMecabDefaults(config: AnalyzerConfig, d: KoMecabDefaults): AnalyzerConfig {
  if (config.name === 'combine') return { ...config, parts: config.parts.map((p) => withKoMecabDefaults(p, d)) };
  if (config.name !== 'ko-mecab') return config;
  const out: KoMecabConfig = { ...config };
  if (out.stopTags === undefined) out.stopTags = [...d.stopTags];
  if (out.compounds === undefined) out.compounds = d.compounds;
  return out;
}

/**
 * The analyzer a stored config names. A ko-mecab config without stop tags was stored before they were
 * spelled out (storedAnalyzerConfig), when its default was ko-morph's set: it keeps that set; one without
 * `compounds` was stored before compound terms existed: it has none.
 */
export function analyzerFromStored(stored: string | AnalyzerConfig): Analyzer {
  return createAnalyzer(storedConfigAsRead(stored));
}

/** The config a stored analyzer runs with: analyzerFromStored's, without building the analyzer. */
export function storedConfigAsRead(stored: string | AnalyzerConfig): AnalyzerConfig {
  const config = typeof stored === 'string' ? createAnalyzer(stored).config : stored;
  return withKoMecabDefaults(config as AnalyzerConfig, { stopTags: DEFAULT_STOP_TAGS, compounds: false });
}
