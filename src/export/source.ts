/**
 * What an export reads from a saved index: its manifest's configuration and, through
 * `Engine.open(dir, { readOnly: true })`, its documents with their stored vectors. No model is
 * loaded: the dense leg is opened with a stand-in that only carries the stored dimension (the export
 * writes vectors the index already holds; a reranker is never run).
 *
 * Both manifest formats are read: format 2 (`config.legs`, a named list of legs of any registered kind)
 * and format 1 (a fixed BM25 + dense pair). The export expresses one BM25 leg over whole documents, at
 * most one dense leg and, beside both, one BM25 leg over passages on the index's analyzer (the default
 * hybrid's, read from its bm25.tsk header), under any names; another passages leg is left out and named,
 * anything else is NOT_SUPPORTED (UNSUPPORTED_LEGS lists it).
 */
import { join } from 'node:path';
import { analyzerFromStored, storedConfigAsRead } from '../analyze/index.js';
import type { AnalyzerConfig } from '../analyze/types.js';
import { Engine } from '../engine/engine.js';
import { generationDir, readManifest } from '../engine/manifest.js';
import { TamsaekError } from '../errors.js';
import { validateFusionConfig } from '../fuse/config.js';
import type { FusionConfig } from '../fuse/types.js';
import { readBm25Settings } from '../legs/bm25/format.js';
import type { Metric } from '../legs/dense/types.js';
import type { TextEmbedder } from '../models/types.js';
import type { Reranker } from '../rerank/types.js';
import type { ChunkOptions } from '../util/chunker.js';

/** tamsaek's HNSW defaults (src/legs/dense/hnsw.ts), for an index that did not set its own. */
export const TAMSAEK_HNSW_DEFAULTS = { M: 16, efConstruction: 200, efSearch: 64 } as const;

/** The leg layouts an export refuses, for README-export.md and docs: each has no counterpart on a cluster. */
export const UNSUPPORTED_LEGS: readonly string[] = [
  "a BM25 leg over passages as the only BM25 leg (`bm25: { passages }`, or the engine-wide `chunk`): a cluster scores BM25 per document; re-index with the dense leg's own passages (`dense: { chunk }`) or whole documents (a passage BM25 leg beside a whole-document one and a dense leg, as in the default hybrid, exports as nested windows; one with an analyzer of its own is left out and listed as a difference)",
  'more than one BM25 leg, or more than one dense leg: the export has one text field and one vector field',
  'an index without a BM25 leg',
  'a leg of a kind registered with `registerLeg` (anything but `bm25` and `dense`)',
];

export interface ExportBm25Leg {
  /** The leg's name in the index (what fusion weights call it); default `bm25`. */
  name?: string;
  k1: number;
  b: number;
  titleWeight?: number;
}

/**
 * A BM25 leg over passages beside the whole-document one (the default hybrid's `passages` leg): nested
 * `windows` in the cluster, a document scoring by its best window.
 */
export interface ExportPassagesLeg {
  name: string;
  k1: number;
  b: number;
  split: ChunkOptions;
  /** Its analyzer is the index's plus Hangul syllable bigrams (the default), else the index's own. */
  bigrams: boolean;
}

export interface ExportDenseLeg {
  /** The leg's name in the index; default `dense`. */
  name?: string;
  dim: number;
  metric: Metric;
  /** The vector index kind the engine was configured with (auto, hnsw, flat, exact). */
  indexKind: string;
  hnsw: { M: number; efConstruction: number; efSearch: number };
  /** True when the dense leg embeds passages (a document scores as its best passage). */
  passages: boolean;
  modelId: string;
}

export interface ExportSource {
  dir: string;
  /** BM25 legs over passages beside one over whole documents that the export cannot express: left out, named here. */
  dropped?: string[];
  generation: number;
  documents: number;
  analyzer: AnalyzerConfig;
  bm25: ExportBm25Leg;
  /** Exported beside the dense leg only (the default hybrid); otherwise listed in `dropped`. */
  passages?: ExportPassagesLeg;
  dense?: ExportDenseLeg;
  fusion: FusionConfig;
  /** Candidates the engine takes from each leg. */
  depth: number;
  rerank?: { modelId: string; topN: number; threshold?: number };
}

// biome-ignore lint/suspicious/noExplicitAny: the manifest's config is read field by field below
type ManifestConfig = Record<string, any>;

/** The leg names, in fusion order: BM25, then the passages leg when exported, then the dense leg. */
export function legNames(source: Pick<ExportSource, 'bm25' | 'passages' | 'dense'>): string[] {
  const names = [source.bm25.name ?? 'bm25'];
  if (source.passages) names.push(source.passages.name);
  if (source.dense) names.push(source.dense.name ?? 'dense');
  return names;
}

function denseLeg(name: string, d: ManifestConfig): ExportDenseLeg {
  const h = d.hnsw ?? {};
  return {
    name,
    dim: d.dim,
    metric: d.metric ?? 'cosine',
    indexKind: d.index ?? 'auto',
    hnsw: {
      M: h.M ?? TAMSAEK_HNSW_DEFAULTS.M,
      efConstruction: h.efConstruction ?? TAMSAEK_HNSW_DEFAULTS.efConstruction,
      efSearch: h.efSearch ?? TAMSAEK_HNSW_DEFAULTS.efSearch,
    },
    passages: d.chunk !== undefined && d.chunk !== null,
    modelId: String(d.modelId ?? d.model ?? 'unknown'),
  };
}

function bm25Leg(name: string, b: ManifestConfig | undefined): ExportBm25Leg {
  return { name, k1: b?.k1 ?? 1.2, b: b?.b ?? 0.75, titleWeight: b?.titleWeight ?? undefined };
}

function notSupported(dir: string, what: string, fix: string): TamsaekError {
  return new TamsaekError('NOT_SUPPORTED', `index ${dir} has ${what}, which the export cannot express; ${fix}`);
}

const PASSAGES_FIX =
  "re-index with the dense leg's own passages (dense: { chunk }) or whole documents: a cluster scores BM25 per document";

/** Format 1: one BM25 leg (`config.bm25`), an optional dense leg (`config.dense`), `config.chunk` for both. */
function format1Legs(dir: string, c: ManifestConfig): Pick<ExportSource, 'bm25' | 'dense'> {
  if (c.chunk) throw notSupported(dir, 'a BM25 leg over passages (chunk splits documents for every leg)', PASSAGES_FIX);
  return { bm25: bm25Leg('bm25', c.bm25), dense: c.dense ? denseLeg('dense', c.dense) : undefined };
}

type Legs = Pick<ExportSource, 'bm25' | 'passages' | 'dense' | 'dropped'>;

/** Format 2: `config.legs`, each `{ name, kind, state }`; `gen` holds their files. */
async function format2Legs(dir: string, gen: string, legs: ManifestConfig[], analyzer: AnalyzerConfig): Promise<Legs> {
  const other = legs.find((l) => l.kind !== 'bm25' && l.kind !== 'dense');
  if (other)
    throw notSupported(
      dir,
      `a leg "${other.name}" of kind "${other.kind}"`,
      'an export writes BM25 and dense legs only (drop the leg, or serve this index with tamsaek)',
    );
  const all = legs.filter((l) => l.kind === 'bm25');
  // a BM25 leg over passages next to one over whole documents (the default hybrid) becomes nested windows
  const whole = all.filter((l) => !l.state?.passages);
  const bm25 = whole.length === 1 ? whole : all;
  const beside = whole.length === 1 ? all.filter((l) => l.state?.passages) : [];
  const dense = legs.filter((l) => l.kind === 'dense');
  if (bm25.length !== 1)
    throw notSupported(
      dir,
      bm25.length === 0 ? 'no BM25 leg' : `${bm25.length} BM25 legs (${bm25.map((l) => l.name).join(', ')})`,
      'an export holds one BM25 text field: build the index with exactly one BM25 leg',
    );
  if (dense.length > 1)
    throw notSupported(
      dir,
      `${dense.length} dense legs (${dense.map((l) => l.name).join(', ')})`,
      'an export holds one vector field: build the index with at most one dense leg',
    );
  const [lexical] = bm25;
  if (lexical.state?.passages) throw notSupported(dir, `a BM25 leg "${lexical.name}" over passages`, PASSAGES_FIX);
  const passages = beside.length === 1 && dense.length === 1 ? await passagesLeg(gen, beside[0]!, analyzer) : undefined;
  const dropped = beside.filter((l) => l.name !== passages?.name).map((l) => String(l.name));
  return {
    bm25: bm25Leg(lexical.name, lexical.state),
    ...(passages ? { passages } : {}),
    dense: dense[0] ? denseLeg(dense[0].name, dense[0].state ?? {}) : undefined,
    ...(dropped.length > 0 ? { dropped } : {}),
  };
}

/**
 * Whether a BM25 leg over passages exports as nested windows, and with which text: its analyzer (by name)
 * must be the index's — `bigrams: false` — or the index's plus syllable bigrams, as the engine builds the
 * default hybrid's leg — `bigrams: true` —, over one field (no title weight); undefined otherwise. The
 * export (readExportSource) and `eval --fusion-as` (from an engine's description) both ask this.
 */
export function windowsText(
  leg: { analyzer: unknown; titleWeight?: unknown },
  indexAnalyzer: string,
): { bigrams: boolean } | undefined {
  if (leg.titleWeight !== undefined) return undefined;
  if (leg.analyzer === `${indexAnalyzer}+bigram`) return { bigrams: true };
  return leg.analyzer === indexAnalyzer ? { bigrams: false } : undefined;
}

/** The passages leg as nested windows, when `windowsText` says the cluster can analyse it. */
async function passagesLeg(
  gen: string,
  leg: ManifestConfig,
  analyzer: AnalyzerConfig,
): Promise<ExportPassagesLeg | undefined> {
  const settings = await readBm25Settings(join(gen, 'legs', String(leg.name)));
  const legAnalyzer = analyzerFromStored(settings.analyzer).name;
  const text = windowsText(
    { analyzer: legAnalyzer, titleWeight: leg.state?.titleWeight },
    analyzerFromStored(analyzer).name,
  );
  if (!text) return undefined;
  return { name: String(leg.name), k1: settings.k1, b: settings.b, split: leg.state.passages as ChunkOptions, ...text };
}

/** Reads the manifest of `dir` into an ExportSource. NOT_FOUND without an index; NOT_SUPPORTED for layouts with no counterpart. */
export async function readExportSource(dir: string): Promise<ExportSource> {
  const manifest = await readManifest(dir);
  if (!manifest) throw new TamsaekError('NOT_FOUND', `no index at ${dir} (missing manifest.json)`);
  const c = manifest.config as ManifestConfig;
  const analyzer = storedConfigAsRead((c.analyzer ?? { name: 'ko-morph' }) as AnalyzerConfig);
  let legs: Legs;
  if (manifest.formatVersion >= 2) {
    if (!Array.isArray(c.legs)) throw new TamsaekError('CORRUPT_INDEX', `index ${dir}: the manifest lists no legs`);
    legs = await format2Legs(dir, generationDir(dir, manifest.generation), c.legs, analyzer);
  } else legs = format1Legs(dir, c);
  return {
    dir,
    generation: manifest.generation,
    documents: manifest.stats?.documents ?? 0,
    analyzer,
    ...legs,
    fusion: validateFusionConfig(c.fusion ?? { method: 'cc', normalizer: 'mm' }),
    depth: c.depth ?? 100,
    rerank: c.rerank
      ? { modelId: String(c.rerank.modelId ?? c.rerank.model), topN: c.rerank.topN, threshold: c.rerank.threshold }
      : undefined,
  };
}

/** Opens the index read-only without loading its models (the stand-ins refuse to embed or rerank). */
export function openForExport(source: ExportSource): Promise<Engine> {
  const refuse = () => Promise.reject(new TamsaekError('NOT_SUPPORTED', 'an index opened for export runs no model'));
  const embedder: TextEmbedder | undefined = source.dense && {
    dim: source.dense.dim,
    modelId: source.dense.modelId,
    embed: refuse,
  };
  const reranker: Reranker | undefined = source.rerank && { modelId: source.rerank.modelId, score: refuse };
  return Engine.open(source.dir, {
    readOnly: true,
    ...(embedder ? { embedder } : {}),
    ...(reranker ? { reranker } : {}),
  });
}
