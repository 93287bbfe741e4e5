/**
 * Plain-JavaScript fp64 reference implementations of the native losses, materializing the full
 * score matrices: the oracle the tiled native kernels are tested against (values, and gradients
 * through finite differences). Slow and memory-hungry by design. Semantics mirror
 * sentence-transformers' MultipleNegativesRankingLoss / MultipleNegativesSymmetricRankingLoss / GISTEmbedLoss.
 */
function rows(a, dim) {
  if (!a) return [];
  const out = [];
  for (let i = 0; i < a.length / dim; i++) {
    const r = [];
    for (let d = 0; d < dim; d++) r.push(a[i * dim + d]);
    out.push(r);
  }
  return out;
}
function normalize(v) {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  return n > 0 ? v.map((x) => x / n) : v.map(() => 0);
}
function dot(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
function simMatrix(x, y, cos) {
  const xs = cos ? x.map(normalize) : x;
  const ys = cos ? y.map(normalize) : y;
  return xs.map((a) => ys.map((b) => dot(a, b)));
}
/** Mean cross-entropy with label = column i of each row i; -Infinity entries are excluded. */
function crossEntropy(scores) {
  let total = 0;
  scores.forEach((row, i) => {
    let m = -Infinity;
    for (const s of row) m = Math.max(m, s);
    let z = 0;
    for (const s of row) if (s !== -Infinity) z += Math.exp(s - m);
    total += m + Math.log(z) - row[i];
  });
  return total / scores.length;
}
export function refInfoNCE(o) {
  const cos = (o.similarity ?? 'cos') === 'cos';
  const scale = o.scale ?? 20;
  const a = rows(o.anchors, o.dim);
  const p = rows(o.positives, o.dim);
  const n = rows(o.negatives, o.dim);
  const ap = simMatrix(a, p, cos);
  const an = simMatrix(a, n, cos);
  const fwd = crossEntropy(ap.map((r, i) => [...r, ...an[i]].map((s) => s * scale)));
  if (!o.symmetric) return fwd;
  const pa = simMatrix(p, a, cos).map((r) => r.map((s) => s * scale));
  return (fwd + crossEntropy(pa)) / 2;
}
export function refGist(o) {
  const cos = (o.similarity ?? 'cos') === 'cos';
  const temperature = o.temperature ?? 0.01;
  const margin = o.margin ?? 0;
  const strategy = o.marginStrategy ?? 'absolute';
  const a = rows(o.anchors, o.dim);
  const p = rows(o.positives, o.dim);
  const n = rows(o.negatives, o.dim);
  const B = a.length;
  let gap, gaa, gpp, gan;
  if ('matrices' in o.guide) {
    const m = o.guide.matrices;
    gap = rows(m.ap, B);
    gaa = rows(m.aa, B);
    gpp = rows(m.pp, B);
    gan = n.length ? rows(m.an, n.length) : a.map(() => []);
  } else {
    const g = o.guide;
    const ga = rows(g.anchors, g.dim);
    const gp = rows(g.positives, g.dim);
    const gn = rows(g.negatives, g.dim);
    gap = simMatrix(ga, gp, true);
    gaa = simMatrix(ga, ga, true);
    gpp = simMatrix(gp, gp, true);
    gan = simMatrix(ga, gn, true);
  }
  const gpos = gap.map((r, i) => r[i]);
  const mask = (g, s, protect) =>
    s.map((row, i) =>
      row.map((v, j) => {
        const thr = strategy === 'absolute' ? gpos[i] - margin : gpos[i] * (1 - margin);
        return g[i][j] > thr && !(protect && i === j) ? -Infinity : v;
      }),
    );
  const blocks = [mask(gap, simMatrix(a, p, cos), true)];
  if (o.contrastAnchors ?? true) blocks.push(mask(gaa, simMatrix(a, a, cos), false));
  if (o.contrastPositives ?? true) blocks.push(mask(gpp, simMatrix(p, p, cos), false));
  if (n.length) blocks.push(mask(gan, simMatrix(a, n, cos), false));
  const scores = a.map((_, i) => blocks.flatMap((b) => b[i]).map((s) => s / temperature));
  return crossEntropy(scores);
}
