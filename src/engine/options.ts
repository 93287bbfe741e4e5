/**
 * Engine.create's options, checked and resolved: the analyzer, the ordered leg specs (the `bm25` /
 * `dense` / `chunk` sugar expanded), the reranker and the query-time defaults.
 */
import { createAnalyzer, withBigrams } from '../analyze/index.js';
import type { Analyzer } from '../analyze/types.js';
import { checkOptions, invalidArgument, TamsaekError } from '../errors.js';
import { validateFusionConfig } from '../fuse/config.js';
import type { FusionConfig } from '../fuse/types.js';
import { LEG_NAME } from '../legs/types.js';
import type { Reranker } from '../rerank/types.js';
import { checkChunkOptions } from '../util/chunker.js';
import type { EngineOptions, LegSpec, QueryConfig, RerankOptions } from './types.js';

// Chosen on validation splits over RRF k = 60 (docs/fusion.md): better on every one, with passage and whole-document vectors.
export const DEFAULT_FUSION: FusionConfig = { method: 'cc', normalizer: 'mm' };
/**
 * The default hybrid's legs and weights: BM25 over pages, BM25 over 150-character passages, the dense
 * leg (adapted to the corpus). Chosen without the evaluated corpora: the weight triple with the best
 * mean gain over BM25 (and a positive worst case, smoothed over its ±0.1 neighbourhood) on validation
 * sets — welfare-ssis train queries held out, and inverse-cloze / span queries from autorag-ko
 * documents — under the unseen-corpus protocol (docs/fusion.md, *The zero-shot default*).
 */
export const DEFAULT_PASSAGES = { by: 'chars', size: 150, overlap: 50 } as const;
export const HYBRID_FUSION: FusionConfig = {
  method: 'cc',
  normalizer: 'mm',
  weights: { bm25: 0.4, passages: 0.3, dense: 0.3 },
};
export const DEFAULT_DEPTH = 100;
/**
 * The depth of the zero-shot default (three legs): the smallest depth whose nDCG@10 on the validation sets
 * is within 0.001 on average, and 0.002 on each, of depth 100's (docs/fusion.md) — and no more than the
 * dense leg's default HNSW efSearch, so the vector search needs no wider beam than it is built for.
 */
export const HYBRID_DEPTH = 64;
export const MAX_SEARCH_K = 10_000;
const ENGINE_OPTIONS = ['analyzer', 'bm25', 'dense', 'passages', 'legs', 'rerank', 'fusion', 'depth', 'chunk'];

export interface RerankConfig {
  /** The model name the manifest records (undefined for an instance the caller gave). */
  model?: string;
  topN: number;
  threshold?: number;
}

export interface ResolvedOptions {
  analyzer: Analyzer;
  legs: LegSpec[];
  query: QueryConfig;
  rerank?: { given: Reranker | string; config: RerankConfig; topNGiven: boolean };
}

export function resolveAnalyzer(analyzer: EngineOptions['analyzer']): Analyzer {
  return typeof analyzer === 'object' && 'analyze' in analyzer ? analyzer : createAnalyzer(analyzer);
}

export function checkDepth(depth: unknown, where = 'depth'): number {
  if (!Number.isInteger(depth) || (depth as number) < 1 || (depth as number) > MAX_SEARCH_K)
    throw invalidArgument(`${where} must be an integer in 1..${MAX_SEARCH_K}, got ${String(depth)}`);
  return depth as number;
}

export function resolveOptions(options: EngineOptions): ResolvedOptions {
  checkOptions('Engine.create', options, ENGINE_OPTIONS);
  const analyzer = resolveAnalyzer(options.analyzer);
  const legs = options.legs === undefined ? defaultLegs(options, analyzer) : checkLegSpecs(options);
  const hybrid = options.legs === undefined && legs.some((l) => l.name === 'passages');
  const depth = checkDepth(options.depth ?? (hybrid && options.fusion === undefined ? HYBRID_DEPTH : DEFAULT_DEPTH));
  const fusion = validateFusionConfig(options.fusion ?? (hybrid ? HYBRID_FUSION : DEFAULT_FUSION));
  const rerank = options.rerank && resolveRerank(options.rerank);
  return { analyzer, legs, query: { fusion, depth, rerankTopN: rerank?.config.topN ?? 0 }, rerank };
}

/**
 * `bm25`, then — with a dense model — `passages` (BM25 over 150-character windows; `passages: false`
 * leaves it out) and `dense`; `chunk` splits documents into passages for BM25 and dense instead.
 */
function defaultLegs(options: EngineOptions, analyzer: Analyzer): LegSpec[] {
  const chunk = options.chunk === undefined ? undefined : checkChunkOptions(options.chunk);
  const legs: LegSpec[] = [
    { name: 'bm25', kind: 'bm25', options: { ...options.bm25, ...(chunk ? { passages: chunk } : {}) } },
  ];
  const split = options.passages === undefined ? DEFAULT_PASSAGES : options.passages;
  if (options.passages !== undefined && options.passages !== false) checkChunkOptions(options.passages);
  // the passage leg reads the analyzer's terms plus syllable bigrams (better on every validation set)
  const ownAnalyzer = typeof options.analyzer === 'object' && 'analyze' in options.analyzer;
  const passageAnalyzer = ownAnalyzer ? {} : { analyzer: withBigrams(analyzer.config) };
  // it rescores bm25's and dense's best 30 documents each, by their best window: on the validation sets
  // nearly the fused ranking of searching every window (docs/fusion.md) at a fraction of the cost
  if (options.dense && split && !chunk)
    legs.push({
      name: 'passages',
      kind: 'bm25',
      options: { ...options.bm25, ...passageAnalyzer, passages: { ...split }, rescore: true, rescoreDepth: 30 },
    });
  if (options.dense) {
    checkOptions('Engine.create dense', options.dense, [
      'embedder',
      'dim',
      'index',
      'metric',
      'hnsw',
      'chunk',
      'adapt',
      'morphemes',
    ]);
    const asked = options.dense.chunk;
    if (asked !== undefined && asked !== false && chunk)
      throw invalidArgument('dense.chunk and chunk: give one (chunk splits the documents for every leg)');
    legs.push({
      name: 'dense',
      kind: 'dense',
      options: chunk && asked === undefined ? { ...options.dense, chunk } : options.dense,
    });
  }
  return legs;
}

function checkLegSpecs(options: EngineOptions): LegSpec[] {
  for (const sugar of ['bm25', 'dense', 'chunk', 'passages'] as const)
    if (options[sugar] !== undefined)
      throw invalidArgument(`Engine.create: with legs, give the ${sugar} options in that leg's spec`);
  if (!Array.isArray(options.legs) || options.legs.length === 0)
    throw invalidArgument('Engine.create: legs must be a non-empty array of { name, kind, options? }');
  const names = new Set<string>();
  return options.legs.map((spec, i) => {
    if (spec === null || typeof spec !== 'object') throw invalidArgument(`legs[${i}] must be { name, kind, options? }`);
    checkOptions(`legs[${i}]`, spec, ['name', 'kind', 'options']);
    if (typeof spec.name !== 'string' || !LEG_NAME.test(spec.name) || spec.name === 'rerank')
      throw invalidArgument(
        `legs[${i}].name must be 1-32 letters, digits, _ or - (not "rerank"), got ${JSON.stringify(spec.name)}`,
      );
    if (names.has(spec.name)) throw new TamsaekError('DUPLICATE_ID', `two legs are named "${spec.name}"`);
    names.add(spec.name);
    if (typeof spec.kind !== 'string') throw invalidArgument(`legs[${i}].kind must be a string`);
    return { name: spec.name, kind: spec.kind, options: spec.options };
  });
}

function resolveRerank(options: RerankOptions): { given: Reranker | string; config: RerankConfig; topNGiven: boolean } {
  checkOptions('Engine.create rerank', options, ['reranker', 'topN', 'threshold']);
  // without topN: 20, or the loaded reranker's defaultTopN (Engine.create)
  const { reranker: given, topN = 20, threshold } = options;
  if (!Number.isInteger(topN) || topN < 1 || topN > 1000)
    throw invalidArgument(`rerank.topN must be an integer in 1..1000, got ${topN}`);
  if (threshold !== undefined && !Number.isFinite(threshold))
    throw invalidArgument('rerank.threshold must be a finite number');
  if (typeof given !== 'string' && !(given && typeof given.score === 'function'))
    throw invalidArgument('rerank.reranker must be a model directory / Hub id or an object with score()');
  const config: RerankConfig = { topN, ...(threshold !== undefined ? { threshold } : {}) };
  if (typeof given === 'string') config.model = given;
  return { given, config, topNGiven: options.topN !== undefined };
}

/** A tuned or configured query-time setting, checked: what `configure` applies. */
export function checkQueryConfig(
  current: QueryConfig,
  change: Partial<QueryConfig>,
  hasReranker: boolean,
): QueryConfig {
  checkOptions('configure', change, ['fusion', 'depth', 'rerankTopN']);
  const next = { ...current };
  if (change.fusion !== undefined) next.fusion = validateFusionConfig(change.fusion);
  if (change.depth !== undefined) next.depth = checkDepth(change.depth);
  if (change.rerankTopN !== undefined && hasReranker) {
    if (!Number.isInteger(change.rerankTopN) || change.rerankTopN < 0 || change.rerankTopN > 1000)
      throw invalidArgument('rerankTopN must be an integer in 0..1000');
    next.rerankTopN = change.rerankTopN;
  }
  return next;
}
