/**
 * Trainer of tamsaek static embedding models: hashed-feature embedding table, weighted-mean pooling
 * (native, src/native/sparse.ts), contrastive loss forward/backward in the native fused kernels
 * (src/native/loss.ts: InfoNCE/MNRL, GIST, cached variants) and a lazy Adam step on the touched rows
 * fused with the pooling backward (native). Deterministic for a seed (initialisation, sampling and
 * fixed-order native reductions).
 */
import { checkOptions, invalidArgument, TamsaekError } from '../errors.js';
import { StaticEmbedder } from '../models/static.js';
import { type StaticFeatureConfig, tableRows, toBatch } from '../models/static-features.js';
import { cachedContrastiveStep, gistLoss, infoNCELoss } from '../native/loss.js';
import { type AdamState, createAdamState, sparsePool, sparsePoolAdam } from '../native/sparse.js';
import { mulberry32 } from '../util/random.js';
import { Slicer } from '../util/slices.js';
import type { Pair, TextRef, TextStore } from './data.js';
import { batchSampler } from './sampler.js';

export type LossName = 'mnrl' | 'gist' | 'cached-mnrl' | 'cached-gist';
export const LOSSES: readonly LossName[] = ['mnrl', 'gist', 'cached-mnrl', 'cached-gist'];

/** GIST guide: BM25 scores between batch texts, or a teacher embedder's cosine similarities. */
export type Guide =
  | { kind: 'bm25'; k1?: number; b?: number }
  | { kind: 'model'; embedder: { dim: number; embed(texts: readonly string[]): Promise<Float32Array> } };

export interface TrainOptions {
  features: StaticFeatureConfig;
  dim?: number;
  loss?: LossName;
  batchSize?: number;
  epochs?: number;
  /** Stop after this many seconds (checked between steps). */
  maxSeconds?: number;
  lr?: number;
  /** Final learning rate as a fraction of lr (linear decay); default 0.1. */
  lrEnd?: number;
  /** Logit scale (1/temperature) for MNRL and GIST; default 20. */
  scale?: number;
  symmetric?: boolean;
  guide?: Guide;
  marginStrategy?: 'absolute' | 'relative';
  margin?: number;
  /** Pruned vocabulary (features.rows): the buckets that own a row. */
  keptBuckets?: Int32Array;
  /** cached-*: rows per chunk. */
  miniBatch?: number;
  initStd?: number;
  /** Warm start: the table to start from (rows × dim of `features`), copied; default a seeded random table. */
  init?: Float32Array;
  seed?: number;
  threads?: number;
  /** Where the loss kernels run: 'cpu' (default), 'cuda' or 'auto' (see infoNCELoss). */
  device?: 'cpu' | 'cuda' | 'auto';
  onStep?: (info: StepInfo) => void;
  onEpoch?: (epoch: number, embedder: StaticEmbedder) => Promise<void> | void;
}

export interface StepInfo {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  /** Smoothed loss (EMA 0.95). */
  avgLoss: number;
  pairsPerSec: number;
  seconds: number;
}

export interface TrainResult {
  table: Float32Array;
  rows: number;
  dim: number;
  steps: number;
  seconds: number;
  losses: number[];
}

const TRAIN_KEYS = [
  'features',
  'dim',
  'loss',
  'batchSize',
  'epochs',
  'maxSeconds',
  'lr',
  'lrEnd',
  'scale',
  'symmetric',
  'guide',
  'marginStrategy',
  'margin',
  'miniBatch',
  'keptBuckets',
  'initStd',
  'seed',
  'threads',
  'device',
  'onStep',
  'onEpoch',
  'init',
];

/** Gaussian N(0, std²) init from the seed (Box-Muller over mulberry32). */
export function initTable(rows: number, dim: number, std: number, seed: number): Float32Array {
  const rnd = mulberry32(seed);
  const t = new Float32Array(rows * dim);
  for (let i = 0; i < t.length; i += 2) {
    const u = Math.max(rnd(), 1e-12);
    const v = rnd();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    t[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < t.length) t[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return t;
}

/** Assembled batch: texts in order anchors (B), positives (B), negatives (H). */
interface Assembled {
  B: number;
  H: number;
  refs: TextRef[];
}

function assemble(batch: Pair[], store: TextStore): Assembled {
  const B = batch.length;
  const refs: TextRef[] = [];
  const used = new Set<number>();
  const groups = new Set<string>();
  for (const p of batch) {
    refs.push(p.anchor);
    used.add(p.anchor);
  }
  for (const p of batch) {
    refs.push(p.positive);
    used.add(p.positive);
    groups.add(p.group);
  }
  let H = 0;
  for (const p of batch) {
    const n = p.negative;
    if (n === undefined || used.has(n)) continue;
    const doc = store.docIdOf.get(n);
    if (doc !== undefined && groups.has(`d:${doc}`)) continue; // the negative is another pair's positive document
    used.add(n);
    refs.push(n);
    H++;
  }
  return { B, H, refs };
}

/** In-batch BM25 guide: ap (B x B) and an (B x H) with idf over the batch's candidate texts. */
function bm25Guide(store: TextStore, a: Assembled, k1: number, b: number): { ap: Float32Array; an?: Float32Array } {
  const { B, H, refs } = a;
  const C = B + H;
  const post = new Map<number, { c: number; tf: number }[]>();
  const len = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    const f = store.features(refs[B + c]!);
    let l = 0;
    for (let j = 0; j < f.ids.length; j++) {
      const id = f.ids[j]!;
      const tf = f.counts[j]!;
      l += tf;
      let list = post.get(id);
      if (!list) post.set(id, (list = []));
      list.push({ c, tf });
    }
    len[c] = l;
  }
  let avg = 0;
  for (let c = 0; c < C; c++) avg += len[c]!;
  avg = avg / Math.max(1, C) || 1;
  const scores = new Float32Array(B * C);
  for (let i = 0; i < B; i++) {
    const q = store.features(refs[i]!);
    for (let j = 0; j < q.ids.length; j++) {
      const list = post.get(q.ids[j]!);
      if (!list) continue;
      const idf = Math.log(1 + (C - list.length + 0.5) / (list.length + 0.5));
      for (const { c, tf } of list)
        scores[i * C + c] += (idf * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * len[c]!) / avg));
    }
  }
  const ap = new Float32Array(B * B);
  const an = H > 0 ? new Float32Array(B * H) : undefined;
  for (let i = 0; i < B; i++) {
    ap.set(scores.subarray(i * C, i * C + B), i * B);
    if (an) an.set(scores.subarray(i * C + B, i * C + C), i * H);
  }
  return an ? { ap, an } : { ap };
}

function chunks(a: Float32Array, rows: number, dim: number, size: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let s = 0; s < rows; s += size) out.push(a.subarray(s * dim, Math.min(rows, s + size) * dim));
  return out;
}

function concat(parts: Float32Array[], into: Float32Array, at: number): number {
  for (const p of parts) {
    into.set(p, at);
    at += p.length;
  }
  return at;
}

/** The hyper-parameters `checkTrainSettings` vets (trainPipeline checks them before reading any data). */
export type TrainSettings = Pick<
  TrainOptions,
  | 'dim'
  | 'loss'
  | 'batchSize'
  | 'epochs'
  | 'maxSeconds'
  | 'lr'
  | 'lrEnd'
  | 'scale'
  | 'symmetric'
  | 'marginStrategy'
  | 'margin'
  | 'miniBatch'
  | 'initStd'
  | 'seed'
  | 'threads'
  | 'device'
>;

/**
 * Throws INVALID_ARGUMENT for a setting that would fail late (after the data is read), loop forever
 * (miniBatch 0) or silently train something else than asked (epochs 1.5, a negative time limit).
 */
export function checkTrainSettings(where: string, o: TrainSettings): void {
  const fail = (name: keyof TrainSettings, rule: string) => {
    throw invalidArgument(`${where}: ${name} must be ${rule}, got ${String(o[name])}`);
  };
  const integer = (name: keyof TrainSettings, min: number, max: number) => {
    const v = o[name];
    if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max))
      fail(name, `an integer in ${min}..${max}`);
  };
  const positive = (name: keyof TrainSettings) => {
    const v = o[name];
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v > 0)) fail(name, 'a finite number > 0');
  };
  if (o.loss !== undefined && !LOSSES.includes(o.loss)) fail('loss', `one of ${LOSSES.join(', ')}`);
  integer('dim', 8, 4096);
  integer('batchSize', 2, 1 << 16);
  integer('epochs', 1, 1_000_000);
  integer('miniBatch', 1, 1 << 16);
  integer('seed', 0, 2 ** 32 - 1);
  integer('threads', 1, 1024);
  if (o.device !== undefined && !['cpu', 'cuda', 'auto'].includes(o.device)) fail('device', '"cpu", "cuda" or "auto"');
  for (const name of ['lr', 'scale', 'initStd', 'maxSeconds'] as const) positive(name);
  if (o.lrEnd !== undefined && !(typeof o.lrEnd === 'number' && o.lrEnd > 0 && o.lrEnd <= 1))
    fail('lrEnd', 'a fraction of lr in (0, 1]');
  if (o.symmetric !== undefined && typeof o.symmetric !== 'boolean') fail('symmetric', 'a boolean');
  if (o.marginStrategy !== undefined && o.marginStrategy !== 'absolute' && o.marginStrategy !== 'relative')
    fail('marginStrategy', '"absolute" or "relative"');
  if (o.margin !== undefined && !(typeof o.margin === 'number' && Number.isFinite(o.margin) && o.margin >= 0))
    fail('margin', 'a finite number ≥ 0');
}

/** A copy of a large table made in pieces with event-loop turns between them (corpus adaptation runs in a host). */
async function copySliced(from: Float32Array): Promise<Float32Array> {
  const out = new Float32Array(from.length);
  const slicer = new Slicer();
  for (let at = 0; at < from.length; at += 1 << 20) {
    out.set(from.subarray(at, at + (1 << 20)), at);
    await slicer.pause();
  }
  return out;
}

/** Trains a static model on `pairs` (texts in `store`); returns the float32 table. */
export async function trainStatic(store: TextStore, pairs: Pair[], options: TrainOptions): Promise<TrainResult> {
  checkOptions('trainStatic', options, TRAIN_KEYS);
  checkTrainSettings('trainStatic', options);
  if (typeof options.features !== 'object' || options.features === null)
    throw invalidArgument('trainStatic: features (the featurizer config) is required');
  const {
    features,
    dim = 256,
    loss = 'mnrl',
    batchSize = 512,
    epochs = 3,
    lr = 0.02,
    lrEnd = 0.1,
    scale = 20,
    symmetric = false,
    marginStrategy = 'relative',
    margin = 0.05,
    miniBatch = 128,
    initStd = 0.1,
    seed = 42,
    threads,
    device,
  } = options;
  if (pairs.length < 2) throw invalidArgument(`trainStatic: need at least two training pairs, got ${pairs.length}`);
  const gist = loss === 'gist' || loss === 'cached-gist';
  const guide = options.guide ?? (gist ? { kind: 'bm25' as const } : undefined);
  if (loss === 'cached-gist' && guide?.kind !== 'model')
    throw invalidArgument('cached-gist needs a teacher model guide (the cached kernel takes guide embeddings)');
  const rows = tableRows(features);
  if (options.init !== undefined && !(options.init instanceof Float32Array && options.init.length === rows * dim))
    throw invalidArgument(`trainStatic: init must be a Float32Array of rows × dim = ${rows * dim} values`);
  const table = options.init ? await copySliced(options.init) : initTable(rows, dim, initStd, seed);
  const adam: AdamState = createAdamState(table, rows, dim);
  const random = mulberry32((seed ^ 0x9e3779b9) >>> 0);
  const weight = (c: number) => (features.tf === 'log' ? 1 + Math.log(c) : 1);
  // steps per epoch (dry run of the sampler with the same stream would change it; estimate instead)
  const perEpoch = Math.ceil(pairs.length / batchSize);
  const totalSteps = perEpoch * epochs;
  let started = performance.now(); // moved forward by the time onEpoch takes: seconds count training only
  const losses: number[] = [];
  let step = 0;
  let avg = NaN;
  let seen = 0;
  const teacher = teacherEmbeddings(store, guide);
  const step1 = {
    loss,
    dim,
    scale,
    symmetric,
    marginStrategy,
    margin,
    miniBatch,
    threads,
    device,
    guide,
    store,
    teacher,
  };
  outer: for (let epoch = 0; epoch < epochs; epoch++) {
    for (const batch of batchSampler(pairs, batchSize, random)) {
      if (options.maxSeconds !== undefined && (performance.now() - started) / 1000 > options.maxSeconds) break outer;
      const asm = assemble(batch, store);
      const { B, refs } = asm;
      const csr = toBatch(
        refs.map((r) => store.features(r)),
        weight,
      );
      const emb = await sparsePool(csr, { rows, dim, table }, { threads });
      const { value, grad } = await lossAndGradient(step1, emb, asm);
      // a diverged run must fail, not write a table of NaNs
      if (!Number.isFinite(value))
        throw new TamsaekError(
          'INVALID_ARGUMENT',
          `trainStatic: the loss became ${value} at step ${step + 1}; lower lr or scale`,
        );
      const frac = Math.min(1, step / Math.max(1, totalSteps - 1));
      const warm = Math.min(1, (step + 1) / Math.max(1, Math.round(totalSteps * 0.03)));
      const rate = lr * warm * (1 - (1 - lrEnd) * frac);
      await sparsePoolAdam(csr, grad, adam, { lr: rate, threads });
      step++;
      seen += B;
      losses.push(value);
      avg = Number.isNaN(avg) ? value : 0.95 * avg + 0.05 * value;
      const seconds = (performance.now() - started) / 1000;
      options.onStep?.({ step, totalSteps, epoch, loss: value, avgLoss: avg, pairsPerSec: seen / seconds, seconds });
    }
    if (options.onEpoch) {
      const t = performance.now();
      await options.onEpoch(
        epoch,
        StaticEmbedder.fromWeights(features, { rows, dim, table, keptBuckets: options.keptBuckets }),
      );
      started += performance.now() - t;
    }
  }
  return { table, rows, dim, steps: step, seconds: (performance.now() - started) / 1000, losses };
}

/** Embeddings of texts by a teacher model (the `model` guide), each text embedded once per run. */
function teacherEmbeddings(store: TextStore, guide: Guide | undefined): (refs: TextRef[]) => Promise<Float32Array> {
  const cache = new Map<number, Float32Array>();
  return async (refs) => {
    if (guide?.kind !== 'model') throw new Error('unreachable');
    const gdim = guide.embedder.dim;
    const missing = [...new Set(refs.filter((r) => !cache.has(r)))];
    if (missing.length > 0) {
      const v = await guide.embedder.embed(missing.map((r) => store.text(r)));
      missing.forEach((r, i) => cache.set(r, v.slice(i * gdim, (i + 1) * gdim)));
    }
    const out = new Float32Array(refs.length * gdim);
    refs.forEach((r, i) => out.set(cache.get(r)!, i * gdim));
    return out;
  };
}

interface LossContext {
  loss: LossName;
  dim: number;
  scale: number;
  symmetric: boolean;
  marginStrategy: 'absolute' | 'relative';
  margin: number;
  miniBatch: number;
  threads: number | undefined;
  device: 'cpu' | 'cuda' | 'auto' | undefined;
  guide: Guide | undefined;
  store: TextStore;
  teacher: (refs: TextRef[]) => Promise<Float32Array>;
}

/** The batch's loss and its gradient for every pooled embedding (anchors, positives, negatives). */
async function lossAndGradient(
  c: LossContext,
  emb: Float32Array,
  asm: Assembled,
): Promise<{ value: number; grad: Float32Array }> {
  const { loss, dim, scale, symmetric, marginStrategy, margin, miniBatch, threads, device, guide, store, teacher } = c;
  const { B, H, refs } = asm;
  const A = emb.subarray(0, B * dim);
  const P = emb.subarray(B * dim, 2 * B * dim);
  const N = H > 0 ? emb.subarray(2 * B * dim) : undefined;
  const grad = new Float32Array(emb.length);
  let value: number;
  if (loss === 'mnrl') {
    const r = await infoNCELoss({ anchors: A, positives: P, negatives: N, dim, scale, symmetric, threads, device });
    value = r.loss;
    grad.set(r.gradAnchors, 0);
    grad.set(r.gradPositives, B * dim);
    if (H > 0) grad.set(r.gradNegatives, 2 * B * dim);
  } else if (loss === 'gist') {
    let g: Parameters<typeof gistLoss>[0]['guide'];
    if (guide!.kind === 'bm25') g = { matrices: bm25Guide(store, asm, guide!.k1 ?? 1.2, guide!.b ?? 0.75) };
    else {
      const gd = guide!.embedder.dim;
      const gv = await teacher(refs);
      g = {
        anchors: gv.subarray(0, B * gd),
        positives: gv.subarray(B * gd, 2 * B * gd),
        negatives: H > 0 ? gv.subarray(2 * B * gd) : undefined,
        dim: gd,
      };
    }
    const bm = guide!.kind === 'bm25';
    const r = await gistLoss({
      anchors: A,
      positives: P,
      negatives: N,
      dim,
      guide: g,
      temperature: 1 / scale,
      marginStrategy,
      margin,
      contrastAnchors: !bm,
      contrastPositives: !bm,
      threads,
      device,
    });
    value = r.loss;
    grad.set(r.gradAnchors, 0);
    grad.set(r.gradPositives, B * dim);
    if (H > 0) grad.set(r.gradNegatives, 2 * B * dim);
  } else {
    const o: Parameters<typeof cachedContrastiveStep>[0] = {
      loss: loss === 'cached-mnrl' ? 'infonce' : 'gist',
      dim,
      anchors: chunks(A, B, dim, miniBatch),
      positives: chunks(P, B, dim, miniBatch),
      negatives: N ? chunks(N, H, dim, miniBatch) : undefined,
      scale,
      symmetric,
      threads,
      device,
    };
    if (loss === 'cached-gist') {
      const gd = guide!.kind === 'model' ? guide!.embedder.dim : 0;
      const gv = await teacher(refs);
      o.guide = {
        anchors: chunks(gv.subarray(0, B * gd), B, gd, miniBatch),
        positives: chunks(gv.subarray(B * gd, 2 * B * gd), B, gd, miniBatch),
        negatives: H > 0 ? chunks(gv.subarray(2 * B * gd), H, gd, miniBatch) : undefined,
        dim: gd,
      };
      o.temperature = 1 / scale;
      o.marginStrategy = marginStrategy;
      o.margin = margin;
      delete o.scale;
      delete o.symmetric;
    }
    const r = await cachedContrastiveStep(o);
    value = r.loss;
    let _at = concat(r.gradAnchors, grad, 0);
    _at = concat(r.gradPositives, grad, B * dim);
    if (H > 0) concat(r.gradNegatives, grad, 2 * B * dim);
  }
  return { value, grad };
}
