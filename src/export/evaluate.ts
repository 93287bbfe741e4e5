/**
 * `tamsaek eval <beir-dir> --fusion-as opensearch|elasticsearch`: scores a split's queries twice over the
 * same leg results — fused as tamsaek fuses them, and fused by the target's formulas (fuseAs) — so a
 * user sees, before migrating, what the cluster's fusion costs or gains on their own labelled queries.
 * Only the fusion differs between the two runs (no reranking in either); the analyzer, BM25 and
 * approximate k-NN differences of the cluster are not modelled (README-export.md lists them).
 *
 * The fusion compared: the index's (or the engine default), `config` (a tuned file), or `adapt`: the
 * BM25 weight cross-fitted over the evaluated queries (5 folds, each tuned on the other four, seed 42),
 * as `eval --retriever hybrid` does for the shared sets; each fold's configuration is mapped to the target.
 */
import { Engine } from '../engine/engine.js';
import { buildEngine } from '../engine/evaluate.js';
import { checkOptions, invalidArgument } from '../errors.js';
import { loadBeir, type BeirDataset } from '../eval/beir.js';
import { evaluate, type Run, type ScoredId } from '../eval/metrics.js';
import { pairedRandomizationTest } from '../eval/significance.js';
import type { FusionConfig, FusionLeg } from '../fuse/types.js';
import type { Metric } from '../legs/dense/types.js';
import { tuneEngine, type TunedConfig } from '../tune/index.js';
import type { ChunkOptions } from '../util/chunker.js';
import { mulberry32, shuffleInPlace } from '../util/random.js';
import { fuseAs } from './emulate.js';
import { mapFusion, type TargetFusion } from './fusion.js';
import { readExportSource } from './source.js';
import { resolveTarget, type ExportTarget, type TargetSpec } from './target.js';

export interface FusionAsOptions {
  to: ExportTarget | string;
  targetVersion?: string;
  split?: string;
  /** An extra cut-off (metrics at k too). */
  k?: number;
  /** A saved index (directory) or an engine; default: index the dataset's corpus with `model`. */
  index?: string | Engine;
  model?: string;
  analyzer?: string;
  passages?: ChunkOptions | false;
  config?: TunedConfig;
  fusion?: 'fixed' | 'adapt';
  seed?: number;
  onProgress?: (stage: 'index' | 'search' | 'tune', done: number, total: number) => void;
}

export interface FusionAsReport {
  dataset: string;
  path: string;
  split: string;
  queries: number;
  target: TargetSpec;
  mode: 'fixed' | 'config' | 'cross-fitted';
  /** One per fold when cross-fitted. */
  configs: { tamsaek: FusionConfig; depth: number; target: TargetFusion }[];
  metrics: { tamsaek: Record<string, number>; target: Record<string, number>; difference: Record<string, number> };
  /** Paired randomization test of nDCG@10, target − tamsaek. */
  significance: { metric: string; diff: number; pValue: number };
  /** Mean Jaccard overlap of the two top-10 lists, and the share of queries with the same first hit. */
  agreement: { top10Overlap: number; sameTop1: number };
}

const METRICS = ['ndcg@10', 'recall@1', 'recall@10', 'mrr@10', 'map@10'];
const FOLDS = 5;
const TUNE_EVALUATIONS = 150;

interface Subject {
  engine: Engine;
  metric: Metric;
  k1: number;
  built: boolean;
}

async function subjectFor(dataset: BeirDataset, options: FusionAsOptions): Promise<Subject> {
  if (options.index instanceof Engine) return { engine: options.index, metric: 'cosine', k1: 1.2, built: false };
  if (typeof options.index === 'string') {
    const source = await readExportSource(options.index);
    const engine = await Engine.open(options.index, { readOnly: true });
    return { engine, metric: source.dense?.metric ?? 'cosine', k1: source.bm25.k1, built: true };
  }
  const engine = await buildEngine(
    dataset.corpusPath,
    {
      analyzer: options.analyzer,
      dense: {
        embedder: options.model ?? 'default',
        ...(options.passages !== undefined ? { chunk: options.passages } : {}),
      },
    },
    options.onProgress && ((d, t) => options.onProgress!('index', d, t)),
  );
  return { engine, metric: 'cosine', k1: 1.2, built: true };
}

/** The configuration each query is fused with: one for all, or one per cross-fitting fold. */
async function configsFor(
  subject: Subject,
  dataset: BeirDataset,
  options: FusionAsOptions,
): Promise<{ mode: FusionAsReport['mode']; perQuery: TunedConfig[]; distinct: TunedConfig[] }> {
  const { engine } = subject;
  const n = dataset.queries.length;
  if (options.config || (options.fusion ?? 'fixed') === 'fixed') {
    const config = options.config ?? { fusion: engine.fusion, depth: engine.depth, rerankTopN: 0 };
    return { mode: options.config ? 'config' : 'fixed', perQuery: new Array(n).fill(config), distinct: [config] };
  }
  const seed = options.seed ?? 42;
  const order = shuffleInPlace(
    dataset.queries.map((_, i) => i),
    mulberry32(seed),
  );
  const folds = Math.min(FOLDS, n);
  const perQuery = new Array<TunedConfig>(n);
  const distinct: TunedConfig[] = [];
  for (let f = 0; f < folds; f++) {
    const rest = order.filter((_, i) => i % folds !== f).map((i) => dataset.queries[i]!);
    const report = await tuneEngine(
      engine,
      { train: rest, test: [], qrels: dataset.qrels },
      { seed: seed + f, maxEvaluations: TUNE_EVALUATIONS, space: 'weight' },
    );
    distinct.push(report.tuned.config);
    order.forEach((q, i) => {
      if (i % folds === f) perQuery[q] = report.tuned.config;
    });
    options.onProgress?.('tune', f + 1, folds);
  }
  return { mode: 'cross-fitted', perQuery, distinct };
}

const cut = (legs: readonly FusionLeg[], depth: number): FusionLeg[] =>
  legs.map((l) => ({ name: l.name, hits: l.hits.slice(0, depth) }));

function overlap(a: readonly ScoredId[], b: readonly ScoredId[]): number {
  const x = new Set(a.slice(0, 10).map((h) => h.id));
  const y = new Set(b.slice(0, 10).map((h) => h.id));
  const union = new Set([...x, ...y]).size;
  return union === 0 ? 1 : [...x].filter((id) => y.has(id)).length / union;
}

export async function evaluateFusionAs(path: string, options: FusionAsOptions): Promise<FusionAsReport> {
  checkOptions('evaluateFusionAs', options, [
    ...[
      'to',
      'targetVersion',
      'split',
      'k',
      'index',
      'model',
      'analyzer',
      'passages',
      'config',
      'fusion',
      'seed',
      'onProgress',
    ],
  ]);
  const spec = resolveTarget(options.to, options.targetVersion);
  const { k } = options;
  if (k !== undefined && !(Number.isInteger(k) && k >= 1 && k <= 1000))
    throw invalidArgument(`k must be an integer in 1..1000, got ${k}`);
  const dataset = await loadBeir(path, { split: options.split ?? 'test' });
  const subject = await subjectFor(dataset, options);
  try {
    if (!subject.engine.legs.includes('dense'))
      throw invalidArgument('--fusion-as compares hybrid fusions: the index needs a dense leg');
    const configs = await configsFor(subject, dataset, options);
    return await scoreBoth(path, dataset, subject, configs, spec, Math.max(10, k ?? 10), k);
  } finally {
    if (subject.built) await subject.engine.close();
  }
}

async function scoreBoth(
  path: string,
  dataset: BeirDataset,
  subject: Subject,
  configs: Awaited<ReturnType<typeof configsFor>>,
  spec: TargetSpec,
  take: number,
  k: number | undefined,
): Promise<FusionAsReport> {
  const { engine } = subject;
  const ctx = { spec, metric: subject.metric, k1: subject.k1 };
  const legs = ['bm25', 'dense'];
  const mapped = new Map(
    configs.distinct.map((c) => {
      const depth = Math.max(c.depth, take);
      return [c, { depth, mapping: mapFusion(c.fusion, { ...ctx, legs, depth }) }] as const;
    }),
  );
  const ours: Run = new Map();
  const theirs: Run = new Map();
  let overlapSum = 0;
  let sameTop1 = 0;
  for (const [i, query] of dataset.queries.entries()) {
    const { depth, mapping } = mapped.get(configs.perQuery[i]!)!;
    const ranked = cut(await engine.retrieve(query.text, { depth }), depth);
    const a = engine
      .fuseToDocuments(ranked, configs.perQuery[i]!.fusion, depth)
      .slice(0, take)
      .map((c) => ({ id: c.id, score: c.score }));
    const b = fuseAs(ranked, mapping, ctx, take);
    ours.set(query.id, a);
    theirs.set(query.id, b);
    overlapSum += overlap(a, b);
    if (a[0]?.id === b[0]?.id) sameTop1++;
  }
  return report(path, dataset, spec, configs, mapped, ours, theirs, { overlapSum, sameTop1 }, k);
}

function report(
  path: string,
  dataset: BeirDataset,
  spec: TargetSpec,
  configs: Awaited<ReturnType<typeof configsFor>>,
  mapped: Map<TunedConfig, { depth: number; mapping: ReturnType<typeof mapFusion> }>,
  ours: Run,
  theirs: Run,
  agreement: { overlapSum: number; sameTop1: number },
  k: number | undefined,
): FusionAsReport {
  const ks = [...new Set([1, 10, ...(k === undefined ? [] : [k])])];
  const keys = [...METRICS, ...(k === undefined || k === 10 ? [] : [`ndcg@${k}`, `recall@${k}`])];
  const a = evaluate(ours, dataset.qrels, { ks });
  const b = evaluate(theirs, dataset.qrels, { ks });
  const pick = (r: typeof a) => Object.fromEntries(keys.map((key) => [key, r.mean[key]!]));
  const perQuery = (r: typeof a) => [...r.perQuery.values()].map((m) => m['ndcg@10']!);
  const test = pairedRandomizationTest(perQuery(b), perQuery(a));
  const n = dataset.queries.length;
  return {
    dataset: dataset.name,
    path,
    split: dataset.split,
    queries: n,
    target: spec,
    mode: configs.mode,
    configs: configs.distinct.map((c) => ({
      tamsaek: c.fusion,
      depth: mapped.get(c)!.depth,
      target: mapped.get(c)!.mapping.target,
    })),
    metrics: {
      tamsaek: pick(a),
      target: pick(b),
      difference: Object.fromEntries(keys.map((key) => [key, b.mean[key]! - a.mean[key]!])),
    },
    significance: { metric: 'ndcg@10', diff: test.diff, pValue: test.pValue },
    agreement: { top10Overlap: n === 0 ? 1 : agreement.overlapSum / n, sameTop1: n === 0 ? 1 : agreement.sameTop1 / n },
  };
}
