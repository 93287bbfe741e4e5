/**
 * An immutable segment: the inverted lists (CSR by global term id) and the forward lists of a
 * contiguous run of document ordinals [base, base + docCount). Segments are never edited; deletes
 * live in the index's tombstone bitmap, and merges build a new segment from forward lists.
 *
 * Per term it keeps two numbers that bound the BM25 contribution of any of its postings for
 * whatever avgdl the index has at query time (see upperBound), which is what MaxScore prunes with.
 */
export interface ForwardLists {
  /** docStart[i]..docStart[i+1] index the entries of local doc i; length docCount + 1. */
  docStart: Int32Array;
  /** term id per entry, each term once per doc. */
  terms: Int32Array;
  /** (weighted) term frequency per entry. */
  tfs: Float32Array;
  /** (weighted) document length per local doc. */
  lengths: Float32Array;
}

export class Segment {
  readonly docCount: number;
  /** postingStart[t]..postingStart[t+1] are term t's postings; terms >= vocabSize have none. */
  readonly postingStart: Int32Array;
  /** local doc ids (ascending within a term). */
  readonly postingDocs: Int32Array;
  readonly postingTfs: Float32Array;
  /** per term: the largest tf, and the smallest dl/tf, over its postings (for score upper bounds). */
  readonly maxTf: Float32Array;
  readonly minDlPerTf: Float32Array;

  constructor(
    readonly base: number,
    readonly forward: ForwardLists,
    vocabSize: number,
  ) {
    const { docStart, terms, tfs, lengths } = forward;
    const docCount = (this.docCount = lengths.length);
    const entries = terms.length;
    const start = new Int32Array(vocabSize + 1);
    for (let i = 0; i < entries; i++) start[terms[i] + 1]++;
    for (let t = 0; t < vocabSize; t++) start[t + 1] += start[t];
    const cursor = start.slice(0, vocabSize);
    const docs = new Int32Array(entries);
    const ptfs = new Float32Array(entries);
    const maxTf = new Float32Array(vocabSize);
    const minDlPerTf = new Float32Array(vocabSize).fill(Infinity);
    for (let d = 0; d < docCount; d++) {
      const dl = lengths[d];
      for (let e = docStart[d], end = docStart[d + 1]; e < end; e++) {
        const t = terms[e];
        const tf = tfs[e];
        const p = cursor[t]++;
        docs[p] = d;
        ptfs[p] = tf;
        if (tf > maxTf[t]) maxTf[t] = tf;
        const ratio = dl / tf;
        if (ratio < minDlPerTf[t]) minDlPerTf[t] = ratio;
      }
    }
    this.postingStart = start;
    this.postingDocs = docs;
    this.postingTfs = ptfs;
    this.maxTf = maxTf;
    this.minDlPerTf = minDlPerTf;
  }

  get vocabSize(): number {
    return this.postingStart.length - 1;
  }

  postingCount(term: number): number {
    if (term >= this.vocabSize) return 0;
    return this.postingStart[term + 1] - this.postingStart[term];
  }

  /**
   * Largest possible tf/(tf + K_d) for `term` in this segment, where
   * K_d = k1·(1 − b + b·dl/avgdl): K_d/tf ≥ k1(1−b)/maxTf + (k1·b/avgdl)·min(dl/tf).
   */
  saturationBound(term: number, k1: number, b: number, avgdl: number): number {
    const maxTf = this.maxTf[term];
    if (!(maxTf > 0)) return 0;
    const kOverTf = (k1 * (1 - b)) / maxTf + ((k1 * b) / avgdl) * this.minDlPerTf[term];
    return 1 / (1 + kOverTf);
  }

  /** Concatenates the forward lists of adjacent segments into one (ordinals unchanged). */
  static mergeForward(segments: readonly Segment[]): ForwardLists {
    let docs = 0;
    let entries = 0;
    for (const s of segments) {
      docs += s.docCount;
      entries += s.forward.terms.length;
    }
    const docStart = new Int32Array(docs + 1);
    const terms = new Int32Array(entries);
    const tfs = new Float32Array(entries);
    const lengths = new Float32Array(docs);
    let d = 0;
    let e = 0;
    for (const s of segments) {
      const f = s.forward;
      terms.set(f.terms, e);
      tfs.set(f.tfs, e);
      lengths.set(f.lengths, d);
      for (let i = 0; i < s.docCount; i++) docStart[d + i + 1] = e + f.docStart[i + 1];
      d += s.docCount;
      e += f.terms.length;
    }
    return { docStart, terms, tfs, lengths };
  }
}

/** Live documents in ordinal order, with forward lists over a dense vocabulary (what a save writes). */
export interface IndexSnapshot {
  termStrings: readonly string[];
  df: Int32Array;
  ids: readonly string[];
  metas: readonly (Readonly<Record<string, unknown>> | undefined)[];
  forward: ForwardLists;
}
