/**
 * Ingestion of a BEIR corpus (or any `{"_id","title","text"}` JSONL file) into the BM25 leg,
 * streaming, in batches, with progress. Shared by `tamsaek index` and `tamsaek eval`.
 */
import type { Analyzer, AnalyzerConfig } from '../analyze/types.js';
import { checkOptions, invalidArgument } from '../errors.js';
import { readCorpus, resolveCorpusPath } from '../eval/beir.js';
import { readLines } from '../eval/lines.js';
import { Bm25Index, type Bm25Document } from '../legs/bm25/index.js';
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
