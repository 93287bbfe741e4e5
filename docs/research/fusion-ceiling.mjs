// How far can a per-dataset fusion weight take BM25 + dense on a set, and what does BM25 over
// passages add? For each BEIR dir (nDCG@10 per query, min-max CC over each leg's top 100):
//   - BM25 alone (whole documents, the engine's default) and dense alone (the model's passages);
//   - the weight line w·mm(bm25) + (1 − w)·mm(dense): its best point (a ceiling: chosen on the
//     evaluated queries), how many queries that point moves up / down against BM25, and the line
//     cross-fitted as `eval --retriever hybrid` does (5 folds, ±0.1 pick; mean over 10 fold splits);
//   - the same line with a second lexical leg instead of dense: BM25 over 150-character passages
//     (each document scored by its best passage), to tell a gain of the dense model from a gain of
//     lexical evidence at passage granularity.
// Run on validation splits to choose anything; a test split read here is only described.
// usage: node docs/research/fusion-ceiling.mjs --model <dir> [--split test] <beir-dir…>

import { parseArgs } from 'node:util';
import { loadBeir } from '../../dist/data/beir.js';
import { buildEngine } from '../../dist/eval/index.js';
import { evaluate } from '../../dist/eval/metrics.js';
import { pairedRandomizationTest } from '../../dist/eval/significance.js';
import { fuse } from '../../dist/fuse/index.js';
import { pickOnLine } from '../../dist/tune/index.js';
import { mulberry32, shuffleInPlace } from '../../dist/util/random.js';

const { values, positionals } = parseArgs({
  options: { model: { type: 'string' }, split: { type: 'string', default: 'test' } },
  allowPositionals: true,
});
if (!values.model || positionals.length === 0)
  throw new Error('usage: fusion-ceiling.mjs --model <dir> [--split s] <beir-dir…>');
const GRID = Array.from({ length: 21 }, (_, i) => i / 20);
const DEPTH = 100;
const PASSAGES = { by: 'chars', size: 150, overlap: 50 };
const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;

/** nDCG@10 per query (in `queries` order) of ranked document ids. */
function ndcgs(set, rankings) {
  const run = new Map(
    set.queries.map((q, i) => [q.id, rankings[i].slice(0, 10).map((id, rank) => ({ id, score: -rank }))]),
  );
  const perQuery = evaluate(run, set.qrels, { ks: [10], order: 'given' }).perQuery;
  return set.queries.map((q) => perQuery.get(q.id)['ndcg@10']);
}

/** table[q][w] for the line between `lexical` (weight w) and `other`, both document-level legs. */
function lineTable(set, lexical, other) {
  const columns = GRID.map((w) =>
    ndcgs(
      set,
      lexical.map((hits, i) =>
        fuse(
          [
            { name: 'a', hits },
            { name: 'b', hits: other[i] },
          ],
          { method: 'cc', normalizer: 'mm', weights: { a: w, b: 1 - w }, depth: DEPTH },
          10,
        ).map((h) => h.id),
      ),
    ),
  );
  return set.queries.map((_, q) => GRID.map((_, w) => columns[w][q]));
}

function crossFitted(table) {
  let total = 0;
  for (let split = 0; split < 10; split++) {
    const order = shuffleInPlace(
      table.map((_, i) => i),
      mulberry32(42 + split),
    );
    for (let fold = 0; fold < 5; fold++) {
      const rest = order.filter((_, i) => i % 5 !== fold);
      const pick = pickOnLine(GRID.map((_, w) => mean(rest.map((q) => table[q][w]))));
      for (const q of order.filter((_, i) => i % 5 === fold)) total += table[q][pick];
    }
  }
  return total / (table.length * 10);
}

function describe(label, table, bm25) {
  const curve = GRID.map((_, w) => mean(table.map((row) => row[w])));
  const best = curve.indexOf(Math.max(...curve));
  const atBest = table.map((row) => row[best]);
  const up = atBest.filter((x, q) => x > bm25[q]).length;
  const down = atBest.filter((x, q) => x < bm25[q]).length;
  const { pValue } = pairedRandomizationTest(atBest, bm25);
  return `| ${label} | ${curve[best].toFixed(4)} at w = ${GRID[best].toFixed(2)} (${up} up / ${down} down, p = ${pValue.toFixed(3)}) | ${crossFitted(table).toFixed(4)} |`;
}

console.log('| set | line (w = BM25 weight) | best point (ceiling) | cross-fitted |');
console.log('|---|---|---|---|');
for (const dir of positionals) {
  const set = await loadBeir(dir, { split: values.split });
  const hybrid = await buildEngine(set.corpusPath, {
    dense: { embedder: values.model, index: 'exact', chunk: PASSAGES },
  });
  const passages = await buildEngine(set.corpusPath, { chunk: PASSAGES });
  const bm25 = [],
    dense = [],
    bm25Passages = [];
  for (const q of set.queries) {
    const [b, d] = await hybrid.tunable().retrieve(q.text, { depth: DEPTH });
    bm25.push(b.hits.map(({ id, score }) => ({ id, score })));
    dense.push(d.hits.map(({ id, score }) => ({ id, score })));
    // BM25 over passages: each document once, scored by its best passage
    const [p] = await passages.tunable().retrieve(q.text, { depth: DEPTH });
    bm25Passages.push(p.hits.map(({ id, score }) => ({ id, score })));
  }
  await hybrid.close();
  await passages.close();
  const alone = (legs) =>
    ndcgs(
      set,
      legs.map((hits) => hits.map((h) => h.id)),
    );
  const bm25Alone = alone(bm25);
  const name = dir.replace(/\/+$/, '').split('/').pop();
  console.log(
    `| ${name} | BM25 alone ${mean(bm25Alone).toFixed(4)}, dense alone ${mean(alone(dense)).toFixed(4)}, BM25 over passages alone ${mean(alone(bm25Passages)).toFixed(4)} | | |`,
  );
  console.log(describe(`${name} | BM25 + dense`, lineTable(set, bm25, dense), bm25Alone));
  console.log(describe(`${name} | BM25 + BM25 over passages`, lineTable(set, bm25, bm25Passages), bm25Alone));
}
