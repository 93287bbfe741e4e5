/**
 * Index settings and mappings (the body of `PUT /<index>`) for an exported tamsaek index.
 *
 * Fields: `title` and `text` (the index's analyzer and BM25 parameters as a named similarity) copied
 * into `tamsaek_text`, which the BM25 sub-query searches: one field holding title and text scores as
 * tamsaek's `title + " " + text` document does (term frequencies and length add up). With a BM25 title
 * weight the query is `combined_fields` (BM25F) over `title^w` and `text` instead. `meta` keeps the
 * document's metadata (dynamic mapping: a string becomes text with a `.keyword` subfield to filter on).
 * The dense leg is `vector` (one vector per document) or the nested `passages` (`start`, `end`, `vector`) when it embeds passages: a nested k-NN
 * query scores a document by its nearest passage, as tamsaek's dense leg does. The passages BM25 leg of
 * the default hybrid is the nested `windows` (`start`, `end`, `text`: the title and the window, with a
 * `bigrams` subfield when the leg reads syllable bigrams too): a nested match scores a document by its
 * best window.
 */
import { TamsaekError } from '../errors.js';
import type { Metric } from '../legs/dense/types.js';
import type { AnalysisMapping } from './analysis.js';
import type { Difference } from './differences.js';
import type { ExportDenseLeg, ExportSource } from './source.js';
import type { TargetSpec } from './target.js';

export const FIELDS = {
  title: 'title',
  text: 'text',
  /** title and text together: what the BM25 sub-query searches. */
  all: 'tamsaek_text',
  meta: 'meta',
  vector: 'vector',
  passages: 'passages',
  /** The passages BM25 leg's windows (nested), and the subfield of their text with syllable bigrams. */
  windows: 'windows',
  bigrams: 'bigrams',
} as const;

export const SIMILARITY_NAME = 'tamsaek_bm25';
/** The passages BM25 leg's own k1 and b. */
export const WINDOWS_SIMILARITY_NAME = 'tamsaek_bm25_windows';

/** OpenSearch knn_vector dimension range and Elasticsearch dense_vector dims limit (FACTS.md §5; ES specification). */
const MAX_DIM: Readonly<Record<TargetSpec['target'], number>> = { opensearch: 16_000, elasticsearch: 4096 };

export function spaceType(metric: Metric, spec: TargetSpec): string {
  if (spec.target === 'opensearch') return { cosine: 'cosinesimil', dot: 'innerproduct', l2: 'l2' }[metric];
  // tamsaek's dot leg does not require unit vectors: max_inner_product, not dot_product
  return { cosine: 'cosine', dot: 'max_inner_product', l2: 'l2_norm' }[metric];
}

/** The vector field's mapping: knn_vector (faiss HNSW) or dense_vector (HNSW) with the dense leg's parameters. */
export function vectorProperty(dense: ExportDenseLeg, spec: TargetSpec): Record<string, unknown> {
  if (!(Number.isInteger(dense.dim) && dense.dim >= 1 && dense.dim <= MAX_DIM[spec.target]))
    throw new TamsaekError(
      'NOT_SUPPORTED',
      `the dense leg has ${dense.dim}-d vectors; ${spec.target} takes 1..${MAX_DIM[spec.target]} dimensions`,
    );
  const { M, efConstruction } = dense.hnsw;
  if (spec.target === 'opensearch')
    return {
      type: 'knn_vector',
      dimension: dense.dim,
      method: {
        name: 'hnsw',
        engine: 'faiss',
        space_type: spaceType(dense.metric, spec),
        parameters: { m: M, ef_construction: efConstruction },
      },
    };
  return {
    type: 'dense_vector',
    dims: dense.dim,
    element_type: 'float',
    index: true,
    similarity: spaceType(dense.metric, spec),
    index_options: { type: 'hnsw', m: M, ef_construction: efConstruction },
  };
}

/** ef_search the cluster uses: tamsaek's, raised to the leg depth (an HNSW search needs ef ≥ k). */
export function efSearch(source: ExportSource): number {
  return Math.max(source.dense?.hnsw.efSearch ?? 0, source.depth);
}

function textProperties(source: ExportSource, analyzer: string): Record<string, unknown> {
  const combined = source.bm25.titleWeight === undefined;
  const text = (extra: object = {}) => ({ type: 'text', analyzer, similarity: SIMILARITY_NAME, ...extra });
  if (!combined) return { [FIELDS.title]: text(), [FIELDS.text]: text() };
  return {
    [FIELDS.title]: text({ copy_to: [FIELDS.all] }),
    [FIELDS.text]: text({ copy_to: [FIELDS.all] }),
    [FIELDS.all]: text(),
  };
}

function windowProperties(source: ExportSource, analysis: AnalysisMapping): Record<string, unknown> {
  if (!source.passages) return {};
  const offset = { type: 'integer', index: false };
  const text: Record<string, unknown> = {
    type: 'text',
    analyzer: analysis.analyzer,
    similarity: WINDOWS_SIMILARITY_NAME,
  };
  if (source.passages.bigrams) {
    if (!analysis.bigramAnalyzer) throw new TamsaekError('INVALID_ARGUMENT', 'the windows need the bigram analyzer');
    text.fields = {
      [FIELDS.bigrams]: { type: 'text', analyzer: analysis.bigramAnalyzer, similarity: WINDOWS_SIMILARITY_NAME },
    };
  }
  return { [FIELDS.windows]: { type: 'nested', properties: { start: offset, end: offset, text } } };
}

function denseProperties(dense: ExportDenseLeg | undefined, spec: TargetSpec): Record<string, unknown> {
  if (!dense) return {};
  const vector = vectorProperty(dense, spec);
  if (!dense.passages) return { [FIELDS.vector]: vector };
  const offset = { type: 'integer', index: false };
  return {
    [FIELDS.passages]: { type: 'nested', properties: { start: offset, end: offset, [FIELDS.vector]: vector } },
  };
}

export interface IndexBodyOptions {
  shards?: number;
  replicas?: number;
}

/** The `PUT /<index>` body. */
export function indexBody(
  source: ExportSource,
  spec: TargetSpec,
  analysis: AnalysisMapping,
  options: IndexBodyOptions = {},
): Record<string, unknown> {
  const index: Record<string, unknown> = {
    number_of_shards: options.shards ?? 1,
    number_of_replicas: options.replicas ?? 1,
  };
  if (source.dense && spec.target === 'opensearch') {
    index.knn = true;
    index['knn.algo_param.ef_search'] = efSearch(source);
  }
  index.similarity = {
    [SIMILARITY_NAME]: { type: 'BM25', k1: source.bm25.k1, b: source.bm25.b },
    ...(source.passages
      ? { [WINDOWS_SIMILARITY_NAME]: { type: 'BM25', k1: source.passages.k1, b: source.passages.b } }
      : {}),
  };
  index.analysis = analysis.analysis;
  return {
    settings: { index },
    mappings: {
      properties: {
        ...textProperties(source, analysis.analyzer),
        [FIELDS.meta]: { type: 'object' },
        ...windowProperties(source, analysis),
        ...denseProperties(source.dense, spec),
      },
    },
  };
}

/** Where the index layer (BM25 statistics, vectors) will differ from tamsaek. */
export function indexDifferences(source: ExportSource, spec: TargetSpec): Difference[] {
  const out: Difference[] = [
    {
      area: 'bm25',
      difference:
        spec.target === 'opensearch' && spec.version === '2.19'
          ? "OpenSearch 2.x's BM25 keeps tamsaek's (k1 + 1) factor; Lucene stores each document's length in one byte (exact for short fields, rounded for long ones)."
          : "Lucene's BM25Similarity drops tamsaek's (k1 + 1) factor (the same ranking, scores smaller by that factor) and stores each document's length in one byte (exact for short fields, rounded for long ones).",
      effect:
        'Scores differ slightly from tamsaek for the same terms; min-max, L2 and z-score normalisation remove the constant factor, the length rounding can reorder close scores.',
    },
    {
      area: 'bm25',
      difference:
        'BM25 statistics (document frequencies, average length) are per shard; tamsaek has one index-wide set.',
      effect:
        'With one shard (the export default) none; with more, idf differs per shard unless searched with search_type=dfs_query_then_fetch.',
    },
    {
      area: 'bm25',
      difference:
        "Lucene counts replaced and deleted documents in document frequencies until their segments merge; tamsaek's statistics are live.",
      effect: 'After many updates (a --since sync), idf drifts slightly until merges catch up.',
    },
  ];
  if (source.bm25.titleWeight !== undefined)
    out.push({
      area: 'bm25',
      difference: `The BM25 title weight ${source.bm25.titleWeight} becomes combined_fields (BM25F) over title^w and text.`,
      effect:
        'Lucene combines the fields as tamsaek does (weighted term frequency and length); statistics and rounding as above.',
    });
  if (source.passages)
    out.push({
      area: 'legs',
      difference: `tamsaek's passages leg "${source.passages.name}" rescores the documents the other legs found by their best window; the cluster's nested windows query searches every window on its own.`,
      effect:
        'A document only the windows match can enter the fused list in the cluster (never in tamsaek); on the validation sets such documents did not reach the top 10 (docs/fusion.md).',
    });
  if (source.dense) out.push(...denseDifferences(source, spec));
  return out;
}

function denseDifferences(source: ExportSource, spec: TargetSpec): Difference[] {
  const dense = source.dense!;
  const out: Difference[] = [
    {
      area: 'dense',
      difference:
        'The cluster cannot embed with tamsaek\'s model: every query vector is computed client-side (`tamsaek embed <model> "<query>" --query --json`) with the model the index was built with.',
      effect: 'None when the same model embeds the query; any other model makes the dense leg meaningless.',
    },
    {
      area: 'dense',
      difference: `The cluster's k-NN score is a transform of tamsaek's ${dense.metric} score (${spaceType(dense.metric, spec)}: e.g. (1 + cos) / 2 for cosine).`,
      effect:
        'Order within the dense leg is the same; min-max and z-score normalisation are unaffected, L2 normalisation is not (`eval --fusion-as` applies the transform).',
    },
    {
      area: 'dense',
      difference: `Approximate HNSW search (m ${dense.hnsw.M}, ef_construction ${dense.hnsw.efConstruction}, ef_search ${efSearch(source)}) where tamsaek ${dense.indexKind === 'hnsw' ? 'also searched HNSW (hnswlib)' : `may have searched exactly (index kind ${dense.indexKind})`}.`,
      effect:
        'A few true neighbours can be missed; raise ef_search (num_candidates on Elasticsearch) to approach exact search.',
    },
  ];
  if (dense.passages)
    out.push({
      area: 'dense',
      difference:
        "tamsaek's dense passages become nested `passages` objects; the nested k-NN query scores a document by its nearest passage, as tamsaek does.",
      effect: `None intended: k counts documents, not passages, as in tamsaek's best-passage search${spec.target === 'opensearch' ? ' (nested k-NN with faiss or lucene, documented from OpenSearch 2.13)' : ''}.`,
    });
  return out;
}
