/**
 * Typed wrapper of the addon's Korean analyzer (native/analyze, native/bindings/analyze.cpp): a
 * MeCab-compatible lattice over a compiled mecab-ko-dic directory, mapped once per process.
 */
import { invalidArgument, TamsaekError } from '../errors.js';
import { loadNative, wrapNativeError } from './addon.js';

/** A user word compiled for the lattice: context ids from the dictionary's id tables. */
export interface CompiledUserWords {
  surfaces: string[];
  features: string[];
  leftIds: Int32Array;
  rightIds: Int32Array;
  costs: Int32Array;
}

export interface MecabOpenOptions {
  /** Directory with sys.dic, unk.dic, matrix.bin, char.bin. */
  dir: string;
  /** Exact tags whose morphemes yield no term (a joined tag like VV+EP is judged by its first tag). */
  dropTags: readonly string[];
  /** Replace Inflect/Compound/Preanalysis entries by the morphemes of their expression. */
  decompound: boolean;
  /** mecab-ko's left-space penalty (dicrc) on words after whitespace; false = MeCab's own rules. */
  spacePenalty: boolean;
  /**
   * Add a term per run of ≥ 2 `compoundTags` morphemes inside one eojeol holding one of `compoundHeads`:
   * their surfaces joined by "+", after the text's other terms (native/analyze/terms.h).
   */
  compounds?: { tags: readonly string[]; heads: readonly string[] };
  user?: CompiledUserWords;
}

/** Terms of a text; the last `compounds` of them are compound terms. */
export interface MecabTerms {
  terms: string[];
  compounds: number;
}

/** The best path's dictionary entries: text.slice(begin[i], end[i]) carries features[i] (CSV). */
export interface MecabParse {
  begin: Int32Array;
  end: Int32Array;
  features: string[];
  /** 1 where the entry is a user word. */
  user: Uint8Array;
}

interface MecabAddon {
  mecabOpen(o: Record<string, unknown>): unknown;
  mecabTerms(h: unknown, text: string): string[];
  mecabTermsBatch(
    h: unknown,
    texts: readonly string[],
    threads: number,
  ): Promise<{ terms: string[][]; fold: Uint32Array; compounds: Uint32Array }>;
  mecabParse(h: unknown, text: string): MecabParse;
  mecabInfo(h: unknown): {
    loadMs: number;
    mappedBytes: number;
    userWords: number;
    matrixRows: number;
    matrixColumns: number;
    matrixBytes: number;
    featureCacheBytes: number;
    /** Absent in addons built before compound terms. */
    compoundTerms?: boolean;
  };
  /** Tests: a connection matrix folded by the addon (matrix.h) and read back in matrix.bin's layout. */
  mecabFoldMatrix?(
    costs: Int16Array,
    rights: number,
    lefts: number,
  ): { rows: number; columns: number; costs: Int16Array };
}

/** Terms whose characters need Unicode rules the addon leaves to JavaScript (case folding, letters). */
export type TermFixer = (terms: string[]) => string[];

/** A text's morpheme terms and its compound terms (the last `compounds` of its terms). */
export function splitCompounds(r: MecabTerms): [morphemes: string[], compounds: string[]] {
  if (r.compounds === 0) return [r.terms, []];
  const at = r.terms.length - r.compounds;
  return [r.terms.slice(0, at), r.terms.slice(at)];
}

/** `fix` over the terms before the compound tail and over the tail apart, so the tail stays countable. */
function fixed(terms: string[], compounds: number, fix: TermFixer): MecabTerms {
  const [head, tail] = splitCompounds({ terms, compounds });
  if (tail.length === 0) return { terms: fix(head), compounds: 0 };
  const fixedTail = fix(tail);
  return { terms: [...fix(head), ...fixedTail], compounds: fixedTail.length };
}

export class NativeMecab {
  private readonly addon: MecabAddon;
  private readonly handle: unknown;
  private readonly status = new Int32Array(2);
  /** Milliseconds the addon took to open (map) the dictionary and compile the user words. */
  readonly loadMs: number;
  /** Bytes of dictionary files mapped (address space, not resident memory). */
  readonly mappedBytes: number;
  /** The connection matrix as held in memory: its distinct rows and columns, and their bytes. */
  readonly matrix: { rows: number; columns: number; bytes: number };

  constructor(options: MecabOpenOptions) {
    const addon = loadNative() as unknown as MecabAddon;
    if (typeof addon.mecabOpen !== 'function') {
      throw new TamsaekError('NATIVE_UNAVAILABLE', 'the native addon predates ko-mecab; rebuild it with `npm rebuild`');
    }
    this.addon = addon;
    try {
      const { compounds, ...rest } = options;
      this.handle = addon.mecabOpen({
        ...rest,
        dropTags: [...options.dropTags],
        compounds: compounds !== undefined,
        compoundTags: [...(compounds?.tags ?? [])],
        compoundHeads: [...(compounds?.heads ?? [])],
        status: this.status,
      });
    } catch (e) {
      throw new TamsaekError('ANALYZER_ERROR', `ko-mecab: cannot open the dictionary: ${(e as Error).message}`, {
        cause: e,
      });
    }
    const info = addon.mecabInfo(this.handle);
    if (options.compounds !== undefined && info.compoundTerms !== true)
      throw new TamsaekError(
        'NATIVE_UNAVAILABLE',
        'ko-mecab: the native addon predates compound terms; rebuild it (`npm rebuild`), or set compounds: false',
      );
    this.loadMs = info.loadMs;
    this.mappedBytes = info.mappedBytes;
    this.matrix = { rows: info.matrixRows, columns: info.matrixColumns, bytes: info.matrixBytes };
  }

  /** Terms of one (normalized) text on the calling thread; `fix` runs when some term needs it. */
  terms(text: string, fix: TermFixer): MecabTerms {
    const out = this.addon.mecabTerms(this.handle, text);
    const compounds = this.status[1]!;
    return this.status[0] === 0 ? { terms: out, compounds } : fixed(out, compounds, fix);
  }

  /** Terms of many texts on the addon's worker threads. */
  async termsBatch(texts: readonly string[], fix: TermFixer, threads?: number): Promise<MecabTerms[]> {
    if (threads !== undefined && (!Number.isInteger(threads) || threads < 1 || threads > 1024))
      throw invalidArgument(`ko-mecab: threads must be an integer in 1..1024 (got ${threads})`);
    let r: { terms: string[][]; fold: Uint32Array; compounds: Uint32Array };
    try {
      r = await this.addon.mecabTermsBatch(this.handle, texts, threads ?? 0);
    } catch (e) {
      throw wrapNativeError('ko-mecab', e);
    }
    return r.terms.map((terms, i) => {
      const compounds = r.compounds[i]!;
      return r.fold[i] === 0 ? { terms, compounds } : fixed(terms, compounds, fix);
    });
  }

  /** The dictionary entries of the best path, with UTF-16 offsets into `text`. */
  parse(text: string): MecabParse {
    return this.addon.mecabParse(this.handle, text);
  }
}
