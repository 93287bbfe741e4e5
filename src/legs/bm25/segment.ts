/**
 * An immutable segment: the inverted lists (CSR by global term id) and the forward lists of a
 * contiguous run of document ordinals [base, base + docCount). Segments are never edited; deletes
 * live in the index's tombstone bitmap, and merges build a new segment from forward lists.
 *
 * Built by steps (a generator) so that large segments and merges can be built in slices that yield
 * to the event loop (util/slices.ts); the synchronous paths run the same steps at once.
 *
 * Per term it keeps two numbers that bound the BM25 contribution of any of its postings for
 * whatever avgdl the index has at query time (see upperBound), which is what MaxScore prunes with.
 */
import { runNow } from '../../util/slices.js';

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

/** The inverted lists of a segment and the per-term bounds MaxScore prunes with. */
export interface Postings {
  postingStart: Int32Array;
  postingDocs: Int32Array;
  postingTfs: Float32Array;
  maxTf: Float32Array;
  minDlPerTf: Float32Array;
}

/** Entries processed between two yields of the step generators (a few hundred microseconds of work). */
const STEP = 1 << 16;

/**
 * Builds the inverted lists of forward lists, yielding about every STEP entries (see util/slices.ts).
 * The loops live in plain functions called once per step: V8 optimizes those, while a loop inside a
 * generator that runs a few times (one segment) would stay in the interpreter.
 */
function* buildPostings(forward: ForwardLists, vocabSize: number): Generator<void, Postings> {
  const { terms } = forward;
  const docCount = forward.lengths.length;
  const entries = terms.length;
  const start = new Int32Array(vocabSize + 1);
  for (let from = 0; from < entries; from += STEP) {
    countTerms(terms, start, from, Math.min(entries, from + STEP));
    yield;
  }
  prefixSums(start);
  const out: Postings = {
    postingStart: start,
    postingDocs: new Int32Array(entries),
    postingTfs: new Float32Array(entries),
    maxTf: new Float32Array(vocabSize),
    minDlPerTf: new Float32Array(vocabSize).fill(Infinity),
  };
  const cursor = start.slice(0, vocabSize);
  yield;
  for (let d = 0; d < docCount; ) {
    d = scatterDocs(forward, out, cursor, d, STEP);
    yield;
  }
  return out;
}

/** start[t + 1] += start[t] for every t: counts become offsets. */
function prefixSums(start: Int32Array): void {
  for (let t = 1; t < start.length; t++) start[t] += start[t - 1];
}

/** Counts the postings of each term in entries [from, to) into start[term + 1]. */
function countTerms(terms: Int32Array, start: Int32Array, from: number, to: number): void {
  for (let i = from; i < to; i++) start[terms[i] + 1]++;
}

/** Writes the postings of documents from `d` on until about `budget` entries are done; returns the next doc. */
function scatterDocs(forward: ForwardLists, out: Postings, cursor: Int32Array, d: number, budget: number): number {
  const { docStart, terms, tfs, lengths } = forward;
  const { postingDocs: docs, postingTfs: ptfs, maxTf, minDlPerTf } = out;
  const docCount = lengths.length;
  let done = 0;
  for (; d < docCount && done < budget; d++) {
    const dl = lengths[d];
    const end = docStart[d + 1];
    for (let e = docStart[d]; e < end; e++) {
      const t = terms[e];
      const tf = tfs[e];
      const p = cursor[t]++;
      docs[p] = d;
      ptfs[p] = tf;
      if (tf > maxTf[t]) maxTf[t] = tf;
      const ratio = dl / tf;
      if (ratio < minDlPerTf[t]) minDlPerTf[t] = ratio;
    }
    done += end - docStart[d];
  }
  return d;
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
    postings: Postings,
  ) {
    this.docCount = forward.lengths.length;
    this.postingStart = postings.postingStart;
    this.postingDocs = postings.postingDocs;
    this.postingTfs = postings.postingTfs;
    this.maxTf = postings.maxTf;
    this.minDlPerTf = postings.minDlPerTf;
  }

  /** A segment over forward lists, built at once. */
  static build(base: number, forward: ForwardLists, vocabSize: number): Segment {
    return runNow(Segment.steps(base, forward, vocabSize));
  }

  /** The same, as steps to run in slices. */
  static *steps(base: number, forward: ForwardLists, vocabSize: number): Generator<void, Segment> {
    return new Segment(base, forward, yield* buildPostings(forward, vocabSize));
  }

  /** Adjacent segments merged into one, as steps. */
  static *mergeSteps(segments: readonly Segment[], vocabSize: number): Generator<void, Segment> {
    const forward = yield* mergeForwardSteps(segments);
    return yield* Segment.steps(segments[0].base, forward, vocabSize);
  }

  /** Total forward entries of some segments (what merging them costs). */
  static entries(segments: readonly Segment[]): number {
    let n = 0;
    for (const s of segments) n += s.forward.terms.length;
    return n;
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
    return runNow(mergeForwardSteps(segments));
  }
}

/** Concatenated forward lists of adjacent segments, copied in pieces of 16 STEP entries. */
export function* mergeForwardSteps(segments: readonly Segment[]): Generator<void, ForwardLists> {
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
  const piece = 16 * STEP;
  let d = 0;
  let e = 0;
  for (const s of segments) {
    const f = s.forward;
    for (let from = 0; from < f.terms.length; from += piece) {
      const to = Math.min(f.terms.length, from + piece);
      terms.set(f.terms.subarray(from, to), e + from);
      tfs.set(f.tfs.subarray(from, to), e + from);
      yield;
    }
    lengths.set(f.lengths, d);
    shiftStarts(docStart, d, f.docStart, s.docCount, e);
    d += s.docCount;
    e += f.terms.length;
    yield;
  }
  return { docStart, terms, tfs, lengths };
}

/** docStart[d + i + 1] = offset + from[i + 1] for the i < count documents of one segment. */
function shiftStarts(docStart: Int32Array, d: number, from: Int32Array, count: number, offset: number): void {
  for (let i = 0; i < count; i++) docStart[d + i + 1] = offset + from[i + 1];
}

/** Live documents in ordinal order, with forward lists over a dense vocabulary (what a save writes). */
export interface IndexSnapshot {
  termStrings: readonly string[];
  df: Int32Array;
  ids: readonly string[];
  metas: readonly (Readonly<Record<string, unknown>> | undefined)[];
  forward: ForwardLists;
}
