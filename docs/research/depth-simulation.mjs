#!/usr/bin/env node
// Simulates the zero-shot engine's depths from leg lists dumped by `zero-shot.mjs --engine-defaults --dump`
// (every leg at depth 100, the passages leg rescoring everything found): for each per-leg depth D the bm25
// and dense lists are cut at D and the passages list keeps the documents in bm25 top-R ∪ dense top-R
// (R = min(D, rescoreDepth)); the three are fused with the default weights and scored (nDCG@10, R@1).
//
//   node docs/research/depth-simulation.mjs [--rescore 30] [--two-legs] dump.json …
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { evaluate, fuse } from '../../dist/index.js';

const { values, positionals } = parseArgs({
  options: { rescore: { type: 'string', default: '30' }, 'two-legs': { type: 'boolean' } },
  allowPositionals: true,
});
const twoLegs = values['two-legs'];
const weights = twoLegs ? { bm25: 1, dense: 1 } : { bm25: 0.4, passages: 0.3, dense: 0.3 };
const names = Object.keys(weights);
for (const file of positionals) {
  const d = JSON.parse(readFileSync(file, 'utf8'));
  const qrels = new Map(Object.entries(d.qrels).map(([q, m]) => [q, new Map(Object.entries(m))]));
  const rows = [];
  for (const D of [20, 30, 40, 50, 64, 100]) {
    const run = new Map();
    for (const q of d.queries) {
      const leg = (n) => q.legs.find((l) => l.name === n).hits;
      const R = Math.min(D, Number(values.rescore));
      const found = new Set([...leg('bm25').slice(0, R), ...leg('dense').slice(0, R)].map((h) => h[0]));
      const legs = names.map((name) => ({
        name,
        hits: (name === 'passages' ? leg(name).filter((h) => found.has(h[0])) : leg(name).slice(0, D)).map(
          ([id, score]) => ({ id, score }),
        ),
      }));
      const fused = fuse(legs, { method: 'cc', normalizer: 'mm', weights }, 10);
      run.set(q.id, fused.map((c, rank) => ({ id: c.id, score: -rank })));
    }
    const r = evaluate(run, qrels, { ks: [1, 10], order: 'given' });
    rows.push(`D=${D}: nDCG@10 ${r.mean['ndcg@10'].toFixed(4)}  R@1 ${r.mean['recall@1'].toFixed(4)}`);
  }
  console.log(`${d.set} (${d.queries.length} queries)\n  ${rows.join('\n  ')}`);
}
