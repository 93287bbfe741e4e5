/**
 * Ingestion of a BEIR corpus (or any `{"_id","title","text"}` JSONL file): into a standalone BM25
 * index (streaming, in batches, with progress) or into an Engine. Shared by `tamsaek index` and
 * `tamsaek eval`.
 */
import type { Analyzer, AnalyzerConfig } from '../analyze/types.js';
import { readCorpus, resolveCorpusPath } from '../data/beir.js';
import { readLines } from '../data/lines.js';
import { Engine } from '../engine/engine.js';
import type { EngineDocument, EngineOptions } from '../engine/types.js';
import { checkOptions, invalidArgument } from '../errors.js';
import { type Bm25Document, Bm25Index } from '../legs/bm25/index.js';
import { titled } from '../util/chunker.js';

export interface IndexCorpusOptions {
  analyzer?: Analyzer | string | AnalyzerConfig;
  k1?: number;
  b?: number;
  /**
   * When set, title and text are separate BM25F fields and the title counts this many times;
   * otherwise a document is `title + " " + text` in one field (the measured default).
   */
  titleWeight?: number;
  /** Called every batch and at the end: documents indexed so far out of the corpus's lines. */
  onProgress?: (done: number, total: number) => void;
}

const BATCH = 512;

export async function indexCorpus(path: string, options: IndexCorpusOptions = {}): Promise<Bm25Index> {
  checkOptions('indexCorpus', options, ['analyzer', 'k1', 'b', 'titleWeight', 'onProgress']);
  const { titleWeight, onProgress } = options;
  if (titleWeight !== undefined && !(Number.isFinite(titleWeight) && titleWeight > 0)) {
    throw invalidArgument(`titleWeight must be a number > 0, got ${titleWeight}`);
  }
  const corpusPath = await resolveCorpusPath(path);
  const index = new Bm25Index({
    analyzer: options.analyzer,
    k1: options.k1,
    b: options.b,
    fields: titleWeight === undefined ? { text: 1 } : { title: titleWeight, text: 1 },
  });
  let total = 0;
  if (onProgress) {
    for await (const line of readLines(corpusPath)) if (line.text.trim() !== '') total++;
  }
  let batch: { id: string; doc: Bm25Document; meta?: Record<string, unknown> }[] = [];
  let done = 0;
  const flush = () => {
    index.addMany(batch);
    done += batch.length;
    batch = [];
    onProgress?.(done, total);
  };
  for await (const doc of readCorpus(corpusPath)) {
    const body: Bm25Document =
      titleWeight === undefined ? titled(doc.title, doc.text) : { title: doc.title, text: doc.text };
    batch.push({ id: doc.id, doc: body, meta: doc.title ? { title: doc.title } : undefined });
    if (batch.length >= BATCH) flush();
  }
  flush();
  return index;
}

/**
 * Builds an Engine over a BEIR corpus (or a corpus .jsonl file). The corpus goes in as one batch, so
 * the dense index kind is chosen for the whole corpus (HNSW from HNSW_MIN_VECTORS on, built on a
 * worker thread) and progress follows the embedding. `vectorField` names a field of each corpus line
 * holding the document's precomputed vector (lines without it are embedded, if there is a model).
 */
export async function buildEngine(
  corpusPath: string,
  options: EngineOptions,
  onProgress?: (done: number, total: number, stage?: string) => void,
  vectorField?: string,
): Promise<Engine> {
  const engine = await Engine.create(options);
  try {
    const docs: EngineDocument[] = [];
    for await (const { id, title, text, vector } of readCorpus(corpusPath, { vectorField }))
      docs.push({ id, text, ...(title ? { title } : {}), ...(vector ? { vector } : {}) });
    await engine.add(docs, { onProgress });
    return engine;
  } catch (error) {
    await engine.close();
    throw error;
  }
}
