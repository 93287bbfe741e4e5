/**
 * An analyzer turns text into index terms. It is the first stage of the query path and knows
 * nothing of indexes. The same analyzer must be used at index and at query time; its `name`
 * (with options) and its `config` are stored with an index so that a mismatch can be detected on
 * open and the analyzer re-created with `createAnalyzer(config)`.
 */
export interface Analyzer {
  /**
   * Stable identifier including options that change the output, e.g. "ko-morph",
   * "ko-morph+ngram" or "ko-morph#1a2b3c4d" (a hash of non-default options).
   */
  readonly name: string;
  /** JSON-serializable; `createAnalyzer(a.config)` recreates an analyzer with identical output. */
  readonly config: AnalyzerConfig;
  /** Terms of one text, in order, duplicates kept (term frequency matters). Never throws on odd Unicode. */
  analyze(text: string): string[];
  /** Optional faster path for many texts; must equal mapping analyze() over texts. */
  analyzeBatch?(texts: readonly string[]): string[][];
  /**
   * Optional off-thread path for many texts (a native analyzer's worker threads); must equal analyze().
   * ko-mecab has it (and combinations with it); src/analyze/batch.ts slices the others.
   */
  analyzeAsync?(texts: readonly string[], options?: AnalyzeAsyncOptions): Promise<string[][]>;
  /** The dictionary entries of a text with their offsets in it (ko-mecab). */
  tokens?(text: string): AnalyzerToken[];
  /**
   * `analyze(text)` given the terms another analyzer already found in it, or undefined when those do not
   * help: a combination whose first part is that analyzer (by name) analyses only its other parts. Lets a
   * leg with the engine analyzer plus bigrams reuse the query's terms instead of analysing it again.
   */
  analyzeReusing?(text: string, analyzer: string, terms: readonly string[]): string[] | undefined;
  /**
   * The weight of a query term in scoring (BM25 multiplies the term's idf by it); 1 where absent. ko-mecab's
   * compound terms weigh its `compounds` option: they repeat what their parts already match.
   */
  termWeight?(term: string): number;
}

export interface AnalyzeAsyncOptions {
  /** Worker threads (ko-mecab); default: the hardware threads but one (left to the event loop), at least 1. */
  threads?: number;
}

/** A morpheme an entry stands for, and the index term it gives (null when the stop filter drops it). */
export interface AnalyzerMorpheme {
  surface: string;
  pos: string;
  /** UTF-16 offsets in the original text: text.slice(start, end) (an inflected form's morphemes share its span). */
  start: number;
  end: number;
  term: string | null;
}

/** A dictionary entry of the analysis, placed in the original text (for highlighting). */
export interface AnalyzerToken {
  /** As analysed (after normalization: NFKC, controls to spaces). */
  surface: string;
  /** Its tag; inflected forms join tags, e.g. VV+EP. */
  pos: string;
  /** UTF-16 offsets in the original text: text.slice(start, end). */
  start: number;
  end: number;
  /** Inflect, Compound or Preanalysis; undefined for plain entries. */
  type?: string;
  /** The morphemes of an Inflect/Compound/Preanalysis entry, "surface/TAG/*" joined by "+". */
  expression?: string;
  /** The dictionary's feature CSV. */
  feature: string;
  /** What the entry contributes: its expression's morphemes when decompounded, else itself. */
  morphemes: AnalyzerMorpheme[];
}

/** Term post-processing shared by every base analyzer (applied identically at index and query time). */
export interface TermFilterOptions {
  /**
   * Terms to drop after analysis. Each entry is NFKC-normalized and lower-cased; for ko-morph it
   * is compared with the morpheme terms (e.g. "것", "수"), not with whole words.
   */
  stopwords?: string[];
  /**
   * Synonym groups. Every member of a group is analyzed with the same analyzer and then mapped to
   * the terms of the group's FIRST member (the canonical form), at index and at query time.
   * Members may analyze to several terms ("국민 연금"): such sequences are matched as a whole.
   */
  synonyms?: string[][];
}

/** A user-dictionary entry: the word is always kept as one token wherever it occurs. */
export interface UserWord {
  /** Surface form (NFKC-normalized before matching; matching is case-sensitive for Latin). */
  word: string;
  /** mecab-ko-dic tag that the stop filter sees; default "NNP". */
  pos?: string;
  /** Optional segmentation emitted instead of the whole word, e.g. ["세종", "시"]. */
  parts?: string[];
  /**
   * ko-mecab only: the word cost in the lattice (-32768..32767; lower = preferred). Default -20000,
   * which makes the word win wherever it occurs, as in ko-morph; a dictionary-like cost (nouns are
   * mostly 2000..5000) lets the surrounding analysis decide.
   */
  cost?: number;
}

export interface WhitespaceConfig extends TermFilterOptions {
  name: 'whitespace';
}

export interface NgramConfig extends TermFilterOptions {
  name: 'ngram';
  /** Emit whole words (lower-cased, edge punctuation stripped). Default true. */
  words?: boolean;
  /** Smallest / largest Hangul syllable n-gram, 1 ≤ minGram ≤ maxGram ≤ 3. Default 1 and 2. */
  minGram?: number;
  maxGram?: number;
}

export type FixIMode = 'drop' | 'split' | 'off';

export interface KoMorphConfig extends TermFilterOptions {
  name: 'ko-morph';
  /** Replace Compound/Inflect/Preanalysis tokens by their morphemes (each filtered by its own POS). Default true. */
  decompound?: boolean;
  /**
   * Work around lindera's unknown `이` (particle/copula): "drop" (default) drops unknown tokens `이`
   * and `이…` glued to the previous token; "split" also sets an eojeol-final `이` after a final
   * consonant apart before tokenizing (fixes 학생이 → 학/생이; measured no better overall); "off".
   */
  fixI?: FixIMode;
  /**
   * mecab-ko-dic tag prefixes to drop. Default ["E", "J", "MM", "S", "VC"]: endings, particles,
   * determiners, symbols (SL/SN/SH are always kept) and the copula 이다/아니다.
   */
  stopTags?: string[];
  /** Extra words kept whole (e.g. "은행" so that "지방은행이" yields 지방, 은행). */
  userDictionary?: Array<string | UserWord>;
}

/** ko-morph's options on the native MeCab-compatible analyzer (mecab-ko-dic; no lindera `이` defect to fix). */
export interface KoMecabConfig extends TermFilterOptions {
  name: 'ko-mecab';
  /** As ko-morph. Default true. */
  decompound?: boolean;
  /**
   * As ko-morph. Default ["E", "J", "MM", "NP", "S", "VC", "VX", "XSN"]: ko-morph's plus pronouns,
   * auxiliary predicates and noun-deriving suffixes, which MeCab's tagging separates (KO_MECAB_STOP_TAGS).
   */
  stopTags?: string[];
  /**
   * Add mecab-ko's left-space penalty (mecab-ko-dic's dicrc: particles, endings, copula … after a
   * space cost 3000-6000 more), as the mecab-ko fork does. Default false: MeCab's own rules, the
   * morphemes Debian's mecab gives.
   */
  spacePenalty?: boolean;
  /** Words added to the lattice (pos default NNP, optional cost and parts); context ids come from the dictionary. */
  userDictionary?: Array<string | UserWord>;
  /**
   * Compound terms: each run of two or more nouns, numerals, prefixes, foreign words or numbers inside one
   * eojeol that holds a noun or numeral adds its surfaces joined by "+" (진로도서 → 진로, 도서, 진로+도서), so a
   * document that writes a compound as the query does ranks above one that only has its parts. The number
   * (0 < w ≤ 1) is the compound term's weight in a query; false: no compound terms. Default COMPOUND_WEIGHT.
   */
  compounds?: number | false;
}

export interface CombineConfig {
  name: 'combine';
  /** The analyzers whose terms are concatenated (in order). At least two. */
  parts: AnalyzerConfig[];
  /**
   * Prefix the terms of the 2nd, 3rd … part with "<index>:" so that the vocabularies stay apart
   * (a morpheme "학교" and a bigram "학교" are then different terms). Default true.
   */
  prefix?: boolean;
}

export type AnalyzerConfig = WhitespaceConfig | NgramConfig | KoMorphConfig | KoMecabConfig | CombineConfig;
