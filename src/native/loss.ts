/**
 * Typed wrappers around the native tiled contrastive losses (native/loss/). Every call returns the
 * loss and d(loss)/d(embedding) for all inputs, computed off the JS thread with O(batch x tile)
 * scratch memory. Formulas: see native/loss/infonce.h, gist.h and cached.h (and test/helpers/reference-loss.mjs for
 * a plain-TS fp64 version of each).
 */
import { checkOptions, invalidArgument, TamsaekError } from '../errors.js';
import { checkFinite, checkThreads, loadNative, wrapNativeError } from './addon.js';
import { type Device, resolveDevice } from './cuda.js';

export type Similarity = 'cos' | 'dot';

interface CommonOptions {
  /** Embedding dimension. */
  dim: number;
  /** Student similarity: cosine (default, as sentence-transformers) or dot product. */
  similarity?: Similarity;
  threads?: number;
  /** Tiling (rows per chunk, candidates per tile); defaults 96 and 256 (CPU kernels only). */
  rowChunk?: number;
  colTile?: number;
  /**
   * Where the loss runs: 'cpu' (default), 'cuda' (the GPU kernels of `npm run build:native`; CUDA_UNAVAILABLE
   * without a GPU) or 'auto' (the GPU when one is visible). Same loss and gradients to fp32 rounding.
   */
  device?: Device;
}

export interface InfoNCEOptions extends CommonOptions {
  anchors: Float32Array;
  positives: Float32Array;
  /** Hard negatives (H x dim), or several sets that are concatenated; shared by all anchors. */
  negatives?: Float32Array | Float32Array[];
  /** Logit scale (1 / temperature); default 20 as in sentence-transformers. */
  scale?: number;
  /** Add the positives -> anchors term (MultipleNegativesSymmetricRankingLoss). */
  symmetric?: boolean;
}

export interface GuideEmbeddings {
  anchors: Float32Array;
  positives: Float32Array;
  negatives?: Float32Array | Float32Array[];
  dim: number;
}

export interface GuideMatrices {
  /** B x B guide similarities anchor-positive (diagonal = guide positive), anchor-anchor, positive-positive. */
  ap: Float32Array;
  aa?: Float32Array;
  pp?: Float32Array;
  /** B x H anchor-negative guide similarities. */
  an?: Float32Array;
}

export interface GistOptions extends CommonOptions {
  anchors: Float32Array;
  positives: Float32Array;
  negatives?: Float32Array | Float32Array[];
  /** Guide embeddings (cosine similarity is used) or explicit guide similarity matrices. */
  guide: GuideEmbeddings | { matrices: GuideMatrices };
  temperature?: number;
  marginStrategy?: 'absolute' | 'relative';
  margin?: number;
  contrastAnchors?: boolean;
  contrastPositives?: boolean;
  /** Max guide-mask entries kept between the two passes (default 64·B + 65536); past it the guide
   *  similarities of a tile are recomputed in the gradient pass. 0 = always recompute. */
  maskCap?: number;
}

export interface LossResult {
  loss: number;
  gradAnchors: Float32Array;
  gradPositives: Float32Array;
  /** Gradient of the (concatenated) negatives; empty when there are none. */
  gradNegatives: Float32Array;
}

export interface CachedStepOptions {
  loss: 'infonce' | 'gist';
  dim: number;
  /** Embeddings as computed chunk by chunk (no autograd). */
  anchors: Float32Array[];
  positives: Float32Array[];
  negatives?: Float32Array[];
  /** GIST only: guide embedding chunks (same chunking) and their dimension. */
  guide?: { anchors: Float32Array[]; positives: Float32Array[]; negatives?: Float32Array[]; dim: number };
  similarity?: Similarity;
  scale?: number;
  symmetric?: boolean;
  temperature?: number;
  marginStrategy?: 'absolute' | 'relative';
  margin?: number;
  contrastAnchors?: boolean;
  contrastPositives?: boolean;
  threads?: number;
  rowChunk?: number;
  colTile?: number;
  /** 'cpu' (default), 'cuda' or 'auto', as for infoNCELoss. */
  device?: Device;
}

export interface CachedStepResult {
  loss: number;
  /** Per input chunk: d(loss)/d(chunk embeddings), zero-copy views into one buffer per role. */
  gradAnchors: Float32Array[];
  gradPositives: Float32Array[];
  gradNegatives: Float32Array[];
}

const COMMON = ['dim', 'similarity', 'threads', 'rowChunk', 'colTile', 'device'];
const INFONCE_KEYS = [...COMMON, 'anchors', 'positives', 'negatives', 'scale', 'symmetric'];
const GIST_KEYS = [
  ...COMMON,
  'anchors',
  'positives',
  'negatives',
  'guide',
  'temperature',
  'marginStrategy',
  'margin',
  'contrastAnchors',
  'contrastPositives',
  'maskCap',
];
const CACHED_KEYS = [
  'loss',
  'dim',
  'anchors',
  'positives',
  'negatives',
  'guide',
  'similarity',
  'scale',
  'symmetric',
  'temperature',
  'marginStrategy',
  'margin',
  'contrastAnchors',
  'contrastPositives',
  'threads',
  'rowChunk',
  'colTile',
  'device',
];

function rowsOf(where: string, name: string, a: unknown, dim: number): number {
  if (!(a instanceof Float32Array)) throw invalidArgument(`${where}: ${name} must be a Float32Array`);
  if (a.length % dim !== 0) {
    throw new TamsaekError(
      'DIMENSION_MISMATCH',
      `${where}: ${name} has ${a.length} values, not a multiple of the dimension ${dim}`,
    );
  }
  checkFinite(where, name, a);
  return a.length / dim;
}

function concat(list: Float32Array | Float32Array[] | undefined): Float32Array | undefined {
  if (list === undefined) return undefined;
  if (list instanceof Float32Array) return list;
  if (!Array.isArray(list)) return list as unknown as Float32Array;
  if (list.length === 1) return list[0];
  let n = 0;
  for (const a of list) {
    if (!(a instanceof Float32Array)) throw invalidArgument('negatives must be Float32Array(s)');
    n += a.length;
  }
  const out = new Float32Array(n);
  let off = 0;
  for (const a of list) {
    out.set(a, off);
    off += a.length;
  }
  return out;
}

function positiveInt(where: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw invalidArgument(`${where}: ${name} must be a positive integer (got ${String(v)})`);
  }
  return v;
}

function nonNegativeInt(where: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw invalidArgument(`${where}: ${name} must be a non-negative integer (got ${String(v)})`);
  }
  return v;
}

function finitePositive(where: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw invalidArgument(`${where}: ${name} must be a finite positive number (got ${String(v)})`);
  }
  return v;
}

function tiling(
  where: string,
  o: { rowChunk?: number; colTile?: number; threads?: number; similarity?: string; device?: Device },
) {
  const out: Record<string, unknown> = {};
  out.cuda = resolveDevice(where, o.device) === 'cuda';
  if (o.rowChunk !== undefined) out.rowChunk = positiveInt(where, 'rowChunk', o.rowChunk);
  if (o.colTile !== undefined) out.colTile = positiveInt(where, 'colTile', o.colTile);
  out.threads = checkThreads(where, o.threads);
  const sim = o.similarity ?? 'cos';
  if (sim !== 'cos' && sim !== 'dot') throw invalidArgument(`${where}: similarity must be "cos" or "dot"`);
  out.cosine = sim === 'cos';
  return out;
}

function marginOpts(where: string, o: { marginStrategy?: string; margin?: number; temperature?: number }) {
  const strategy = o.marginStrategy ?? 'absolute';
  if (strategy !== 'absolute' && strategy !== 'relative') {
    throw invalidArgument(`${where}: marginStrategy must be "absolute" or "relative"`);
  }
  const margin = o.margin ?? 0;
  if (typeof margin !== 'number' || !Number.isFinite(margin)) throw invalidArgument(`${where}: margin must be finite`);
  return {
    strategy: strategy === 'absolute' ? 0 : 1,
    margin,
    temperature: finitePositive(where, 'temperature', o.temperature ?? 0.01),
  };
}

async function call(where: string, args: Record<string, unknown>): Promise<number> {
  const addon = loadNative();
  try {
    return await addon.contrastive(args);
  } catch (e) {
    throw wrapNativeError(where, e);
  }
}

/** Checks anchors, positives and (concatenated) negatives of one batch against `dim`. */
function batchShape(
  where: string,
  o: { dim: number; anchors: Float32Array; positives: Float32Array; negatives?: Float32Array | Float32Array[] },
) {
  const dim = positiveInt(where, 'dim', o.dim);
  const B = rowsOf(where, 'anchors', o.anchors, dim);
  if (B === 0) throw invalidArgument(`${where}: the batch is empty`);
  if (rowsOf(where, 'positives', o.positives, dim) !== B) {
    throw new TamsaekError('DIMENSION_MISMATCH', `${where}: positives must have ${B} rows like anchors`);
  }
  const n = concat(o.negatives);
  const H = n ? rowsOf(where, 'negatives', n, dim) : 0;
  return { dim, B, n, H };
}

function emptyGradients(B: number, H: number, dim: number): LossResult {
  return {
    loss: 0,
    gradAnchors: new Float32Array(B * dim),
    gradPositives: new Float32Array(B * dim),
    gradNegatives: new Float32Array(H * dim),
  };
}

/** InfoNCE / MultipleNegativesRankingLoss (optionally symmetric) with in-batch and hard negatives. */
export async function infoNCELoss(o: InfoNCEOptions): Promise<LossResult> {
  const where = 'infoNCELoss';
  checkOptions(where, o, INFONCE_KEYS);
  const { dim, B, n, H } = batchShape(where, o);
  const res = emptyGradients(B, H, dim);
  res.loss = await call(where, {
    kind: 'infonce',
    dim,
    B,
    H,
    a: o.anchors,
    p: o.positives,
    n: H ? n : undefined,
    scale: finitePositive(where, 'scale', o.scale ?? 20),
    symmetric: o.symmetric ?? false,
    ...tiling(where, o),
    gradA: res.gradAnchors,
    gradP: res.gradPositives,
    gradN: H ? res.gradNegatives : undefined,
  });
  return res;
}

/** GISTEmbed guided loss (sentence-transformers GISTEmbedLoss semantics, incl. margin strategies). */
export async function gistLoss(o: GistOptions): Promise<LossResult> {
  const where = 'gistLoss';
  checkOptions(where, o, GIST_KEYS);
  const { dim, B, n, H } = batchShape(where, o);
  const ca = o.contrastAnchors ?? true;
  const cp = o.contrastPositives ?? true;
  if (!o.guide || typeof o.guide !== 'object') throw invalidArgument(`${where}: guide is required`);
  const guideArgs: Record<string, unknown> = {};
  if ('matrices' in o.guide) {
    const m = o.guide.matrices;
    const need = (name: string, a: Float32Array | undefined, len: number, required: boolean) => {
      if (a === undefined) {
        if (required) throw invalidArgument(`${where}: guide.matrices.${name} is required`);
        return;
      }
      if (!(a instanceof Float32Array) || a.length !== len) {
        throw new TamsaekError(
          'DIMENSION_MISMATCH',
          `${where}: guide.matrices.${name} must be a Float32Array of ${len}`,
        );
      }
      checkFinite(where, `guide.matrices.${name}`, a);
    };
    need('ap', m.ap, B * B, true);
    need('aa', m.aa, B * B, ca);
    need('pp', m.pp, B * B, cp);
    need('an', m.an, B * H, H > 0);
    Object.assign(guideArgs, { guideDim: 0, guideAP: m.ap, guideAA: m.aa, guidePP: m.pp, guideAN: m.an });
  } else {
    const g = o.guide;
    const gdim = positiveInt(where, 'guide.dim', g.dim);
    if (
      rowsOf(where, 'guide.anchors', g.anchors, gdim) !== B ||
      rowsOf(where, 'guide.positives', g.positives, gdim) !== B
    ) {
      throw new TamsaekError('DIMENSION_MISMATCH', `${where}: guide anchors/positives must have ${B} rows`);
    }
    const gn = concat(g.negatives);
    const gH = gn ? rowsOf(where, 'guide.negatives', gn, gdim) : 0;
    if (gH !== H) throw new TamsaekError('DIMENSION_MISMATCH', `${where}: guide negatives must have ${H} rows`);
    Object.assign(guideArgs, { guideDim: gdim, ga: g.anchors, gp: g.positives, gn: H ? gn : undefined });
  }
  const res = emptyGradients(B, H, dim);
  res.loss = await call(where, {
    kind: 'gist',
    dim,
    B,
    H,
    a: o.anchors,
    p: o.positives,
    n: H ? n : undefined,
    ...guideArgs,
    ...marginOpts(where, o),
    contrastAnchors: ca,
    contrastPositives: cp,
    maskCap: o.maskCap === undefined ? undefined : nonNegativeInt(where, 'maskCap', o.maskCap),
    ...tiling(where, o),
    gradA: res.gradAnchors,
    gradP: res.gradPositives,
    gradN: H ? res.gradNegatives : undefined,
  });
  return res;
}

function chunkRows(where: string, name: string, chunks: unknown, dim: number): number[] {
  if (!Array.isArray(chunks)) throw invalidArgument(`${where}: ${name} must be an array of Float32Array chunks`);
  return chunks.map((c, i) => rowsOf(where, `${name}[${i}]`, c, dim));
}

function views(buf: Float32Array, rows: number[], dim: number): Float32Array[] {
  const out: Float32Array[] = [];
  let off = 0;
  for (const r of rows) {
    out.push(buf.subarray(off * dim, (off + r) * dim));
    off += r;
  }
  return out;
}

/**
 * GradCache step (CachedMultipleNegativesRankingLoss / CachedGISTEmbedLoss): embeddings of a large
 * batch arrive chunk by chunk; returns the loss and the gradient for every chunk so the caller can
 * re-embed each chunk with autograd and back-propagate it alone.
 */
export async function cachedContrastiveStep(o: CachedStepOptions): Promise<CachedStepResult> {
  const where = 'cachedContrastiveStep';
  checkOptions(where, o, CACHED_KEYS);
  if (o.loss !== 'infonce' && o.loss !== 'gist') throw invalidArgument(`${where}: loss must be "infonce" or "gist"`);
  const dim = positiveInt(where, 'dim', o.dim);
  const aRows = chunkRows(where, 'anchors', o.anchors, dim);
  const pRows = chunkRows(where, 'positives', o.positives, dim);
  const nRows = o.negatives ? chunkRows(where, 'negatives', o.negatives, dim) : [];
  const sum = (r: number[]) => r.reduce((x, y) => x + y, 0);
  const B = sum(aRows);
  const H = sum(nRows);
  if (B === 0) throw invalidArgument(`${where}: the batch is empty`);
  if (sum(pRows) !== B) throw new TamsaekError('DIMENSION_MISMATCH', `${where}: positives must have ${B} rows`);
  const args: Record<string, unknown> = {
    kind: o.loss,
    cached: true,
    dim,
    aChunks: o.anchors,
    pChunks: o.positives,
    nChunks: H ? o.negatives : undefined,
    ...tiling(where, o),
  };
  if (o.loss === 'gist') {
    const g = o.guide;
    if (!g) throw invalidArgument(`${where}: guide is required for loss "gist"`);
    const gdim = positiveInt(where, 'guide.dim', g.dim);
    const ga = chunkRows(where, 'guide.anchors', g.anchors, gdim);
    const gp = chunkRows(where, 'guide.positives', g.positives, gdim);
    const gn = g.negatives ? chunkRows(where, 'guide.negatives', g.negatives, gdim) : [];
    if (sum(ga) !== B || sum(gp) !== B || sum(gn) !== H) {
      throw new TamsaekError('DIMENSION_MISMATCH', `${where}: guide chunks must match the embedding rows`);
    }
    Object.assign(args, {
      guideDim: gdim,
      gaChunks: g.anchors,
      gpChunks: g.positives,
      gnChunks: H ? g.negatives : undefined,
      ...marginOpts(where, o),
      contrastAnchors: o.contrastAnchors ?? true,
      contrastPositives: o.contrastPositives ?? true,
    });
  } else {
    args.scale = finitePositive(where, 'scale', o.scale ?? 20);
    args.symmetric = o.symmetric ?? false;
  }
  const gA = new Float32Array(B * dim);
  const gP = new Float32Array(B * dim);
  const gN = new Float32Array(H * dim);
  const loss = await call(where, { ...args, gradA: gA, gradP: gP, gradN: H ? gN : undefined });
  return {
    loss,
    gradAnchors: views(gA, aRows, dim),
    gradPositives: views(gP, pRows, dim),
    gradNegatives: views(gN, nRows, dim),
  };
}
