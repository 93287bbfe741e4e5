/**
 * `exportIndex`: a saved tamsaek index as files an OpenSearch or Elasticsearch cluster loads — index
 * settings and mappings, the fusion (search pipeline or retriever), bulk NDJSON with every document and
 * its stored vectors, a search template, export.json and README-export.md listing where the cluster will
 * differ. The output appears whole or not at all: it is written to a temporary sibling folder, which is
 * renamed into place at the end.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { checkOptions, invalidArgument, TamsaekError } from '../errors.js';
import { mapAnalysis } from './analysis.js';
import { type BulkReport, DEFAULT_PART_BYTES, writeBulk } from './bulk.js';
import type { Difference } from './differences.js';
import { type FusionMapping, mapFusion, pipelineBody } from './fusion.js';
import { indexBody, indexDifferences } from './mappings.js';
import { type QueryPlan, queryTemplate, searchBody } from './query.js';
import { exportReadme } from './readme.js';
import { checkExportRules } from './rules.js';
import { type ExportSource, legNames, openForExport, readExportSource } from './source.js';
import { DigestWriter, type PreviousExport, readPreviousExport } from './sync.js';
import { type ExportTarget, resolveTarget, type TargetSpec } from './target.js';

export { mapAnalysis, NORI_DEFAULT_STOP_TAGS, noriStopTags, noriTags } from './analysis.js';
export { float32Json } from './bulk.js';
export type { Difference } from './differences.js';
export { type EmulatedHit, fuseAs } from './emulate.js';
export { type FusionMapping, mapFusion, pipelineBody, type TargetFusion, targetScore } from './fusion.js';
export { type QueryPlan, queryTemplate, renderQueryTemplate, type SearchParams, searchBody } from './query.js';
export { checkExportRules, type ExportBodies } from './rules.js';
export {
  type ExportBm25Leg,
  type ExportDenseLeg,
  type ExportSource,
  readExportSource,
  UNSUPPORTED_LEGS,
} from './source.js';
export { EXPORT_TARGETS, type ExportTarget, resolveTarget, TARGET_VERSIONS, type TargetSpec } from './target.js';

export interface ExportOptions {
  to: ExportTarget | string;
  /** 2.19 or 3.x (OpenSearch), 8.x or 9.x (Elasticsearch); default the newest. */
  targetVersion?: string;
  /** Output folder; must not exist unless `force`. */
  out: string;
  /** Index name on the cluster (default: tamsaek-<folder name>). */
  name?: string;
  shards?: number;
  replicas?: number;
  /** Largest bulk part in bytes (default 10 MiB). */
  partBytes?: number;
  /** Replace an existing output folder. */
  force?: boolean;
  /**
   * A previous export of this index to the same target: write only the documents that changed or are
   * new since, and delete actions for the ones removed (src/export/sync.ts).
   */
  since?: string;
  onProgress?: (documents: number, total: number) => void;
}

export interface ExportReport {
  out: string;
  /** The previous export an incremental export is based on. */
  since?: { dir: string; generation: number };
  target: TargetSpec;
  index: string;
  pipeline?: string;
  template: string;
  bulk: BulkReport;
  fusion?: FusionMapping;
  differences: Difference[];
}

const INDEX_NAME = /^[a-z0-9][a-z0-9._-]*$/;

/** A valid index name (lower case, no spaces or \ / * ? " < > | , #, not starting with - _ +). */
export function checkIndexName(name: string): string {
  if (!INDEX_NAME.test(name) || name === '.' || name === '..' || Buffer.byteLength(name) > 255)
    throw invalidArgument(
      `index name ${JSON.stringify(name)} must be lower-case letters, digits, ".", "_" or "-", starting with a letter or digit, at most 255 bytes`,
    );
  return name;
}

function defaultName(dir: string): string {
  const base = basename(resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-_.]+/, '');
  return checkIndexName(`tamsaek-${base || 'index'}`.slice(0, 200));
}

function tamsaekVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}

interface Prepared {
  plan: QueryPlan;
  bodies: {
    index: Record<string, unknown>;
    pipeline?: Record<string, unknown>;
    template: ReturnType<typeof queryTemplate>;
  };
  example: Record<string, unknown>;
  differences: Difference[];
}

/** Every body of the export, checked against the project's rules (no file is written yet). */
export function prepareExport(
  source: ExportSource,
  spec: TargetSpec,
  options: Pick<ExportOptions, 'shards' | 'replicas'>,
  name: string,
): Prepared {
  const analysis = mapAnalysis(source.analyzer, spec, { bigrams: source.passages?.bigrams });
  const fusion = source.dense
    ? mapFusion(source.fusion, {
        spec,
        legs: legNames(source),
        dense: source.dense.name ?? 'dense',
        depth: source.depth,
        metric: source.dense.metric,
        k1: source.bm25.k1,
      })
    : undefined;
  const plan: QueryPlan = { source, spec, fusion };
  const index = indexBody(source, spec, analysis, options);
  const pipeline =
    fusion && spec.target === 'opensearch' ? pipelineBody(fusion.target, `tamsaek fusion for ${name}`) : undefined;
  const vector = source.dense ? new Array<number>(source.dense.dim).fill(0) : undefined;
  const search = searchBody(plan, { text: 'query_text', vector, size: Math.min(10, fusion?.window ?? 10) });
  const violations = checkExportRules(spec, { index, pipeline, search });
  if (violations.length > 0)
    throw new TamsaekError('NOT_SUPPORTED', `the export would break target rules: ${violations.join('; ')}`);
  const differences = [
    ...analysis.differences,
    ...indexDifferences(source, spec),
    ...droppedLegs(source),
    ...(fusion?.differences ?? []),
  ];
  if (source.rerank)
    differences.push({
      area: 'rerank',
      difference: `The index reranks its top ${source.rerank.topN} with ${source.rerank.modelId}; the cluster returns fused results only.`,
      effect: "Rerank client-side (tamsaek CrossEncoder) over the cluster's top results to keep the index's quality.",
    });
  differences.push({
    area: 'filters',
    difference:
      "tamsaek's metadata filters (search({ filter })) are not part of the query template; meta is mapped dynamically (a string becomes text with a .keyword subfield).",
    effect:
      'Add filters yourself: term queries on meta.<key>.keyword, in hybrid.filter (OpenSearch 3.x) or in each sub-query, or in the retriever filter (Elasticsearch).',
  });
  differences.push({
    area: 'scores',
    difference:
      'The cluster computes scores in 32-bit floats and breaks ties by shard and Lucene document order; tamsaek uses doubles and the smaller id.',
    effect: 'Documents with (nearly) equal fused scores can swap places.',
  });
  const template = queryTemplate(plan);
  return {
    plan,
    bodies: { index, pipeline, template },
    example: exampleSearch(template.script.source, source),
    differences,
  };
}

/** The template with readable placeholders, for README-export.md. */
function exampleSearch(template: string, source: ExportSource): Record<string, unknown> {
  const vector = source.dense ? `<the query's ${source.dense.dim} floats>` : null;
  return JSON.parse(
    template
      .replaceAll('{{query_text}}', '<query text>')
      .replaceAll('{{#toJson}}query_vector{{/toJson}}', JSON.stringify(vector))
      .replaceAll('{{size}}', '10'),
  ) as Record<string, unknown>;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** Writes everything into `work` (an empty folder). */
async function writeExport(
  work: string,
  source: ExportSource,
  spec: TargetSpec,
  prepared: Prepared,
  names: { index: string; pipeline?: string; template: string },
  options: ExportOptions,
  previous: PreviousExport | undefined,
): Promise<BulkReport> {
  const { bodies } = prepared;
  await writeFile(join(work, 'index.json'), json(bodies.index));
  if (bodies.pipeline) await writeFile(join(work, 'pipeline.json'), json(bodies.pipeline));
  await writeFile(join(work, 'query-template.json'), json(bodies.template));
  await mkdir(join(work, 'bulk'));
  const engine = await openForExport(source);
  let bulk: BulkReport;
  try {
    const total = engine.size;
    bulk = await writeBulk(engine.documents(), {
      digests: await DigestWriter.create(work),
      previous: previous?.digests,
      dir: join(work, 'bulk'),
      index: names.index,
      layout: !source.dense ? 'none' : source.dense.passages ? 'passages' : 'vector',
      denseLeg: source.dense?.name,
      ...(source.passages ? { windows: source.passages.split } : {}),
      maxBytes: options.partBytes ?? DEFAULT_PART_BYTES,
      onProgress: options.onProgress && ((done) => options.onProgress!(done, total)),
    });
  } finally {
    await engine.close();
  }
  const fusion = prepared.plan.fusion;
  const version = tamsaekVersion();
  await writeFile(
    join(work, 'export.json'),
    json({
      format: 'tamsaek-export',
      formatVersion: 1,
      tamsaekVersion: version,
      target: spec.target,
      targetVersion: spec.version,
      index: names.index,
      pipeline: names.pipeline,
      template: names.template,
      source: { dir: resolve(source.dir), generation: source.generation, documents: source.documents },
      since: previous && { dir: resolve(previous.dir), generation: previous.generation },
      fusion: fusion && {
        tamsaek: source.fusion,
        target: fusion.target,
        legs: fusion.legs,
        depths: fusion.depths,
        window: fusion.window,
      },
      bulk,
      differences: prepared.differences,
    }),
  );
  await writeFile(
    join(work, 'README-export.md'),
    exportReadme({
      spec,
      indexName: names.index,
      pipelineId: names.pipeline,
      templateId: names.template,
      sourceDir: source.dir,
      generation: source.generation,
      tamsaekVersion: version,
      denseModel: source.dense?.modelId,
      fusion: fusion && { tamsaek: source.fusion, mapping: fusion },
      bulk,
      since: previous && { dir: previous.dir, generation: previous.generation },
      partBytes: options.partBytes ?? DEFAULT_PART_BYTES,
      differences: prepared.differences,
      exampleSearch: prepared.example,
    }),
  );
  return bulk;
}

/** An incremental export needs the same target, index and mappings as the export it builds on. */
async function checkIncremental(
  previous: PreviousExport,
  spec: TargetSpec,
  index: string,
  body: unknown,
): Promise<void> {
  if (previous.target !== spec.target || previous.index !== index)
    throw invalidArgument(
      `--since ${previous.dir} exported index ${previous.index} to ${previous.target}; this export is ${index} for ${spec.target}`,
    );
  const before = await readFile(join(previous.dir, 'index.json'), 'utf8').catch(() => '');
  if (before.trim() !== JSON.stringify(body, null, 2))
    throw new TamsaekError(
      'NOT_SUPPORTED',
      `the index settings or mappings changed since ${previous.dir} (generation ${previous.generation}): a changed analyzer, BM25 or vector mapping needs a new index on the cluster, from a full export`,
    );
}

/** Exports the index at `dir` (see the module comment). */
export async function exportIndex(dir: string, options: ExportOptions): Promise<ExportReport> {
  checkOptions('exportIndex', options, [
    'since',
    'to',
    'targetVersion',
    'out',
    'name',
    'shards',
    'replicas',
    'partBytes',
    'force',
    'onProgress',
  ]);
  if (typeof options.out !== 'string' || options.out === '')
    throw invalidArgument('exportIndex: out must be a folder path');
  for (const key of ['shards', 'replicas'] as const) {
    const v = options[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= (key === 'shards' ? 1 : 0) && v <= 1024))
      throw invalidArgument(`exportIndex: ${key} must be an integer in ${key === 'shards' ? 1 : 0}..1024`);
  }
  const spec = resolveTarget(options.to, options.targetVersion);
  const source = await readExportSource(dir);
  const previous = options.since === undefined ? undefined : await readPreviousExport(options.since);
  const index = checkIndexName(options.name ?? previous?.index ?? defaultName(dir));
  const names = {
    index,
    pipeline: source.dense && spec.target === 'opensearch' ? `${index}-hybrid` : undefined,
    template: `${index}-query`,
  };
  const prepared = prepareExport(source, spec, options, index);
  if (previous) await checkIncremental(previous, spec, index, prepared.bodies.index);
  const out = resolve(options.out);
  if ((await exists(out)) && !options.force)
    throw new TamsaekError('INVALID_ARGUMENT', `${out} exists: choose another --out or pass --force to replace it`);
  await mkdir(dirname(out), { recursive: true });
  const work = `${out}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(work);
  try {
    const bulk = await writeExport(work, source, spec, prepared, names, options, previous);
    // the old export stays whole until the new one is in place
    const old = (await exists(out)) ? `${out}.old-${process.pid}-${Date.now()}` : undefined;
    if (old) await rename(out, old);
    await rename(work, out);
    if (old) await rm(old, { recursive: true, force: true });
    return {
      out,
      ...(previous ? { since: { dir: previous.dir, generation: previous.generation } } : {}),
      target: spec,
      index,
      pipeline: names.pipeline,
      template: names.template,
      bulk,
      fusion: prepared.plan.fusion,
      differences: prepared.differences,
    };
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw error;
  }
}

/** The passage BM25 legs an export leaves out (the default hybrid's `passages` leg has no counterpart on a cluster). */
function droppedLegs(source: ExportSource): Difference[] {
  return (source.dropped ?? []).map((name) => ({
    area: 'legs',
    difference: `the BM25 leg "${name}" over passages is left out: the cluster fuses BM25 over whole documents with the dense leg, the remaining weights renormalised to sum 1`,
    effect:
      'queries answered by one passage of a long document rank lower; `tamsaek eval --fusion-as` measures the fusion without it on labelled queries',
  }));
}
