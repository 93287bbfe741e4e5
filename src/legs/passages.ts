/** Passage-level vector indexes seen as document rankings (the dense leg over passages, MaxP). */

/**
 * A document-level ranking from a passage index: each document once, scored by its best passage.
 * Fetches more passages until `depth` documents are found or the index is exhausted.
 */
export async function bestPassages(
  search: (k: number) => Promise<readonly { id: string | number; score: number }[]>,
  depth: number,
  size: number,
  documentOf: (unit: string) => string,
): Promise<{ id: string; score: number; unit: string }[]> {
  for (let k = Math.min(size, depth * 4); ; k = Math.min(size, k * 4)) {
    const hits = await search(k);
    const seen = new Set<string>();
    const out: { id: string; score: number; unit: string }[] = [];
    for (const h of hits) {
      const id = documentOf(String(h.id));
      if (seen.has(id)) continue;
      seen.add(id);
      out.push({ id, score: h.score, unit: String(h.id) });
      if (out.length === depth) return out;
    }
    // fewer hits than asked: the index (or what the filter lets through) has no more
    if (k >= size || hits.length < k) return out;
  }
}
