/** Engine.search's options, checked once at the boundary. */
import { checkOptions, invalidArgument } from '../errors.js';
import { validateFusionConfig } from '../fuse/config.js';
import type { FusionConfig } from '../fuse/types.js';
import { checkQueryChars, DEFAULT_LIMITS, type Limits, resolveLimits } from '../util/limits.js';
import { checkSignal } from '../util/slices.js';
import { MAX_SEARCH_K } from './options.js';
import type { EngineSearchOptions, QueryConfig } from './types.js';

const SEARCH_OPTIONS = [
  'k',
  'filter',
  'fusion',
  'weights',
  'depth',
  'legs',
  'rerank',
  'highlight',
  'signal',
  'timeoutMs',
  'vector',
  'limits',
];

const QUERY_LIMIT_KEYS = ['maxQueryChars', 'maxQueryTerms'];

export interface CheckedSearch {
  k: number;
  depth: number;
  legs: readonly string[];
  fusion: FusionConfig;
  rerankN: number;
  /** Snippet length; 0 = no snippets. */
  maxChars: number;
  deadline: number;
  maxQueryTerms: number;
}

export function checkSearchOptions(
  query: unknown,
  options: EngineSearchOptions,
  defaults: QueryConfig,
  legNames: readonly string[],
  engineLimits: Readonly<Required<Limits>> = DEFAULT_LIMITS,
): CheckedSearch {
  if (options === null || typeof options !== 'object') throw invalidArgument('search: options must be an object');
  checkOptions('search', options, SEARCH_OPTIONS);
  if (typeof query !== 'string') throw invalidArgument('search: query must be a string');
  // first, before anything that costs: a 1 MB query is refused in microseconds
  const limits = resolveLimits('search', options.limits, engineLimits, QUERY_LIMIT_KEYS);
  checkQueryChars('search', query, limits.maxQueryChars);
  checkSignal('search', options.signal);
  const k = options.k ?? 10;
  if (!Number.isInteger(k) || k < 1 || k > MAX_SEARCH_K)
    throw invalidArgument(`search: k must be an integer in 1..${MAX_SEARCH_K}, got ${k}`);
  if (options.depth !== undefined && !(Number.isInteger(options.depth) && options.depth >= 1))
    throw invalidArgument(`search: depth must be an integer in 1..${MAX_SEARCH_K}`);
  const depth = Math.max(options.depth ?? defaults.depth, k);
  if (depth > MAX_SEARCH_K) throw invalidArgument(`search: depth must be an integer in 1..${MAX_SEARCH_K}`);
  const { rerank } = options;
  if (rerank !== undefined && typeof rerank !== 'boolean' && typeof rerank !== 'number')
    throw invalidArgument('search: rerank must be true, false or an integer in 0..1000');
  if (typeof rerank === 'number' && !(Number.isInteger(rerank) && rerank >= 0 && rerank <= 1000))
    throw invalidArgument('search: rerank must be true, false or an integer in 0..1000');
  const rerankN = rerank === false ? 0 : typeof rerank === 'number' ? rerank : defaults.rerankTopN;
  const { highlight } = options;
  if (
    highlight !== undefined &&
    typeof highlight !== 'boolean' &&
    (highlight === null || typeof highlight !== 'object')
  )
    throw invalidArgument('search: highlight must be true, false or { maxChars }');
  if (highlight && typeof highlight === 'object') checkOptions('search highlight', highlight, ['maxChars']);
  const maxChars = highlight === true ? 160 : highlight ? (highlight.maxChars ?? 160) : 0;
  if (maxChars !== 0 && !(Number.isInteger(maxChars) && maxChars > 0))
    throw invalidArgument('search: highlight.maxChars must be a positive integer');
  const { timeoutMs } = options;
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0))
    throw invalidArgument('search: timeoutMs must be a positive number');
  const legs = options.legs ?? legNames;
  if (!Array.isArray(legs)) throw invalidArgument('search: legs must be an array of leg names');
  for (const leg of legs)
    if (!legNames.includes(leg))
      throw invalidArgument(`search: leg "${leg}" is not configured (available: ${legNames.join(', ')})`);
  let fusion = options.fusion ? validateFusionConfig(options.fusion) : defaults.fusion;
  if (options.weights)
    fusion = validateFusionConfig({ ...fusion, weights: { ...(fusion.weights ?? {}), ...options.weights } });
  const deadline = timeoutMs === undefined ? Infinity : performance.now() + timeoutMs;
  return { k, depth, legs, fusion, rerankN, maxChars, deadline, maxQueryTerms: limits.maxQueryTerms };
}
