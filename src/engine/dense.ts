/**
 * Dense retrieval over a corpus: embed every document (title + " " + text, passage prefix) in
 * chunks with progress, add the vectors to a vector index (kind by option, default by corpus size),
 * and search queries (query prefix). Used by `tamsaek eval --retriever dense`.
 */
import { checkOptions } from '../errors.js';
import { readCorpus, resolveCorpusPath } from '../eval/beir.js';
import { createVectorIndex, type DenseHit, type VectorIndex, type VectorIndexKind } from '../legs/dense/index.js';
import type { OnnxEmbedder } from '../models/embedder.js';

export interface DenseCorpusOptions {
  indexKind?: VectorIndexKind | 'auto';
  /** Documents embedded per chunk (each chunk is cut into the embedder's batches). */
  chunk?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface DenseRetriever {
  embedder: OnnxEmbedder;
  index: VectorIndex;
  search(query: string, k: number): Promise<DenseHit[]>;
}

export async function indexCorpusDense(path: string, embedder: OnnxEmbedder, options: DenseCorpusOptions = {}): Promise<DenseRetriever> {
  checkOptions('indexCorpusDense', options, ['indexKind', 'chunk', 'onProgress']);
  const { indexKind = 'auto', chunk = 1024, onProgress } = options;
  const corpusPath = await resolveCorpusPath(path);
  const docs: { id: string; text: string }[] = [];
  for await (const doc of readCorpus(corpusPath)) docs.push({ id: doc.id, text: doc.title ? `${doc.title} ${doc.text}` : doc.text });
  const index = await createVectorIndex({ kind: indexKind, dim: embedder.dim, metric: embedder.normalize ? 'dot' : 'cosine', expectedSize: docs.length });
  const total = docs.length;
  onProgress?.(0, total);
  for (let start = 0; start < total; start += chunk) {
    const part = docs.slice(start, start + chunk);
    const vectors = await embedder.embed(
      part.map((d) => d.text),
      { kind: 'passage', onProgress: (done) => onProgress?.(start + done, total) },
    );
    await index.add(
      part.map((d) => d.id),
      vectors,
    );
  }
  onProgress?.(total, total);
  return {
    embedder,
    index,
    async search(query, k) {
      return index.search(await embedder.embedQuery(query), k);
    },
  };
}
