// How the weight-line pick rule (src/tune pickOnLine) cross-fits on query sets of a given size.
// For each BEIR dir: the nDCG@10 of w·mm(bm25) + (1 − w)·mm(dense) for every w of the 0.05 grid and
// every query, then random query sets of about --size queries (3 repeats), each 5-fold cross-fitted
// with a radius-r pick (r = 0: plain argmax, the old rule; 2: the default). Point it at validation
// splits: this chooses a rule, so a test split read here is a test split chosen on.
// usage: node docs/research/fusion-line-check.mjs --model <dir> [--size 114] [--split test] <beir-dir…>

import { parseArgs } from 'node:util';
import { loadBeir } from '../../dist/data/beir.js';
import { buildEngine } from '../../dist/eval/index.js';
import { evaluate } from '../../dist/eval/metrics.js';
import { pickOnLine } from '../../dist/tune/index.js';
import { mulberry32, shuffleInPlace } from '../../dist/util/random.js';

const { values, positionals } = parseArgs({
  options: {
    model: { type: 'string' },
    size: { type: 'string', default: '114' },
    split: { type: 'string', default: 'test' },
  },
  allowPositionals: true,
});
if (!values.model || positionals.length === 0)
  throw new Error('usage: fusion-line-check.mjs --model <dir> [--size N] [--split s] <beir-dir…>');
const size = Number(values.size);
const GRID = Array.from({ length: 21 }, (_, i) => i / 20);
const RADII = [0, 1, 2];
const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;

/** table[query][gridIndex] = nDCG@10 */
async function weightTable(dir) {
  const set = await loadBeir(dir, { split: values.split });
  const engine = await buildEngine(set.corpusPath, { dense: { embedder: values.model, index: 'exact' } });
  const table = set.queries.map(() => new Array(GRID.length));
  for (const [wi, w] of GRID.entries()) {
    const run = new Map();
    for (const q of set.queries) {
      const hits = await engine.search(q.text, {
        k: 10,
        fusion: { method: 'cc', normalizer: 'mm', weights: { bm25: w, dense: 1 - w } },
        depth: 100,
        rerank: false,
      });
      run.set(
        q.id,
        hits.map((h, rank) => ({ id: h.id, score: -rank })),
      );
    }
    const perQuery = evaluate(run, set.qrels, { ks: [10], order: 'given' }).perQuery;
    set.queries.forEach((q, i) => (table[i][wi] = perQuery.get(q.id)['ndcg@10']));
  }
  await engine.close();
  return table;
}

function crossFitted(table, queries, radius, seed) {
  const order = shuffleInPlace(queries.slice(), mulberry32(seed));
  let total = 0;
  for (let fold = 0; fold < 5; fold++) {
    const rest = order.filter((_, i) => i % 5 !== fold);
    const pick = pickOnLine(
      GRID.map((_, wi) => mean(rest.map((q) => table[q][wi]))),
      radius,
    );
    for (const q of order.filter((_, i) => i % 5 === fold)) total += table[q][pick];
  }
  return total / queries.length;
}

console.log(
  `| set (sets of ~${size} queries) | BM25 alone | ${RADII.map((r) => (r === 0 ? 'argmax' : `±${(r * 0.05).toFixed(2)}`)).join(' | ')} |`,
);
console.log(`|---|---|${RADII.map(() => '---|').join('')}`);
for (const dir of positionals) {
  const table = await weightTable(dir);
  const sums = { bm25: 0, ...Object.fromEntries(RADII.map((r) => [r, 0])) };
  let n = 0;
  for (const repeat of [1, 2, 3]) {
    const all = shuffleInPlace(
      table.map((_, i) => i),
      mulberry32(1000 + repeat),
    );
    const chunks = Math.max(1, Math.round(all.length / size));
    for (let c = 0; c < chunks; c++) {
      const queries = all.filter((_, i) => i % chunks === c);
      n++;
      sums.bm25 += mean(queries.map((q) => table[q][GRID.length - 1]));
      for (const r of RADII) sums[r] += crossFitted(table, queries, r, 42 + repeat);
    }
  }
  console.log(`| ${dir} | ${(sums.bm25 / n).toFixed(4)} | ${RADII.map((r) => (sums[r] / n).toFixed(4)).join(' | ')} |`);
}
