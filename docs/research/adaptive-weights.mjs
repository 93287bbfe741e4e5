// Per-query label-free fusion weights (a leg's top-hit score gap, top-1 agreement between legs), simulated on the
// validation runs' leg lists: node docs/research/adaptive-weights.mjs wval-dump.json span-dump.json ict-dump.json
// (files from docs/research/zero-shot.mjs --engine-defaults --dump); depth 64, passages rescoring 30, min-max.
import { evaluate } from '../../dist/index.js';
import { loadDumpSets } from './dump-legs.mjs';
const W = { bm25: 0.4, passages: 0.3, dense: 0.3 };
const prepared = loadDumpSets(process.argv.slice(2));
function mm(hits) {
  if (hits.length === 0) return new Map();
  let lo = Infinity, hi = -Infinity;
  for (const [, s] of hits) { lo = Math.min(lo, s); hi = Math.max(hi, s); }
  return new Map(hits.map(([id, s]) => [id, hi > lo ? (s - lo) / (hi - lo) : 1]));
}
// confidence of a leg for a query: how far its best hit stands above the next ones, on its min-max scale
function gap(hits, k) {
  if (hits.length < 2) return 0;
  const s = hits.map((h) => h[1]);
  const lo = s[s.length - 1], hi = s[0];
  if (!(hi > lo)) return 0;
  const j = Math.min(k, s.length - 1);
  return (s[0] - s[j]) / (hi - lo);
}
function score(rule) {
  const out = [];
  for (const d of prepared) {
    const run = new Map();
    for (const q of d.queries) {
      const w = rule(q.legs);
      const acc = new Map();
      for (const name of Object.keys(W)) for (const [id, v] of mm(q.legs[name])) acc.set(id, (acc.get(id) ?? 0) + w[name] * v);
      const ranked = [...acc].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 10);
      run.set(q.id, ranked.map(([id], r) => ({ id, score: -r })));
    }
    out.push(evaluate(run, d.qrels, { ks: [10], order: 'given' }).mean['ndcg@10']);
  }
  return out;
}
const show = (name, r) => console.log(name.padEnd(34), r.map((x) => x.toFixed(4)).join(' '), 'mean', (r.reduce((a, b) => a + b) / r.length).toFixed(4));
show('fixed 0.4/0.3/0.3', score(() => W));
for (const k of [1, 3, 10]) for (const a of [0.5, 1, 2, 4]) {
  show(`gap@${k} alpha ${a}`, score((legs) => {
    const w = {};
    for (const n of Object.keys(W)) w[n] = W[n] * (1 + a * gap(legs[n], k));
    return w;
  }));
}
// agreement: a leg whose top-1 is in another leg's top-3 gains
for (const a of [0.5, 1]) show(`agree alpha ${a}`, score((legs) => {
  const w = {};
  for (const n of Object.keys(W)) {
    const top = legs[n][0]?.[0];
    const others = Object.keys(W).filter((m) => m !== n && m !== 'passages' || (n === 'passages' && m !== n));
    const hit = others.some((m) => legs[m].slice(0, 3).some((h) => h[0] === top));
    w[n] = W[n] * (hit ? 1 + a : 1);
  }
  return w;
}));
