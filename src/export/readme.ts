/** README-export.md: how to load and search the export, the fusion mapping, and every known difference. */
import type { FusionConfig } from '../fuse/types.js';
import type { BulkReport } from './bulk.js';
import type { Difference } from './differences.js';
import type { FusionMapping } from './fusion.js';
import { UNSUPPORTED_LEGS } from './source.js';
import { describeTarget, type TargetSpec } from './target.js';

export interface ReadmeFacts {
  spec: TargetSpec;
  indexName: string;
  pipelineId?: string;
  templateId: string;
  sourceDir: string;
  generation: number;
  tamsaekVersion: string;
  denseModel?: string;
  fusion?: { tamsaek: FusionConfig; mapping: FusionMapping };
  bulk: BulkReport;
  /** The export an incremental export builds on. */
  since?: { dir: string; generation: number };
  /** Largest bulk part, in bytes. */
  partBytes: number;
  differences: Difference[];
  /** A rendered search request (placeholders for text and vector). */
  exampleSearch: unknown;
}

const fence = (lang: string, body: string) => `\`\`\`${lang}\n${body}\n\`\`\``;
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

function loadSection(f: ReadmeFacts): string {
  const os = f.spec.target === 'opensearch';
  const lines = [
    'URL=http://localhost:9200   # your cluster',
    ...(f.pipelineId
      ? [
          `curl -XPUT "$URL/_search/pipeline/${f.pipelineId}" -H 'content-type: application/json' --data-binary @pipeline.json`,
        ]
      : []),
    `curl -XPUT "$URL/${f.indexName}" -H 'content-type: application/json' --data-binary @index.json`,
    `for part in bulk/*.ndjson; do curl -s -XPOST "$URL/_bulk" -H 'content-type: application/x-ndjson' --data-binary "@$part" | grep -q '"errors":false' || echo "errors in $part"; done`,
    `curl -XPUT "$URL/_scripts/${f.templateId}" -H 'content-type: application/json' --data-binary @query-template.json`,
  ];
  return [
    '## Load it',
    '',
    `Needs the analysis-nori plugin${os ? ' and the k-NN and neural-search plugins' : ''} on every node.`,
    '',
    fence('sh', lines.join('\n')),
    '',
    `Each bulk part is one request of at most ${(f.partBytes / 1024 / 1024).toFixed(1)} MiB; every document is an \`index\` action, so re-sending a part replaces its documents.`,
  ].join('\n');
}

function searchSection(f: ReadmeFacts): string {
  const params = f.pipelineId ? `?search_pipeline=${f.pipelineId}` : '';
  const out = ['## Search', ''];
  if (f.denseModel)
    out.push(
      `Embed the query with the index's model (\`${f.denseModel}\`) on the client: \`tamsaek embed <model> "<query>" --query --json\` prints its vector.`,
      '',
    );
  out.push(
    `\`POST /${f.indexName}/_search${params}\` with a body like this one (\`query_text\` and \`query_vector\` filled in; \`renderQueryTemplate\` from tamsaek fills query-template.json the way the cluster's mustache does):`,
    '',
    fence('json', JSON.stringify(f.exampleSearch, null, 2)),
    '',
    `or the stored template: \`POST /${f.indexName}/_search/template${params}\` with \`{"id": "${f.templateId}", "params": {"query_text": "…", "query_vector": [ … ], "size": 10}}\`.`,
  );
  if (f.pipelineId)
    out.push(
      '',
      `Without \`search_pipeline\` (or \`index.search.default_pipeline: ${f.pipelineId}\` in the index settings) the hybrid query is not fused.`,
    );
  return out.join('\n');
}

function fusionSection(f: ReadmeFacts): string {
  if (!f.fusion) return '## Fusion\n\nThe index has no dense leg: the query is BM25 alone, nothing is fused.';
  const { tamsaek, mapping } = f.fusion;
  return [
    '## Fusion',
    '',
    `tamsaek: \`${JSON.stringify(tamsaek)}\`, legs ${mapping.legs.join(', ')} with ${mapping.depths.join(' / ')} candidates.`,
    '',
    `${describeTarget(f.spec)}: \`${JSON.stringify(mapping.target)}\` over a window of ${mapping.window} hits per sub-query (${f.spec.target === 'opensearch' ? 'pagination_depth' : 'rank_window_size'}).`,
  ].join('\n');
}

/** What `tamsaek export` refuses with NOT_SUPPORTED (this index had none of it), for a user changing the index later. */
function refusedSection(): string {
  return [
    '## What an export refuses',
    '',
    'These have no counterpart on the cluster; `tamsaek export` stops with a NOT_SUPPORTED error naming the fix:',
    '',
    ...UNSUPPORTED_LEGS.map((what) => `- ${what};`),
    '- an analyzer other than ko-mecab, ko-morph and whitespace (n-grams, combinations), and user words or stop tags nori cannot read;',
    '- fusions the target cannot express: dbsf and rank normalizers, `missing: "min"` beyond min-max, z-score and theoretical min-max before OpenSearch 3.0 or on Elasticsearch, per-leg RRF weights before OpenSearch 3.1 / Elasticsearch 9.x, a BM25 depth below the dense leg\'s.',
  ].join('\n');
}

export function exportReadme(f: ReadmeFacts): string {
  const rows = f.differences.map((d) => `| ${d.area} | ${cell(d.difference)} | ${cell(d.effect)} |`);
  return [
    `# ${f.indexName} → ${describeTarget(f.spec)}`,
    '',
    `Exported by tamsaek ${f.tamsaekVersion} from \`${f.sourceDir}\` (generation ${f.generation}): ${f.bulk.documents} documents, ${f.bulk.vectors} vectors, ${f.bulk.parts.length} bulk part${f.bulk.parts.length === 1 ? '' : 's'} (${(f.bulk.bytes / 1024 / 1024).toFixed(1)} MiB).`,
    ...(f.since
      ? [
          '',
          `**Incremental** since \`${f.since.dir}\` (generation ${f.since.generation}): ${f.bulk.written} changed or new documents, ${f.bulk.deleted} deletions, ${f.bulk.unchanged} unchanged documents left out. Send only the bulk parts to the existing index (its settings and mappings are unchanged; PUT pipeline.json again if the fusion changed).`,
        ]
      : []),
    '',
    '| file | request |',
    '|---|---|',
    `| index.json | \`PUT /${f.indexName}\` |`,
    ...(f.pipelineId ? [`| pipeline.json | \`PUT /_search/pipeline/${f.pipelineId}\` |`] : []),
    '| bulk/bulk-NNNNNN.ndjson | `POST /_bulk` (one request per part) |',
    `| query-template.json | \`PUT /_scripts/${f.templateId}\` (mustache search template) |`,
    '| export.json | this export as data: source, fusion mapping, differences |',
    '| documents.tsv | a digest per document: the base of a later `--since` export |',
    '',
    loadSection(f),
    '',
    searchSection(f),
    '',
    fusionSection(f),
    '',
    '## Where the cluster differs from tamsaek',
    '',
    '| area | difference | expected effect |',
    '|---|---|---|',
    ...rows,
    '',
    refusedSection(),
    '',
    '## Measure before migrating',
    '',
    `\`tamsaek eval <beir-dir> --retriever hybrid --index ${f.sourceDir} --fusion-as ${f.spec.target} --target-version ${f.spec.version}\` scores your labelled queries with tamsaek's fusion and with the ${describeTarget(f.spec)} formulas over the same leg results, and reports the difference. The analyzer and BM25 differences above come on top; measure them on the cluster itself.`,
    '',
  ].join('\n');
}
