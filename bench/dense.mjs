#!/usr/bin/env node
// dense suite: HNSW (hnswlib-node behind tamsaek's VectorIndex) vs the raw hnswlib-node binding and vs
// exact search, on clustered unit vectors; optional embedding throughput of an ONNX model.
//
//   node bench/dense.mjs [--out f.json] [--docs N] [--queries N] [--dim D] [--model <dir>] [--tiny]
//   npm run bench -- dense [--tiny]
//
// Workload: N × D vectors (default 100,000 × 768): a centroid out of 1,000 (N(0,1) coordinates) plus
// N(0, 0.35²) noise per coordinate, then L2-normalized; queries drawn the same way; mulberry32 seed
// 20261123. HNSW M = 16, efConstruction = 200, cosine metric (unit vectors), k = 10, one query at a
// time on the main thread (hnswlib-node search is single-threaded). Ground truth: exact top-10.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExactIndex, HnswIndex } from '../dist/legs/dense/index.js';
import { mulberry32 } from '../dist/util/random.js';
import { isMain, parseSuiteCli, runStandalone } from './lib/standalone.mjs';
import { gc, median, nowMs, sig } from './lib/stats.mjs';

const _ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULTS = Object.freeze({
  docs: 100_000,
  queries: 1_000,
  dim: 768,
  centroids: 1_000,
  noise: 0.35,
  M: 16,
  efConstruction: 200,
  k: 10,
  efs: [16, 32, 64, 128, 256],
  reps: 5,
  exactQueries: 100,
  seed: 20261123,
  model: undefined,
  embedTexts: 512,
});
export const TINY = Object.freeze({
  ...DEFAULTS,
  docs: 2_000,
  queries: 100,
  dim: 64,
  centroids: 50,
  efConstruction: 64,
  reps: 2,
  exactQueries: 20,
  embedTexts: 64,
});

function gaussian(rand) {
  let u = 0;
  while (u === 0) u = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** Clustered unit vectors: centroid (N(0,1) per coordinate) + N(0, noise²) per coordinate, normalized. */
export function makeVectors(o) {
  const rand = mulberry32(o.seed);
  const c = new Float32Array(o.centroids * o.dim);
  for (let i = 0; i < c.length; i++) c[i] = gaussian(rand);
  const draw = (n) => {
    const out = new Float32Array(n * o.dim);
    for (let i = 0; i < n; i++) {
      const k = Math.floor(rand() * o.centroids);
      let s = 0;
      for (let j = 0; j < o.dim; j++) {
        const v = c[k * o.dim + j] + o.noise * gaussian(rand);
        out[i * o.dim + j] = v;
        s += v * v;
      }
      const inv = 1 / Math.sqrt(s);
      for (let j = 0; j < o.dim; j++) out[i * o.dim + j] *= inv;
    }
    return out;
  };
  return { data: draw(o.docs), queries: draw(o.queries) };
}

function resolveOptions(options = {}) {
  const base = options.tiny ? TINY : DEFAULTS;
  const o = { ...base };
  for (const [k, v] of Object.entries(options)) if (v !== undefined && k in base) o[k] = v;
  o.log = options.log ?? ((...a) => console.error('[dense]', ...a));
  return o;
}

async function exactIndexFor(o) {
  // the native flat index (C++ addon, other branch) when built, else the pure-TS exact index
  try {
    const mod = await import('../dist/legs/dense/flat.js');
    const idx = new mod.FlatIndex({ dim: o.dim, metric: 'cosine', threads: 1 });
    return { idx, name: 'FlatIndex (native addon, 1 thread)' };
  } catch {
    return { idx: new ExactIndex({ dim: o.dim, metric: 'cosine' }), name: 'ExactIndex (pure TypeScript)' };
  }
}

export async function available() {
  try {
    const { loadHnswlib } = await import('../dist/legs/dense/index.js');
    await loadHnswlib();
    return true;
  } catch (e) {
    return `hnswlib-node unavailable: ${e.message}`;
  }
}

export async function run(options = {}) {
  const o = resolveOptions(options);
  const { log } = o;
  const results = [];
  const notes = [];
  const push = (name, value, unit) => results.push({ name, value: sig(value, 4), unit });
  log(`workload ${o.docs} × ${o.dim}, ${o.centroids} centroids, ${o.queries} queries`);
  let t = nowMs();
  const { data, queries } = makeVectors(o);
  log(`vectors generated in ${((nowMs() - t) / 1000).toFixed(1)} s`);
  const ids = Array.from({ length: o.docs }, (_, i) => `doc-${i}`);

  // build
  const hnsw = await HnswIndex.create({
    dim: o.dim,
    metric: 'cosine',
    M: o.M,
    efConstruction: o.efConstruction,
    capacity: o.docs,
  });
  t = nowMs();
  await hnsw.add(ids, data);
  const buildS = (nowMs() - t) / 1000;
  push('hnsw_build_inserts_per_s', o.docs / buildS, 'vectors/s');
  push('hnsw_build_s', buildS, 's');
  log(`HNSW built in ${buildS.toFixed(1)} s`);

  // ground truth and exact timing
  const { idx: exact, name: exactName } = await exactIndexFor(o);
  await exact.add(ids, data);
  const q = (i) => queries.subarray(i * o.dim, (i + 1) * o.dim);
  t = nowMs();
  const truth = [];
  for (let i = 0; i < o.queries; i++) truth.push(new Set((await exact.search(q(i), o.k)).map((h) => h.id)));
  log(`ground truth in ${((nowMs() - t) / 1000).toFixed(1)} s`);
  const exactTimes = [];
  for (let rep = 0; rep < Math.min(3, o.reps); rep++) {
    t = nowMs();
    for (let i = 0; i < o.exactQueries; i++) await exact.search(q(i), o.k);
    exactTimes.push((nowMs() - t) / o.exactQueries);
  }
  const exactMs = median(exactTimes);
  push('exact_query_ms', exactMs, 'ms');
  notes.push(
    `exact index: ${exactName}; exact_query_ms is the median over ${Math.min(3, o.reps)} passes of the mean over ${o.exactQueries} queries, one at a time`,
  );

  // recall / QPS table over efSearch
  const rows = [];
  for (const ef of o.efs) {
    hnsw.efSearch = ef;
    let found = 0;
    for (let i = 0; i < o.queries; i++) for (const h of hnsw.searchSync(q(i), o.k)) if (truth[i].has(h.id)) found++;
    const times = [];
    for (let rep = 0; rep < o.reps; rep++) {
      t = nowMs();
      for (let i = 0; i < o.queries; i++) await hnsw.search(q(i), o.k);
      times.push(nowMs() - t);
    }
    const ms = median(times) / o.queries;
    rows.push({ ef, recall: found / (o.queries * o.k), ms, qps: 1000 / ms });
  }
  for (const r of rows) {
    push(`hnsw_recall_at_10.ef${r.ef}`, r.recall, 'ratio');
    push(`hnsw_qps.ef${r.ef}`, r.qps, 'queries/s');
  }
  const at64 = rows.find((r) => r.ef === 64) ?? rows[0];
  push('hnsw_recall_at_10', at64.recall, 'ratio');
  const good = rows.find((r) => r.recall >= 0.95);
  if (good) {
    push('hnsw_speedup_vs_exact', exactMs / good.ms, 'x');
    notes.push(
      `hnsw_speedup_vs_exact at efSearch ${good.ef} (the smallest with Recall@10 ≥ 0.95: ${good.recall.toFixed(4)})`,
    );
  } else notes.push('no efSearch reached Recall@10 ≥ 0.95: hnsw_speedup_vs_exact not reported');

  // wrapper vs raw binding on the same graph, efSearch 64
  hnsw.efSearch = 64;
  const raw = hnsw.raw;
  const plain = Array.from({ length: o.queries }, (_, i) => Array.from(q(i))); // the raw caller's own arrays (not timed)
  // interleaved per query (order alternating) so that both see the same machine state; ratio per pass
  let sink = 0;
  for (let i = 0; i < o.queries; i++)
    sink += (await hnsw.search(q(i), o.k)).length + raw.searchKnn(plain[i], o.k).neighbors.length; // warm-up
  const ours = [];
  const theirs = [];
  const ratios = [];
  for (let rep = 0; rep < Math.max(9, o.reps); rep++) {
    let a = 0;
    let b = 0;
    for (let i = 0; i < o.queries; i++) {
      if (i & 1) {
        const t0 = nowMs();
        sink += raw.searchKnn(plain[i], o.k).neighbors.length;
        const t1 = nowMs();
        sink += (await hnsw.search(q(i), o.k)).length;
        const t2 = nowMs();
        b += t1 - t0;
        a += t2 - t1;
      } else {
        const t0 = nowMs();
        sink += (await hnsw.search(q(i), o.k)).length;
        const t1 = nowMs();
        sink += raw.searchKnn(plain[i], o.k).neighbors.length;
        const t2 = nowMs();
        a += t1 - t0;
        b += t2 - t1;
      }
    }
    ours.push(a);
    theirs.push(b);
    ratios.push(b / a);
  }
  push('hnsw_qps_vs_hnswlib_node_raw', median(ratios), 'ratio');
  push('hnsw_query_ms.ef64', median(ours) / o.queries, 'ms');
  push('hnswlib_node_raw_query_ms.ef64', median(theirs) / o.queries, 'ms');
  notes.push(
    'hnsw_qps_vs_hnswlib_node_raw: tamsaek `await search(Float32Array, 10)` (validation, copy into a reused Array, labels → ids, score conversion) vs `raw.searchKnn(plainArray, 10)` on the same index with pre-built plain Arrays (their conversion not timed); each query timed both ways back to back (order alternating), median over passes of raw time ÷ tamsaek time',
  );
  if (sink < 0) log(sink);
  table(rows, notes);
  gc();

  // embedding throughput
  const modelDir = o.model ?? process.env.TAMSAEK_BENCH_MODEL;
  if (modelDir && existsSync(modelDir)) {
    const { OnnxEmbedder } = await import('../dist/models/index.js');
    const emb = await OnnxEmbedder.load(modelDir, { batchSize: 32 });
    const rand = mulberry32(7);
    const words = [
      '한국어',
      '검색',
      '엔진',
      '문서',
      '질의',
      '모델',
      '벡터',
      '서울',
      '대학교',
      '학생',
      '데이터',
      '정보',
      '입니다',
    ];
    const texts = Array.from({ length: o.embedTexts }, () =>
      Array.from({ length: 20 + Math.floor(rand() * 100) }, () => words[Math.floor(rand() * words.length)]).join(' '),
    );
    await emb.embed(texts.slice(0, 32));
    t = nowMs();
    await emb.embed(texts);
    const s = (nowMs() - t) / 1000;
    push('embed_texts_per_s', o.embedTexts / s, 'texts/s');
    notes.push(
      `embed_texts_per_s: ${o.embedTexts} texts of 20–120 words, ${emb.dir} (${emb.file}, dim ${emb.dim}, maxLength ${emb.maxLength}, ${emb.threads} threads, batch 32)`,
    );
    await emb.dispose();
  } else
    notes.push(
      'embed_texts_per_s skipped: no model (pass --model <dir> or TAMSAEK_BENCH_MODEL; scripts/gen-test-models.py --real-shape DIR makes a real-shape random-weight one)',
    );
  notes.push(
    `workload: ${o.docs} × ${o.dim} unit vectors around ${o.centroids} centroids (noise ${o.noise}), ${o.queries} queries, seed ${o.seed}; HNSW M ${o.M}, efConstruction ${o.efConstruction}`,
  );
  return { results, notes, table: o._table };

  function table(rs, _notes) {
    o._table = [
      '| efSearch | Recall@10 | QPS | ms/query |',
      '| ---: | ---: | ---: | ---: |',
      ...rs.map((r) => `| ${r.ef} | ${r.recall.toFixed(4)} | ${Math.round(r.qps)} | ${r.ms.toFixed(4)} |`),
    ].join('\n');
  }
}

function parseCli(argv) {
  return parseSuiteCli(argv, {
    out: 'string',
    docs: 'number',
    queries: 'number',
    dim: 'number',
    model: 'string',
    tiny: 'flag',
  });
}

if (isMain(import.meta.url)) await runStandalone('dense', { parseCli, available, run });
