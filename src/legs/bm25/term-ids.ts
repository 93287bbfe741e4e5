/**
 * Analysed terms as ids into a vocabulary shared by one prepared batch. A leg prepares thousands of
 * pages (or tens of thousands of passages) before the engine commits them, often while another leg still
 * works — a dense model adapting to the corpus takes tens of seconds. Held as strings, those terms are
 * millions of small heap objects that every full garbage collection must mark (pauses of 100–200 ms);
 * held as typed arrays over one string per distinct term, they are a few thousand objects.
 */
import { TermDictionary } from '../../util/term-dictionary.js';

export class BatchTerms {
  readonly vocab = new TermDictionary();
  private resolvedFor: TermDictionary | undefined;
  private resolved = new Int32Array(0);

  /** The ids of `terms` in this batch's vocabulary. */
  encode(terms: readonly string[]): TermIds {
    const ids = new Int32Array(terms.length);
    for (let i = 0; i < terms.length; i++) ids[i] = this.vocab.intern(terms[i]!);
    return { ids, batch: this };
  }

  /** This batch's ids → ids of `target`, interning the terms it lacks (kept while `target` stays the same). */
  globalIds(target: TermDictionary): Int32Array {
    if (this.resolvedFor !== target) {
      this.resolvedFor = target;
      this.resolved = new Int32Array(0);
    }
    const terms = this.vocab.terms;
    if (this.resolved.length < terms.length) {
      const next = new Int32Array(terms.length);
      next.set(this.resolved);
      for (let i = this.resolved.length; i < terms.length; i++) next[i] = target.intern(terms[i]!);
      this.resolved = next;
    }
    return this.resolved;
  }
}

/** A field's terms as ids into a batch's vocabulary. */
export interface TermIds {
  readonly ids: Int32Array;
  readonly batch: BatchTerms;
}

/** A field's terms: strings, or ids into a prepared batch's vocabulary. */
export type FieldTerms = readonly string[] | TermIds;

export function isTermIds(terms: FieldTerms): terms is TermIds {
  return !Array.isArray(terms);
}

/**
 * What a loop over a field's terms needs: term i's id in `vocab` is `global[local[i]]` for a batch's ids,
 * else `vocab.intern(strings[i])`.
 */
export function fieldReader(
  terms: FieldTerms,
  vocab: TermDictionary,
): { n: number; local: Int32Array; global: Int32Array | undefined; strings: readonly string[] } {
  if (isTermIds(terms))
    return { n: terms.ids.length, local: terms.ids, global: terms.batch.globalIds(vocab), strings: [] };
  return { n: terms.length, local: EMPTY, global: undefined, strings: terms };
}

const EMPTY = new Int32Array(0);

export function fieldLength(terms: FieldTerms): number {
  return isTermIds(terms) ? terms.ids.length : terms.length;
}
