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

export function searchSegment(
  segment: Segment,
  lists: TermList[],
  queryTerms: number,
  lengths: Float32Array,
  normBase: number,
  normPerLength: number,
  heap: TopK<number>,
  accepts: (ordinal: number) => boolean,
  prune = true,
): void {
  lists.sort((x, y) => x.bound - y.bound);
  const m = lists.length;
  const docs = segment.postingDocs;
  const tfs = segment.postingTfs;
  const base = segment.base;
  const pos = new Int32Array(m);
  const end = new Int32Array(m);
  const weight = new Float64Array(m);
  const prefix = new Float64Array(m); // prefix[i] = Σ_{j<=i} bound_j
  const contrib = new Float64Array(queryTerms);
  const canonical = new Int32Array(m);
  let acc = 0;
  for (let i = 0; i < m; i++) {
    const l = lists[i];
    pos[i] = l.start;
    end[i] = l.end;
    weight[i] = l.weight;
    canonical[i] = l.canonical;
    acc += l.bound;
    prefix[i] = acc;
  }

  let threshold = prune ? heap.threshold : -Infinity;
  let firstEssential = 0;
  while (firstEssential < m && prefix[firstEssential] < threshold) firstEssential++;

  for (;;) {
    if (firstEssential >= m) return; // even all lists together cannot reach the threshold
    // next candidate: the smallest current document over essential lists
    let doc = 0x7fffffff;
    for (let i = firstEssential; i < m; i++) {
      if (pos[i] < end[i]) {
        const d = docs[pos[i]];
        if (d < doc) doc = d;
      }
    }
    if (doc === 0x7fffffff) return;

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
      let p = pos[i];
      const e = end[i];
      if (p < e && docs[p] < doc) {
        // gallop to the first posting >= doc
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
        p = hi;
        pos[i] = p;
      }
      if (p < e && docs[p] === doc) {
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
}
