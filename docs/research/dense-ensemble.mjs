#!/usr/bin/env node
// docs/fusion.md *Two dense legs*: the adapted static model and the base model it started from as two legs of one
// fusion, on the validation dumps of zero-shot.mjs --engine-defaults --dump (adapted) and --no-adapt --dump.
//   node docs/research/dense-ensemble.mjs ADAPTED_DIR NOT_ADAPTED_DIR   (each holding wval/span/ict dumps)
import { evaluate, fuse } from '../../dist/index.js';
import { loadDumpSets } from './dump-legs.mjs';

const [adaptedDir, baseDir] = process.argv.slice(2);
const sets = ['wval', 'span', 'ict'];
const A = loadDumpSets(sets.map((s) => `${adaptedDir}/${s}-dump.json`));
const N = loadDumpSets(sets.map((s) => `${baseDir}/${s}-noadapt.json`));
const prepared = A.map((a, i) => {
  const nById = new Map(N[i].queries.map((q) => [q.id, q]));
  return { qrels: a.qrels, queries: a.queries.map((q) => {
    const n = nById.get(q.id);
    const L = (name, hits) => ({ name, hits: hits.map(([id, score]) => ({ id, score })) });
    return { id: q.id, legs: [L('bm25', q.legs.bm25), L('passages', q.legs.passages), L('dense', q.legs.dense), L('base', n.legs.dense)] };
  }) };
});
const score = (weights, names) => prepared.map((p) => {
  const run = new Map();
  for (const q of p.queries) run.set(q.id, fuse(q.legs.filter((l) => names.includes(l.name)), { method: 'cc', normalizer: 'mm', weights }, 10).map((c, rank) => ({ id: c.id, score: -rank })));
  return evaluate(run, p.qrels, { ks: [10], order: 'given' }).mean['ndcg@10'];
});
const bm = score({ bm25: 1 }, ['bm25']);
const show = (label, v) => console.log(label.padEnd(40), v.map((x) => x.toFixed(4)).join(' '), 'mean', (v.reduce((a, b) => a + b) / v.length).toFixed(4), 'gain', v.map((x, i) => (x - bm[i]).toFixed(4)).join(' '));
show('bm25', bm);
show('default 0.4/0.3/0.3 adapted', score({ bm25: 0.4, passages: 0.3, dense: 0.3 }, ['bm25', 'passages', 'dense']));
show('default 0.4/0.3/0.3 base', score({ bm25: 0.4, passages: 0.3, base: 0.3 }, ['bm25', 'passages', 'base']));
for (const a of [0.5, 0.67, 0.8]) show(`0.4/0.3/dense ${(0.3*a).toFixed(2)}/base ${(0.3*(1-a)).toFixed(2)}`, score({ bm25: 0.4, passages: 0.3, dense: 0.3 * a, base: 0.3 * (1 - a) }, ['bm25', 'passages', 'dense', 'base']));
for (const [b, p, d, n] of [[0.35, 0.25, 0.25, 0.15], [0.3, 0.3, 0.25, 0.15], [0.4, 0.25, 0.2, 0.15], [0.35, 0.3, 0.2, 0.15], [0.3, 0.25, 0.25, 0.2]]) show(`${b}/${p}/${d}/${n}`, score({ bm25: b, passages: p, dense: d, base: n }, ['bm25', 'passages', 'dense', 'base']));
