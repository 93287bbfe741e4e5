/**
 * Export targets and the version-dependent facts the export relies on. Each fact names its source in
 * ../../docs/SCALE-OUT.md and in the facts sheet the project keeps beside the API specifications
 * (shared/reference/search-engines/FACTS.md): nori's stop tags per Lucene major, which fusion features
 * each version has.
 */
import { TamsaekError } from '../errors.js';

export const EXPORT_TARGETS = ['opensearch', 'elasticsearch'] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];

export const TARGET_VERSIONS: Readonly<Record<ExportTarget, readonly string[]>> = {
  opensearch: ['2.19', '3.x'],
  elasticsearch: ['8.x', '9.x'],
};

/** The newest line of each target: what `--target-version` defaults to. */
const DEFAULT_VERSION: Readonly<Record<ExportTarget, string>> = { opensearch: '3.x', elasticsearch: '9.x' };

export interface TargetSpec {
  target: ExportTarget;
  version: string;
  /** Lucene major under the target: 9 for OpenSearch 2.x / Elasticsearch 8.x, 10 for OpenSearch 3.x / Elasticsearch 9.x. */
  lucene: 9 | 10;
}

/** Validates a target name and version (default: the newest line). INVALID_ARGUMENT names the choices. */
export function resolveTarget(target: string, version?: string): TargetSpec {
  if (!(EXPORT_TARGETS as readonly string[]).includes(target))
    throw new TamsaekError(
      'INVALID_ARGUMENT',
      `export target must be one of ${EXPORT_TARGETS.join(', ')}, got ${JSON.stringify(target)}`,
    );
  const t = target as ExportTarget;
  const v = version ?? DEFAULT_VERSION[t];
  if (!TARGET_VERSIONS[t].includes(v))
    throw new TamsaekError(
      'INVALID_ARGUMENT',
      `target version for ${t} must be one of ${TARGET_VERSIONS[t].join(', ')}, got ${JSON.stringify(v)}`,
    );
  return { target: t, version: v, lucene: v === '3.x' || v === '9.x' ? 10 : 9 };
}

export function describeTarget(spec: TargetSpec): string {
  return `${spec.target === 'opensearch' ? 'OpenSearch' : 'Elasticsearch'} ${spec.version}`;
}

/**
 * What each target line can express (FACTS.md §3–§6): z-score normalisation and min-max lower bounds
 * exist from OpenSearch 3.0; score-ranker weights from 3.1; Elasticsearch's rrf retriever takes
 * per-retriever weights in its current specification (exported for 9.x only).
 */
export function features(spec: TargetSpec) {
  const os3 = spec.target === 'opensearch' && spec.version === '3.x';
  return {
    zScore: os3,
    lowerBounds: os3,
    rrfWeights: os3 || (spec.target === 'elasticsearch' && spec.version === '9.x'),
    /** BM25F over title and text with a title weight: Elasticsearch's combined_fields, OpenSearch's from 3.2. */
    combinedFields: spec.target === 'elasticsearch' || os3,
  };
}

/**
 * Lucene's BM25Similarity (OpenSearch 3.x's default, Elasticsearch 8 and 9) drops the (k1 + 1)
 * numerator factor that tamsaek and OpenSearch 2.x's LegacyBM25 keep (FACTS.md §5): the same ranking,
 * scores smaller by that factor. Returns the multiplier from tamsaek's BM25 scale to the target's.
 */
export function bm25Scale(spec: TargetSpec, k1: number): number {
  return spec.target === 'opensearch' && spec.version === '2.19' ? 1 : 1 / (k1 + 1);
}
