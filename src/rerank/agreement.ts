/**
 * How far an int8 cross-encoder's scores are from its fp32 original's on the same (query, passage)
 * pairs: logit differences, and per query the rank agreement (Kendall τ) of its candidates. Logit
 * differences mean little alone: `meanLogitSpread` (the fp32 logits' standard deviation within a
 * query) says how far apart the candidates were to begin with.
 */
import { kendallTau, SAMPLE_QUERIES, SAMPLE_TEXTS } from '../models/quantize-check.js';
import type { ExecutionProviderOption } from '../models/session.js';
import { CrossEncoder } from './index.js';

export interface ScoreAgreement {
  queries: number;
  pairs: number;
  maxAbsLogitDiff: number;
  meanAbsLogitDiff: number;
  meanLogitSpread: number;
  minKendallTau: number;
  meanKendallTau: number;
}

export interface CompareScoresOptions {
  fp32File: string;
  int8File: string;
  queries?: readonly string[];
  /** Candidates of each query (default: the same sample passages for every query). */
  passages?: readonly (readonly string[])[];
  threads?: number;
  executionProviders?: ExecutionProviderOption;
}

async function logits(
  dir: string,
  file: string,
  options: CompareScoresOptions,
  queries: readonly string[],
  lists: readonly (readonly string[])[],
) {
  const ce = await CrossEncoder.load(dir, {
    file,
    sigmoid: false,
    cacheSize: 0,
    threads: options.threads,
    executionProviders: options.executionProviders,
  });
  try {
    const out: Float32Array[] = [];
    for (let q = 0; q < queries.length; q++) out.push(await ce.score(queries[q], lists[q]));
    return out;
  } finally {
    await ce.dispose();
  }
}

/** Scores each query's candidates with both files of a cross-encoder directory and compares them. */
export async function compareScores(dir: string, options: CompareScoresOptions): Promise<ScoreAgreement> {
  const queries = options.queries ?? SAMPLE_QUERIES;
  const lists = options.passages ?? queries.map(() => SAMPLE_TEXTS);
  const a = await logits(dir, options.fp32File, options, queries, lists);
  const b = await logits(dir, options.int8File, options, queries, lists);
  let max = 0;
  let sum = 0;
  let pairs = 0;
  let spread = 0;
  const taus: number[] = [];
  a.forEach((x, q) => {
    const y = b[q];
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    spread += Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length);
    for (let i = 0; i < x.length; i++) {
      const d = Math.abs(x[i] - y[i]);
      max = Math.max(max, d);
      sum += d;
      pairs++;
    }
    taus.push(kendallTau(x, y));
  });
  return {
    queries: queries.length,
    pairs,
    maxAbsLogitDiff: max,
    meanAbsLogitDiff: sum / pairs,
    meanLogitSpread: spread / queries.length,
    minKendallTau: Math.min(...taus),
    meanKendallTau: taus.reduce((s, t) => s + t, 0) / taus.length,
  };
}
