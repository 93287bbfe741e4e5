// Shared helpers for the native tests (not a test file itself).
export function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

export function gaussian(r) {
  const u = Math.max(r(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

export function randomArray(r, n) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = gaussian(r);
  return a;
}

export function halfToFloat(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Dequantized stored rows as fp64 arrays. */
export function decodeStore(dtype, data, scales, n, dim) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const row = new Float64Array(dim);
    for (let d = 0; d < dim; d++) {
      const v = data[i * dim + d];
      row[d] = dtype === 'f32' ? v : dtype === 'f16' ? halfToFloat(v) : scales[i] * v;
    }
    out.push(row);
  }
  return out;
}

/** Brute force: all rows scored in fp64, sorted best-first with the lower-row tie rule. */
export function bruteForce(rows, q, metric, allow) {
  const dim = q.length;
  let qq = 0;
  for (let d = 0; d < dim; d++) qq += q[d] * q[d];
  const res = [];
  rows.forEach((x, i) => {
    if (allow && !allow(i)) return;
    let dot = 0,
      xx = 0,
      l2 = 0;
    for (let d = 0; d < dim; d++) {
      dot += x[d] * q[d];
      xx += x[d] * x[d];
      l2 += (x[d] - q[d]) ** 2;
    }
    const s = metric === 'dot' ? dot : metric === 'cosine' ? (xx > 0 && qq > 0 ? dot / Math.sqrt(xx * qq) : 0) : -l2;
    res.push({ row: i, score: s });
  });
  res.sort((a, b) => b.score - a.score || a.row - b.row);
  return res;
}
