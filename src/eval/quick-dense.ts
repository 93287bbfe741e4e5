/**
 * Dense evaluation of an in-memory embedder on a BEIR split, for the trainer's per-epoch check
 * (`tamsaek train --eval <dir>`): the set is read once before training (so a bad path fails before
 * any work) and every epoch embeds it and searches it exactly with the native flat index.
 * `epochEvaluator` wraps a set as the trainer's EpochEvaluator.
 */

import { type BeirDataset, loadBeir } from '../data/beir.js';
import { invalidArgument } from '../errors.js';
import { FlatIndex } from '../legs/dense/flat.js';
import { bestPassages } from '../legs/passages.js';
import { type CorpusDoc, readDocs } from '../train/data.js';
import type { EpochEvaluator } from '../train/pipeline.js';
import { type ChunkOptions, denseUnitTexts } from '../util/chunker.js';
import { evaluate, type Run } from './metrics.js';

export interface QuickEmbedder {
  dim: number;
  embed(texts: readonly string[], options?: { kind?: 'query' | 'passage' }): Promise<Float32Array>;
}

export interface EvalSet {
  name: string;
  split: string;
  dataset: BeirDataset;
  docs: CorpusDoc[];
}

export async function loadEvalSet(dir: string, split = 'test'): Promise<EvalSet> {
  const dataset = await loadBeir(dir, { split });
  const docs = await readDocs(dataset.corpusPath);
  if (docs.length === 0 || dataset.queries.length === 0)
    throw invalidArgument(`eval set ${dir} (${split}) has no documents or no judged queries`);
  return { name: dataset.name, split, dataset, docs };
}

/**
 * nDCG@10 and Recall@1 of the embedder's exact top-k on the set. With `passages` (what the trainer
 * records in the model, so `tamsaek eval --retriever dense` scores the same way) every window is
 * embedded and a document scores as its best one.
 */
export function epochEvaluator(set: EvalSet): EpochEvaluator {
  return {
    set: set.name,
    split: set.split,
    evaluate: async (embedder, passages) => {
      const { metrics } = await quickDenseEval(embedder, set, 10, passages);
      return { 'ndcg@10': metrics['ndcg@10']!, 'recall@1': metrics['recall@1']! };
    },
  };
}

export async function quickDenseEval(
  embedder: QuickEmbedder,
  set: EvalSet,
  k = 10,
  passages?: ChunkOptions,
): Promise<{ metrics: Record<string, number>; run: Run }> {
  const { dataset, docs } = set;
  const index = new FlatIndex({ dim: embedder.dim, metric: 'cosine' });
  const owner: number[] = [];
  const texts: string[] = [];
  docs.forEach((d, i) => {
    for (const text of denseUnitTexts(d, passages)) {
      owner.push(i);
      texts.push(text);
    }
  });
  await index.add(
    texts.map((_, u) => u),
    await embedder.embed(texts, { kind: 'passage' }),
  );
  const Q = await embedder.embed(
    dataset.queries.map((q) => q.text),
    { kind: 'query' },
  );
  const dim = embedder.dim;
  const depth = Math.min(k, docs.length);
  const run: Run = new Map();
  if (!passages) {
    // one unit per document: one batched search for all queries
    const hits = await index.searchBatch(Q, depth);
    dataset.queries.forEach((q, qi) =>
      run.set(
        q.id,
        hits[qi]!.map((h) => ({ id: docs[h.id as number]!.id, score: h.score })),
      ),
    );
  } else {
    for (let qi = 0; qi < dataset.queries.length; qi++) {
      const q = Q.subarray(qi * dim, (qi + 1) * dim);
      const hits = await bestPassages(
        (n) => index.search(q, n),
        depth,
        index.size,
        (unit) => String(owner[Number(unit)]),
      );
      run.set(
        dataset.queries[qi]!.id,
        hits.map((h) => ({ id: docs[Number(h.id)]!.id, score: h.score })),
      );
    }
  }
  const r = evaluate(run, dataset.qrels, { ks: [1, 10] });
  return { metrics: { 'ndcg@10': r.mean['ndcg@10']!, 'recall@1': r.mean['recall@1']! }, run };
}
