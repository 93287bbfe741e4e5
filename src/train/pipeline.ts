/**
 * The `tamsaek train` pipeline: gather pairs (JSONL files, BEIR train qrels, self-supervised pairs
 * from documents), analyze every distinct text once, optionally mine BM25 hard negatives for the
 * query→document pairs, train, and write the model directory.
 */
import { basename } from 'node:path';
import { storedAnalyzerConfig } from '../analyze/index.js';
import { checkOptions, invalidArgument } from '../errors.js';
import type { Bm25Index } from '../legs/bm25/index.js';
import {
  DEFAULT_STATIC_PASSAGES,
  refuseExistingModel,
  type StaticModelConfig,
  saveStaticModel,
} from '../models/static.js';
import {
  DEFAULT_FEATURES,
  Featurizer,
  MORPHEME_ANALYZERS,
  type MorphemeAnalyzerName,
  type StaticFeatureConfig,
} from '../models/static-features.js';
import { nativeInfo } from '../native/index.js';
import { type ChunkOptions, checkChunkOptions } from '../util/chunker.js';
import { mulberry32 } from '../util/random.js';
import {
  type CorpusDoc,
  type Pair,
  readDocs,
  readPairs,
  readQrelPairs,
  selfSupervisedPairs,
  TextStore,
} from './data.js';
import { corpusBm25, mineHardNegatives } from './mine.js';
import { checkTrainSettings, type Guide, type LossName, type StepInfo, trainStatic } from './trainer.js';

export interface TrainPipelineOptions {
  /** JSONL pair files. */
  pairs?: string[];
  /** BEIR directories whose TRAIN split gives (query, document) pairs. */
  qrels?: string[];
  /** Corpora (BEIR dir or corpus.jsonl) for self-supervised pairs (inverse cloze, title → body). */
  corpora?: string[];
  /** Drop scored pairs below this score (KorSTS: 0..5); default 4. */
  minScore?: number;
  ictPerDoc?: number;
  /** Probability that an inverse-cloze positive keeps its sentence (default 0). */
  ictKeep?: number;
  /** The passage split recorded in the model for its dense leg (default 150/50 characters; false: whole documents). */
  passages?: ChunkOptions | false;
  /** Extra copies of each qrels pair whose document BM25 does not rank first (default 0). */
  bm25Residual?: number;
  /** Mine one BM25 hard negative per query→document pair (qrels and inverse-cloze pairs). */
  mine?: boolean;
  mineMarginStrategy?: 'absolute' | 'relative';
  mineMargin?: number;
  loss?: LossName;
  guide?: Guide;
  marginStrategy?: 'absolute' | 'relative';
  margin?: number;
  dim?: number;
  /** The analyzer whose terms are the model's morpheme features (default ko-morph). */
  morphemes?: MorphemeAnalyzerName;
  buckets?: number;
  /**
   * Table rows when smaller than `buckets`: a pruned vocabulary. The rows - rows/16 buckets most
   * frequent (document frequency over the distinct training texts) own a row; the rest share rows/16.
   */
  rows?: number;
  batchSize?: number;
  epochs?: number;
  maxSeconds?: number;
  lr?: number;
  scale?: number;
  /** MNRL: add the positive → anchor direction. */
  symmetric?: boolean;
  seed?: number;
  threads?: number;
  /** Where the loss kernels run: 'cpu' (default), 'cuda' or 'auto'. */
  device?: 'cpu' | 'cuda' | 'auto';
  /** Scored after every epoch (dense nDCG@10, Recall@1): use validation splits (`tamsaek train --eval`). */
  evaluators?: EpochEvaluator[];
  onEval?: (result: EpochEval) => void;
  /** Output model directory and weight type. */
  out: string;
  /** Replace a model already in `out` (otherwise INVALID_ARGUMENT before any work). */
  force?: boolean;
  dtype?: 'float32' | 'int8';
  name?: string;
  /** Recorded in config.json (the command line that reproduces the model). */
  command?: string;
  onStage?: (stage: string, done: number, total: number) => void;
  onStep?: (info: StepInfo) => void;
}

/** A set the trainer scores after every epoch; the caller builds it (evaluation sits above training). */
export interface EpochEvaluator {
  set: string;
  split: string;
  evaluate(
    embedder: {
      dim: number;
      embed(texts: readonly string[], o?: { kind?: 'query' | 'passage' }): Promise<Float32Array>;
    },
    passages: ChunkOptions | undefined,
  ): Promise<{ 'ndcg@10': number; 'recall@1': number }>;
}

export interface EpochEval {
  epoch: number;
  set: string;
  split: string;
  'ndcg@10': number;
  'recall@1': number;
}

export interface TrainPipelineResult {
  config: StaticModelConfig;
  pairs: number;
  bySource: Record<string, number>;
  texts: number;
  steps: number;
  trainSeconds: number;
  totalSeconds: number;
  finalLoss: number;
  peakRssMb: number;
  table: Float32Array;
  features: StaticFeatureConfig;
  /** Per-epoch scores on the evalSets. */
  evals: EpochEval[];
}

const KEYS = [
  'pairs',
  'qrels',
  'corpora',
  'minScore',
  'ictPerDoc',
  'ictKeep',
  'passages',
  'bm25Residual',
  'mine',
  'mineMarginStrategy',
  'mineMargin',
  'loss',
  'guide',
  'marginStrategy',
  'margin',
  'dim',
  'morphemes',
  'buckets',
  'rows',
  'batchSize',
  'epochs',
  'maxSeconds',
  'lr',
  'scale',
  'symmetric',
  'seed',
  'threads',
  'device',
  'evaluators',
  'onEval',
  'out',
  'force',
  'dtype',
  'name',
  'command',
  'onStage',
  'onStep',
];

/** Every setting vetted before the data is read: a typo must not cost minutes of analysis first. */
function checkPipelineOptions(o: TrainPipelineOptions): ChunkOptions | undefined {
  checkOptions('trainPipeline', o, KEYS);
  checkTrainSettings('train', o);
  const passages = o.passages === false ? undefined : checkChunkOptions(o.passages ?? DEFAULT_STATIC_PASSAGES);
  if (o.ictKeep !== undefined && !(o.ictKeep >= 0 && o.ictKeep <= 1))
    throw invalidArgument(`train: ictKeep must be a probability in [0, 1], got ${o.ictKeep}`);
  if (o.ictPerDoc !== undefined && !(Number.isInteger(o.ictPerDoc) && o.ictPerDoc >= 1))
    throw invalidArgument(`train: ictPerDoc must be a positive integer, got ${o.ictPerDoc}`);
  if (
    o.bm25Residual !== undefined &&
    !(Number.isInteger(o.bm25Residual) && o.bm25Residual >= 0 && o.bm25Residual <= 16)
  )
    throw invalidArgument(`train: bm25Residual must be an integer in 0..16, got ${o.bm25Residual}`);
  if (o.minScore !== undefined && !Number.isFinite(o.minScore))
    throw invalidArgument(`train: minScore must be a finite number, got ${o.minScore}`);
  if (o.morphemes !== undefined && !MORPHEME_ANALYZERS.includes(o.morphemes))
    throw invalidArgument(
      `train: morphemes must be one of ${MORPHEME_ANALYZERS.join(', ')}, got ${String(o.morphemes)}`,
    );
  if (o.buckets !== undefined && !(Number.isInteger(o.buckets) && o.buckets >= 1 && o.buckets <= 1 << 26))
    throw invalidArgument(`train: buckets must be an integer in 1..${1 << 26}, got ${o.buckets}`);
  if (o.dtype !== undefined && o.dtype !== 'float32' && o.dtype !== 'int8')
    throw invalidArgument(`train: dtype must be "float32" or "int8", got ${String(o.dtype)}`);
  if (o.mineMarginStrategy !== undefined && o.mineMarginStrategy !== 'absolute' && o.mineMarginStrategy !== 'relative')
    throw invalidArgument(
      `train: mineMarginStrategy must be "absolute" or "relative", got ${String(o.mineMarginStrategy)}`,
    );
  if (o.mineMargin !== undefined && !(Number.isFinite(o.mineMargin) && o.mineMargin >= 0))
    throw invalidArgument(`train: mineMargin must be a finite number ≥ 0, got ${o.mineMargin}`);
  return passages;
}

interface Collected {
  pairs: Pair[];
  corpusDocs: Map<string, CorpusDoc[]>;
  corpusIndex: (name: string) => Bm25Index;
}

/** Every training pair the options ask for, read into `store`, with the corpora and a BM25 index per corpus. */
async function collectPairs(o: TrainPipelineOptions, store: TextStore, seed: number): Promise<Collected> {
  const random = mulberry32(seed);
  const pairs: Pair[] = [];
  const corpusDocs = new Map<string, CorpusDoc[]>();
  for (const dir of o.qrels ?? []) {
    const { pairs: p, docs } = await readQrelPairs(dir, store, 'train');
    pairs.push(...p);
    corpusDocs.set(basename(dir.replace(/\/+$/, '')), docs);
  }
  for (const dir of o.corpora ?? []) {
    const name = basename(dir.replace(/\/+$/, '').replace(/\/corpus\.jsonl$/, ''));
    const docs = corpusDocs.get(name) ?? (await readDocs(dir));
    corpusDocs.set(name, docs);
    pairs.push(...selfSupervisedPairs(name, docs, store, { perDoc: o.ictPerDoc ?? 16, keep: o.ictKeep ?? 0, random }));
  }
  // one BM25 index per corpus, shared by residual sampling and mining
  const bm25ByCorpus = new Map<string, Bm25Index>();
  const corpusIndex = (name: string): Bm25Index => {
    if (!bm25ByCorpus.has(name)) bm25ByCorpus.set(name, corpusBm25(corpusDocs.get(name)!));
    return bm25ByCorpus.get(name)!;
  };
  if (o.bm25Residual) pairs.push(...bm25Residual(pairs, corpusDocs, store, o.bm25Residual, corpusIndex));
  for (const f of o.pairs ?? []) pairs.push(...(await readPairs(f, store, { minScore: o.minScore ?? 4 })));
  if (pairs.length < 2) {
    const given = (o.pairs?.length ?? 0) + (o.qrels?.length ?? 0) + (o.corpora?.length ?? 0);
    throw invalidArgument(
      given === 0
        ? 'train: no training data (give --pairs, --qrels or --corpus)'
        : `train: the training data gave ${pairs.length} usable pair${pairs.length === 1 ? '' : 's'}; at least 2 are needed (scored pairs below minScore, documents with fewer than two sentences and train splits without qrels give none)`,
    );
  }
  return { pairs, corpusDocs, corpusIndex };
}

/** One BM25 hard negative per query→document pair, per corpus (`--mine`). */
async function attachMinedNegatives(o: TrainPipelineOptions, store: TextStore, c: Collected): Promise<void> {
  const { pairs, corpusDocs, corpusIndex } = c;
  // one BM25 hard negative per query→document pair, per corpus
  const byCorpus = new Map<string, Pair[]>();
  for (const p of pairs) {
    if (!p.group.startsWith('d:')) continue;
    const name = p.group.slice(2, p.group.indexOf('/'));
    if (!byCorpus.has(name)) byCorpus.set(name, []);
    byCorpus.get(name)!.push(p);
  }
  let done = 0;
  for (const [name, list] of byCorpus) {
    const docs = corpusDocs.get(name);
    if (!docs) continue;
    const mined = await mineHardNegatives(
      docs,
      list.map((p) => ({ anchor: store.text(p.anchor), positives: [p.group.slice(name.length + 3)] })),
      {
        index: corpusIndex(name),
        marginStrategy: o.mineMarginStrategy ?? 'relative',
        margin: o.mineMargin,
        onProgress: (d) => o.onStage?.('mine', done + d, pairs.length),
      },
    );
    const byAnchor = new Map(mined.map((m) => [m.anchor, m]));
    for (const p of list) {
      const m = byAnchor.get(store.text(p.anchor));
      if (!m) continue;
      const ref = store.add(m.negative);
      store.docIdOf.set(ref, `${name}/${m.negativeId}`);
      p.negative = ref;
    }
    done += list.length;
  }
}

/** `{ stopTags }` when the analyzer's stored config spells them out (ko-mecab's), else nothing. */
function storedStopTags(morphemes: MorphemeAnalyzerName | false): { stopTags?: string[] } {
  if (!morphemes) return {};
  const stored = storedAnalyzerConfig({ name: morphemes }) as { stopTags?: readonly string[] };
  return stored.stopTags ? { stopTags: [...stored.stopTags] } : {};
}

/** The per-epoch check of `--eval`: every evaluator scores the model in training; undefined without any. */
function epochEvaluation(
  evaluators: readonly EpochEvaluator[],
  passages: ChunkOptions | undefined,
  report: (r: EpochEval) => void,
): ((epoch: number, embedder: Parameters<EpochEvaluator['evaluate']>[0]) => Promise<void>) | undefined {
  if (evaluators.length === 0) return undefined;
  return async (epoch, embedder) => {
    for (const e of evaluators)
      report({ epoch: epoch + 1, set: e.set, split: e.split, ...(await e.evaluate(embedder, passages)) });
  };
}

/** The `training` block of the model's config.json: the command, the recipe with its defaults, the run. */
function trainingRecord(
  o: TrainPipelineOptions,
  run: {
    pairs: number;
    bySource: Record<string, number>;
    steps: number;
    seconds: number;
    finalLoss: number;
    seed: number;
  },
) {
  const native = nativeInfo();
  return {
    command: o.command,
    loss: o.loss ?? 'mnrl',
    pairs: run.pairs,
    sources: run.bySource,
    steps: run.steps,
    epochs: o.epochs ?? 3,
    batchSize: o.batchSize ?? 512,
    lr: o.lr ?? 0.02,
    scale: o.scale ?? 20,
    symmetric: o.symmetric ?? false,
    seed: run.seed,
    // float reductions differ between kernel families and thread counts: the exact bytes repeat
    // only with the same two (TAMSAEK_KERNEL, --threads)
    kernel: native.kernel,
    threads: o.threads ?? native.defaultThreads,
    trainSeconds: Number(run.seconds.toFixed(1)),
    finalLoss: Number(run.finalLoss.toFixed(4)),
  };
}

export async function trainPipeline(o: TrainPipelineOptions): Promise<TrainPipelineResult> {
  const passages = checkPipelineOptions(o);
  if (!o.force) await refuseExistingModel('train', o.out);
  const evaluators = o.evaluators ?? [];
  const evals: EpochEval[] = [];
  const started = performance.now();
  let peak = process.memoryUsage().rss;
  const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
  const seed = o.seed ?? 42;
  let features: StaticFeatureConfig = {
    ...DEFAULT_FEATURES,
    morphemes: o.morphemes ?? DEFAULT_FEATURES.morphemes,
    // the analyzer's stop tags as an index stores them: the model keeps its features if a default changes
    ...storedStopTags(o.morphemes ?? DEFAULT_FEATURES.morphemes),
    buckets: o.buckets ?? DEFAULT_FEATURES.buckets,
  };
  if (o.rows !== undefined && !(Number.isInteger(o.rows) && o.rows >= 32 && o.rows < features.buckets)) {
    throw invalidArgument(`train: rows must be an integer in 32..buckets-1 (${features.buckets - 1}), got ${o.rows}`);
  }
  const store = new TextStore(new Featurizer(features));
  const collected = await collectPairs(o, store, seed);
  const { pairs } = collected;
  o.onStage?.('analyze', 0, store.size);
  store.analyzeAll((d, t) => o.onStage?.('analyze', d, t));
  sample();
  if (o.mine) {
    await attachMinedNegatives(o, store, collected);
    store.analyzeAll();
    sample();
  }
  let keptBuckets: Int32Array | undefined;
  if (o.rows !== undefined) {
    ({ features, keptBuckets } = pruneVocabulary(store, features, o.rows));
    sample();
  }
  const bySource: Record<string, number> = {};
  for (const p of pairs) bySource[p.source] = (bySource[p.source] ?? 0) + 1;
  const r = await trainStatic(store, pairs, {
    features,
    keptBuckets,
    dim: o.dim,
    loss: o.loss,
    guide: o.guide,
    marginStrategy: o.marginStrategy,
    margin: o.margin,
    batchSize: o.batchSize,
    epochs: o.epochs,
    maxSeconds: o.maxSeconds,
    lr: o.lr,
    scale: o.scale,
    symmetric: o.symmetric,
    seed,
    threads: o.threads,
    device: o.device,
    onStep: (s) => {
      if (s.step % 10 === 0) sample();
      o.onStep?.(s);
    },
    onEpoch: epochEvaluation(evaluators, passages, (r) => {
      evals.push(r);
      o.onEval?.(r);
    }),
  });
  sample();
  const last = r.losses.slice(-20);
  const finalLoss = last.reduce((a, b) => a + b, 0) / Math.max(1, last.length);
  const config = await saveStaticModel(
    o.out,
    features,
    { rows: r.rows, dim: r.dim, table: r.table, keptBuckets },
    {
      dtype: o.dtype ?? 'float32',
      name: o.name ?? basename(o.out),
      passages,
      training: trainingRecord(o, {
        pairs: pairs.length,
        bySource,
        steps: r.steps,
        seconds: r.seconds,
        finalLoss,
        seed,
      }),
    },
  );
  return {
    config,
    pairs: pairs.length,
    bySource,
    texts: store.size,
    steps: r.steps,
    trainSeconds: r.seconds,
    totalSeconds: (performance.now() - started) / 1000,
    finalLoss,
    peakRssMb: Math.round(sample() / 1e6),
    table: r.table,
    features,
    evals,
  };
}

/**
 * Pruned vocabulary: the `rows - rows/16` buckets with the highest document frequency over the
 * store's texts (ties: lower bucket) own a row, every other bucket shares one of the last rows/16
 * rows; the store's features are mapped onto rows. A large hash space then keeps frequent features
 * apart in a small table (hashing 2^18 buckets onto 2^15 rows directly makes every row shared).
 */
export function pruneVocabulary(
  store: TextStore,
  features: StaticFeatureConfig,
  rows: number,
): { features: StaticFeatureConfig; keptBuckets: Int32Array } {
  const oovRows = Math.max(1, Math.round(rows / 16));
  const df = store.documentFrequency(features.buckets);
  const order = Array.from(df.keys()).sort((a, b) => df[b]! - df[a]! || a - b);
  const keptBuckets = Int32Array.from(order.slice(0, rows - oovRows)).sort();
  const pruned: StaticFeatureConfig = { ...features, rows, oovRows };
  const featurizer = new Featurizer(pruned, keptBuckets);
  store.remap(featurizer, (f) => featurizer.bucketsToRows(f));
  return { features: pruned, keptBuckets };
}

/**
 * The dense leg serves a hybrid: BM25 already finds what shares the query's words. Labelled pairs
 * whose document BM25 does not rank first get `copies` more passes, so the model spends its capacity
 * where BM25 fails (the idea of CLEAR's residual training, Gao et al. 2021, by sampling).
 * Inverse-cloze pairs are left alone: copying the ones BM25 misses (two thirds on autorag-ko)
 * lowered the hybrid on the inverse-cloze validation set (docs/training.md).
 */
export function bm25Residual(
  pairs: readonly Pair[],
  corpusDocs: Map<string, CorpusDoc[]>,
  store: TextStore,
  copies: number,
  corpusIndex: (name: string) => Bm25Index = (name) => corpusBm25(corpusDocs.get(name)!),
): Pair[] {
  const extra: Pair[] = [];
  for (const name of corpusDocs.keys()) {
    const labelled = pairs.filter((p) => p.source === `${name}:qrels/train`);
    if (labelled.length === 0) continue;
    const index = corpusIndex(name);
    for (const p of labelled) {
      const top = index.search(store.text(p.anchor), { k: 1 })[0];
      if (top?.id !== p.group.slice(name.length + 3))
        for (let c = 0; c < copies; c++) extra.push({ ...p, source: `${p.source}:bm25-residual` });
    }
  }
  return extra;
}
