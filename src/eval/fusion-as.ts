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
import type { AnalyzerConfig } from '../analyze/types.js';
import { type BeirDataset, loadBeir } from '../data/beir.js';
import { Engine } from '../engine/engine.js';
import type { LegResult, Tunable } from '../engine/tunable.js';
import { checkOptions, invalidArgument } from '../errors.js';
import { fuseAs } from '../export/emulate.js';
import { type FusionContext, type FusionMapping, mapFusion, type TargetFusion } from '../export/fusion.js';
import { windowsText } from '../export/source.js';
import { type ExportTarget, resolveTarget, type TargetSpec } from '../export/target.js';
import type { FusionConfig } from '../fuse/types.js';
import type { Metric } from '../legs/dense/types.js';
import { type TunedConfig, tuneEngine } from '../tune/index.js';
import type { ChunkOptions } from '../util/chunker.js';
import { mulberry32, shuffleInPlace } from '../util/random.js';
import { buildEngine } from './corpus.js';
import { evaluate, type Run, type ScoredId } from './metrics.js';
import { pairedRandomizationTest } from './significance.js';

export interface FusionAsOptions {
  to: ExportTarget | string;
  targetVersion?: string;
  split?: string;
  /** An extra cut-off (metrics at k too). */
  k?: number;
  /** A saved index (directory) or an engine; default: index the dataset's corpus with `model`. */
  index?: string | Engine;
  model?: string;
  analyzer?: string | AnalyzerConfig;
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
  tunable: Tunable;
  /** The target's scale of each leg's scores: the leg names in fusion order (BM25 first), dense leg, metric, k1. */
  ctx: Pick<FusionContext, 'legs' | 'dense' | 'metric' | 'k1'>;
  /** The passages leg the cluster searches as nested windows: on its own there, not rescoring. */
  windows?: string;
}

/**
 * The legs the cluster fuses, from the engine's description: exactly one BM25 leg over whole documents
 * and one dense leg (under any names), plus — as an export writes it (readExportSource) — one BM25 leg
 * over passages whose analyzer is the engine's, with or without syllable bigrams, as nested windows.
 * Other BM25 legs over passages have no counterpart there: tamsaek's side fuses them, the cluster's side
 * does without (as an export drops them).
 */
function fusionLegs(engine: Engine): Pick<Subject, 'ctx' | 'windows'> {
  const described = engine.describe();
  const legs = described.legs;
  const bm25 = legs.filter((l) => l.kind === 'bm25' && !l.passages);
  const passages = legs.filter((l) => l.kind === 'bm25' && l.passages);
  const dense = legs.filter((l) => l.kind === 'dense');
  if (bm25.length !== 1 || dense.length !== 1 || legs.length !== 2 + passages.length)
    throw invalidArgument(
      `--fusion-as compares hybrid fusions of one BM25 and one dense leg; the index has ${legs.map((l) => `${l.name} (${l.kind})`).join(', ')}`,
    );
  const [only] = passages.length === 1 ? passages : [];
  const windows =
    only && windowsText({ analyzer: only.analyzer, titleWeight: only.titleWeight }, described.analyzer)
      ? [only.name]
      : [];
  return {
    ctx: {
      legs: [bm25[0]!.name, ...windows, dense[0]!.name],
      dense: dense[0]!.name,
      metric: (dense[0]!.metric as Metric | undefined) ?? 'cosine',
      k1: (bm25[0]!.k1 as number | undefined) ?? 1.2,
    },
    ...(windows.length > 0 ? { windows: windows[0] } : {}),
  };
}

async function engineFor(dataset: BeirDataset, options: FusionAsOptions): Promise<Engine> {
  if (options.index instanceof Engine) return options.index;
  if (typeof options.index === 'string') return Engine.open(options.index, { readOnly: true });
  return buildEngine(
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
}

/** The configuration each query is fused with: one for all, or one per cross-fitting fold. */
async function configsFor(
  tunable: Tunable,
  dataset: BeirDataset,
  options: FusionAsOptions,
): Promise<{ mode: FusionAsReport['mode']; perQuery: TunedConfig[]; distinct: TunedConfig[] }> {
  const n = dataset.queries.length;
  if (options.config || (options.fusion ?? 'fixed') === 'fixed') {
    const { fusion, depth } = tunable.defaults;
    const config = options.config ?? { fusion, depth, rerankTopN: 0 };
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
      tunable,
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

/** The leg lists the cluster fuses: tamsaek's, with the windows leg searching on its own. */
async function clusterLegs(
  subject: Subject,
  text: string,
  ranked: readonly LegResult[],
  depth: number,
): Promise<LegResult[]> {
  const { ctx, windows, tunable } = subject;
  const legs = ranked.filter((l) => ctx.legs.includes(l.name) && l.name !== windows);
  if (windows === undefined) return legs;
  return [...legs, ...cut(await tunable.retrieve(text, { depth, legs: [windows] }), depth)];
}

const cut = (legs: readonly LegResult[], depth: number): LegResult[] =>
  legs.map((l) => ({ name: l.name, hits: l.hits.slice(0, depth) }));

function overlap(a: readonly ScoredId[], b: readonly ScoredId[]): number {
  const x = new Set(a.slice(0, 10).map((h) => h.id));
  const y = new Set(b.slice(0, 10).map((h) => h.id));
  const union = new Set([...x, ...y]).size;
  return union === 0 ? 1 : [...x].filter((id) => y.has(id)).length / union;
}

const OPTIONS = [
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
];

export async function evaluateFusionAs(path: string, options: FusionAsOptions): Promise<FusionAsReport> {
  checkOptions('evaluateFusionAs', options, OPTIONS);
  const spec = resolveTarget(options.to, options.targetVersion);
  const { k } = options;
  if (k !== undefined && !(Number.isInteger(k) && k >= 1 && k <= 1000))
    throw invalidArgument(`k must be an integer in 1..1000, got ${k}`);
  const dataset = await loadBeir(path, { split: options.split ?? 'test' });
  const engine = await engineFor(dataset, options);
  const owned = !(options.index instanceof Engine);
  try {
    const subject: Subject = { tunable: engine.tunable(), ...fusionLegs(engine) };
    const configs = await configsFor(subject.tunable, dataset, options);
    return await scoreBoth(path, dataset, subject, configs, spec, Math.max(10, k ?? 10), k);
  } finally {
    if (owned) await engine.close();
  }
}

type Configs = Awaited<ReturnType<typeof configsFor>>;
type Mapped = Map<TunedConfig, { depth: number; mapping: FusionMapping }>;

async function scoreBoth(
  path: string,
  dataset: BeirDataset,
  subject: Subject,
  configs: Configs,
  spec: TargetSpec,
  take: number,
  k: number | undefined,
): Promise<FusionAsReport> {
  const { tunable } = subject;
  const ctx = { ...subject.ctx, spec };
  const mapped: Mapped = new Map(
    configs.distinct.map((c) => {
      const depth = Math.max(c.depth, take);
      return [c, { depth, mapping: mapFusion(c.fusion, { ...ctx, depth }) }] as const;
    }),
  );
  const ours: Run = new Map();
  const theirs: Run = new Map();
  let overlapSum = 0;
  let sameTop1 = 0;
  for (const [i, query] of dataset.queries.entries()) {
    const { depth, mapping } = mapped.get(configs.perQuery[i]!)!;
    const ranked = cut(await tunable.retrieve(query.text, { depth }), depth);
    const a = tunable
      .fuse(ranked, configs.perQuery[i]!.fusion, depth)
      .slice(0, take)
      .map((c) => ({ id: c.id, score: c.score }));
    const b = fuseAs(await clusterLegs(subject, query.text, ranked, depth), mapping, ctx, take);
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
  configs: Configs,
  mapped: Mapped,
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
