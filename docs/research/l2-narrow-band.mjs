// docs/fusion.md: min-max vs l2 when the dense leg's scores sit in a narrow band (s -> a + b·s), on the validation
// leg lists: node docs/research/l2-narrow-band.mjs wval-dump.json span-dump.json ict-dump.json (zero-shot.mjs --dump)
import { evaluate, fuse } from '../../dist/index.js';
import { fuseInput, loadDumpSets } from './dump-legs.mjs';
const sets = loadDumpSets(process.argv.slice(2));
let lo = Infinity;
let hi = -Infinity;
for (const s of sets) for (const q of s.queries) for (const [, v] of q.legs.dense) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
console.log('dense score range in the lists', lo.toFixed(3), hi.toFixed(3));
for (const [a, b] of [[0, 1], [0.6, 0.3], [0.75, 0.2], [0.85, 0.1]]) {
  for (const normalizer of ['mm', 'l2']) {
    const cfg = { method: 'cc', normalizer, weights: { bm25: 0.4, passages: 0.3, dense: 0.3 } };
    const out = sets.map(({ qrels, queries }) => {
      const run = new Map();
      for (const q of queries) {
        const legs = fuseInput(q.legs, (name, s) => (name === 'dense' ? a + b * s : s));
        run.set(q.id, fuse(legs, cfg, 10).map((c, rank) => ({ id: c.id, score: -rank })));
      }
      return evaluate(run, qrels, { ks: [10], order: 'given' }).mean['ndcg@10'];
    });
    const mean = out.reduce((x, y) => x + y) / out.length;
    console.log(`dense ${a} + ${b}·s`, normalizer, out.map((x) => x.toFixed(4)).join(' '), 'mean', mean.toFixed(4));
  }
}
