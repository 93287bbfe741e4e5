/** Search requests (a JSON body or URL parameters) turned into checked Engine.search options. */
import type { EngineSearchOptions } from '../engine/types.js';
import { badRequest, checkFields, isPlainObject } from './http.js';

const SEARCH_FIELDS = ['query', 'k', 'filter', 'weights', 'legs', 'rerank', 'highlight', 'fusion', 'vector', 'explain'];
const SEARCH_PARAMS = ['q', 'k', 'legs', 'highlight'];

function checkK(k: unknown, maxK: number): number | undefined {
  if (k === undefined) return undefined;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > maxK)
    throw badRequest(`k must be an integer in 1..${maxK}, got ${JSON.stringify(k)}`);
  return k;
}

function checkLegs(legs: unknown): string[] | undefined {
  if (legs === undefined) return undefined;
  if (!Array.isArray(legs) || legs.length === 0 || legs.some((l) => typeof l !== 'string'))
    throw badRequest('legs must be a non-empty array of leg names');
  return legs as string[];
}

export function searchOptionsFromBody(
  body: Record<string, unknown>,
  maxK: number,
): { query: string; options: EngineSearchOptions; explain: boolean } {
  checkFields('search', body, SEARCH_FIELDS);
  if (body.explain !== undefined && typeof body.explain !== 'boolean')
    throw badRequest('search: "explain" must be a boolean');
  const { query, filter, weights, rerank, highlight, fusion } = body;
  if (typeof query !== 'string') throw badRequest('search: "query" must be a string');
  const options: EngineSearchOptions = {};
  const k = checkK(body.k, maxK);
  if (k !== undefined) options.k = k;
  if (filter !== undefined) {
    if (!isPlainObject(filter))
      throw badRequest(
        'search: "filter" must be an object of field values (e.g. {"area": "finance"} or {"area": ["a", "b"]})',
      );
    for (const [key, value] of Object.entries(filter)) {
      const ok = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
      if (!(ok(value) || (Array.isArray(value) && value.every(ok))))
        throw badRequest(`search: filter "${key}" must be a scalar or an array of scalars`);
    }
    options.filter = filter;
  }
  if (weights !== undefined) {
    if (!isPlainObject(weights) || Object.values(weights).some((w) => typeof w !== 'number' || !Number.isFinite(w)))
      throw badRequest('search: "weights" must map leg names to finite numbers');
    options.weights = weights as Record<string, number>;
  }
  const legs = checkLegs(body.legs);
  if (legs) options.legs = legs;
  if (rerank !== undefined) {
    if (
      typeof rerank !== 'boolean' &&
      !(typeof rerank === 'number' && Number.isInteger(rerank) && rerank >= 0 && rerank <= 1000)
    )
      throw badRequest('search: "rerank" must be a boolean or an integer in 0..1000');
    options.rerank = rerank;
  }
  if (highlight !== undefined) {
    if (typeof highlight !== 'boolean' && !isPlainObject(highlight))
      throw badRequest('search: "highlight" must be a boolean or { maxChars }');
    if (isPlainObject(highlight)) checkFields('search highlight', highlight, ['maxChars']);
    options.highlight = highlight as EngineSearchOptions['highlight'];
  }
  if (fusion !== undefined) {
    if (!isPlainObject(fusion)) throw badRequest('search: "fusion" must be an object');
    options.fusion = fusion as unknown as EngineSearchOptions['fusion'];
  }
  if (body.vector !== undefined) {
    if (!Array.isArray(body.vector) || body.vector.some((v) => typeof v !== 'number'))
      throw badRequest('search: "vector" must be an array of numbers');
    options.vector = body.vector as number[];
  }
  return { query, options, explain: body.explain === true };
}

export function searchOptionsFromQuery(
  params: URLSearchParams,
  maxK: number,
): { query: string; options: EngineSearchOptions } {
  for (const key of params.keys()) {
    if (!SEARCH_PARAMS.includes(key))
      throw badRequest(`search: unknown parameter "${key}" (known: ${SEARCH_PARAMS.join(', ')})`, 'UNKNOWN_OPTION');
  }
  const query = params.get('q');
  if (query === null) throw badRequest('search: the "q" parameter is required');
  const options: EngineSearchOptions = {};
  const kText = params.get('k');
  if (kText !== null) options.k = checkK(/^\d+$/.test(kText) ? Number(kText) : kText, maxK);
  const legs = params.get('legs');
  if (legs !== null) options.legs = checkLegs(legs.split(',').filter(Boolean));
  const hl = params.get('highlight');
  if (hl !== null) {
    if (!['true', 'false', '1', '0', ''].includes(hl)) throw badRequest('search: "highlight" must be true or false');
    options.highlight = hl === 'true' || hl === '1' || hl === '';
  }
  return { query, options };
}
