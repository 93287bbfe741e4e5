/**
 * An analyzer turns text into index terms. It is the first stage of the query path and knows
 * nothing of indexes. The same analyzer must be used at index and at query time; its `name`
 * (with options) is stored with an index so that a mismatch can be detected on open.
 */
export interface Analyzer {
  /** Stable identifier including options that change the output, e.g. "ko-morph" or "ko-morph+ngram". */
  readonly name: string;
  /** Terms of one text, in order, duplicates kept (term frequency matters). Never throws on odd Unicode. */
  analyze(text: string): string[];
  /** Optional faster path for many texts; must equal mapping analyze() over texts. */
  analyzeBatch?(texts: readonly string[]): string[][];
}
