/**
 * The search request of an exported index: an OpenSearch `hybrid` query (BM25 sub-query, then the k-NN
 * one; fused by the search pipeline) or an Elasticsearch `linear` / `rrf` retriever. `searchBody` builds a
 * request for given text and vector; `queryTemplate` writes the same request as a mustache search
 * template (`{{query_text}}`, `{{#toJson}}query_vector{{/toJson}}`, `{{size}}`), and
 * `renderQueryTemplate` fills it client-side.
 */
import { invalidArgument } from '../errors.js';
import type { FusionMapping } from './fusion.js';
import { efSearch, FIELDS } from './mappings.js';
import type { ExportSource } from './source.js';
import type { TargetSpec } from './target.js';

export interface SearchParams {
  text: string;
  /** The query's vector from the index's model (required with a dense leg). */
  vector?: readonly number[] | Float32Array;
  /** Results to return (default 10, at most the fusion window). */
  size?: number;
}

export interface QueryPlan {
  source: ExportSource;
  spec: TargetSpec;
  /** Absent for a BM25-only index. */
  fusion?: FusionMapping;
}

function lexicalQuery(plan: QueryPlan, text: unknown): Record<string, unknown> {
  const w = plan.source.bm25.titleWeight;
  if (w === undefined) return { match: { [FIELDS.all]: { query: text } } };
  return { combined_fields: { query: text, fields: [`${FIELDS.title}^${w}`, FIELDS.text] } };
}

/** The passages leg: a document scores as its best window (title and window text, plus their bigrams). */
function windowsQuery(plan: QueryPlan, text: unknown): Record<string, unknown> {
  const field = `${FIELDS.windows}.text`;
  const match = (f: string) => ({ match: { [f]: { query: text } } });
  const query = plan.source.passages?.bigrams
    ? { bool: { should: [match(field), match(`${field}.${FIELDS.bigrams}`)] } }
    : match(field);
  return { nested: { path: FIELDS.windows, score_mode: 'max', query } };
}

function vectorField(plan: QueryPlan): string {
  return plan.source.dense?.passages ? `${FIELDS.passages}.${FIELDS.vector}` : FIELDS.vector;
}

function denseK(plan: QueryPlan): number {
  const fusion = plan.fusion!;
  // the legs are in fusion order: BM25, the passages leg when exported, the dense leg last
  return fusion.depths[fusion.depths.length - 1]!;
}

/** The lexical sub-queries in fusion order: the BM25 leg, then the passages leg when exported. */
function lexicalQueries(plan: QueryPlan, text: unknown): Record<string, unknown>[] {
  return plan.source.passages ? [lexicalQuery(plan, text), windowsQuery(plan, text)] : [lexicalQuery(plan, text)];
}

function openSearchKnn(plan: QueryPlan, vector: unknown): Record<string, unknown> {
  const knn = { knn: { [vectorField(plan)]: { vector, k: denseK(plan) } } };
  if (!plan.source.dense?.passages) return knn;
  return { nested: { path: FIELDS.passages, score_mode: 'max', query: knn } };
}

function elasticRetrievers(plan: QueryPlan, text: unknown, vector: unknown): Record<string, unknown>[] {
  const k = denseK(plan);
  return [
    ...lexicalQueries(plan, text).map((query) => ({ standard: { query } })),
    {
      knn: {
        field: vectorField(plan),
        query_vector: vector,
        k,
        num_candidates: Math.min(10_000, Math.max(k, efSearch(plan.source))),
      },
    },
  ];
}

function elasticRetriever(plan: QueryPlan, text: unknown, vector: unknown): Record<string, unknown> {
  const fusion = plan.fusion!;
  const target = fusion.target;
  const children = elasticRetrievers(plan, text, vector);
  if (target.kind === 'linear')
    return {
      linear: {
        rank_window_size: fusion.window,
        retrievers: children.map((retriever, i) => ({
          retriever,
          weight: target.weights[i],
          normalizer: target.normalizer,
        })),
      },
    };
  if (target.kind !== 'rrf')
    throw invalidArgument(`an OpenSearch ${target.kind} fusion has no Elasticsearch retriever`);
  return {
    rrf: {
      rank_window_size: fusion.window,
      rank_constant: target.rankConstant,
      retrievers: target.weights
        ? children.map((retriever, i) => ({ retriever, weight: target.weights![i] }))
        : children,
    },
  };
}

/** The request body (search API) for `params` on the exported index. */
export function searchBody(plan: QueryPlan, params: SearchParams): Record<string, unknown> {
  return buildBody(plan, params.text, params.vector && Array.from(params.vector), params.size ?? 10);
}

function buildBody(plan: QueryPlan, text: unknown, vector: unknown, size: unknown): Record<string, unknown> {
  if (!plan.source.dense || !plan.fusion) return { size, query: lexicalQuery(plan, text) };
  const window = plan.fusion.window;
  if (typeof size === 'number' && !(Number.isInteger(size) && size >= 1 && size <= window))
    throw invalidArgument(`size must be an integer in 1..${window} (the fusion window), got ${size}`);
  if (typeof vector !== 'string' && !Array.isArray(vector))
    throw invalidArgument('a search of an index with a dense leg needs the query vector');
  if (Array.isArray(vector) && vector.length !== plan.source.dense.dim)
    throw invalidArgument(`the query vector has ${vector.length} values, the index ${plan.source.dense.dim}`);
  const excludes = {
    excludes: [
      plan.source.dense.passages ? FIELDS.passages : FIELDS.vector,
      ...(plan.source.passages ? [FIELDS.windows] : []),
    ],
  };
  if (plan.spec.target === 'elasticsearch')
    return { size, _source: excludes, retriever: elasticRetriever(plan, text, vector) };
  return {
    size,
    _source: excludes,
    query: {
      hybrid: { pagination_depth: window, queries: [...lexicalQueries(plan, text), openSearchKnn(plan, vector)] },
    },
  };
}

const TEXT = '\u0000query_text\u0000';
const VECTOR = '\u0000query_vector\u0000';
const SIZE = '\u0000size\u0000';
const quoted = (sentinel: string) => JSON.stringify(sentinel);

/** The request as a mustache search template (`PUT _scripts/<id>` body). */
export function queryTemplate(plan: QueryPlan): { script: { lang: 'mustache'; source: string } } {
  const source = JSON.stringify(buildBody(plan, TEXT, VECTOR, SIZE))
    .replaceAll(quoted(TEXT), '"{{query_text}}"')
    .replaceAll(quoted(VECTOR), '{{#toJson}}query_vector{{/toJson}}')
    .replaceAll(quoted(SIZE), '{{size}}');
  return { script: { lang: 'mustache', source } };
}

/** Fills a template from `queryTemplate` (what the cluster's mustache does) and parses the request. */
export function renderQueryTemplate(
  source: string,
  params: { query_text: string; query_vector?: readonly number[]; size: number },
): Record<string, unknown> {
  if (typeof params.query_text !== 'string') throw invalidArgument('query_text must be a string');
  if (!Number.isInteger(params.size) || params.size < 1) throw invalidArgument('size must be a positive integer');
  const filled = source
    .replaceAll('{{query_text}}', JSON.stringify(params.query_text).slice(1, -1))
    .replaceAll('{{#toJson}}query_vector{{/toJson}}', JSON.stringify(params.query_vector ?? null))
    .replaceAll('{{size}}', String(params.size));
  return JSON.parse(filled) as Record<string, unknown>;
}
