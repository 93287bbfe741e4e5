// Old (pre-leg) vs new engine: the bench's 100k hybrid workload, both engines in one process, alternated.
import { makeVectors, DEFAULTS } from '/work/main/bench/dense.mjs';
import { BM25_WORKLOAD, makeBm25Workload } from '/work/main/bench/lib/workload.mjs';
import { percentile } from '/work/main/bench/lib/stats.mjs';
const OLD = process.argv[2] ?? '/tmp/oldtree';
const { Engine: OldEngine } = await import(`${OLD}/dist/engine/engine.js`);
const { Engine: NewEngine } = await import('/work/main/dist/index.js');
const docsN = Number(process.env.DOCS ?? 100_000), dim = Number(process.env.DIM ?? 768), nq = 200;
const { docs, queries: raw } = makeBm25Workload({ ...BM25_WORKLOAD, docs: docsN, queries: nq });
const queries = raw.map((q) => [...new Set(q.split(' ').filter(Boolean))].join(' '));
const { data, queries: qv } = makeVectors({ ...DEFAULTS, docs: docsN, queries: nq, dim });
const build = async (E) => {
  const e = await E.create({ analyzer: 'whitespace', dense: { dim, index: 'hnsw', hnsw: { M: 16, efConstruction: 100, efSearch: 64 } }, fusion: { method: 'rrf', k: 60 } });
  const t = performance.now();
  await e.add(docs.map((text, i) => ({ id: String(i), text, vector: data.subarray(i * dim, (i + 1) * dim) })));
  console.error(`built in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return e;
};
const engines = {};
if (process.env.NEWFIRST) { engines.new = await build(NewEngine); engines.old = await build(OldEngine); }
else { engines.old = await build(OldEngine); engines.new = await build(NewEngine); }
const qvec = (i) => qv.subarray(i * dim, (i + 1) * dim);
for (const e of Object.values(engines)) for (let i = 0; i < nq; i++) await e.search(queries[i], { k: 10, vector: qvec(i) });
const times = { old: [], new: [] };
for (let rep = 0; rep < 8; rep++) {
  for (const name of rep % 2 ? ['new', 'old'] : ['old', 'new']) {
    const e = engines[name];
    for (let i = 0; i < nq; i++) {
      const t = performance.now();
      await e.search(queries[i], { k: 10, vector: qvec(i) });
      times[name].push(performance.now() - t);
    }
  }
  console.error(`rep ${rep}: old p50 ${percentile(times.old, 50).toFixed(3)} new p50 ${percentile(times.new, 50).toFixed(3)}`);
}
const r = { old_p50: percentile(times.old, 50), new_p50: percentile(times.new, 50), old_p95: percentile(times.old, 95), new_p95: percentile(times.new, 95) };
r.ratio_p50 = r.new_p50 / r.old_p50;
console.log(JSON.stringify(r));
