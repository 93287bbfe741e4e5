/**
 * Features of the tamsaek static embedding model: morphemes ("m" prefix: the terms of ko-morph or
 * ko-mecab, default options; a model names its analyzer in `features.morphemes`) plus Hangul
 * syllable bigrams ("b" prefix), hashed with 32-bit FNV-1a (over UTF-16 code units, prefix included)
 * into `buckets`; a text's feature weight is 1 + ln(tf) of each table row (tf summed over the
 * features that share the row). Without `rows`, bucket = row. With `rows` (a pruned vocabulary), the
 * `rows - oovRows` buckets most frequent in the training texts own a row each (`keptBuckets`, sorted,
 * stored with the weights) and every other bucket shares one of the last `oovRows` rows
 * (bucket mod oovRows): a large hash space without the collisions of a small one, in a small table.
 * Training and inference share this file, so a model directory's `features` block (and its kept
 * buckets) fully determines the ids.
 */
import { analyzeAll } from '../analyze/batch.js';
import { type Analyzer, type AnalyzerConfig, createAnalyzer } from '../analyze/index.js';
import { DEFAULT_STOP_TAGS, KO_MECAB_STOP_TAGS } from '../analyze/korean.js';
import { invalidArgument } from '../errors.js';
import type { SparseBatch } from '../native/sparse.js';
import { Slicer } from '../util/slices.js';

/** The analyzers a static model can read morphemes with. */
export const MORPHEME_ANALYZERS = ['ko-morph', 'ko-mecab'] as const;
export type MorphemeAnalyzerName = (typeof MORPHEME_ANALYZERS)[number];

export interface StaticFeatureConfig {
  /** Morpheme analyzer (with default options but the stop tags). */
  morphemes: MorphemeAnalyzerName | false;
  /**
   * The morpheme analyzer's stop tags, when the model names them (the trainer does since ko-mecab's
   * default changed): the analyzer's defaults may change, a trained model's features may not.
   */
  stopTags?: string[];
  /** Hangul syllable bigrams within words. */
  bigrams: boolean;
  /** Hash buckets (table rows). */
  buckets: number;
  hash: 'fnv1a32';
  /** Per-text feature weight: "log" = 1 + ln(tf), "binary" = 1. */
  tf: 'log' | 'binary';
  /** Table rows when smaller than `buckets` (pruned vocabulary; needs the kept buckets). */
  rows?: number;
  /** Rows shared by the buckets that were not kept (with `rows`). */
  oovRows?: number;
}

/**
 * The morpheme analyzer of a feature configuration: default options but the stop tags the model names,
 * and for ko-mecab no compound terms (its features are morphemes; a default may change, a model may not).
 */
function morphemeAnalyzerConfig(name: MorphemeAnalyzerName, stopTags: string[] | undefined): AnalyzerConfig {
  const config: AnalyzerConfig = name === 'ko-mecab' ? { name, compounds: false } : { name };
  return stopTags ? { ...config, stopTags } : config;
}

/**
 * `features` reading another morpheme analyzer's terms, the stop tags the model was trained with kept
 * (spelled out: a model without them used its analyzer's defaults). Unchanged without morphemes or `name`.
 */
export function readingMorphemes(
  features: StaticFeatureConfig,
  name: MorphemeAnalyzerName | undefined,
): StaticFeatureConfig {
  if (name === undefined || !features.morphemes || name === features.morphemes) return features;
  if (!MORPHEME_ANALYZERS.includes(name))
    throw invalidArgument(`morphemes must be ${MORPHEME_ANALYZERS.map((a) => `"${a}"`).join(' or ')}`);
  const trained = features.morphemes === 'ko-mecab' ? KO_MECAB_STOP_TAGS : DEFAULT_STOP_TAGS;
  return { ...features, morphemes: name, stopTags: [...(features.stopTags ?? trained)] };
}

/** Table rows of a feature configuration. */
export function tableRows(c: StaticFeatureConfig): number {
  return c.rows ?? c.buckets;
}

export const DEFAULT_FEATURES: StaticFeatureConfig = {
  morphemes: 'ko-morph',
  bigrams: true,
  buckets: 1 << 16,
  hash: 'fnv1a32',
  tf: 'log',
};

export function checkFeatureConfig(c: unknown, where = 'features'): StaticFeatureConfig {
  const o = c as Partial<StaticFeatureConfig> | undefined;
  if (!o || typeof o !== 'object') throw invalidArgument(`${where} must be an object`);
  if (o.morphemes !== false && !MORPHEME_ANALYZERS.includes(o.morphemes as MorphemeAnalyzerName))
    throw invalidArgument(`${where}.morphemes must be ${MORPHEME_ANALYZERS.map((a) => `"${a}"`).join(', ')} or false`);
  if (typeof o.bigrams !== 'boolean') throw invalidArgument(`${where}.bigrams must be a boolean`);
  if (!Number.isInteger(o.buckets) || o.buckets! < 1 || o.buckets! > 1 << 26)
    throw invalidArgument(`${where}.buckets must be an integer in 1..2^26`);
  if (o.hash !== 'fnv1a32') throw invalidArgument(`${where}.hash must be "fnv1a32"`);
  if (o.tf !== 'log' && o.tf !== 'binary') throw invalidArgument(`${where}.tf must be "log" or "binary"`);
  if (!o.morphemes && !o.bigrams) throw invalidArgument(`${where}: enable morphemes or bigrams`);
  if (
    o.stopTags !== undefined &&
    (!o.morphemes || !Array.isArray(o.stopTags) || o.stopTags.some((t) => typeof t !== 'string'))
  )
    throw invalidArgument(`${where}.stopTags must be a list of tags, with morphemes`);
  const out: StaticFeatureConfig = {
    morphemes: o.morphemes ?? false,
    ...(o.stopTags !== undefined ? { stopTags: [...o.stopTags] } : {}),
    bigrams: o.bigrams,
    buckets: o.buckets!,
    hash: 'fnv1a32',
    tf: o.tf,
  };
  if (o.rows === undefined && o.oovRows === undefined) return out;
  if (!Number.isInteger(o.rows) || o.rows! < 2 || o.rows! >= o.buckets!)
    throw invalidArgument(`${where}.rows must be an integer in 2..buckets-1`);
  if (!Number.isInteger(o.oovRows) || o.oovRows! < 1 || o.oovRows! >= o.rows!)
    throw invalidArgument(`${where}.oovRows must be an integer in 1..rows-1`);
  return { ...out, rows: o.rows, oovRows: o.oovRows };
}

/** 32-bit FNV-1a of prefix code unit + the string's UTF-16 code units. */
export function fnv1a(prefix: number, s: string): number {
  let h = 0x811c9dc5;
  h = Math.imul(h ^ prefix, 0x01000193);
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const M = 0x6d; // 'm'
const B = 0x62; // 'b'

/** Bucket ids and weights of one text (ids sorted ascending). */
export interface TextFeatures {
  ids: Int32Array;
  counts: Float32Array;
}

/** Checks a pruned vocabulary's kept buckets: rows − oovRows of them, distinct, ascending, below buckets. */
export function checkKeptBuckets(config: StaticFeatureConfig, keptBuckets: Int32Array): void {
  const want = config.rows! - config.oovRows!;
  if (keptBuckets.length !== want) throw invalidArgument(`kept buckets: expected ${want}, got ${keptBuckets.length}`);
  let prev = -1;
  for (const b of keptBuckets) {
    if (!(b > prev && b < config.buckets))
      throw invalidArgument('kept buckets must be distinct, ascending and below buckets');
    prev = b;
  }
}

/** The bucket → row map of a pruned vocabulary (kept buckets sorted ascending, one row each). */
export function bucketRows(config: StaticFeatureConfig, keptBuckets: Int32Array): Int32Array {
  checkKeptBuckets(config, keptBuckets);
  const rows = config.rows!;
  const oov = config.oovRows!;
  const map = new Int32Array(config.buckets);
  for (let b = 0; b < map.length; b++) map[b] = rows - oov + (b % oov);
  keptBuckets.forEach((b, i) => (map[b] = i));
  return map;
}

/** Per-id counts as TextFeatures, ids ascending. */
function packCounts(acc: Map<number, number>): TextFeatures {
  const ids = Int32Array.from(acc.keys()).sort();
  const counts = new Float32Array(ids.length);
  for (let i = 0; i < ids.length; i++) counts[i] = acc.get(ids[i]!)!;
  return { ids, counts };
}

export class Featurizer {
  private morph: Analyzer | undefined;
  private bigram: Analyzer | undefined;
  private readonly rowOf: Int32Array | undefined;
  /** `keptBuckets` is required when `config.rows` is set (a pruned vocabulary). */
  constructor(
    readonly config: StaticFeatureConfig,
    keptBuckets?: Int32Array,
  ) {
    checkFeatureConfig(config);
    if (config.rows !== undefined) {
      if (!keptBuckets) throw invalidArgument('a pruned-vocabulary feature configuration needs its kept buckets');
      this.rowOf = bucketRows(config, keptBuckets);
    }
    if (config.morphemes) this.morph = createAnalyzer(morphemeAnalyzerConfig(config.morphemes, config.stopTags));
    if (config.bigrams) this.bigram = createAnalyzer('bigram');
  }

  /** The name of the morpheme analyzer whose terms `counts` accepts pre-computed (undefined without morphemes). */
  get morphemeAnalyzer(): string | undefined {
    return this.morph?.name;
  }

  /** Raw row counts of a text (before the tf transform); `morphemes`: the text's terms by `morphemeAnalyzer`, if known. */
  counts(text: string, morphemes?: readonly string[]): TextFeatures {
    return this.countTerms(
      this.morph ? (morphemes ?? this.morph.analyze(text)) : undefined,
      this.bigram ? this.bigram.analyze(text) : undefined,
    );
  }

  /** Raw row counts of a text's morpheme and bigram terms. */
  private countTerms(morphemes: readonly string[] | undefined, bigrams: readonly string[] | undefined): TextFeatures {
    const acc = new Map<number, number>();
    const buckets = this.config.buckets;
    const rowOf = this.rowOf;
    const add = (prefix: number, terms: readonly string[]) => {
      for (const t of terms) {
        const b = fnv1a(prefix, t) % buckets;
        const id = rowOf ? rowOf[b]! : b;
        acc.set(id, (acc.get(id) ?? 0) + 1);
      }
    };
    if (morphemes) add(M, morphemes);
    if (bigrams) add(B, bigrams);
    return packCounts(acc);
  }

  /**
   * Maps features counted over bucket ids (by a featurizer of the same config without `rows`) onto
   * this featurizer's rows, merging buckets that share a row.
   */
  bucketsToRows(f: TextFeatures): TextFeatures {
    const rowOf = this.rowOf;
    if (!rowOf) return f;
    const acc = new Map<number, number>();
    for (let j = 0; j < f.ids.length; j++) {
      const r = rowOf[f.ids[j]!]!;
      acc.set(r, (acc.get(r) ?? 0) + f.counts[j]!);
    }
    return packCounts(acc);
  }

  /** tf transform of raw counts. */
  weight(count: number): number {
    return this.config.tf === 'log' ? 1 + Math.log(count) : 1;
  }

  /**
   * `batch` that keeps the event loop turning: the texts are analysed with `analyzeAll` (slices, or
   * the analyzer's worker threads; long texts window by window) and counted in slices.
   */
  async batchAsync(texts: readonly string[], signal?: AbortSignal): Promise<SparseBatch> {
    return toBatch(await this.countsAll(texts, signal), (c) => this.weight(c));
  }

  /** Raw row counts of many texts, analysed as `batchAsync` does (the event loop keeps turning). */
  async countsAll(texts: readonly string[], signal?: AbortSignal): Promise<TextFeatures[]> {
    const morph = this.morph ? await analyzeAll(this.morph, texts, { signal }) : undefined;
    const bigram = this.bigram ? await analyzeAll(this.bigram, texts, { signal }) : undefined;
    const slicer = new Slicer({ signal });
    const items: TextFeatures[] = [];
    for (let i = 0; i < texts.length; i++) {
      items.push(this.countTerms(morph?.[i], bigram?.[i]));
      await slicer.pause();
    }
    return items;
  }

  /** CSR batch of many texts. */
  batch(texts: readonly string[]): SparseBatch {
    return toBatch(
      texts.map((t) => this.counts(t)),
      (c) => this.weight(c),
    );
  }
}

/** Packs per-text counts into a CSR batch, applying the tf transform (zero counts are dropped). */
export function toBatch(items: readonly TextFeatures[], weight: (count: number) => number): SparseBatch {
  let nnz = 0;
  for (const f of items) nnz += f.ids.length;
  const offsets = new Int32Array(items.length + 1);
  const ids = new Int32Array(nnz);
  const weights = new Float32Array(nnz);
  let p = 0;
  items.forEach((f, t) => {
    for (let j = 0; j < f.ids.length; j++) {
      const c = f.counts[j]!;
      if (c <= 0) continue;
      ids[p] = f.ids[j]!;
      weights[p] = weight(c);
      p++;
    }
    offsets[t + 1] = p;
  });
  return { offsets, ids: ids.subarray(0, p), weights: weights.subarray(0, p) };
}
