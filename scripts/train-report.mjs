// Scores for docs/training.md: BM25 vs dense vs hybrid (engine default fusion) with the default
// model (or MODEL=<dir>) on the test splits, with a paired randomization test hybrid vs BM25.
import { evaluateRetriever } from '../dist/eval/index.js';
import { pairedRandomizationTest } from '../dist/eval/significance.js';

const D = process.env.TAMSAEK_DATASETS ?? '../shared/datasets';
const model = process.env.MODEL;
for (const ds of ['autorag-ko', 'welfare-ssis']) {
  const r = {};
  for (const retriever of ['bm25', 'dense', 'hybrid'])
    r[retriever] = await evaluateRetriever(`${D}/${ds}`, {
      retriever,
      ...(retriever !== 'bm25' && model ? { model } : {}),
    });
  const ids = [...r.bm25.perQuery.keys()];
  const sig = pairedRandomizationTest(
    ids.map((q) => r.hybrid.perQuery.get(q)['ndcg@10']),
    ids.map((q) => r.bm25.perQuery.get(q)['ndcg@10']),
    { seed: 42 },
  );
  const m = (x) => `${x.metrics['ndcg@10'].toFixed(4)} / ${x.metrics['recall@1'].toFixed(4)}`;
  console.log(
    `| ${ds} | ${m(r.bm25)} | ${m(r.dense)} | ${m(r.hybrid)} | ${(r.hybrid.metrics['ndcg@10'] - r.bm25.metrics['ndcg@10']).toFixed(4)} (p = ${sig.pValue.toFixed(4)}) |`,
  );
}
