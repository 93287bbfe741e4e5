// docs/fusion.md: min-max vs l2 when the dense leg's scores sit in a narrow band (s -> a + b·s), on the validation
// leg lists: node docs/research/l2-narrow-band.mjs wval-dump.json span-dump.json ict-dump.json (zero-shot.mjs --dump)
import { readFileSync } from 'node:fs';
import { evaluate, fuse } from '../../dist/index.js';
const D = 64, R = 30;
const sets = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, 'utf8')));
let lo = Infinity, hi = -Infinity;
for (const d of sets) for (const q of d.queries) for (const h of q.legs.find((l) => l.name === 'dense').hits.slice(0, D)) { lo = Math.min(lo, h[1]); hi = Math.max(hi, h[1]); }
console.log('dense score range in top-64 lists', lo.toFixed(3), hi.toFixed(3));
for (const [a, b] of [[0, 1], [0.6, 0.3], [0.75, 0.2], [0.85, 0.1]]) {
  for (const normalizer of ['mm', 'l2']) {
    const cfg = { method: 'cc', normalizer, weights: { bm25: 0.4, passages: 0.3, dense: 0.3 } };
    const out = [];
    for (const d of sets) {
      const qrels = new Map(Object.entries(d.qrels).map(([q, m]) => [q, new Map(Object.entries(m))]));
      const run = new Map();
      for (const q of d.queries) {
        const leg = (n) => q.legs.find((l) => l.name === n).hits;
        const found = new Set([...leg('bm25').slice(0, R), ...leg('dense').slice(0, R)].map((h) => h[0]));
        const legs = ['bm25', 'passages', 'dense'].map((name) => ({ name, hits: (name === 'passages' ? leg(name).filter((h) => found.has(h[0])) : leg(name).slice(0, D)).map(([id, score]) => ({ id, score: name === 'dense' ? a + b * score : score })) }));
        run.set(q.id, fuse(legs, cfg, 10).map((c, rank) => ({ id: c.id, score: -rank })));
      }
      out.push(evaluate(run, qrels, { ks: [10], order: 'given' }).mean['ndcg@10']);
    }
    console.log(`dense ${a} + ${b}·s`, normalizer, out.map((x) => x.toFixed(4)).join(' '), 'mean', (out.reduce((x, y) => x + y) / 3).toFixed(4));
  }
}
