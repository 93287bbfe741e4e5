// The fixed synthetic BM25 workload of the bm25 bench: Zipf(s = 1) over 50,000 Hangul-syllable tokens.
import { mulberry32 } from '../../dist/util/random.js';

export const BM25_WORKLOAD = Object.freeze({
  docs: 100_000,
  vocab: 50_000,
  minLen: 60,
  maxLen: 180,
  queries: 1_000,
  minQ: 3,
  maxQ: 8,
  seed: 20261123,
});

function token(rank) {
  // two Hangul syllables per token: 11,172² ≫ 50,000 distinct tokens
  return String.fromCharCode(0xac00 + Math.floor(rank / 11172), 0xac00 + (rank % 11172));
}

export function makeBm25Workload(spec = BM25_WORKLOAD) {
  const rand = mulberry32(spec.seed);
  const cdf = new Float64Array(spec.vocab);
  let acc = 0;
  for (let r = 0; r < spec.vocab; r++) cdf[r] = acc += 1 / (r + 1);
  for (let r = 0; r < spec.vocab; r++) cdf[r] /= acc;
  const tokens = Array.from({ length: spec.vocab }, (_, r) => token(r));
  const draw = () => {
    const u = rand();
    let lo = 0;
    let hi = spec.vocab - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return tokens[lo];
  };
  const docs = new Array(spec.docs);
  for (let d = 0; d < spec.docs; d++) {
    const len = spec.minLen + Math.floor(rand() * (spec.maxLen - spec.minLen + 1));
    const words = new Array(len);
    for (let i = 0; i < len; i++) words[i] = draw();
    docs[d] = words.join(' ');
  }
  const queries = new Array(spec.queries);
  for (let q = 0; q < spec.queries; q++) {
    const len = spec.minQ + Math.floor(rand() * (spec.maxQ - spec.minQ + 1));
    const words = new Array(len);
    for (let i = 0; i < len; i++) words[i] = draw();
    queries[q] = words.join(' ');
  }
  return { docs, queries };
}
