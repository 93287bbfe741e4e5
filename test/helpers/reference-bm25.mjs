// A deliberately plain BM25 used as an oracle: recomputes every statistic from scratch per query.
export function referenceSearch(docs, queryTerms, { k1 = 1.2, b = 0.75, k = 10, fields = { text: 1 } } = {}) {
  // docs: Map<id, Record<field, string[]>> of analyzed terms
  const tf = new Map();
  const len = new Map();
  const df = new Map();
  let total = 0;
  for (const [id, byField] of docs) {
    const counts = new Map();
    let l = 0;
    for (const [field, terms] of Object.entries(byField)) {
      const w = fields[field];
      for (const t of terms) {
        counts.set(t, (counts.get(t) ?? 0) + w);
        l += w;
      }
    }
    tf.set(id, counts);
    len.set(id, l);
    total += l;
    for (const t of counts.keys()) df.set(t, (df.get(t) ?? 0) + 1);
  }
  const N = docs.size;
  if (N === 0) return [];
  const avgdl = total / N;
  const q = [...new Set(queryTerms)].filter((t) => df.has(t));
  const hits = [];
  for (const [id, counts] of tf) {
    let score = 0;
    let matched = false;
    for (const t of q) {
      const f = counts.get(t);
      if (!f) continue;
      matched = true;
      const n = df.get(t);
      const idf = Math.log(1 + (N - n + 0.5) / (n + 0.5));
      score += (idf * (k1 + 1) * f) / (f + k1 * (1 - b + (b * len.get(id)) / avgdl));
    }
    if (matched) hits.push({ id, score });
  }
  hits.sort((x, y) => (x.score !== y.score ? y.score - x.score : x.id < y.id ? -1 : 1));
  return hits.slice(0, k);
}
