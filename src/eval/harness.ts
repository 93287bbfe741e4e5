/**
 * Evaluation of a retriever on one split of a BEIR dataset: builds the index from the corpus,
 * runs the split's queries one at a time, and scores them with BEIR / pytrec_eval metrics.
 * The result object is the `tamsaek eval --json` contract.
 *
 * `bm25` runs the BM25 leg alone (no engine overhead); `dense` and `hybrid` build an Engine with
 * the given embedding model and search it with the dense leg only, or with every leg fused.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BeirDataset, loadBeir } from '../data/beir.js';
import { Engine } from '../engine/engine.js';
import type { EngineOptions, EngineSearchOptions } from '../engine/types.js';
import { checkOptions, invalidArgument, TamsaekError } from '../errors.js';
import type { Bm25Index } from '../legs/bm25/index.js';
import type { LegAdaptOptions } from '../legs/dense/leg.js';
import type { VectorIndexKind } from '../legs/dense/types.js';
import type { EmbedderOptions } from '../models/embedder.js';
import { loadEmbedder, resolveModelName } from '../models/load.js';
import type { TextEmbedder } from '../models/types.js';
import type { Reranker } from '../rerank/types.js';
import { type TunedConfig, tuneEngine } from '../tune/index.js';
import type { ChunkOptions } from '../util/chunker.js';
import { mulberry32, shuffleInPlace } from '../util/random.js';
import { buildEngine, type IndexCorpusOptions, indexCorpus } from './corpus.js';
import { evaluate, latencySummary, type Run } from './metrics.js';
import { runQueries } from './runner.js';

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
   * hybrid without `config`: `fixed` (default) is exactly what an engine does when no fusion is given
   * (its label-free default); `adapt` chooses the legs' weights of a min-max combination (tuneEngine's
   * `weight` space, docs/fusion.md) with labels — on the dataset's train split, or, when there is none,
   * cross-fitted over the evaluated queries (each fold scored with weights chosen on the other folds).
   * The report's `fusion.labels` says which.
   */
  fusion?: 'adapt' | 'fixed';
  seed?: number;
  /** dense: embedder settings (pooling, prefixes, maxLength, batchSize, threads, hub options …). */
  embedder?: EmbedderOptions;
  /** dense: vector index kind (default: by corpus size, see createVectorIndex). */
  indexKind?: VectorIndexKind | 'auto';
  /**
   * dense/hybrid: adapt a static model to the corpus first — documents only, never queries or qrels.
   * Static models adapt by default (as an engine's dense leg does); false evaluates the model as it is.
   */
  adapt?: boolean | LegAdaptOptions;
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
  /** dense/hybrid with adaptation: what the adapted model was made from (documents only). */
  adapted?: Record<string, unknown>;
  /** hybrid: how the fusion configuration was chosen, and the configuration (one per fold when cross-fitted). */
  fusion?: {
    mode: 'fixed' | 'config' | 'tuned on train' | 'cross-fitted';
    /** Which relevance labels chose the fusion: none (the engine's default or a given config), the train split's, or the evaluated queries' own (cross-fitted: each fold by the others). */
    labels: 'none' | 'train split' | 'evaluated queries (cross-fitted)';
    configs: TunedConfig[];
    reason?: string;
  };
  queries: number;
  metrics: Record<string, number>;
  latency_ms: { p50: number; p95: number };
  /** Per-query metric rows (not part of the JSON contract; used for significance tests). */
  perQuery: Map<string, Record<string, number>>;
  /** The ranked results per query (for run files). */
  run: Run;
}

const OPTION_KEYS = [
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
  'adapt',
];

type Search = (text: string) => Promise<{ id: string; score: number }[]> | { id: string; score: number }[];

export async function evaluateRetriever(
  path: string,
  options: EvaluateRetrieverOptions = {},
): Promise<EvaluationReport> {
  checkOptions('evaluateRetriever', options, OPTION_KEYS);
  const { retriever = 'bm25', split = 'test', k } = options;
  if (!RETRIEVERS.includes(retriever))
    throw new TamsaekError(
      'INVALID_ARGUMENT',
      `unknown retriever "${retriever}" (available: ${RETRIEVERS.join(', ')})`,
    );
  if (k !== undefined && !(Number.isInteger(k) && k >= 1 && k <= 1000))
    throw invalidArgument(`k must be an integer in 1..1000, got ${k}`);
  const dataset = await loadBeir(path, { split });
  if (retriever === 'bm25') return evaluateBm25(path, dataset, options);
  if (retriever === 'dense' && options.index === undefined && typeof options.model !== 'object')
    return evaluateDense(path, dataset, options);
  if (options.embedder !== undefined || options.indexKind !== undefined)
    throw invalidArgument('embedder and indexKind apply to the dense retriever with a model name');
  const engine = await engineFor(dataset, options);
  // an engine built here is closed here (it holds model sessions); one passed in stays the caller's
  try {
    return await evaluateEngine(path, dataset, engine, options);
  } finally {
    if (!(options.index instanceof Engine)) await engine.close();
  }
}

/** Queries run one at a time (latencies are per query), with progress every 64. */
async function runSplit(dataset: BeirDataset, search: Search, options: EvaluateRetrieverOptions) {
  const total = dataset.queries.length;
  let done = 0;
  const run = await runQueries(dataset.queries, (text) => {
    if (options.onProgress && ++done % 64 === 0) options.onProgress('search', done, total);
    return search(text);
  });
  options.onProgress?.('search', total, total);
  return run;
}

function depthOf(options: EvaluateRetrieverOptions): number {
  return Math.max(10, options.k ?? 10);
}

/** The names of an engine's legs of one kind. */
function legsOfKind(engine: Engine, kind: string): string[] {
  return engine
    .describe()
    .legs.filter((l) => l.kind === kind)
    .map((l) => l.name);
}

async function evaluateBm25(
  path: string,
  dataset: BeirDataset,
  options: EvaluateRetrieverOptions,
): Promise<EvaluationReport> {
  if (options.model !== undefined || options.reranker !== undefined || options.config !== undefined)
    throw invalidArgument('--model, --reranker and --config apply to the dense and hybrid retrievers');
  const depth = depthOf(options);
  const { onProgress } = options;
  let analyzer: string;
  let search: Search;
  if (options.index instanceof Engine) {
    const engine = options.index;
    const legs = legsOfKind(engine, 'bm25');
    analyzer = engine.analyzer.name;
    search = (text) => engine.search(text, { k: depth, legs, rerank: false });
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
    search = (text) => index.search(text, { k: depth });
  }
  const { results, latenciesMs } = await runSplit(dataset, search, options);
  return scoreRun(path, dataset, 'bm25', analyzer, results, latenciesMs, options.k);
}

/** The dense leg's facts for a report: its model and passage split. */
function denseFacts(engine: Engine): {
  model?: string;
  passages?: ChunkOptions;
  vectorIndex?: string;
  adapted?: Record<string, unknown>;
} {
  const leg = engine.describe().legs.find((l) => l.kind === 'dense');
  if (!leg) return {};
  return {
    model: leg.model as string,
    vectorIndex: leg.index as string,
    ...(leg.passages ? { passages: leg.passages as ChunkOptions } : {}),
    ...(leg.adapted ? { adapted: leg.adapted as Record<string, unknown> } : {}),
  };
}

/** dense (a given engine or model instance) and hybrid: the engine's search with its dense legs or every leg. */
async function evaluateEngine(
  path: string,
  dataset: BeirDataset,
  engine: Engine,
  options: EvaluateRetrieverOptions,
): Promise<EvaluationReport> {
  const { retriever = 'bm25', k } = options;
  const depth = depthOf(options);
  const dense = legsOfKind(engine, 'dense');
  if (dense.length === 0) throw invalidArgument(`--retriever ${retriever} needs a dense model (--model <dir|id>)`);
  const { model, passages, adapted } = denseFacts(engine);
  const facts = { model, ...(passages ? { passages } : {}), ...(adapted ? { adapted } : {}) };
  const analyzer = engine.analyzer.name;
  if (retriever === 'hybrid' && !options.config && options.fusion === 'adapt') {
    const adapted = await adaptFusion(engine, path, dataset, depth, options);
    const report = scoreRun(path, dataset, retriever, analyzer, adapted.results, adapted.latenciesMs, k);
    return { ...report, ...facts, fusion: adapted.fusion };
  }
  if (options.config) engine.configure(options.config);
  const search: EngineSearchOptions = retriever === 'dense' ? { k: depth, legs: dense, rerank: false } : { k: depth };
  const { results, latenciesMs } = await runSplit(dataset, (text) => engine.search(text, search), options);
  const report = { ...scoreRun(path, dataset, retriever, analyzer, results, latenciesMs, k), ...facts };
  if (retriever !== 'hybrid') return report;
  const d = engine.describe();
  const config = { fusion: d.fusion, depth: Math.max(depth, d.depth), rerankTopN: d.rerank?.topN ?? 0 };
  return { ...report, fusion: { mode: options.config ? 'config' : 'fixed', labels: 'none', configs: [config] } };
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
      ...(options.adapt !== undefined ? { adapt: options.adapt } : {}),
    },
  };
  if (options.reranker !== undefined)
    engineOptions.rerank = { reranker: options.reranker, topN: options.rerankTopN ?? 20 };
  return buildEngine(
    dataset.corpusPath,
    engineOptions,
    options.onProgress && ((d, t) => options.onProgress!('index', d, t)),
  );
}

/** The dense leg alone: an engine with one dense leg over the corpus, searched query by query. */
async function evaluateDense(
  path: string,
  dataset: BeirDataset,
  options: EvaluateRetrieverOptions,
): Promise<EvaluationReport> {
  for (const key of ['analyzer', 'k1', 'b', 'titleWeight', 'reranker', 'rerankTopN', 'config'] as const)
    if (options[key] !== undefined) throw invalidArgument(`${key} does not apply to the dense retriever`);
  const embedder = await loadEmbedder(options.model as string | undefined, options.embedder);
  try {
    const chunk = options.passages === undefined ? {} : { chunk: options.passages };
    const adapt = options.adapt !== undefined ? { adapt: options.adapt } : {};
    const leg = { embedder, ...(options.indexKind ? { index: options.indexKind } : {}), ...chunk, ...adapt };
    const { onProgress } = options;
    const engine = await buildEngine(
      dataset.corpusPath,
      { legs: [{ name: 'dense', kind: 'dense', options: leg }] },
      onProgress && ((d, t) => onProgress('embed', d, t)),
    );
    try {
      const depth = depthOf(options);
      const search = (text: string) => engine.search(text, { k: depth, rerank: false });
      const { results, latenciesMs } = await runSplit(dataset, search, options);
      const { passages, vectorIndex, model, adapted } = denseFacts(engine);
      return {
        ...scoreRun(path, dataset, 'dense', 'none', results, latenciesMs, options.k),
        model: model ?? embedder.modelId,
        vectorIndex,
        ...(passages ? { passages } : {}),
        ...(adapted ? { adapted } : {}),
      };
    } finally {
      await engine.close();
    }
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
): Promise<{ results: Run; latenciesMs: number[]; fusion: NonNullable<EvaluationReport['fusion']> }> {
  const seed = options.seed ?? 42;
  const searchWith = (config: TunedConfig) => (text: string) => {
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
    return { results, latenciesMs, fusion: { mode: 'tuned on train', labels: 'train split', configs: [config] } };
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
      labels: 'evaluated queries (cross-fitted)',
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
