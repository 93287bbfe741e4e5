/**
 * An engine's generation on disk: `docs.jsonl`, each leg's files under `legs/<name>/`, and the
 * manifest naming the analyzer, the legs (kind + the state their `save` returned), the reranker and
 * the query-time configuration. Indexes of format 1 (a fixed BM25 + dense pair with their files at the
 * top of the generation and passage offsets in `docs.jsonl`) still open.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { analyzerFromStored, createAnalyzer, storedAnalyzerConfig } from '../analyze/index.js';
import type { Analyzer, AnalyzerConfig } from '../analyze/types.js';
import { TamsaekError } from '../errors.js';
import { validateFusionConfig } from '../fuse/config.js';
import type { FusionConfig } from '../fuse/types.js';
import { Bm25Index } from '../legs/bm25/index.js';
import { Bm25Leg } from '../legs/bm25/leg.js';
import { loadVectorIndex } from '../legs/dense/index.js';
import { type DenseLeg, restoreDenseLeg } from '../legs/dense/leg.js';
import { legFactory } from '../legs/registry.js';
import { PassageSpans, type Span } from '../legs/spans.js';
import type { LegState } from '../legs/types.js';
import { type ChunkOptions, checkChunkOptions } from '../util/chunker.js';
import {
  beginGeneration,
  commitGeneration,
  INDEX_FORMAT,
  INDEX_FORMAT_VERSION,
  type Manifest,
  verifyGeneration,
} from './manifest.js';
import { DEFAULT_DEPTH, DEFAULT_FUSION, type RerankConfig } from './options.js';
import type { NamedLeg } from './pipeline.js';
import { DOCS_FILE, DocumentStore } from './store.js';
import type { OpenOptions, QueryConfig } from './types.js';

/** What a generation holds, in memory. */
export interface EngineState {
  analyzer: Analyzer;
  legs: NamedLeg[];
  store: DocumentStore;
  query: QueryConfig;
  rerank?: RerankConfig & { modelId: string };
}

interface ManifestConfig {
  analyzer: AnalyzerConfig;
  legs: { name: string; kind: string; state: LegState }[];
  rerank?: RerankConfig & { modelId?: string };
  fusion: FusionConfig;
  depth: number;
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}

export async function saveGeneration(target: string, generation: number, state: EngineState): Promise<void> {
  const gen = await beginGeneration(target, generation);
  const legs: ManifestConfig['legs'] = [];
  for (const { name, leg } of state.legs) {
    const dir = join(gen, 'legs', name);
    await mkdir(dir, { recursive: true });
    legs.push({ name, kind: leg.kind, state: await leg.save(dir) });
  }
  await state.store.save(join(gen, DOCS_FILE));
  const { fusion, depth, rerankTopN } = state.query;
  const config: ManifestConfig = {
    analyzer: storedAnalyzerConfig(state.analyzer.config),
    legs,
    ...(state.rerank ? { rerank: { ...state.rerank, topN: rerankTopN } } : {}),
    fusion,
    depth,
  };
  await commitGeneration(target, {
    format: INDEX_FORMAT,
    formatVersion: INDEX_FORMAT_VERSION,
    tamsaekVersion: packageVersion(),
    generation,
    savedAt: new Date().toISOString(),
    config: config as unknown as Record<string, unknown>,
    stats: { documents: state.store.size, units: state.legs.reduce((n, { leg }) => n + leg.stats().units, 0) },
    components: Object.fromEntries(state.legs.map(({ name, leg }) => [name, { kind: leg.kind, ...leg.stats() }])),
  });
}

/** The legs, documents and settings of the generation a manifest names (legs closed again on failure). */
export async function loadGeneration(dir: string, manifest: Manifest, options: OpenOptions): Promise<EngineState> {
  const gen = await verifyGeneration(dir, manifest);
  if (manifest.formatVersion < 2) return loadFormat1(dir, gen, manifest, options);
  const c = manifest.config as unknown as ManifestConfig;
  if (!Array.isArray(c.legs)) throw new TamsaekError('CORRUPT_INDEX', `index ${dir}: the manifest lists no legs`);
  const analyzer = analyzerFromStored(c.analyzer);
  const legs: NamedLeg[] = [];
  try {
    for (const { name, kind, state } of c.legs) {
      const runtime = kind === 'dense' && options.embedder ? { embedder: options.embedder } : undefined;
      const leg = await legFactory(kind).open(join(gen, 'legs', name), state, { name, analyzer }, runtime);
      legs.push({ name, leg });
    }
    const store = await DocumentStore.load(join(gen, DOCS_FILE));
    checkCount(dir, manifest, store);
    return { analyzer, legs, store, query: queryConfig(c), ...(c.rerank ? { rerank: rerankOf(c.rerank) } : {}) };
  } catch (error) {
    await closeLegs(legs);
    throw error;
  }
}

export async function closeLegs(legs: readonly NamedLeg[]): Promise<void> {
  for (const { leg } of legs) await leg.close?.().catch(() => {});
}

function checkCount(dir: string, manifest: Manifest, store: DocumentStore): void {
  if (store.size !== manifest.stats?.documents)
    throw new TamsaekError('CORRUPT_INDEX', `index ${dir}: document count disagrees with the manifest`);
}

function queryConfig(c: { fusion?: FusionConfig; depth?: number; rerank?: { topN?: number } }): QueryConfig {
  return {
    fusion: validateFusionConfig(c.fusion ?? DEFAULT_FUSION),
    depth: c.depth ?? DEFAULT_DEPTH,
    rerankTopN: c.rerank?.topN ?? 0,
  };
}

function rerankOf(r: RerankConfig & { modelId?: string }): RerankConfig & { modelId: string } {
  return { ...r, modelId: r.modelId ?? r.model ?? 'custom' };
}

/** Format 1: `bm25.tsk` and `dense.idx` at the top of the generation; passage offsets in `docs.jsonl`. */
async function loadFormat1(dir: string, gen: string, manifest: Manifest, options: OpenOptions): Promise<EngineState> {
  // biome-ignore lint/suspicious/noExplicitAny: format 1's config is read field by field
  const c = manifest.config as Record<string, any>;
  const passages = new PassageSpans();
  const densePassages = new PassageSpans();
  const store = await DocumentStore.load(join(gen, DOCS_FILE), (row) => {
    if (Array.isArray(row.passages)) passages.set(row.id as string, row.passages as Span[]);
    if (Array.isArray(row.densePassages)) densePassages.set(row.id as string, row.densePassages as Span[]);
  });
  checkCount(dir, manifest, store);
  const chunk: ChunkOptions | undefined = c.chunk ? checkChunkOptions(c.chunk) : undefined;
  const index = await Bm25Index.open(gen);
  const titleWeight = c.bm25?.titleWeight as number | undefined;
  const bm25Settings = { ...(titleWeight !== undefined ? { titleWeight } : {}), ...(chunk ? { passages: chunk } : {}) };
  const legs: NamedLeg[] = [{ name: 'bm25', leg: new Bm25Leg(index, bm25Settings, passages) }];
  try {
    const spans = { engineWide: chunk, passages, densePassages };
    if (c.dense) legs.push({ name: 'dense', leg: await openFormat1Dense(dir, gen, manifest, c, options, spans) });
  } catch (error) {
    await closeLegs(legs);
    throw error;
  }
  const analyzer = c.analyzer ? analyzerFromStored(c.analyzer) : createAnalyzer(index.analyzer.config);
  return { analyzer, legs, store, query: queryConfig(c), ...(c.rerank ? { rerank: rerankOf(c.rerank) } : {}) };
}

function openFormat1Dense(
  dir: string,
  gen: string,
  manifest: Manifest,
  // biome-ignore lint/suspicious/noExplicitAny: format 1's config is read field by field
  c: Record<string, any>,
  options: OpenOptions,
  spans: { engineWide?: ChunkOptions; passages: PassageSpans; densePassages: PassageSpans },
): Promise<DenseLeg> {
  // with the engine-wide chunk the dense leg embedded the BM25 passages; with dense.chunk its own
  const state: LegState = { ...c.dense, chunk: c.dense.chunk ?? spans.engineWide };
  return restoreDenseLeg(dir, state, options.embedder, async () => ({
    index: manifest.files['dense.idx'] ? await loadVectorIndex(join(gen, 'dense.idx')) : undefined,
    spans: c.dense.chunk ? spans.densePassages : spans.engineWide ? spans.passages : undefined,
  }));
}
