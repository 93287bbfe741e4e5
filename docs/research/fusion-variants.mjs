#!/usr/bin/env node
// docs/fusion.md *Other normalizers at depth 64*: on validation dumps (zero-shot.mjs --engine-defaults --dump), each
// normalizer (NORMS=mm,l2,z) over the 0.1 weight grid: gains over BM25 per set, the pick of the rule (best smoothed
// mean gain among points positive on every set) and the default 0.4/0.3/0.3. D=<depth> (default 64).
import { evaluate, fuse } from '../../dist/index.js';
import { pickOnSimplex } from '../../dist/tune/index.js';
import { fuseInput, loadDumpSets } from './dump-legs.mjs';
const prepared = loadDumpSets(process.argv.slice(2), { depth: +(process.env.D ?? 64) }).map((s) => ({
  qrels: s.qrels,
  queries: s.queries.map((q) => ({ id: q.id, legs: fuseInput(q.legs) })),
}));
const score = (cfg, legsOnly) => prepared.map((p) => {
  const run = new Map();
  for (const q of p.queries) run.set(q.id, fuse(legsOnly ? q.legs.filter((l) => legsOnly.includes(l.name)) : q.legs, cfg, 10).map((c, rank) => ({ id: c.id, score: -rank })));
  return evaluate(run, p.qrels, { ks: [10], order: 'given' }).mean['ndcg@10'];
});
const bm25 = score({ method: 'cc', normalizer: 'mm' }, ['bm25']);
console.log('bm25', bm25.map((x) => x.toFixed(4)).join(' '));
for (const normalizer of (process.env.NORMS ?? 'mm,l2,z').split(',')) {
  const points = [];
  for (let a = 0; a <= 10; a++) for (let b = 0; a + b <= 10; b++) {
    const weights = { bm25: a / 10, passages: b / 10, dense: (10 - a - b) / 10 };
    const v = score({ method: 'cc', normalizer, weights });
    const gains = v.map((x, i) => x - bm25[i]);
    points.push({ weights, v: gains.reduce((x, y) => x + y) / gains.length, gains, nd: v });
  }
  const positive = points.filter((p) => p.gains.every((g) => g > 0));
  const best = positive[pickOnSimplex(positive, 0.1)];
  const at = points.find((p) => p.weights.bm25 === 0.4 && p.weights.passages === 0.3);
  console.log(normalizer, 'pick', JSON.stringify(best.weights), 'gains', best.gains.map((g) => g.toFixed(4)).join(' '), 'mean', best.v.toFixed(4), '| at 0.4/0.3/0.3:', at.gains.map((g) => g.toFixed(4)).join(' '), at.v.toFixed(4), '| max mean', Math.max(...points.map((p) => p.v)).toFixed(4));
}
