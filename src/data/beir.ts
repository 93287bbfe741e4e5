/**
 * Streaming reader for BEIR-layout retrieval sets:
 *
 *   <dir>/corpus.jsonl      {"_id", "title", "text"}   one document per line ("title" may be "" or absent)
 *   <dir>/queries.jsonl     {"_id", "text"}            queries of all splits
 *   <dir>/qrels/<split>.tsv query-id \t corpus-id \t score   (header line; split on TABS only — ids may contain spaces)
 *
 * Large files are never read whole: corpus and queries are async generators over lines.
 * Every malformed line is a PARSE_ERROR whose message starts with `<file>:<line>:`.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { checkOptions, invalidArgument, TamsaekError } from '../errors.js';
import { isBlank, readLines, requireFile } from './lines.js';

export interface BeirDocument {
  id: string;
  title: string;
  text: string;
  /** With readCorpus's `vectorField`: that field of the line, an array of numbers. */
  vector?: number[];
}

export interface BeirQuery {
  id: string;
  text: string;
}

/** query id → (doc id → relevance score). A score ≤ 0 means "judged not relevant". */
export type Qrels = Map<string, Map<string, number>>;

export interface BeirDataset {
  /** Basename of the dataset directory, e.g. "autorag-ko". */
  name: string;
  dir: string;
  split: string;
  /** Splits that have a `qrels/<split>.tsv` file, sorted. */
  splits: string[];
  corpusPath: string;
  queriesPath: string;
  qrelsPath: string;
  /** Queries of the split (those with at least one qrels row), in queries.jsonl order. */
  queries: BeirQuery[];
  /** The split's qrels. */
  qrels: Qrels;
}

function parseError(path: string, line: number, message: string, cause?: unknown): TamsaekError {
  return new TamsaekError('PARSE_ERROR', `${path}:${line}: ${message}`, cause === undefined ? undefined : { cause });
}

/**
 * Streams the JSON values of a JSONL file, one per non-blank line, with their 1-based line numbers.
 * Handles CRLF and a leading BOM. A line that is not valid JSON → PARSE_ERROR naming file and line.
 * A missing file → NOT_FOUND.
 */
export async function* readJsonl<T = unknown>(path: string): AsyncGenerator<{ value: T; line: number }> {
  for await (const { text, line } of readLines(path)) {
    if (isBlank(text)) continue;
    let value: T;
    try {
      value = JSON.parse(text) as T;
    } catch (err) {
      throw parseError(path, line, `invalid JSON (${(err as Error).message})`, err);
    }
    yield { value, line };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readId(obj: Record<string, unknown>, path: string, line: number): string {
  const raw = obj._id;
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  if (typeof raw !== 'string')
    throw parseError(path, line, `"_id" must be a non-empty string (got ${JSON.stringify(raw) ?? 'nothing'})`);
  if (raw.length === 0) throw parseError(path, line, '"_id" must be a non-empty string (got "")');
  return raw;
}

function readString(obj: Record<string, unknown>, key: string, path: string, line: number, optional: boolean): string {
  const raw = obj[key];
  if (typeof raw === 'string') return raw;
  if (optional && (raw === undefined || raw === null)) return '';
  throw parseError(path, line, `"${key}" must be a string (got ${JSON.stringify(raw) ?? 'nothing'})`);
}

/**
 * Streams the documents of a BEIR `corpus.jsonl`. `_id` must be a non-empty string (a JSON number is
 * converted with String()); `text` must be a string; `title` may be a string, null or absent (→ "").
 * A duplicate `_id` is a PARSE_ERROR naming the file, the line and the line of the first occurrence.
 */
export async function* readCorpus(path: string, options: { vectorField?: string } = {}): AsyncGenerator<BeirDocument> {
  const { vectorField } = options;
  const seen = new Map<string, number>();
  for await (const { value, line } of readJsonl(path)) {
    if (!isRecord(value)) throw parseError(path, line, 'expected a JSON object {"_id", "title", "text"}');
    const id = readId(value, path, line);
    const first = seen.get(id);
    if (first !== undefined)
      throw parseError(path, line, `duplicate document id ${JSON.stringify(id)} (first on line ${first})`);
    seen.set(id, line);
    const title = readString(value, 'title', path, line, true);
    const text = readString(value, 'text', path, line, false);
    if (vectorField === undefined || value[vectorField] === undefined) {
      yield { id, title, text };
      continue;
    }
    const vector = value[vectorField];
    if (!Array.isArray(vector) || vector.some((v) => typeof v !== 'number'))
      throw parseError(path, line, `"${vectorField}" must be an array of numbers`);
    yield { id, title, text, vector };
  }
}

/** Streams the queries of a BEIR `queries.jsonl` (`_id` as in readCorpus, `text` a string; duplicates → PARSE_ERROR). */
export async function* readQueries(path: string): AsyncGenerator<BeirQuery> {
  const seen = new Map<string, number>();
  for await (const { value, line } of readJsonl(path)) {
    if (!isRecord(value)) throw parseError(path, line, 'expected a JSON object {"_id", "text"}');
    const id = readId(value, path, line);
    const first = seen.get(id);
    if (first !== undefined)
      throw parseError(path, line, `duplicate query id ${JSON.stringify(id)} (first on line ${first})`);
    seen.set(id, line);
    yield { id, text: readString(value, 'text', path, line, false) };
  }
}

/**
 * Reads a BEIR qrels TSV (`query-id \t corpus-id \t score`). Lines are split on tabs only, so ids may
 * contain spaces; ids are taken verbatim (not trimmed). The first non-blank line is skipped when its
 * score column is not a number (the header). Blank lines are skipped. A line without exactly three
 * tab-separated fields, an empty id, a non-numeric score or a repeated (query, doc) pair → PARSE_ERROR.
 */
export async function readQrels(path: string): Promise<Qrels> {
  const qrels: Qrels = new Map();
  let first = true;
  for await (const { text, line } of readLines(path)) {
    if (isBlank(text)) continue;
    const cols = text.split('\t');
    const isFirst = first;
    first = false;
    if (cols.length !== 3) {
      throw parseError(path, line, `expected 3 tab-separated fields (query-id, corpus-id, score), got ${cols.length}`);
    }
    const [qid, did, rawScore] = cols as [string, string, string];
    const scoreText = rawScore.trim();
    const score = scoreText === '' ? NaN : Number(scoreText);
    if (!Number.isFinite(score)) {
      if (isFirst) continue; // header, e.g. "query-id\tcorpus-id\tscore"
      throw parseError(path, line, `score must be a number (got ${JSON.stringify(rawScore)})`);
    }
    if (qid.length === 0) throw parseError(path, line, 'empty query id');
    if (did.length === 0) throw parseError(path, line, 'empty corpus id');
    let docs = qrels.get(qid);
    if (docs === undefined) {
      docs = new Map();
      qrels.set(qid, docs);
    }
    if (docs.has(did))
      throw parseError(
        path,
        line,
        `duplicate qrels row for query ${JSON.stringify(qid)} and document ${JSON.stringify(did)}`,
      );
    docs.set(did, score);
  }
  return qrels;
}

function checkTsvId(id: string, what: string): void {
  if (id.length === 0) throw invalidArgument(`${what} must be a non-empty string`);
  if (/[\t\r\n]/.test(id)) throw invalidArgument(`${what} ${JSON.stringify(id)} contains a tab or line break`);
}

/** Writes qrels as a BEIR TSV with header; `readQrels` reads it back unchanged. Ids must not contain tabs or line breaks. */
export async function writeQrels(path: string, qrels: Qrels): Promise<void> {
  const lines: string[] = ['query-id\tcorpus-id\tscore'];
  for (const [qid, docs] of qrels) {
    checkTsvId(qid, 'query id');
    for (const [did, score] of docs) {
      checkTsvId(did, 'corpus id');
      if (!Number.isFinite(score)) throw invalidArgument(`qrels score for ${qid}/${did} must be finite`);
      lines.push(`${qid}\t${did}\t${score}`);
    }
  }
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(`${lines.join('\n')}\n`, 'utf8');
  } finally {
    await handle.close();
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** True when `path` is a directory holding a `corpus.jsonl` (a BEIR-layout dataset). */
export async function isBeirDir(path: string): Promise<boolean> {
  if (!(await isDirectory(path))) return false;
  try {
    return (await stat(join(path, 'corpus.jsonl'))).isFile();
  } catch {
    return false;
  }
}

/**
 * Resolves what to index: a BEIR directory → its `corpus.jsonl`; a `.jsonl` file → itself.
 * Anything else → NOT_FOUND / INVALID_ARGUMENT.
 */
export async function resolveCorpusPath(path: string): Promise<string> {
  if (await isDirectory(path)) {
    const corpus = join(path, 'corpus.jsonl');
    await requireFile(corpus, 'corpus file (BEIR layout expects <dir>/corpus.jsonl)');
    return corpus;
  }
  await requireFile(path, 'corpus file');
  if (extname(path).toLowerCase() !== '.jsonl') {
    throw invalidArgument(`corpus must be a BEIR directory or a .jsonl file: ${path}`);
  }
  return path;
}

/** Splits of a BEIR directory: the basenames of `qrels/*.tsv`, sorted. */
export async function listSplits(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(join(dir, 'qrels'), { withFileTypes: true });
    return entries
      .filter((e) => e.isFile() && e.name.endsWith('.tsv'))
      .map((e) => e.name.slice(0, -4))
      .sort();
  } catch {
    return [];
  }
}

export interface LoadBeirOptions {
  /** Which qrels split to evaluate (default "test"). */
  split?: string;
}

/**
 * Loads queries and qrels of one split of a BEIR directory (the corpus is only located, not read:
 * stream it with `readCorpus(ds.corpusPath)`). Missing directory or files → NOT_FOUND naming the path
 * and the splits that do exist. A qrels query id absent from queries.jsonl → PARSE_ERROR.
 */
export async function loadBeir(dir: string, options?: LoadBeirOptions): Promise<BeirDataset> {
  checkOptions('loadBeir', options, ['split']);
  const split = options?.split ?? 'test';
  if (typeof split !== 'string' || split.length === 0 || /[\\/]/.test(split)) {
    throw invalidArgument(`loadBeir: split must be a plain name like "test" (got ${JSON.stringify(split)})`);
  }
  if (!(await isDirectory(dir))) throw new TamsaekError('NOT_FOUND', `dataset directory not found: ${dir}`);
  const corpusPath = join(dir, 'corpus.jsonl');
  const queriesPath = join(dir, 'queries.jsonl');
  const qrelsPath = join(dir, 'qrels', `${split}.tsv`);
  await requireFile(corpusPath, 'BEIR corpus file');
  await requireFile(queriesPath, 'BEIR queries file');
  const splits = await listSplits(dir);
  if (!splits.includes(split)) {
    const have = splits.length > 0 ? `available splits: ${splits.join(', ')}` : `no qrels/*.tsv files in ${dir}`;
    throw new TamsaekError('NOT_FOUND', `qrels for split "${split}" not found: ${qrelsPath} (${have})`);
  }
  const qrels = await readQrels(qrelsPath);
  const queries: BeirQuery[] = [];
  for await (const q of readQueries(queriesPath)) {
    if (qrels.has(q.id)) queries.push(q);
  }
  if (queries.length !== qrels.size) {
    const found = new Set(queries.map((q) => q.id));
    const missing = [...qrels.keys()].filter((id) => !found.has(id));
    const shown = missing
      .slice(0, 5)
      .map((id) => JSON.stringify(id))
      .join(', ');
    throw new TamsaekError(
      'PARSE_ERROR',
      `${qrelsPath}: ${missing.length} query id(s) not in ${queriesPath}: ${shown}${missing.length > 5 ? ', …' : ''}`,
    );
  }
  return {
    name: basename(dir.replace(/[\\/]+$/, '')),
    dir,
    split,
    splits,
    corpusPath,
    queriesPath,
    qrelsPath,
    queries,
    qrels,
  };
}
