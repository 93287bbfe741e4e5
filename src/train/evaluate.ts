/** Quick dense evaluation of an in-memory embedder (exact search) — the trainer's per-epoch check. */
import { loadBeir } from '../eval/beir.js';
import { evaluate, type Run } from '../eval/metrics.js';
import { readDocs } from './data.js';

export interface QuickEmbedder {
  dim: number;
  embed(texts: readonly string[], options?: { kind?: 'query' | 'passage' }): Promise<Float32Array>;
}

export async function quickDenseEval(embedder: QuickEmbedder, dir: string, split = 'test', k = 10): Promise<{ metrics: Record<string, number>; run: Run }> {
  const ds = await loadBeir(dir, { split });
  const docs = await readDocs(ds.corpusPath);
  const dim = embedder.dim;
  const D = await embedder.embed(docs.map((d) => d.full), { kind: 'passage' });
  const Q = await embedder.embed(ds.queries.map((q) => q.text), { kind: 'query' });
  const run: Run = new Map();
  const scores = new Float32Array(docs.length);
  ds.queries.forEach((q, qi) => {
    for (let d = 0; d < docs.length; d++) {
      let s = 0;
      for (let x = 0; x < dim; x++) s += Q[qi * dim + x]! * D[d * dim + x]!;
      scores[d] = s;
    }
    const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]! || (docs[a]!.id < docs[b]!.id ? -1 : 1));
    run.set(q.id, order.slice(0, k).map((i) => ({ id: docs[i]!.id, score: scores[i]! })));
  });
  const r = evaluate(run, ds.qrels, { ks: [1, 10] });
  return { metrics: { 'ndcg@10': r.mean['ndcg@10']!, 'recall@1': r.mean['recall@1']! }, run };
}
