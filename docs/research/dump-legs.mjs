// The validation runs' leg lists (zero-shot.mjs --engine-defaults --dump) as the default engine would fuse them:
// bm25 and dense cut at `depth`, the passages leg keeping only the documents it rescores (bm25's and dense's best
// `rescore` each). Shared by fusion-variants.mjs, adaptive-weights.mjs and l2-narrow-band.mjs.
import { readFileSync } from 'node:fs';

export const LEGS = ['bm25', 'passages', 'dense'];

/** [{ qrels, queries: [{ id, legs: { bm25, passages, dense: [[docId, score], …] } }] }] per dump file. */
export function loadDumpSets(files, { depth = 64, rescore = 30 } = {}) {
  return files.map((f) => {
    const d = JSON.parse(readFileSync(f, 'utf8'));
    return {
      qrels: new Map(Object.entries(d.qrels).map(([q, m]) => [q, new Map(Object.entries(m))])),
      queries: d.queries.map((q) => {
        const leg = (n) => q.legs.find((l) => l.name === n).hits;
        const found = new Set([...leg('bm25').slice(0, rescore), ...leg('dense').slice(0, rescore)].map((h) => h[0]));
        const legs = {};
        for (const name of LEGS)
          legs[name] = name === 'passages' ? leg(name).filter((h) => found.has(h[0])) : leg(name).slice(0, depth);
        return { id: q.id, legs };
      }),
    };
  });
}

/** A query's legs as fuse() takes them: [{ name, hits: [{ id, score }] }], `map` applied to each leg's scores. */
export function fuseInput(legs, map = (_name, s) => s) {
  return LEGS.map((name) => ({ name, hits: legs[name].map(([id, score]) => ({ id, score: map(name, score) })) }));
}
