/**
 * Bounded top-k over (score, key) with a deterministic order: higher score first, then the smaller
 * `tieKey` (so results never depend on insertion order or internal numbering).
 * A binary min-heap keyed on "worst first"; `threshold` is the score a newcomer must reach.
 */
export class TopK<T> {
  private readonly scores: Float64Array;
  private readonly items: T[];
  private count = 0;
  constructor(
    readonly k: number,
    private readonly tieKey: (item: T) => string,
  ) {
    this.scores = new Float64Array(k);
    this.items = new Array<T>(k);
  }

  get size(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count === this.k;
  }

  /** Lowest score still kept once full; -Infinity before. A candidate scoring below it cannot enter. */
  get threshold(): number {
    return this.count === this.k ? this.scores[0] : -Infinity;
  }

  /** true when `a` ranks below `b` (worse). */
  private worse(sa: number, a: T, sb: number, b: T): boolean {
    if (sa !== sb) return sa < sb;
    return this.tieKey(a) > this.tieKey(b);
  }

  push(score: number, item: T): void {
    const { scores, items } = this;
    if (this.count < this.k) {
      let i = this.count++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.worse(score, item, scores[parent], items[parent])) break;
        scores[i] = scores[parent];
        items[i] = items[parent];
        i = parent;
      }
      scores[i] = score;
      items[i] = item;
      return;
    }
    if (!this.worse(scores[0], items[0], score, item)) return;
    // replace the root (the worst) and sift down
    let i = 0;
    const n = this.count;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && this.worse(scores[right], items[right], scores[left], items[left])) child = right;
      if (!this.worse(scores[child], items[child], score, item)) break;
      scores[i] = scores[child];
      items[i] = items[child];
      i = child;
    }
    scores[i] = score;
    items[i] = item;
  }

  /** Best first. */
  drain(): { item: T; score: number }[] {
    const out: { item: T; score: number }[] = [];
    for (let i = 0; i < this.count; i++) out.push({ item: this.items[i], score: this.scores[i] });
    out.sort((x, y) => (x.score !== y.score ? y.score - x.score : this.tieKey(x.item) < this.tieKey(y.item) ? -1 : 1));
    return out;
  }
}
