/**
 * Document-at-a-time MaxScore (Turtle & Flood 1995) over one segment.
 *
 * Lists are ordered by their score upper bound. The longest prefix of low-bound lists whose bounds
 * sum to less than the current top-k threshold is "non-essential": a document found only there
 * cannot enter the top k, so candidates come from the essential lists alone and non-essential lists
 * are only probed (galloping search) while the candidate can still reach the threshold. On
 * Korean/Zipfian text the frequent, low-idf terms become non-essential after a few hundred
 * documents, which is where the speed over term-at-a-time scoring comes from.
 *
 * A surviving candidate's score is re-summed in query-term order, so a score never depends on
 * segment layout and equals that of a fresh build bit for bit.
 */
import type { TopK } from '../../util/topk.js';
import type { Segment } from './segment.js';

export interface TermList {
  /** position of the term in the de-duplicated query (the canonical summation order). */
  canonical: number;
  start: number;
  end: number;
  /** idf · (k1 + 1) */
  weight: number;
  /** an upper bound of the term's contribution to any document of this segment. */
  bound: number;
}

/**
 * MaxScore over one segment as a resumable cursor: `run(budget)` scores at most `budget` candidate
 * documents and returns true once the segment is exhausted, so a caller can check a deadline or an
 * AbortSignal and give the event loop a turn between runs. `run(Infinity)` is the plain search.
 */
export class SegmentSearch {
  private readonly m: number;
  private readonly pos: Int32Array;
  private readonly end: Int32Array;
  private readonly weight: Float64Array;
  private readonly prefix: Float64Array; // prefix[i] = Σ_{j<=i} bound_j
  private readonly contrib: Float64Array;
  private readonly canonical: Int32Array;
  private threshold: number;
  private firstEssential = 0;
  private done = false;

  constructor(
    private readonly segment: Segment,
    lists: TermList[],
    private readonly queryTerms: number,
    private readonly lengths: Float32Array,
    private readonly normBase: number,
    private readonly normPerLength: number,
    private readonly heap: TopK<number>,
    private readonly accepts: (ordinal: number) => boolean,
    private readonly prune = true,
  ) {
    lists.sort((x, y) => x.bound - y.bound);
    const m = (this.m = lists.length);
    this.pos = new Int32Array(m);
    this.end = new Int32Array(m);
    this.weight = new Float64Array(m);
    this.prefix = new Float64Array(m);
    this.contrib = new Float64Array(queryTerms);
    this.canonical = new Int32Array(m);
    let acc = 0;
    for (let i = 0; i < m; i++) {
      const l = lists[i];
      this.pos[i] = l.start;
      this.end[i] = l.end;
      this.weight[i] = l.weight;
      this.canonical[i] = l.canonical;
      acc += l.bound;
      this.prefix[i] = acc;
    }
    this.threshold = prune ? heap.threshold : -Infinity;
    while (this.firstEssential < m && this.prefix[this.firstEssential] < this.threshold) this.firstEssential++;
  }

  /** How many term lists this segment's search reads (a candidate costs up to one step per list). */
  get lists(): number {
    return this.m;
  }

  /** Scores up to `budget` candidates; true when the segment is done. */
  run(budget: number): boolean {
    if (this.done) return true;
    const { m, pos, end, weight, prefix, contrib, canonical, heap, accepts, prune, lengths } = this;
    const docs = this.segment.postingDocs;
    const tfs = this.segment.postingTfs;
    const base = this.segment.base;
    const { normBase, normPerLength, queryTerms } = this;
    let threshold = this.threshold;
    let firstEssential = this.firstEssential;
    for (let candidates = 0; candidates < budget; candidates++) {
      if (firstEssential >= m) return (this.done = true); // even all lists together cannot reach the threshold
      // next candidate: the smallest current document over essential lists
      let doc = 0x7fffffff;
      for (let i = firstEssential; i < m; i++) {
        if (pos[i] < end[i]) {
          const d = docs[pos[i]];
          if (d < doc) doc = d;
        }
      }
      if (doc === 0x7fffffff) return (this.done = true);

      const norm = normBase + normPerLength * lengths[base + doc];
      let score = 0;
      contrib.fill(0);
      for (let i = firstEssential; i < m; i++) {
        const p = pos[i];
        if (p < end[i] && docs[p] === doc) {
          const tf = tfs[p];
          const c = (weight[i] * tf) / (tf + norm);
          contrib[canonical[i]] = c;
          score += c;
          pos[i] = p + 1;
        }
      }
      let alive = true;
      for (let i = firstEssential - 1; i >= 0; i--) {
        if (score + prefix[i] < threshold) {
          alive = false;
          break;
        }
        const p = gallop(docs, pos[i], end[i], doc);
        pos[i] = p;
        if (p < end[i] && docs[p] === doc) {
          const tf = tfs[p];
          const c = (weight[i] * tf) / (tf + norm);
          contrib[canonical[i]] = c;
          score += c;
          pos[i] = p + 1;
        }
      }
      if (!alive || score < threshold * (1 - 1e-12)) continue;
      const ordinal = base + doc;
      if (!accepts(ordinal)) continue;
      let exact = 0;
      for (let q = 0; q < queryTerms; q++) exact += contrib[q];
      heap.push(exact, ordinal);
      const next = heap.threshold;
      if (prune && next > threshold) {
        threshold = next;
        while (firstEssential < m && prefix[firstEssential] < threshold) firstEssential++;
      }
    }
    this.threshold = threshold;
    this.firstEssential = firstEssential;
    return false;
  }
}

/** The first posting at or after `p` whose document is >= doc (galloping, then binary search). */
function gallop(docs: Int32Array, p: number, e: number, doc: number): number {
  if (!(p < e && docs[p] < doc)) return p;
  let step = 1;
  let lo = p;
  let hi = p + 1;
  while (hi < e && docs[hi] < doc) {
    lo = hi;
    step <<= 1;
    hi = p + step;
  }
  if (hi > e) hi = e;
  while (lo + 1 < hi) {
    const mid = (lo + hi) >>> 1;
    if (docs[mid] < doc) lo = mid;
    else hi = mid;
  }
  return hi;
}
