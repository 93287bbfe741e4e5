// Dense, hybrid and BM25 on every shared test split, with paired randomization tests of hybrid vs BM25.
// Usage: node scripts/quality-report.mjs [datasets-dir] [--model dir]   (prints a markdown table)

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateRetriever, pairedRandomizationTest } from 'tamsaek';

const args = process.argv.slice(2);
const modelAt = args.indexOf('--model');
const model = modelAt >= 0 ? args.splice(modelAt, 2)[1] : undefined;
const root =
  args[0] ?? join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..', 'shared', 'datasets');
const sets = ['autorag-ko', 'welfare-ssis'].filter((s) => existsSync(join(root, s)));
const rows = [];
for (const set of sets) {
  const path = join(root, set);
  const bm25 = await evaluateRetriever(path, { retriever: 'bm25' });
  const dense = await evaluateRetriever(path, { retriever: 'dense', model });
  const fixed = await evaluateRetriever(path, { retriever: 'hybrid', model });
  const unadapted = await evaluateRetriever(path, { retriever: 'hybrid', model, adapt: false });
  const adapt = await evaluateRetriever(path, { retriever: 'hybrid', model, fusion: 'adapt' });
  const ids = [...bm25.perQuery.keys()];
  const test = (r) =>
    pairedRandomizationTest(
      ids.map((q) => r.perQuery.get(q)['ndcg@10']),
      ids.map((q) => bm25.perQuery.get(q)['ndcg@10']),
      { seed: 1 },
    );
  for (const [name, r, t] of [
    ['bm25 (ko-morph)', bm25],
    ['dense (default model, adapted to the corpus)', dense],
    ['hybrid, engine defaults (no labels)', fixed, test(fixed)],
    ['hybrid, engine defaults, model not adapted', unadapted, test(unadapted)],
    [
      `hybrid, weights fitted on labels: ${adapt.fusion.labels.replace(' (', ', ').replace(')', '')}`,
      adapt,
      test(adapt),
    ],
  ]) {
    rows.push(
      `| ${set} | ${name} | ${r.metrics['ndcg@10'].toFixed(4)} | ${r.metrics['recall@1'].toFixed(4)} | ${r.metrics['recall@10'].toFixed(4)} | ${t ? `${t.diff >= 0 ? '+' : ''}${t.diff.toFixed(4)} (p = ${t.pValue.toFixed(4)})` : ''} |`,
    );
    console.error(`${set} ${name}: ${r.metrics['ndcg@10'].toFixed(4)}`);
  }
}
console.log(
  '| dataset | retriever | nDCG@10 | R@1 | R@10 | vs BM25 nDCG@10 (paired randomization) |\n|---|---|---|---|---|---|\n' +
    rows.join('\n'),
);
