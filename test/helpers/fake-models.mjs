// Deterministic stand-ins for an embedding model and a cross-encoder: hashed syllable bigrams.
import { createAnalyzer } from 'tamsaek';

const bigram = createAnalyzer('bigram');

function hash(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

export class HashEmbedder {
  constructor(dim = 64, { delayMs = 0 } = {}) {
    this.dim = dim;
    this.modelId = `hash-${dim}`;
    this.delayMs = delayMs;
    this.calls = 0;
  }
  async embed(texts) {
    this.calls++;
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    const out = new Float32Array(texts.length * this.dim);
    texts.forEach((t, i) => {
      const row = out.subarray(i * this.dim, (i + 1) * this.dim);
      for (const term of bigram.analyze(t)) row[hash(term) % this.dim] += 1;
      let norm = 0;
      for (const v of row) norm += v * v;
      norm = Math.sqrt(norm) || 1;
      for (let j = 0; j < row.length; j++) row[j] /= norm;
      if (norm === 1 && row.every((v) => v === 0)) row[0] = 1;
    });
    return out;
  }
}

/** Scores a passage by how many of the query's bigrams it contains, plus a bonus for `favour`. */
export class OverlapReranker {
  constructor(favour) {
    this.modelId = 'overlap';
    this.favour = favour;
  }
  async score(query, passages) {
    const q = new Set(bigram.analyze(query));
    return Float32Array.from(passages, (p) => {
      const terms = new Set(bigram.analyze(p));
      let s = 0;
      for (const t of q) if (terms.has(t)) s++;
      return s + (this.favour && p.includes(this.favour) ? 100 : 0);
    });
  }
}

/**
 * A leg kind whose commit fails once when armed (`refuseOnce.arm()`), for testing that a failed write
 * puts every other leg back as it was. It keeps nothing and finds nothing; it saves and reopens.
 */
export function refuseOnceLeg(registerLeg) {
  let armed = false;
  const make = () => ({
    kind: 'refuse-once',
    prepare: async (docs) => ({ ids: docs.map((d) => d.id) }),
    capture: async (docs) => ({ ids: docs.map((d) => d.id) }),
    commit: async () => {
      if (armed) {
        armed = false;
        throw new Error('no room');
      }
    },
    remove: async () => {},
    search: async () => [],
    save: async () => ({}),
    stats: () => ({ documents: 0, units: 0 }),
    describe: () => ({}),
  });
  registerLeg('refuse-once', { create: async () => make(), open: async () => make() });
  return { arm: () => (armed = true) };
}
