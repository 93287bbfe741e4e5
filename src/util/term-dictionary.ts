/**
 * String → dense id interning. An open-addressing table over a hash of the UTF-16 code units,
 * because indexing looks up every token of every document: on 2-syllable Hangul tokens this is
 * about 4× faster than a Map (which must hash and box each freshly split string). Each slot keeps
 * the full hash beside the id, so a probe touches the stored string only when the hashes agree.
 */
export class TermDictionary {
  private ids: Int32Array;
  private hashes: Int32Array;
  private mask: number;
  readonly terms: string[] = [];

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap <<= 1;
    this.ids = new Int32Array(cap).fill(-1);
    this.hashes = new Int32Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.terms.length;
  }

  /** The id of `term`, or -1. */
  get(term: string): number {
    const h = hash(term);
    const { ids, hashes, terms, mask } = this;
    for (let p = h & mask; ; p = (p + 1) & mask) {
      const e = ids[p];
      if (e < 0) return -1;
      if (hashes[p] === h && terms[e] === term) return e;
    }
  }

  /** The id of `term`, assigning the next id when it is new. */
  intern(term: string): number {
    const h = hash(term);
    const { ids, hashes, terms, mask } = this;
    let p = h & mask;
    for (; ; p = (p + 1) & mask) {
      const e = ids[p];
      if (e < 0) break;
      if (hashes[p] === h && terms[e] === term) return e;
    }
    const id = terms.length;
    terms.push(term);
    ids[p] = id;
    hashes[p] = h;
    if (terms.length * 2 > ids.length) this.rehash(ids.length * 2);
    return id;
  }

  private rehash(capacity: number): void {
    const ids = new Int32Array(capacity).fill(-1);
    const hashes = new Int32Array(capacity);
    const mask = capacity - 1;
    const terms = this.terms;
    for (let id = 0; id < terms.length; id++) {
      const h = hash(terms[id]);
      let p = h & mask;
      while (ids[p] >= 0) p = (p + 1) & mask;
      ids[p] = id;
      hashes[p] = h;
    }
    this.ids = ids;
    this.hashes = hashes;
    this.mask = mask;
  }
}

function hash(s: string): number {
  let h = 0x811c9dc5 ^ s.length;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x9e3779b1);
  return h ^ (h >>> 15);
}
