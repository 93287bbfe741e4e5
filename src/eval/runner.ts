import { performance } from 'node:perf_hooks';
import type { BeirQuery } from '../data/beir.js';
import { checkOptions, invalidArgument } from '../errors.js';
import type { Run, ScoredId } from './metrics.js';

/** A search function under evaluation: query text (and id) → ranked results, best first. */
export type SearchFn = (text: string, queryId: string) => readonly ScoredId[] | Promise<readonly ScoredId[]>;

export interface RunQueriesOptions {
  /** Keep at most this many results per query (default: all returned). */
  limit?: number;
}

export interface QueryRun {
  results: Run;
  /** Wall-clock milliseconds per query, in query order (feed to `latencySummary`). */
  latenciesMs: number[];
}

/**
 * Runs `search` over the queries one at a time (sequentially, so latencies are not inflated by
 * concurrency), collecting ranked results per query id and per-query latency.
 */
export async function runQueries(
  queries: readonly BeirQuery[],
  search: SearchFn,
  options?: RunQueriesOptions,
): Promise<QueryRun> {
  checkOptions('runQueries', options, ['limit']);
  const limit = options?.limit;
  if (limit !== undefined && (!Number.isInteger(limit) || limit <= 0)) {
    throw invalidArgument(`runQueries: limit must be a positive integer (got ${limit})`);
  }
  if (typeof search !== 'function') throw invalidArgument('runQueries: search must be a function');
  const results: Run = new Map();
  const latenciesMs: number[] = [];
  for (const q of queries) {
    const t0 = performance.now();
    const list = await search(q.text, q.id);
    latenciesMs.push(performance.now() - t0);
    if (!Array.isArray(list))
      throw invalidArgument(`runQueries: search returned a non-array for query ${JSON.stringify(q.id)}`);
    results.set(q.id, limit === undefined ? [...list] : list.slice(0, limit));
  }
  return { results, latenciesMs };
}
