/**
 * Evaluation of a retriever on one split of a BEIR dataset: builds the index from the corpus,
 * runs the split's queries one at a time, and scores them with BEIR / pytrec_eval metrics.
 * The result object is the `tamsaek eval --json` contract.
 *
 * `bm25` runs the BM25 leg alone (no engine overhead); `dense` and `hybrid` build an Engine with
 * the given embedding model and search it with the dense leg only, or with every leg fused.
 */
import { checkOptions, invalidArgument, TamsaekError } from '../errors.js';
import { loadBeir, readCorpus, type BeirDataset } from '../eval/beir.js';
import { evaluate, latencySummary, type Run } from '../eval/metrics.js';
import { runQueries } from '../eval/runner.js';
import type { Bm25Index } from '../legs/bm25/index.js';
import { tuneEngine, type TunedConfig } from '../tune/index.js';
import { mulberry32, shuffleInPlace } from '../util/random.js';
import type { VectorIndexKind } from '../legs/dense/types.js';
import type { EmbedderOptions } from '../models/embedder.js';
import { loadEmbedder, resolveModelName } from '../models/load.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChunkOptions } from '../util/chunker.js';
import { indexCorpus, type IndexCorpusOptions } from './corpus.js';
import { indexCorpusDense } from './dense.js';
import {
  Engine,
  type EngineDocument,
  type EngineOptions,
  type LegName,
  type Reranker,
  type TextEmbedder,
} from './engine.js';

export const RETRIEVERS = ['bm25', 'dense', 'hybrid'] as const;
export type RetrieverName = (typeof RETRIEVERS)[number];

/** Metrics always reported (at their fixed cut-offs) and, for an extra --k N, at N. */
const FIXED_METRICS = ['ndcg@10', 'recall@1', 'recall@10', 'mrr@10', 'map@10', 'f1@1', 'precision@1'];
const PER_K_METRICS = ['ndcg', 'recall', 'mrr', 'map', 'f1', 'precision'] as const;

export interface EvaluateRetrieverOptions extends Omit<IndexCorpusOptions, 'onProgress'> {
  retriever?: RetrieverName;
  split?: string;
  /** An extra cut-off: adds ndcg@k, recall@k, … for this k. */
  k?: number;
  /** dense/hybrid: the dense leg's passage split (default: the model's own; false: whole documents). */
  passages?: ChunkOptions | false;
  /** Reuse a built BM25 index (bm25) or engine (dense, hybrid) instead of indexing the corpus. */
  index?: Bm25Index | Engine;
  /** Embedding model (directory, Hub id or instance) for dense and hybrid. */
  model?: string | TextEmbedder;
  /** Cross-encoder for hybrid (directory, Hub id or instance) and how many candidates it reranks. */
  reranker?: string | Reranker;
  rerankTopN?: number;
  /** A tuned query-time configuration (fusion, depth, rerank top-N). */
  config?: TunedConfig;
  /**
   * hybrid without `config`: `adapt` (default) chooses the BM25 weight of a min-max combination
   * (tuneEngine's `weight` space, docs/fusion.md) on the dataset's train split, or — when there is
   * none — cross-fits it over the evaluated queries (each fold scored with the weight chosen on the
   * other folds); `fixed` uses the engine's default (min-max CC, equal weights).
   */
  fusion?: 'adapt' | 'fixed';
  seed?: number;
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
  /** dense/hybrid: the embedding model and the vector index used. */
  model?: string;
  vectorIndex?: string;
  /** dense/hybrid: the dense leg's passage split (absent: whole documents). */
  passages?: ChunkOptions;
  /** hybrid: how the fusion configuration was chosen, and the configuration (one per fold when cross-fitted). */
  fusion?: { mode: 'fixed' | 'config' | 'tuned on train' | 'cross-fitted'; configs: TunedConfig[]; reason?: string };
  queries: number;
  metrics: Record<string, number>;
  latency_ms: { p50: number; p95: number };
  /** Per-query metric rows (not part of the JSON contract; used for significance tests). */
  perQuery: Map<string, Record<string, number>>;
  /** The ranked results per query (for run files). */
  run: Run;
}

/**
 * Builds an Engine over a BEIR corpus (or a corpus .jsonl file). The corpus goes in as one batch, so
 * the dense index kind is chosen for the whole corpus (HNSW from HNSW_MIN_VECTORS on, built on a
 * worker thread) and progress follows the embedding. `vectorField` names a field of each corpus line
 * holding the document's precomputed vector (lines without it are embedded, if there is a model).
 */
export async function buildEngine(
  corpusPath: string,
  options: EngineOptions,
  onProgress?: (done: number, total: number) => void,
  vectorField?: string,
): Promise<Engine> {
  const engine = await Engine.create(options);
  const docs: EngineDocument[] = [];
  for await (const { id, title, text, vector } of readCorpus(corpusPath, { vectorField }))
    docs.push({ id, text, ...(title ? { title } : {}), ...(vector ? { vector } : {}) });
  await engine.add(docs, { onProgress });
  return engine;
}

export async function evaluateRetriever(
  path: string,
  options: EvaluateRetrieverOptions = {},
): Promise<EvaluationReport> {
  checkOptions('evaluateRetriever', options, [
    'retriever',
    'split',
    'k',
    'index',
    'onProgress',
    'analyzer',
    'k1',
    'b',
    'titleWeight',
    'model',
    'reranker',
    'rerankTopN',
    'config',
    'embedder',
    'indexKind',
    'fusion',
    'seed',
    'passages',
  ]);
  const { retriever = 'bm25', split = 'test', k, onProgress } = options;
  if (!RETRIEVERS.includes(retriever)) {
    throw new TamsaekError(
      'INVALID_ARGUMENT',
      `unknown retriever "${retriever}" (available: ${RETRIEVERS.join(', ')})`,
    );
  }
  if (k !== undefined && !(Number.isInteger(k) && k >= 1 && k <= 1000))
    throw invalidArgument(`k must be an integer in 1..1000, got ${k}`);
  if (
    retriever === 'dense' &&
    options.index === undefined &&
    (typeof options.model === 'string' || options.model === undefined)
  )
    return evaluateDense(path, options);
  if (options.embedder !== undefined || options.indexKind !== undefined)
    throw invalidArgument('embedder and indexKind apply to the dense retriever with a model name');
  const dataset = await loadBeir(path, { split });
  const depth = Math.max(10, k ?? 10);
  const total = dataset.queries.length;
  let done = 0;
  const tick = () => {
    if (onProgress && ++done % 64 === 0) onProgress('search', done, total);
  };

  let analyzer: string;
  let search: (text: string) => Promise<{ id: string; score: number }[]> | { id: string; score: number }[];
  if (retriever === 'bm25') {
    if (options.model !== undefined || options.reranker !== undefined || options.config !== undefined) {
      throw invalidArgument('--model, --reranker and --config apply to the dense and hybrid retrievers');
    }
    if (options.index instanceof Engine) {
      const engine = options.index;
      analyzer = engine.analyzer.name;
      search = (text) => {
        tick();
        return engine.search(text, { k: depth, legs: ['bm25'], rerank: false });
      };
    } else {
      const index =
        options.index ??
        (await indexCorpus(dataset.corpusPath, {
          analyzer: options.analyzer,
          k1: options.k1,
          b: options.b,
          titleWeight: options.titleWeight,
          onProgress: onProgress && ((d, t) => onProgress('index', d, t)),
        }));
      analyzer = index.analyzer.name;
      search = (text) => {
        tick();
        return index.search(text, { k: depth });
      };
    }
  } else {
    const engine = await engineFor(dataset, options);
    // an engine built here is closed here (it holds model sessions); one passed in stays the caller's
    const built = !(options.index instanceof Engine);
    try {
      if (!engine.legs.includes('dense'))
        throw invalidArgument(`--retriever ${retriever} needs a dense model (--model <dir|id>)`);
      const engineAnalyzer = engine.analyzer.name;
      if (retriever === 'hybrid' && !options.config && (options.fusion ?? 'adapt') === 'adapt') {
        const adapted = await adaptFusion(engine, path, dataset, depth, options, tick);
        return {
          ...scoreRun(path, dataset, retriever, engineAnalyzer, adapted.results, adapted.latenciesMs, k),
          model: engine.denseModel,
          ...passagesOf(engine.densePassages),
          fusion: adapted.fusion,
        };
      }
      if (options.config) engine.applyTuned(options.config);
      const legs: LegName[] | undefined = retriever === 'dense' ? ['dense'] : undefined;
      const { results, latenciesMs } = await runQueries(dataset.queries, (text) => {
        tick();
        return engine.search(text, { k: depth, legs, rerank: retriever === 'hybrid' ? undefined : false });
      });
      onProgress?.('search', total, total);
      const report = {
        ...scoreRun(path, dataset, retriever, engineAnalyzer, results, latenciesMs, k),
        model: engine.denseModel,
        ...passagesOf(engine.densePassages),
      };
      if (retriever !== 'hybrid') return report;
      const fusion = {
        mode: options.config ? ('config' as const) : ('fixed' as const),
        configs: [{ fusion: engine.fusion, depth: Math.max(depth, engine.depth), rerankTopN: engine.rerankTopN }],
      };
      return { ...report, fusion };
    } finally {
      if (built) await engine.close();
    }
  }

  const { results, latenciesMs } = await runQueries(dataset.queries, (text) => search(text));
  onProgress?.('search', total, total);
  return scoreRun(path, dataset, retriever, analyzer, results, latenciesMs, k);
}

/** The report's `passages` field: the dense leg's split, absent for whole documents. */
function passagesOf(split: ChunkOptions | undefined): { passages?: ChunkOptions } {
  return split ? { passages: split } : {};
}

function scoreRun(
  path: string,
  dataset: BeirDataset,
  retriever: RetrieverName,
  analyzer: string,
  results: Run,
  latenciesMs: number[],
  k: number | undefined,
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
    queries: total,
    metrics,
    latency_ms: { p50: latency.p50, p95: latency.p95 },
    perQuery: scored.perQuery,
    run: results,
  };
}

async function engineFor(dataset: BeirDataset, options: EvaluateRetrieverOptions): Promise<Engine> {
  if (options.index instanceof Engine) return options.index;
  if (options.index) throw invalidArgument('a BM25 index evaluates with --retriever bm25');
  // no model: the static model shipped in the package (models/, see docs/training.md)
  const engineOptions: EngineOptions = {
    analyzer: options.analyzer,
    bm25: { k1: options.k1, b: options.b, titleWeight: options.titleWeight },
    dense: {
      embedder: options.model ?? 'default',
      ...(options.passages !== undefined ? { chunk: options.passages } : {}),
    },
  };
  if (options.reranker !== undefined)
    engineOptions.rerank = {
      reranker: options.reranker,
      ...(options.rerankTopN !== undefined ? { topN: options.rerankTopN } : {}),
    };
  return buildEngine(
    dataset.corpusPath,
    engineOptions,
    options.onProgress && ((d, t) => options.onProgress!('index', d, t)),
  );
}

/** The dense leg alone, without an engine: embeds the corpus and bulk-builds the vector index. */
async function evaluateDense(path: string, options: EvaluateRetrieverOptions): Promise<EvaluationReport> {
  const { split = 'test', k, onProgress, model } = options;
  for (const key of ['analyzer', 'k1', 'b', 'titleWeight', 'reranker', 'rerankTopN', 'config'] as const) {
    if (options[key] !== undefined) throw invalidArgument(`${key} does not apply to the dense retriever`);
  }
  const dataset = await loadBeir(path, { split });
  const embedder = await loadEmbedder(model as string | undefined, options.embedder);
  try {
    const dense = await indexCorpusDense(dataset.corpusPath, embedder, {
      indexKind: options.indexKind,
      passages: options.passages,
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
    return {
      ...scoreRun(path, dataset, 'dense', 'none', results, latenciesMs, k),
      model: embedder.modelId,
      vectorIndex: dense.index.constructor.name,
      ...passagesOf(dense.passages),
    };
  } finally {
    await embedder.dispose();
  }
}

/** Train queries used to tune fusion (a seeded sample keeps tuning time bounded on large splits). */
const MAX_TUNE_QUERIES = 2000;
const TUNE_EVALUATIONS = 150;
const CROSS_FIT_FOLDS = 5;

/**
 * Chooses the fusion without looking at the evaluated queries' labels: tuned on the train split
 * when the dataset has one, else cross-fitted over the evaluated queries.
 */
async function adaptFusion(
  engine: Engine,
  path: string,
  dataset: BeirDataset,
  depth: number,
  options: EvaluateRetrieverOptions,
  tick: () => void,
): Promise<{ results: Run; latenciesMs: number[]; fusion: NonNullable<EvaluationReport['fusion']> }> {
  const seed = options.seed ?? 42;
  const searchWith = (config: TunedConfig) => (text: string) => {
    tick();
    return engine.search(text, {
      k: depth,
      fusion: config.fusion,
      depth: Math.max(depth, config.depth),
      rerank: config.rerankTopN > 0 ? config.rerankTopN : false,
    });
  };
  const contaminated = await modelTrainedOn(options.model, dataset.name);
  if (!contaminated && dataset.split !== 'train' && dataset.splits.includes('train')) {
    const train = await loadBeir(path, { split: 'train' });
    const queries = shuffleInPlace(train.queries.slice(), mulberry32(seed)).slice(0, MAX_TUNE_QUERIES);
    const report = await tuneEngine(
      engine,
      { train: queries, test: [], qrels: train.qrels },
      { seed, maxEvaluations: TUNE_EVALUATIONS, space: 'weight' },
    );
    const config = report.tuned.config;
    const { results, latenciesMs } = await runQueries(dataset.queries, searchWith(config));
    return { results, latenciesMs, fusion: { mode: 'tuned on train', configs: [config] } };
  }
  const order = shuffleInPlace(
    dataset.queries.map((_, i) => i),
    mulberry32(seed),
  );
  const folds = Math.min(CROSS_FIT_FOLDS, order.length);
  const results: Run = new Map();
  const latencies = new Array<number>(dataset.queries.length);
  const configs: TunedConfig[] = [];
  for (let f = 0; f < folds; f++) {
    const heldIdx = order.filter((_, i) => i % folds === f);
    const held = heldIdx.map((i) => dataset.queries[i]);
    const rest = order.filter((_, i) => i % folds !== f).map((i) => dataset.queries[i]);
    const report = await tuneEngine(
      engine,
      { train: rest, test: [], qrels: dataset.qrels },
      { seed: seed + f, maxEvaluations: TUNE_EVALUATIONS, space: 'weight' },
    );
    configs.push(report.tuned.config);
    const run = await runQueries(held, searchWith(report.tuned.config));
    held.forEach((q, i) => {
      results.set(q.id, run.results.get(q.id)!);
      latencies[heldIdx[i]] = run.latenciesMs[i];
    });
  }
  return {
    results,
    latenciesMs: latencies,
    fusion: {
      mode: 'cross-fitted',
      configs,
      ...(contaminated
        ? { reason: `the model was trained on ${dataset.name}'s train queries, which would overrate the dense leg` }
        : {}),
    },
  };
}

/**
 * Whether a model's training used this dataset's train qrels (read from the `training.sources` a
 * tamsaek-trained model records in config.json). Fusion tuned on those queries would trust the
 * dense leg far more than it deserves on unseen queries.
 */
async function modelTrainedOn(model: string | TextEmbedder | undefined, dataset: string): Promise<boolean> {
  if (typeof model === 'object') return false;
  try {
    const config = JSON.parse(await readFile(join(resolveModelName(model), 'config.json'), 'utf8')) as {
      training?: { sources?: Record<string, unknown> };
    };
    return Object.keys(config.training?.sources ?? {}).some((source) => source === `${dataset}:qrels/train`);
  } catch {
    return false;
  }
}
