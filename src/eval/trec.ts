/**
 * TREC run files: one line per retrieved document, `qid Q0 docid rank score runname`.
 *
 * Document ids with spaces (autorag-ko's "finance - x.pdf - 4") do not fit TREC's whitespace-separated
 * format, and C trec_eval would misread such a line. We keep them anyway (pytrec_eval and our own
 * metrics take runs as maps, not files): `readTrecRun` reads the two leading and three trailing fields
 * by whitespace and takes everything between them as the document id, so such files round-trip.
 * Pass `{ strict: true }` to refuse ids with whitespace and get files that trec_eval reads.
 * Query ids and the run name never may contain whitespace; no id may contain a line break.
 */
import { open } from 'node:fs/promises';
import { isBlank, readLines } from '../data/lines.js';
import { checkOptions, invalidArgument, TamsaekError } from '../errors.js';
import type { Run, ScoredId } from './metrics.js';

export interface WriteTrecRunOptions {
  /** Refuse document ids containing whitespace (default false: keep them, see module comment). */
  strict?: boolean;
}

const WS = /\s/;

function checkDocId(qid: string, id: unknown, strict: boolean): asserts id is string {
  if (typeof id !== 'string' || id.length === 0)
    throw invalidArgument(`writeTrecRun: query ${qid}: document id must be a non-empty string`);
  if (/[\r\n]/.test(id)) throw invalidArgument(`writeTrecRun: document id ${JSON.stringify(id)} contains a line break`);
  if (id !== id.trim())
    throw invalidArgument(`writeTrecRun: document id ${JSON.stringify(id)} has leading or trailing whitespace`);
  if (strict && WS.test(id))
    throw invalidArgument(`writeTrecRun: document id ${JSON.stringify(id)} contains whitespace (strict TREC format)`);
}

/**
 * Writes `results` as a TREC run, queries in Map order, documents in array order with ranks 1, 2, ….
 * Scores are written with full precision (JavaScript's shortest round-trip form).
 */
export async function writeTrecRun(
  path: string,
  results: Run,
  runName: string,
  options?: WriteTrecRunOptions,
): Promise<void> {
  checkOptions('writeTrecRun', options, ['strict']);
  const strict = options?.strict ?? false;
  if (!(results instanceof Map)) throw invalidArgument('writeTrecRun: results must be a Map<queryId, {id, score}[]>');
  if (typeof runName !== 'string' || runName.length === 0 || WS.test(runName)) {
    throw invalidArgument(
      `writeTrecRun: run name must be a non-empty string without whitespace (got ${JSON.stringify(runName)})`,
    );
  }
  const handle = await open(path, 'w');
  try {
    for (const [qid, list] of results) {
      if (typeof qid !== 'string' || qid.length === 0 || WS.test(qid)) {
        throw invalidArgument(
          `writeTrecRun: query id must be a non-empty string without whitespace (got ${JSON.stringify(qid)})`,
        );
      }
      const lines: string[] = [];
      let rank = 0;
      for (const r of list) {
        checkDocId(qid, r?.id, strict);
        if (typeof r.score !== 'number' || !Number.isFinite(r.score)) {
          throw invalidArgument(
            `writeTrecRun: score of ${JSON.stringify(r.id)} for query ${qid} must be a finite number`,
          );
        }
        rank++;
        lines.push(`${qid} Q0 ${r.id} ${rank} ${r.score} ${runName}\n`);
      }
      if (lines.length > 0) await handle.write(lines.join(''));
    }
  } finally {
    await handle.close();
  }
}

export interface TrecRun {
  /** Run name of the first line ("" for an empty file). */
  runName: string;
  /** query id → results in file order (rank column checked to be an integer but not used). */
  results: Run;
}

/**
 * Reads a TREC run written by `writeTrecRun` or any tool: fields are whitespace-separated, except that
 * the document id is everything between the `Q0` field and the last three fields (rank, score, run
 * name), so ids containing spaces survive. Malformed lines → PARSE_ERROR naming file and line.
 */
export async function readTrecRun(path: string): Promise<TrecRun> {
  const results: Run = new Map();
  let runName = '';
  const seen = new Map<string, Set<string>>();
  for await (const { text, line } of readLines(path)) {
    if (isBlank(text)) continue;
    const fail = (msg: string) => new TamsaekError('PARSE_ERROR', `${path}:${line}: ${msg}`);
    const m = /^\s*(\S+)\s+(\S+)\s+(\S.*?)\s+(\S+)\s+(\S+)\s+(\S+)\s*$/.exec(text);
    if (m === null) throw fail('expected "qid Q0 docid rank score runname"');
    const [, qid, , docid, rankText, scoreText, name] = m as unknown as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const rank = Number(rankText);
    const score = Number(scoreText);
    if (!Number.isInteger(rank)) throw fail(`rank must be an integer (got ${JSON.stringify(rankText)})`);
    if (!Number.isFinite(score)) throw fail(`score must be a number (got ${JSON.stringify(scoreText)})`);
    if (runName === '') runName = name;
    let list = results.get(qid);
    let ids = seen.get(qid);
    if (list === undefined || ids === undefined) {
      list = [];
      ids = new Set();
      results.set(qid, list);
      seen.set(qid, ids);
    }
    if (ids.has(docid)) throw fail(`duplicate document ${JSON.stringify(docid)} for query ${JSON.stringify(qid)}`);
    ids.add(docid);
    const item: ScoredId = { id: docid, score };
    list.push(item);
  }
  return { runName, results };
}
