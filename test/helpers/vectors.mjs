// Seeded vector workloads and a brute-force reference for the dense index tests.
import { mulberry32 } from '../../dist/util/random.js';

export function gaussian(rand) {
  let u = 0;
  while (u === 0) u = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** n × dim clustered vectors (centroids + noise), L2-normalized when `normalize`. */
export function clustered(seed, n, dim, { centroids = 20, noise = 0.3, normalize = true } = {}) {
  const rand = mulberry32(seed);
  const c = new Float32Array(centroids * dim);
  for (let i = 0; i < c.length; i++) c[i] = gaussian(rand);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const k = Math.floor(rand() * centroids);
    let s = 0;
    for (let j = 0; j < dim; j++) {
      const v = c[k * dim + j] + noise * gaussian(rand);
      out[i * dim + j] = v;
      s += v * v;
    }
    if (normalize) for (let j = 0; j < dim; j++) out[i * dim + j] /= Math.sqrt(s);
  }
  return out;
}

export function score(metric, q, qo, x, xo, dim) {
  let dot = 0,
    qq = 0,
    xx = 0,
    l2 = 0;
  for (let j = 0; j < dim; j++) {
    const a = q[qo + j],
      b = x[xo + j];
    dot += a * b;
    qq += a * a;
    xx += b * b;
    l2 += (a - b) * (a - b);
  }
  if (metric === 'dot') return dot;
  if (metric === 'l2') return -l2;
  return qq > 0 && xx > 0 ? dot / Math.sqrt(qq * xx) : 0;
}

/** Exact top-k over rows of `data` with ids, ties by smaller id (as String). */
export function referenceTopK(metric, data, ids, dim, q, qo, k) {
  const all = ids.map((id, r) => ({ id, score: score(metric, q, qo, data, r * dim, dim) }));
  all.sort((a, b) => b.score - a.score || (String(a.id) < String(b.id) ? -1 : 1));
  return all.slice(0, k);
}

export function row(data, dim, r) {
  return data.slice(r * dim, (r + 1) * dim);
}
