/**
 * Corpus adaptation of a static model, with no labels: the model is fine-tuned on pairs made from the
 * documents themselves (inverse cloze: a sentence → its document without it; title → body), warm-started
 * from the base model, after giving the corpus's own frequent vocabulary rows of its own.
 *
 * Why the rows: the shipped model keeps a row for each hash bucket frequent in its training texts and
 * lets every other bucket share a few out-of-vocabulary rows. A new corpus's own terms mostly land in
 * those shared rows, where they cannot be told apart. Adaptation adds a row for every bucket that occurs
 * in at least `minDocFrequency` of the corpus's texts and has none; each new row starts as a copy of the
 * shared row it used, so before training the adapted model embeds every text exactly as the base does.
 *
 * It never sees queries or relevance labels: its only inputs are the documents (and, optionally,
 * general pair files the caller names).
 */
import { checkOptions, invalidArgument } from '../errors.js';
import { quantizeRowsAsync, StaticEmbedder, type StaticWeights } from '../models/static.js';
import { Featurizer, type StaticFeatureConfig } from '../models/static-features.js';
import { type ChunkOptions, chunkText, titled } from '../util/chunker.js';
import { mulberry32 } from '../util/random.js';
import { runNow, runSliced, Slicer, yieldToLoop } from '../util/slices.js';
import { ADAPT_RECIPE_KEYS } from './adapt-options.js';
import { type CorpusDoc, type Pair, readPairs, selfSupervisedPairs, TextStore } from './data.js';
import { trainStatic } from './trainer.js';

export interface AdaptOptions {
  seed?: number;
  /** Training time budget in seconds (analysis not included); default 45. */
  seconds?: number;
  epochs?: number;
  lr?: number;
  batchSize?: number;
  /** Inverse-cloze sentences per document (default 16). */
  perDoc?: number;
  /** Probability that an inverse-cloze positive keeps its sentence (default 0.1). */
  keep?: number;
  /** A bucket gets a row of its own from this many corpus texts on (default 2). */
  minDocFrequency?: number;
  /** At most this many new rows (default 65,536). */
  maxNewRows?: number;
  /** Pairs at most (documents are sampled beyond it; default 60,000). */
  maxPairs?: number;
  /** General pair files ({"anchor","positive"} JSONL) mixed in, when the caller has them. */
  pairs?: string[];
  /**
   * Weight-space ensembling (WiSE-FT, Wortsman et al. 2022): the adapted table is
   * base + wise · (trained − base); 1 keeps the fine-tuned weights, smaller values keep more of the base.
   */
  wise?: number;
  /** Inverse-cloze positives: the whole document without the sentence, or the passage (the dense leg's split) it sits in. */
  target?: 'document' | 'passage';
  threads?: number;
  onProgress?: (stage: 'analyze' | 'train', done: number, total: number) => void;
}

export interface AdaptationRecord {
  base: string;
  recipe: Required<Omit<AdaptOptions, 'pairs' | 'threads' | 'onProgress' | 'seed' | 'seconds'>>;
  seed: number;
  documents: number;
  pairs: number;
  rowsAdded: number;
  steps: number;
  seconds: number;
  generalPairs: string[];
}

export interface AdaptedModel {
  embedder: StaticEmbedder;
  features: StaticFeatureConfig;
  weights: StaticWeights;
  record: AdaptationRecord;
}

const KEYS = [...ADAPT_RECIPE_KEYS, 'pairs', 'threads', 'onProgress'];

export const ADAPT_DEFAULTS = {
  epochs: 2,
  lr: 0.01,
  batchSize: 512,
  perDoc: 16,
  keep: 0.1,
  minDocFrequency: 2,
  maxNewRows: 65_536,
  maxPairs: 60_000,
  wise: 1,
  target: 'document' as 'document' | 'passage',
};

/** trained ← base + wise · (trained − base), in place. */
function blend(trained: Float32Array, base: Float32Array, wise: number): void {
  for (let i = 0; i < trained.length; i++) trained[i] = base[i]! + wise * (trained[i]! - base[i]!);
}

/** The base table as float32 (an int8 table times its per-row scales). */
export function floatTable(w: StaticWeights): Float32Array {
  return runNow(floatTableSteps(w));
}

function* floatTableSteps(w: StaticWeights): Generator<void, Float32Array> {
  if (w.table instanceof Float32Array) return w.table;
  const out = new Float32Array(w.rows * w.dim);
  for (let r = 0; r < w.rows; r++) {
    const s = w.scales![r]!;
    for (let d = 0; d < w.dim; d++) out[r * w.dim + d] = w.table[r * w.dim + d]! * s;
    if ((r & 1023) === 1023) yield;
  }
  return out;
}

/**
 * The corpus's vocabulary rows: the base's kept buckets plus every frequent bucket without a row, and a
 * table whose rows start as the base rows they replace (kept rows as they were, new ones as the shared
 * row their bucket used).
 */
export function widenVocabulary(
  base: { features: StaticFeatureConfig; weights: StaticWeights },
  df: Float64Array,
  minDocFrequency: number,
  maxNewRows: number,
): Widened {
  return runNow(widenSteps(base, df, minDocFrequency, maxNewRows));
}

interface Widened {
  features: StaticFeatureConfig;
  keptBuckets: Int32Array;
  table: Float32Array;
  added: number;
}

/** `widenVocabulary` as small steps (driven at once, or with event-loop turns by `runSliced`). */
function* widenSteps(
  base: { features: StaticFeatureConfig; weights: StaticWeights },
  df: Float64Array,
  minDocFrequency: number,
  maxNewRows: number,
): Generator<void, Widened> {
  const { features, weights } = base;
  if (features.rows === undefined || !weights.keptBuckets)
    throw invalidArgument('adapt: the base model needs a pruned vocabulary (features.rows and kept buckets)');
  const oov = features.oovRows!;
  const baseKept = weights.keptBuckets;
  const baseRowOf = new Map<number, number>();
  baseKept.forEach((b, i) => baseRowOf.set(b, i));
  const candidates: number[] = [];
  for (let b = 0; b < df.length; b++) if (df[b]! >= minDocFrequency && !baseRowOf.has(b)) candidates.push(b);
  candidates.sort((a, b) => df[b]! - df[a]! || a - b);
  const added = candidates.slice(0, maxNewRows);
  const keptBuckets = Int32Array.from([...baseKept, ...added]).sort();
  const rows = keptBuckets.length + oov;
  const dim = weights.dim;
  yield;
  const from = yield* floatTableSteps(weights);
  const table = new Float32Array(rows * dim);
  const baseOov0 = features.rows - oov;
  for (let r = 0; r < keptBuckets.length; r++) {
    const b = keptBuckets[r]!;
    const src = baseRowOf.get(b) ?? baseOov0 + (b % oov);
    table.set(from.subarray(src * dim, (src + 1) * dim), r * dim);
    if ((r & 1023) === 1023) yield;
  }
  for (let k = 0; k < oov; k++)
    table.set(from.subarray((baseOov0 + k) * dim, (baseOov0 + k + 1) * dim), (keptBuckets.length + k) * dim);
  return { features: { ...features, rows, oovRows: oov }, keptBuckets, table, added: added.length };
}

/** Inverse-cloze and title pairs from the documents (sampled to `maxPairs`), plus the caller's general pairs. */
async function corpusPairs(
  docs: readonly CorpusDoc[],
  store: TextStore,
  o: typeof ADAPT_DEFAULTS & AdaptOptions,
  random: () => number,
  split: ChunkOptions | undefined,
): Promise<Pair[]> {
  let chosen = docs as CorpusDoc[];
  if (o.target === 'passage' && split)
    chosen = chosen.flatMap((d) =>
      chunkText(d.text, split).map((p, n) => ({
        id: `${d.id}#${n}`,
        title: d.title,
        text: p.text,
        full: titled(d.title, p.text),
      })),
    );
  const estimate = docs.length * (o.perDoc + 1);
  if (estimate > o.maxPairs) {
    // a seeded sample of documents, so a large corpus costs a bounded number of pairs
    const keep = o.maxPairs / estimate;
    chosen = docs.filter(() => random() < keep);
  }
  // 64 documents at a time with turns between (sentence splitting of a large corpus takes a while);
  // the documents are visited in the same order with the same random stream, so the pairs are the same
  const pairs: Pair[] = [];
  const slicer = new Slicer();
  for (let at = 0; at < chosen.length; at += 64) {
    const some = chosen.slice(at, at + 64);
    pairs.push(...selfSupervisedPairs('corpus', some, store, { perDoc: o.perDoc, keep: o.keep, random }));
    await slicer.pause();
  }
  for (const path of o.pairs ?? []) pairs.push(...(await readPairs(path, store, { minScore: 4 })));
  return pairs;
}

export async function adaptStaticModel(
  base: StaticEmbedder,
  documents: readonly { id: string; title?: string; text: string }[],
  options: AdaptOptions = {},
): Promise<AdaptedModel> {
  checkOptions('adapt', options, KEYS);
  const o = { ...ADAPT_DEFAULTS, ...options };
  const seed = o.seed ?? 42;
  const seconds = o.seconds ?? 45;
  if (!(Number.isFinite(seconds) && seconds > 0)) throw invalidArgument('adapt: seconds must be a positive number');
  const started = performance.now();
  const features = base.featurizer.config;
  const { rows: _r, oovRows: _o, ...bucketConfig } = features;
  const store = new TextStore(new Featurizer(bucketConfig));
  const docs: CorpusDoc[] = documents.map((d) => ({
    id: d.id,
    title: d.title ?? '',
    text: d.text,
    full: d.title ? `${d.title} ${d.text}` : d.text,
  }));
  const random = mulberry32(seed);
  const pairs = await corpusPairs(docs, store, o, random, base.passages);
  if (pairs.length < 2) throw invalidArgument('adapt: the documents gave fewer than two training pairs');
  // analysis and remapping run in slices: an engine's first add adapts its model inside the host's process
  await store.analyzeAllAsync((done, total) => o.onProgress?.('analyze', done, total));
  await yieldToLoop();
  const df = store.documentFrequency(features.buckets);
  await yieldToLoop();
  const widened = await runSliced(widenSteps({ features, weights: base.weights }, df, o.minDocFrequency, o.maxNewRows));
  await yieldToLoop();
  const featurizer = new Featurizer(widened.features, widened.keptBuckets);
  await store.remapAsync(featurizer, (f) => featurizer.bucketsToRows(f));
  const trained = await trainStatic(store, pairs, {
    features: widened.features,
    keptBuckets: widened.keptBuckets,
    init: widened.table,
    dim: base.dim,
    loss: 'mnrl',
    symmetric: true,
    scale: 12,
    batchSize: o.batchSize,
    epochs: o.epochs,
    lr: o.lr,
    seed,
    maxSeconds: seconds,
    threads: o.threads,
    onStep: (s) => o.onProgress?.('train', s.step, s.totalSteps),
  });
  if (o.wise !== 1) blend(trained.table, widened.table, o.wise);
  // int8 like the shipped model: the model in memory is byte for byte the one an index stores
  const q = await quantizeRowsAsync(trained.table, trained.rows, trained.dim);
  const weights = { rows: trained.rows, dim: trained.dim, ...q, keptBuckets: widened.keptBuckets };
  const modelId = `${base.modelId}+adapted`;
  const embedder = StaticEmbedder.fromWeights(widened.features, weights, modelId, {}, base.passages);
  const { epochs, lr, batchSize, perDoc, keep, minDocFrequency, maxNewRows, maxPairs, wise, target } = o;
  const record: AdaptationRecord = {
    base: base.modelId,
    recipe: { epochs, lr, batchSize, perDoc, keep, minDocFrequency, maxNewRows, maxPairs, wise, target },
    seed,
    documents: docs.length,
    pairs: pairs.length,
    rowsAdded: widened.added,
    steps: trained.steps,
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    generalPairs: o.pairs ?? [],
  };
  return { embedder, features: widened.features, weights, record };
}
