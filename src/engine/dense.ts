/**
 * Dense retrieval over a corpus: embed every document (title + " " + text, passage prefix) in
 * chunks with progress, then build a vector index from all vectors (kind by option, default by corpus
 * size; HNSW is built on a worker thread), and search queries (query prefix). Used by `tamsaek eval --retriever dense`.
 * With a passage split (the model's `passages`, or `passages` here) every passage is embedded
 * (title + " " + passage) and a document scores as its best passage, as in the engine's dense leg.
 */
import { checkOptions } from '../errors.js';
import { readCorpus, resolveCorpusPath } from '../eval/beir.js';
import {
  HnswIndex,
  createVectorIndex,
  defaultIndexKind,
  type DenseHit,
  type VectorIndex,
  type VectorIndexKind,
} from '../legs/dense/index.js';
import type { AnyEmbedder } from '../models/load.js';
import { checkChunkOptions, denseUnitTexts, passageUnit, splitUnit, type ChunkOptions } from '../util/chunker.js';
import { bestPassages } from '../legs/dense/passages.js';

export interface DenseCorpusOptions {
  indexKind?: VectorIndexKind | 'auto';
  /** Documents embedded per chunk (each chunk is cut into the embedder's batches). */
  chunk?: number;
  /** Split documents into passages (default: the model's own `passages`; false: whole documents). */
  passages?: ChunkOptions | false;
  onProgress?: (stage: 'embed' | 'index', done: number, total: number) => void;
}

export interface DenseRetriever {
  embedder: AnyEmbedder;
  index: VectorIndex;
  /** The passage split in use (undefined: whole documents). */
  passages: ChunkOptions | undefined;
  search(query: string, k: number): Promise<DenseHit[]>;
}

export async function indexCorpusDense(
  path: string,
  embedder: AnyEmbedder,
  options: DenseCorpusOptions = {},
): Promise<DenseRetriever> {
  checkOptions('indexCorpusDense', options, ['indexKind', 'chunk', 'passages', 'onProgress']);
  const { indexKind = 'auto', chunk = 1024, onProgress } = options;
  const asked = options.passages ?? ('passages' in embedder ? embedder.passages : undefined);
  const split = asked ? checkChunkOptions(asked) : undefined;
  const corpusPath = await resolveCorpusPath(path);
  const docs: { id: string; text: string }[] = [];
  for await (const doc of readCorpus(corpusPath)) {
    const texts = denseUnitTexts(doc, split);
    if (!split) docs.push({ id: doc.id, text: texts[0]! });
    else texts.forEach((text, n) => docs.push({ id: passageUnit(doc.id, n), text }));
  }
  const total = docs.length;
  const dim = embedder.dim;
  const vectors = new Float32Array(total * dim);
  onProgress?.('embed', 0, total);
  for (let start = 0; start < total; start += chunk) {
    const part = docs.slice(start, start + chunk);
    const v = await embedder.embed(
      part.map((d) => d.text),
      { kind: 'passage', onProgress: (done) => onProgress?.('embed', start + done, total) },
    );
    vectors.set(v, start * dim);
  }
  onProgress?.('embed', total, total);
  const metric = embedder.normalize ? 'dot' : 'cosine';
  const ids = docs.map((d) => d.id);
  let index: VectorIndex;
  if (indexKind === 'hnsw' || (indexKind === 'auto' && defaultIndexKind(total) === 'hnsw')) {
    // bulk build on a worker thread
    index = await HnswIndex.build(ids, vectors, {
      dim,
      metric,
      capacity: Math.max(1024, total),
      onProgress: (done, n) => onProgress?.('index', done, n),
    });
  } else {
    index = await createVectorIndex({ kind: indexKind, dim, metric, expectedSize: total });
    await index.add(ids, vectors);
  }
  return {
    embedder,
    index,
    passages: split,
    async search(query, k) {
      const vector = await embedder.embedQuery(query);
      if (!split) return index.search(vector, k);
      return bestPassages(
        (n) => index.search(vector, n),
        k,
        index.size,
        (unit) => splitUnit(unit).documentId,
      );
    },
  };
}
