/**
 * The project's own checks on exported bodies: rules of the targets that their API specifications do
 * not encode (FACTS.md §1–§7). The export refuses to write a body that breaks one; the contract tests
 * plant a mistake for each rule.
 *
 * - hybrid: the top-level query only, 1 to 5 sub-queries;
 * - weights (pipeline processors, Elasticsearch linear / rrf entries): each in [0, 1], summing to 1, one
 *   per sub-query (Elasticsearch takes any non-negative weights; the export normalises them all the same);
 * - z_score and min-max bounds on OpenSearch 3.x only, z_score with arithmetic_mean only; RRF rank constant
 *   an integer in 1..10000;
 * - nori stop tags valid for the target's Lucene (no E / J on Lucene 10, no fine-grained E* / J* on Lucene 9);
 * - no nori filter defined as a custom type (`nori_readingform` / `nori_number` are named, never defined;
 *   nori registers no char filters), and not both user_dictionary and user_dictionary_rules;
 * - vector dimensions within the target's range, `index.knn` on an OpenSearch index with a knn_vector.
 */
import { noriTags } from './analysis.js';
import type { TargetSpec } from './target.js';

export interface ExportBodies {
  index?: unknown;
  pipeline?: unknown;
  search?: unknown;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Every object under `node` (itself included) with its JSON path. */
function* objects(node: unknown, path = '$'): Generator<[Json, string]> {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) yield* objects(node[i], `${path}[${i}]`);
    return;
  }
  if (!isObject(node)) return;
  yield [node, path];
  for (const [key, value] of Object.entries(node)) yield* objects(value, `${path}.${key}`);
}

const WEIGHT_TOLERANCE = 1e-6;

function checkWeights(weights: unknown, where: string, expected: number | undefined, out: string[]): void {
  if (!Array.isArray(weights) || weights.some((w) => typeof w !== 'number' || !Number.isFinite(w))) {
    out.push(`${where}: weights must be an array of numbers`);
    return;
  }
  if (weights.some((w) => w < 0 || w > 1))
    out.push(`${where}: every weight must be in [0, 1], got ${JSON.stringify(weights)}`);
  const sum = weights.reduce((a: number, b: number) => a + b, 0);
  if (Math.abs(sum - 1) > WEIGHT_TOLERANCE) out.push(`${where}: weights must sum to 1, got ${sum}`);
  if (expected !== undefined && weights.length !== expected)
    out.push(`${where}: ${weights.length} weights for ${expected} sub-queries`);
}

function hybridRules(search: unknown, out: string[]): number | undefined {
  let count: number | undefined;
  for (const [node, path] of objects(search)) {
    if (!('hybrid' in node)) continue;
    if (path !== '$.query') {
      out.push(`${path}: hybrid must be the top-level query`);
      continue;
    }
    const queries = (node.hybrid as Json | undefined)?.queries;
    count = Array.isArray(queries) ? queries.length : 0;
    if (count < 1 || count > 5) out.push(`${path}.hybrid: ${count} sub-queries (1 to 5 allowed)`);
    const depth = (node.hybrid as Json).pagination_depth;
    if (depth !== undefined && !(Number.isInteger(depth) && (depth as number) >= 1 && (depth as number) <= 10_000))
      out.push(`${path}.hybrid.pagination_depth must be an integer in 1..10000`);
  }
  return count;
}

function pipelineRules(pipeline: unknown, spec: TargetSpec, subQueries: number | undefined, out: string[]): void {
  const os3 = spec.target === 'opensearch' && spec.version === '3.x';
  for (const [node, path] of objects(pipeline)) {
    const norm = node['normalization-processor'];
    if (isObject(norm)) {
      const technique = (norm.normalization as Json | undefined)?.technique;
      const combination = norm.combination as Json | undefined;
      if (technique === 'z_score' && !os3) out.push(`${path}: z_score needs OpenSearch 3.x`);
      if (technique === 'z_score' && (combination?.technique ?? 'arithmetic_mean') !== 'arithmetic_mean')
        out.push(`${path}: z_score works only with arithmetic_mean`);
      const bounds = ((norm.normalization as Json | undefined)?.parameters as Json | undefined)?.lower_bounds;
      if (bounds !== undefined && !os3) out.push(`${path}: lower_bounds need OpenSearch 3.x`);
      if (Array.isArray(bounds) && subQueries !== undefined && bounds.length !== subQueries)
        out.push(`${path}: ${bounds.length} lower bounds for ${subQueries} sub-queries`);
      const weights = (combination?.parameters as Json | undefined)?.weights;
      if (weights !== undefined) checkWeights(weights, `${path} normalization weights`, subQueries, out);
    }
    const ranker = node['score-ranker-processor'];
    if (isObject(ranker)) {
      const combination = (ranker.combination ?? {}) as Json;
      const k = combination.rank_constant ?? 60;
      if (!(Number.isInteger(k) && (k as number) >= 1 && (k as number) <= 10_000))
        out.push(`${path}: rank_constant must be an integer in 1..10000, got ${String(k)}`);
      const weights = (combination.parameters as Json | undefined)?.weights;
      if (weights !== undefined && !os3) out.push(`${path}: score-ranker weights need OpenSearch 3.x (3.1+)`);
      if (weights !== undefined) checkWeights(weights, `${path} rrf weights`, subQueries, out);
    }
  }
}

function retrieverRules(search: unknown, out: string[]): void {
  for (const [node, path] of objects(search)) {
    for (const kind of ['linear', 'rrf'] as const) {
      const retriever = node[kind];
      if (!isObject(retriever) || !Array.isArray(retriever.retrievers)) continue;
      const entries = retriever.retrievers as unknown[];
      const weights = entries.map((e) => (isObject(e) && 'retriever' in e ? e.weight : undefined));
      if (kind === 'linear' || weights.some((w) => w !== undefined))
        checkWeights(weights, `${path}.${kind} weights`, entries.length, out);
      const k = retriever.rank_constant;
      if (kind === 'rrf' && k !== undefined && !(Number.isInteger(k) && (k as number) >= 1))
        out.push(`${path}.rrf.rank_constant must be an integer ≥ 1`);
    }
  }
}

function analysisRules(index: unknown, spec: TargetSpec, out: string[]): void {
  const analysis = ((index as Json | undefined)?.settings as Json | undefined)?.index as Json | undefined;
  const chain = (analysis?.analysis ?? {}) as Json;
  const valid = new Set(noriTags(spec.lucene));
  for (const section of ['filter', 'analyzer', 'char_filter', 'tokenizer'] as const) {
    for (const [name, def] of Object.entries((chain[section] ?? {}) as Json)) {
      if (!isObject(def)) continue;
      const where = `analysis.${section}.${name}`;
      const type = String(def.type ?? '');
      if (Array.isArray(def.stoptags)) {
        const bad = def.stoptags.filter((t) => !valid.has(String(t)));
        if (bad.length > 0)
          out.push(`${where}: stop tags ${bad.join(', ')} are not nori tags on Lucene ${spec.lucene}`);
      }
      if (section === 'filter' && type.startsWith('nori_') && type !== 'nori_part_of_speech')
        out.push(`${where}: ${type} has no options: name it in the analyzer's filter list, do not define it`);
      if (section === 'char_filter' && (type.startsWith('nori') || type.startsWith('normalize_kan')))
        out.push(`${where}: nori registers no char filter (${type})`);
      if (section === 'tokenizer' && def.user_dictionary !== undefined && def.user_dictionary_rules !== undefined)
        out.push(`${where}: user_dictionary and user_dictionary_rules cannot both be set`);
    }
  }
}

function vectorRules(index: unknown, spec: TargetSpec, out: string[]): void {
  let knn = false;
  for (const [node, path] of objects((index as Json | undefined)?.mappings)) {
    if (node.type === 'knn_vector') {
      knn = true;
      const d = node.dimension;
      if (!(Number.isInteger(d) && (d as number) >= 1 && (d as number) <= 16_000))
        out.push(`${path}: knn_vector dimension must be an integer in 1..16000`);
    }
    if (
      node.type === 'dense_vector' &&
      !(Number.isInteger(node.dims) && (node.dims as number) >= 1 && (node.dims as number) <= 4096)
    )
      out.push(`${path}: dense_vector dims must be an integer in 1..4096`);
  }
  const settings = ((index as Json | undefined)?.settings as Json | undefined)?.index as Json | undefined;
  if (knn && spec.target === 'opensearch' && settings?.knn !== true)
    out.push('settings.index.knn must be true for a knn_vector field');
}

/** The rules an exported set of bodies breaks (empty when none). */
export function checkExportRules(spec: TargetSpec, bodies: ExportBodies): string[] {
  const out: string[] = [];
  const subQueries = bodies.search === undefined ? undefined : hybridRules(bodies.search, out);
  if (bodies.pipeline !== undefined) pipelineRules(bodies.pipeline, spec, subQueries, out);
  if (bodies.search !== undefined) retrieverRules(bodies.search, out);
  if (bodies.index !== undefined) {
    analysisRules(bodies.index, spec, out);
    vectorRules(bodies.index, spec, out);
  }
  return out;
}
