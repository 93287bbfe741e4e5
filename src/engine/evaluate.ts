/**
 * Evaluation of a retriever on one split of a BEIR dataset: builds the index from the corpus,
 * runs the split's queries one at a time, and scores them with BEIR / pytrec_eval metrics.
 * The result object is the `tamsaek eval --json` contract.
 */
import { checkOptions, invalidArgument, TamsaekError } from '../errors.js';
import { loadBeir } from '../eval/beir.js';
import { evaluate, latencySummary, type Run } from '../eval/metrics.js';
import { runQueries } from '../eval/runner.js';
import type { Bm25Index } from '../legs/bm25/index.js';
import type { VectorIndexKind } from '../legs/dense/types.js';
import { OnnxEmbedder, type EmbedderOptions } from '../models/embedder.js';
import { indexCorpus, type IndexCorpusOptions } from './corpus.js';
import { indexCorpusDense } from './dense.js';

export const RETRIEVERS = ['bm25', 'dense'] as const;
export type RetrieverName = (typeof RETRIEVERS)[number];

/** Metrics always reported (at their fixed cut-offs) and, for an extra --k N, at N. */
const FIXED_METRICS = ['ndcg@10', 'recall@1', 'recall@10', 'mrr@10', 'map@10', 'f1@1', 'precision@1'];
const PER_K_METRICS = ['ndcg', 'recall', 'mrr', 'map', 'f1', 'precision'] as const;

export interface EvaluateRetrieverOptions extends Omit<IndexCorpusOptions, 'onProgress'> {
  retriever?: RetrieverName;
  split?: string;
  /** An extra cut-off: adds ndcg@k, recall@k, … for this k. */
  k?: number;
  /** Reuse a built index instead of indexing the corpus. */
  index?: Bm25Index;
  /** dense: a model directory or Hub id (required for the dense retriever). */
  model?: string;
  /** dense: embedder settings (pooling, prefixes, maxLength, batchSize, threads, hub options …). */
  embedder?: EmbedderOptions;
  /** dense: vector index kind (default: by corpus size, see createVectorIndex). */
  indexKind?: VectorIndexKind | 'auto';
  onProgress?: (stage: 'index' | 'embed' | 'search', done: number, total: number) => void;
}

export interface EvaluationReport {
  dataset: string;
  path: string;
  split: string;
  retriever: RetrieverName;
  /** The BM25 analyzer, or "none" for the dense retriever. */
  analyzer: string;
  /** dense: the embedding model and the vector index used. */
  model?: string;
  vectorIndex?: string;
  queries: number;
  metrics: Record<string, number>;
  latency_ms: { p50: number; p95: number };
  /** Per-query metric rows (not part of the JSON contract; used for significance tests). */
  perQuery: Map<string, Record<string, number>>;
  /** The ranked results per query (for run files). */
  run: Run;
}

export async function evaluateRetriever(path: string, options: EvaluateRetrieverOptions = {}): Promise<EvaluationReport> {
  checkOptions('evaluateRetriever', options, ['retriever', 'split', 'k', 'index', 'onProgress', 'analyzer', 'k1', 'b', 'titleWeight', 'model', 'embedder', 'indexKind']);
  const { retriever = 'bm25', split = 'test', k, onProgress } = options;
  if (!RETRIEVERS.includes(retriever)) {
    throw new TamsaekError('INVALID_ARGUMENT', `unknown retriever "${retriever}" (available: ${RETRIEVERS.join(', ')})`);
  }
  if (k !== undefined && !(Number.isInteger(k) && k >= 1 && k <= 1000)) throw invalidArgument(`k must be an integer in 1..1000, got ${k}`);
  if (retriever === 'dense') return evaluateDense(path, options);
  if (options.model !== undefined || options.embedder !== undefined || options.indexKind !== undefined) {
    throw invalidArgument('model, embedder and indexKind apply to the dense retriever only');
  }
  const dataset = await loadBeir(path, { split });
  const index =
    options.index ??
    (await indexCorpus(dataset.corpusPath, {
      analyzer: options.analyzer,
      k1: options.k1,
      b: options.b,
      titleWeight: options.titleWeight,
      onProgress: onProgress && ((done, total) => onProgress('index', done, total)),
    }));
  const depth = Math.max(10, k ?? 10);
  const total = dataset.queries.length;
  let done = 0;
  const { results, latenciesMs } = await runQueries(dataset.queries, (text) => {
    const hits = index.search(text, { k: depth });
    if (onProgress && ++done % 64 === 0) onProgress('search', done, total);
    return hits;
  });
  onProgress?.('search', total, total);
  return report(path, dataset, retriever, index.analyzer.name, results, latenciesMs, k);
}

function report(
  path: string,
  dataset: Awaited<ReturnType<typeof loadBeir>>,
  retriever: RetrieverName,
  analyzer: string,
  results: Run,
  latenciesMs: number[],
  k: number | undefined,
  extra: { model?: string; vectorIndex?: string } = {},
): EvaluationReport {
  const total = dataset.queries.length;
  const ks = [...new Set([1, 10, ...(k === undefined ? [] : [k])])].sort((a, b) => a - b);
  const scored = evaluate(results, dataset.qrels, { ks });
  const metrics: Record<string, number> = {};
  for (const key of FIXED_METRICS) metrics[key] = scored.mean[key];
  if (k !== undefined) for (const m of PER_K_METRICS) metrics[`${m}@${k}`] = scored.mean[`${m}@${k}`];
  const latency = total > 0 ? latencySummary(latenciesMs) : { p50: 0, p95: 0 };
  return {
    dataset: dataset.name,
    path,
    split: dataset.split,
    retriever,
    analyzer,
    ...extra,
    queries: total,
    metrics,
    latency_ms: { p50: latency.p50, p95: latency.p95 },
    perQuery: scored.perQuery,
    run: results,
  };
}

async function evaluateDense(path: string, options: EvaluateRetrieverOptions): Promise<EvaluationReport> {
  const { split = 'test', k, onProgress, model } = options;
  if (typeof model !== 'string' || model.length === 0) throw invalidArgument('the dense retriever needs a model (a model directory or a Hub id)');
  for (const key of ['index', 'analyzer', 'k1', 'b', 'titleWeight'] as const) {
    if (options[key] !== undefined) throw invalidArgument(`${key} applies to the bm25 retriever only`);
  }
  const dataset = await loadBeir(path, { split });
  const embedder = await OnnxEmbedder.load(model, options.embedder);
  try {
    const dense = await indexCorpusDense(dataset.corpusPath, embedder, {
      indexKind: options.indexKind,
      onProgress: onProgress && ((stage, done, total) => onProgress(stage, done, total)),
    });
    const depth = Math.max(10, k ?? 10);
    const total = dataset.queries.length;
    let done = 0;
    const { results, latenciesMs } = await runQueries(dataset.queries, async (text) => {
      const hits = await dense.search(text, depth);
      if (onProgress && ++done % 16 === 0) onProgress('search', done, total);
      return hits.map((h) => ({ id: String(h.id), score: h.score }));
    });
    onProgress?.('search', total, total);
    return report(path, dataset, 'dense', 'none', results, latenciesMs, k, { model: embedder.modelId, vectorIndex: dense.index.constructor.name });
  } finally {
    await embedder.dispose();
  }
}
