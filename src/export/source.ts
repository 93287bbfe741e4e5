/**
 * What an export reads from a saved index: its manifest's configuration and, through
 * `Engine.open(dir, { readOnly: true })`, its documents with their stored vectors. No model is
 * loaded: the dense leg is opened with a stand-in that only carries the stored dimension (the export
 * writes vectors the index already holds; a reranker is never run).
 */
import type { AnalyzerConfig } from '../analyze/types.js';
import { Engine, type Reranker, type TextEmbedder } from '../engine/engine.js';
import { readManifest } from '../engine/manifest.js';
import { TamsaekError } from '../errors.js';
import { validateFusionConfig } from '../fuse/config.js';
import type { FusionConfig } from '../fuse/types.js';
import type { Metric } from '../legs/dense/types.js';

/** tamsaek's HNSW defaults (src/legs/dense/hnsw.ts), for an index that did not set its own. */
export const TAMSAEK_HNSW_DEFAULTS = { M: 16, efConstruction: 200, efSearch: 64 } as const;

export interface ExportDenseLeg {
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
  generation: number;
  documents: number;
  analyzer: AnalyzerConfig;
  bm25: { k1: number; b: number; titleWeight?: number };
  dense?: ExportDenseLeg;
  fusion: FusionConfig;
  /** Candidates the engine takes from each leg. */
  depth: number;
  rerank?: { modelId: string; topN: number; threshold?: number };
}

// biome-ignore lint/suspicious/noExplicitAny: the manifest's config is read field by field below
type ManifestConfig = Record<string, any>;

function denseLeg(c: ManifestConfig): ExportDenseLeg | undefined {
  if (!c.dense) return undefined;
  const h = c.dense.hnsw ?? {};
  return {
    dim: c.dense.dim,
    metric: c.dense.metric ?? 'cosine',
    indexKind: c.dense.index ?? 'auto',
    hnsw: {
      M: h.M ?? TAMSAEK_HNSW_DEFAULTS.M,
      efConstruction: h.efConstruction ?? TAMSAEK_HNSW_DEFAULTS.efConstruction,
      efSearch: h.efSearch ?? TAMSAEK_HNSW_DEFAULTS.efSearch,
    },
    passages: c.dense.chunk !== undefined && c.dense.chunk !== null,
    modelId: String(c.dense.modelId ?? c.dense.model ?? 'unknown'),
  };
}

/** Reads the manifest of `dir` into an ExportSource. NOT_FOUND without an index; NOT_SUPPORTED for layouts with no counterpart. */
export async function readExportSource(dir: string): Promise<ExportSource> {
  const manifest = await readManifest(dir);
  if (!manifest) throw new TamsaekError('NOT_FOUND', `no index at ${dir} (missing manifest.json)`);
  const c = manifest.config as ManifestConfig;
  if (c.chunk)
    throw new TamsaekError(
      'NOT_SUPPORTED',
      `index ${dir} splits documents into passages for every leg (chunk): BM25 over passages has no counterpart in the export; re-index with the dense leg's own passages (dense: { chunk }) or whole documents`,
    );
  return {
    dir,
    generation: manifest.generation,
    documents: manifest.stats?.documents ?? 0,
    analyzer: (c.analyzer ?? { name: 'ko-morph' }) as AnalyzerConfig,
    bm25: { k1: c.bm25?.k1 ?? 1.2, b: c.bm25?.b ?? 0.75, titleWeight: c.bm25?.titleWeight ?? undefined },
    dense: denseLeg(c),
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
