/**
 * What a cross-encoder's cost depends on, kept in bounds: tokens per (query, passage) pair and the
 * padded tokens of each ONNX run. A pair over its budget keeps the query (up to its own cap) and the
 * window of the passage that holds the most distinct query pieces, not the passage's head: a long
 * document reranked whole is judged on the part the legs matched.
 */

/** A piece without the tokenizer's word markers (SentencePiece `▁`, WordPiece `##`), lower-cased. */
function bare(piece: string): string {
  return piece.replace(/^(▁|##|Ġ)/, '').toLowerCase();
}

export type PassageWindowMode = 'best' | 'head';

/**
 * The `size` consecutive pieces of `passage` to keep: its head with 'head'; with 'best' the window
 * covering the most distinct query pieces, then the most query pieces; of the first run of such
 * windows (consecutive starts), the middle one, so the matching part sits in the window's centre.
 */
export function passageWindow(
  query: readonly string[],
  passage: readonly string[],
  size: number,
  mode: PassageWindowMode = 'best',
): readonly string[] {
  if (passage.length <= size) return passage;
  if (size <= 0) return [];
  if (mode === 'head') return passage.slice(0, size);
  const wanted = new Set(query.map(bare).filter((p) => p.length > 0));
  const keys = passage.map((p) => {
    const b = bare(p);
    return wanted.has(b) ? b : undefined;
  });
  const counts = new Map<string, number>();
  let distinct = 0;
  let total = 0;
  const enter = (k: string | undefined, d: 1 | -1) => {
    if (k === undefined) return;
    const c = (counts.get(k) ?? 0) + d;
    counts.set(k, c);
    total += d;
    if (d === 1 && c === 1) distinct++;
    if (d === -1 && c === 0) distinct--;
  };
  for (let i = 0; i < size; i++) enter(keys[i], 1);
  // the first run of consecutive starts with the best counts; its middle centres the matches in the window
  let best = 0;
  let bestEnd = 0;
  let bestDistinct = distinct;
  let bestTotal = total;
  for (let start = 1; start + size <= passage.length; start++) {
    enter(keys[start - 1], -1);
    enter(keys[start + size - 1], 1);
    if (distinct > bestDistinct || (distinct === bestDistinct && total > bestTotal)) {
      best = bestEnd = start;
      bestDistinct = distinct;
      bestTotal = total;
    } else if (distinct === bestDistinct && total === bestTotal && bestEnd === start - 1) bestEnd = start;
  }
  const chosen = Math.floor((best + bestEnd) / 2);
  return passage.slice(chosen, chosen + size);
}

/**
 * Cuts rows sorted longest first into runs of at most `maxRows` rows and at most `maxTokens` padded
 * tokens (rows × the run's longest row); a row longer than `maxTokens` runs alone.
 */
export function planBatches<T extends { ids: readonly number[] }>(
  sorted: readonly T[],
  maxRows: number,
  maxTokens: number,
): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  for (const row of sorted) {
    const width = current.length > 0 ? current[0].ids.length : row.ids.length;
    if (current.length > 0 && (current.length >= maxRows || (current.length + 1) * width > maxTokens)) {
      batches.push(current);
      current = [];
    }
    current.push(row);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
