/**
 * Validates request bodies against the OpenSearch and Elasticsearch API specifications kept in
 * test/fixtures/search-engine-specs (copied unchanged from the shared reference; SOURCES.md there). The
 * specs are OpenAPI documents whose schemas Ajv (a JSON Schema validator) checks directly, after three
 * OpenAPI-isms are read as JSON Schema: `nullable` (→ a "null" type), `discriminator` (dropped: every
 * branch here is told apart by its `type` enum anyway) and `oneOf` (→ `anyOf`: the generated unions
 * overlap, e.g. a bulk action line is both an OperationContainer and "any object", so "exactly one"
 * would reject valid bodies).
 *
 * One known defect is patched, as FACTS.md §7 records: OpenSearch's ScoreNormalizationTechnique lacks
 * `z_score`, which servers accept from 3.0. Everything else is validated as the files say.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020.js';
import YAML from 'yaml';

const ROOT = new URL('../fixtures/search-engine-specs/', import.meta.url).pathname;
const OS_BASE = 'https://specs.invalid/opensearch/';
const ES_ID = 'https://specs.invalid/elasticsearch/openapi.json';

function asJsonSchema(node) {
  if (Array.isArray(node)) return node.map(asJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) out[key] = asJsonSchema(value);
  if (out.nullable === true) {
    delete out.nullable;
    out.type = typeof out.type === 'string' ? [out.type, 'null'] : 'null';
  }
  delete out.discriminator;
  if (out.oneOf) {
    out.anyOf = out.oneOf;
    delete out.oneOf;
  }
  return out;
}

function compiled(ajv, ref) {
  const validate = ajv.getSchema(ref);
  if (!validate) throw new Error(`no schema at ${ref}`);
  return (body) => (validate(body) ? [] : validate.errors.map((e) => `${e.instancePath || '/'} ${e.message}`));
}

let openSearch;
/** { index, pipeline, search, bulkAction }: each body → list of errors (empty when valid). */
export function openSearchSpec() {
  if (openSearch) return openSearch;
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: false });
  for (const dir of ['namespaces', 'schemas']) {
    for (const file of readdirSync(join(ROOT, 'opensearch/spec', dir))) {
      const doc = asJsonSchema(YAML.parse(readFileSync(join(ROOT, 'opensearch/spec', dir, file), 'utf8')));
      if (file === 'search_pipeline._common.yaml')
        doc.components.schemas.ScoreNormalizationTechnique.enum.push('z_score');
      ajv.addSchema(doc, `${OS_BASE}${dir}/${file}`);
    }
  }
  const body = (file, name, type = 'application~1json') =>
    `${OS_BASE}namespaces/${file}#/components/requestBodies/${name}/content/${type}/schema`;
  openSearch = {
    index: compiled(ajv, body('indices.yaml', 'indices.create')),
    pipeline: compiled(ajv, body('search_pipeline.yaml', 'search_pipeline.put')),
    search: compiled(ajv, body('_core.yaml', 'search')),
    bulkAction: compiled(ajv, `${OS_BASE}schemas/_core.bulk.yaml#/components/schemas/OperationContainer`),
  };
  return openSearch;
}

let elasticsearch;
export function elasticsearchSpec() {
  if (elasticsearch) return elasticsearch;
  const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: false });
  const file = join(ROOT, 'elasticsearch/output/openapi/PRUNED-serverless-indices_create-bulk-search.json');
  ajv.addSchema(asJsonSchema(JSON.parse(readFileSync(file, 'utf8'))), ES_ID);
  elasticsearch = {
    index: compiled(ajv, `${ES_ID}#/paths/~1%7Bindex%7D/put/requestBody/content/application~1json/schema`),
    search: compiled(ajv, `${ES_ID}#/components/requestBodies/search/content/application~1json/schema`),
    bulkAction: compiled(ajv, `${ES_ID}#/components/schemas/_global.bulk.OperationContainer`),
  };
  return elasticsearch;
}

export function specFor(target) {
  return target === 'opensearch' ? openSearchSpec() : elasticsearchSpec();
}
