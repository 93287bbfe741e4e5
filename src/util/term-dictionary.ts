/**
 * String → dense id interning. An open-addressing table over a hash of the UTF-16 code units,
 * because indexing looks up every token of every document: on 2-syllable Hangul tokens this is
 * about 4× faster than a Map (which must hash and box each freshly split string).
 */
export class TermDictionary {
  private table: Int32Array;
  private mask: number;
  readonly terms: string[] = [];

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap <<= 1;
    this.table = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.terms.length;
  }

  /** The id of `term`, or -1. */
  get(term: string): number {
    const table = this.table;
    const terms = this.terms;
    const mask = this.mask;
    let p = hash(term) & mask;
    for (;;) {
      const e = table[p];
      if (e < 0) return -1;
      if (terms[e] === term) return e;
      p = (p + 1) & mask;
    }
  }

  /** The id of `term`, assigning the next id when it is new. */
  intern(term: string): number {
    const table = this.table;
    const terms = this.terms;
    const mask = this.mask;
    let p = hash(term) & mask;
    for (;;) {
      const e = table[p];
      if (e < 0) break;
      if (terms[e] === term) return e;
      p = (p + 1) & mask;
    }
    const id = terms.length;
    terms.push(term);
    table[p] = id;
    if (terms.length * 2 > table.length) this.rehash(table.length * 2);
    return id;
  }

  private rehash(capacity: number): void {
    const table = new Int32Array(capacity).fill(-1);
    const mask = capacity - 1;
    const terms = this.terms;
    for (let id = 0; id < terms.length; id++) {
      let p = hash(terms[id]) & mask;
      while (table[p] >= 0) p = (p + 1) & mask;
      table[p] = id;
    }
    this.table = table;
    this.mask = mask;
  }
}

function hash(s: string): number {
  let h = 0x811c9dc5 ^ s.length;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x9e3779b1);
  return (h ^ (h >>> 15)) >>> 0;
}
