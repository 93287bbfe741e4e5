/** Dataset I/O: BEIR directories (corpus, queries, qrels) and streamed JSON lines. */

export type { BeirDataset, BeirDocument, BeirQuery, LoadBeirOptions, Qrels } from './beir.js';
export {
  isBeirDir,
  listSplits,
  loadBeir,
  readCorpus,
  readJsonl,
  readQrels,
  readQueries,
  resolveCorpusPath,
  writeQrels,
} from './beir.js';
export type { Line } from './lines.js';
export { readLines } from './lines.js';
