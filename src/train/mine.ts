/**
 * Hard-negative mining with false-negative filtering. Candidates come from BM25 over the corpus (or
 * from a dense model's ranking when one is given); a candidate is skipped when it scores within a
 * margin of the positive under the same scorer —
 *   absolute: skip if score(c) > score(p) − margin;   relative: skip if score(c) > score(p) · (1 − margin)
 * — because near-ties with the positive are often unlabelled relevant documents.
 */
import { checkOptions, invalidArgument } from '../errors.js';
import { Bm25Index } from '../legs/bm25/index.js';
import type { CorpusDoc } from './data.js';

export interface MineQuery {
  anchor: string;
  /** Relevant document ids (never returned as negatives). */
  positives: string[];
  /** The positive text written to the output (default: the first positive document). */
  positiveText?: string;
}

export interface MineOptions {
  /** Candidates considered per query (default 30). */
  depth?: number;
  /** Negatives kept per query (default 1). */
  negatives?: number;
  /** Ranks skipped before taking negatives (default 0). */
  skip?: number;
  marginStrategy?: 'absolute' | 'relative';
  /** Default 0.05 (relative) / 0.5 (absolute BM25) */
  margin?: number;
  analyzer?: string;
  /** A BM25 index over exactly `docs` to rank with (built from them when absent). */
  index?: Bm25Index;
  /** Dense scorer instead of BM25: cosine of L2-normalized embeddings. */
  model?: {
    dim: number;
    embed(texts: readonly string[], options?: { kind?: 'query' | 'passage' }): Promise<Float32Array>;
  };
  onProgress?: (done: number, total: number) => void;
}

export interface MinedRecord {
  anchor: string;
  positive: string;
  negative: string;
  /** Candidate document id (for groups). */
  negativeId: string;
}

/** A BM25 index over documents' full text (ko-morph unless told). */
export function corpusBm25(docs: readonly CorpusDoc[], analyzer = 'ko-morph'): Bm25Index {
  const index = new Bm25Index({ analyzer });
  index.addMany(docs.map((d) => ({ id: d.id, doc: d.full })));
  return index;
}

export function keepCandidate(
  score: number,
  positive: number,
  strategy: 'absolute' | 'relative',
  margin: number,
): boolean {
  return strategy === 'absolute' ? score <= positive - margin : score <= positive * (1 - margin);
}

export async function mineHardNegatives(
  docs: CorpusDoc[],
  queries: MineQuery[],
  options: MineOptions = {},
): Promise<MinedRecord[]> {
  checkOptions('mineHardNegatives', options, [
    'depth',
    'negatives',
    'skip',
    'marginStrategy',
    'margin',
    'analyzer',
    'index',
    'model',
    'onProgress',
  ]);
  const { depth = 30, negatives = 1, skip = 0, marginStrategy = 'relative', model, onProgress } = options;
  const margin = options.margin ?? (marginStrategy === 'relative' ? 0.05 : 0.5);
  if (marginStrategy !== 'absolute' && marginStrategy !== 'relative')
    throw invalidArgument(
      `mineHardNegatives: marginStrategy must be "absolute" or "relative", got ${String(marginStrategy)}`,
    );
  if (!Number.isInteger(depth) || depth < 1)
    throw invalidArgument(`mineHardNegatives: depth must be a positive integer, got ${depth}`);
  if (!Number.isInteger(negatives) || negatives < 1)
    throw invalidArgument(`mineHardNegatives: negatives must be a positive integer, got ${negatives}`);
  if (!Number.isInteger(skip) || skip < 0)
    throw invalidArgument(`mineHardNegatives: skip must be an integer ≥ 0, got ${skip}`);
  if (!(Number.isFinite(margin) && margin >= 0))
    throw invalidArgument(`mineHardNegatives: margin must be a finite number ≥ 0, got ${margin}`);
  const byId = new Map(docs.map((d) => [d.id, d]));
  const out: MinedRecord[] = [];
  type Scored = { id: string; score: number }[];
  let rank: (q: number) => Promise<{ list: Scored; pos: number }>;
  if (model) {
    const dim = model.dim;
    const D = await model.embed(
      docs.map((d) => d.full),
      { kind: 'passage' },
    );
    const Q = await model.embed(
      queries.map((q) => q.anchor),
      { kind: 'query' },
    );
    const dot = (qi: number, di: number) => {
      let s = 0;
      for (let x = 0; x < dim; x++) s += Q[qi * dim + x]! * D[di * dim + x]!;
      return s;
    };
    const idx = new Map(docs.map((d, i) => [d.id, i]));
    rank = async (qi) => {
      const s = docs.map((d, i) => ({ id: d.id, score: dot(qi, i) }));
      s.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
      const pos = Math.max(...queries[qi]!.positives.map((p) => (idx.has(p) ? dot(qi, idx.get(p)!) : -Infinity)));
      return { list: s.slice(0, depth), pos };
    };
  } else {
    const index = options.index ?? corpusBm25(docs, options.analyzer);
    rank = async (qi) => {
      const q = queries[qi]!;
      const list = index.search(q.anchor, { k: depth });
      let pos = -Infinity;
      for (const h of list) if (q.positives.includes(h.id)) pos = Math.max(pos, h.score);
      if (pos === -Infinity) {
        const allow = new Set(q.positives);
        const hit = index.search(q.anchor, { k: 1, filter: (_m, id) => allow.has(id) });
        pos = hit[0]?.score ?? 0;
      }
      return { list, pos };
    };
  }
  for (let qi = 0; qi < queries.length; qi++) {
    const q = queries[qi]!;
    const { list, pos } = await rank(qi);
    let taken = 0;
    for (let r = skip; r < list.length && taken < negatives; r++) {
      const c = list[r]!;
      if (q.positives.includes(c.id) || !keepCandidate(c.score, pos, marginStrategy, margin)) continue;
      const d = byId.get(c.id)!;
      out.push({
        anchor: q.anchor,
        positive: q.positiveText ?? byId.get(q.positives[0]!)?.full ?? '',
        negative: d.full,
        negativeId: c.id,
      });
      taken++;
    }
    if (onProgress && (qi % 64 === 0 || qi === queries.length - 1)) onProgress(qi + 1, queries.length);
  }
  return out;
}
