// Test-split report (nothing chosen here): BM25, the adapted dense leg and the default hybrid (with and
// without adaptation) for one model on one set, with paired randomization tests vs BM25.
// Usage: node docs/research/zero-shot-report.mjs SET MODEL TAG   (MODEL: a model dir or "default"; prints JSON)
import { evaluateRetriever, pairedRandomizationTest } from 'tamsaek';
const [set, model, tag] = process.argv.slice(2);
const path = `${process.env.TAMSAEK_DATASETS ?? '../shared/datasets'}/${set}`;
const t0 = performance.now();
const bm25 = await evaluateRetriever(path, { retriever: 'bm25' });
const dense = await evaluateRetriever(path, { retriever: 'dense', model });
const hybrid = await evaluateRetriever(path, { retriever: 'hybrid', model });
const noadapt = await evaluateRetriever(path, { retriever: 'hybrid', model, adapt: false });
const ids = [...bm25.perQuery.keys()];
const t = (r) => pairedRandomizationTest(ids.map((q) => r.perQuery.get(q)['ndcg@10']), ids.map((q) => bm25.perQuery.get(q)['ndcg@10']), { seed: 1 });
const m = (r) => ({ ndcg: r.metrics['ndcg@10'], r1: r.metrics['recall@1'], r10: r.metrics['recall@10'] });
const out = { set, model, tag, bm25: m(bm25), dense: { ...m(dense), adapted: dense.adapted }, hybrid: { ...m(hybrid), test: t(hybrid), fusion: hybrid.fusion }, hybridNoAdapt: { ...m(noadapt), test: t(noadapt) }, seconds: (performance.now() - t0) / 1000 };
console.log(JSON.stringify(out));
