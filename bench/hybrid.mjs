#!/usr/bin/env node
// hybrid suite (issue #6): a quality table on every retrieval set of the shared datasets (tamsaek BM25 / dense /
// hybrid / hybrid+rerank side by side with wink-bm25-text-search, Orama (full text and hybrid) and raw
// hnswlib-node, measured in the same run), a quality-vs-latency SVG chart, the latency of a full hybrid search at
// 100k documents, and loopback serve QPS.
//
//   npm run bench -- hybrid [--out f.json] [--tiny]        (chart: f.svg next to --out, else bench/out/hybrid.svg)
//   node bench/hybrid.mjs [--out f.json] [--tiny] [--docs N] [--model DIR] [--reranker DIR] [--chart f.svg]
//                         [--skip-quality] [--skip-100k] [--skip-serve]
//
// Under the runner (which accepts only --out/--tiny) the other options come from the environment:
// TAMSAEK_BENCH_MODEL, TAMSAEK_BENCH_RERANKER, TAMSAEK_BENCH_HYBRID_DOCS. Without a model the dense rows use the
// shipped static model (models/); without a reranker the rerank row uses the generated tiny fixture of
// test/fixtures/models (random weights: its quality is printed as n/a).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { loadBeir, readCorpus } from '../dist/data/beir.js';
import { fuse } from '../dist/fuse/index.js';
import { Engine } from '../dist/index.js';
import { createServer } from '../dist/serve/index.js';
import { DEFAULTS as DENSE_DEFAULTS, TINY as DENSE_TINY, makeVectors } from './dense.mjs';
import { recallLatencySvg } from './lib/hybrid-chart.mjs';
import { FIXTURE_RERANKER, measureDataset, qualityTable, retrievalSets } from './lib/hybrid-quality.mjs';
import { loadLanceDb } from './lib/lancedb.mjs';
import { isMain, parseSuiteCli, runStandalone } from './lib/standalone.mjs';
import { gc, mean, median, nowMs, percentile, sig } from './lib/stats.mjs';
import { BM25_WORKLOAD, makeBm25Workload } from './lib/workload.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));

export const DEFAULTS = Object.freeze({
  docs: 100_000,
  queries: 1_000,
  dim: 768,
  centroids: 1_000,
  efConstruction: 200,
  reps: 3,
  latencyQueries: 300, // queries timed for latency-only (random-weight) rows
  rerankTopN: 20,
  serveConcurrency: 8,
  serveMs: 5_000,
  model: undefined,
  reranker: undefined,
  chart: undefined,
  out: undefined,
  skipQuality: false,
  skip100k: false,
  skipServe: false,
});
export const TINY = Object.freeze({
  ...DEFAULTS,
  docs: 2_000,
  queries: 100,
  dim: 64,
  centroids: 50,
  efConstruction: 64,
  reps: 1,
  latencyQueries: 50,
  serveMs: 500,
});

/** `--out` of the command line (the runner does not pass it to suites; the chart goes next to it). */
function argvOut(argv = process.argv) {
  for (let i = 0; i < argv.length; i++) {
    if ((argv[i] === '--out' || argv[i] === '-o') && i + 1 < argv.length) return argv[i + 1];
    if (argv[i].startsWith('--out=')) return argv[i].slice(6);
  }
  return undefined;
}

function resolveOptions(options = {}) {
  const base = options.tiny ? TINY : DEFAULTS;
  const o = { ...base };
  for (const [k, v] of Object.entries(options)) if (v !== undefined && k in base) o[k] = v;
  const env = process.env;
  if (o.model === undefined && env.TAMSAEK_BENCH_MODEL) o.model = env.TAMSAEK_BENCH_MODEL;
  if (o.reranker === undefined && env.TAMSAEK_BENCH_RERANKER) o.reranker = env.TAMSAEK_BENCH_RERANKER;
  if (options.docs === undefined && env.TAMSAEK_BENCH_HYBRID_DOCS) o.docs = Number(env.TAMSAEK_BENCH_HYBRID_DOCS);
  if (!(Number.isInteger(o.docs) && o.docs >= 10))
    throw new Error(`hybrid: docs must be an integer ≥ 10 (got ${o.docs})`);
  // no --model: the static model shipped in the package (trained, so its quality rows are real)
  o.modelIsFixture = false;
  o.rerankerIsFixture = o.reranker === undefined;
  o.model ??= 'default';
  o.reranker ??= FIXTURE_RERANKER;
  if (o.out === undefined) o.out = argvOut();
  o.chart ??= o.out ? `${o.out.replace(/\.json$/i, '')}.svg` : path.join(BENCH_DIR, 'out', 'hybrid.svg');
  o.tiny = Boolean(options.tiny);
  o.log = options.log ?? ((...a) => console.error('[hybrid]', ...a));
  return o;
}

export async function available() {
  try {
    const { loadHnswlib } = await import('../dist/legs/dense/index.js');
    await loadHnswlib();
    await import('../dist/models/embedder.js').then((m) => m.loadOnnxRuntime());
    return true;
  } catch (e) {
    return `hybrid needs hnswlib-node and onnxruntime-node: ${e.message}`;
  }
}

// ---------- 1. quality table ----------

async function qualityPart(o, push, notes) {
  const { dirs, fallback, root } = retrievalSets({ tiny: o.tiny });
  if (fallback && !o.tiny)
    notes.push(`no retrieval set under ${root}: quality measured on datasets/sample-ko (set TAMSAEK_DATASETS)`);
  o.lancedb = await loadLanceDb();
  if (o.lancedb.unavailable) notes.push(`LanceDB rows skipped: ${o.lancedb.unavailable}`);
  const rows = [];
  for (const dir of dirs) rows.push(...(await measureDataset(dir, o)));
  for (const r of rows) {
    const key = `${r.dataset}.${r.system.replace(/[^A-Za-z0-9+-]+/g, '_').replace(/^_|_$/g, '')}`;
    if (!r.latencyOnly) {
      push(`${key}.ndcg@10`, sig(r.ndcg10, 4), 'ratio');
      push(`${key}.recall@1`, sig(r.recall1, 4), 'ratio');
      push(`${key}.recall@10`, sig(r.recall10, 4), 'ratio');
      push(`${key}.mrr@10`, sig(r.mrr10, 4), 'ratio');
    }
    push(`${key}.p50_ms`, sig(r.p50, 4), 'ms');
    push(`${key}.p95_ms`, sig(r.p95, 4), 'ms');
  }
  for (const ds of new Set(rows.map((r) => r.dataset))) {
    const ours = rows.find((r) => r.dataset === ds && r.system.startsWith('tamsaek bm25'));
    const wink = rows.find((r) => r.dataset === ds && r.system === 'wink-bm25 (README prep)');
    const winkKo = rows.find((r) => r.dataset === ds && r.system.startsWith('wink-bm25 (') && r !== wink);
    if (ours && wink) push(`${ds}.bm25_p50_speedup_vs_wink`, sig(wink.p50 / ours.p50, 3), 'x');
    if (ours && winkKo) push(`${ds}.bm25_p50_speedup_vs_wink_same_tokens`, sig(winkKo.p50 / ours.p50, 3), 'x');
    const lanceKo = rows.find((r) => r.dataset === ds && /^lancedb fts \(.+ tokens\)$/.test(r.system));
    if (ours && lanceKo) push(`${ds}.bm25_p50_speedup_vs_lancedb_fts_same_tokens`, sig(lanceKo.p50 / ours.p50, 3), 'x');
  }
  const latencyOnly = rows.filter((r) => r.latencyOnly).map((r) => r.system);
  if (latencyOnly.length) {
    notes.push(
      `random weights — latency only: ${[...new Set(latencyOnly)].join(', ')} use the generated reranker ${path.relative(path.dirname(BENCH_DIR), o.reranker)} (no Korean cross-encoder weights can be had here); their quality is n/a and they time the first ${o.latencyQueries} queries only. Pass --reranker <dir> for quality rows`,
    );
  }
  notes.push(
    'quality: test split, BEIR metrics (trec order), top-10, one sequential pass after 5 warm-up queries, latency per query (tamsaek: analysis + search; Engine rows: embed query + legs + min-max CC (the default fusion) + doc mapping [+ rerank top-' +
      o.rerankTopN +
      ']; raw hnswlib-node: embed query + searchKnn). Document = title + " " + text everywhere. Dense: cosine HNSW M 16, efConstruction 200, efSearch 64 (the Engine with index "hnsw" and raw hnswlib-node over the same vectors); ONNX sessions with 1 thread',
  );
  notes.push(
    'wink-bm25-text-search: defineConfig({fldWeights: {body: 1}, bm25Params: {k1: 1.2, b: 0.75, k: 1}}), consolidate(4), search(q, 10); "README prep" = the prep task of its README (wink-nlp + wink-eng-lite-web-model: word tokens, no stop words, stems — English-only, Hangul handling is whatever its tokenizer does); "ko-morph tokens" = the text pre-analyzed by tamsaek\'s analyzer and split on spaces (query terms de-duplicated), which separates tokenizer from scoring. Orama 3.1: create({schema: {title, text}}) + search({term, limit: 10}); "default tokenizer" = its english tokenizer, "ko-morph tokenizer" = components.tokenizer over tamsaek\'s analyzer, each token ending in "$" (Orama matches every word a query token is a prefix of; its exact option is an ASCII word-boundary filter that matches no Hangul); "orama hybrid" = mode hybrid, the same tokenizer, over the same vectors as tamsaek dense (its fusion: each side divided by its max, weights 0.5/0.5; similarity 0 so the vector side is not cut at its default cosine 0.8)',
  );
  if (o.lancedb.lancedb)
    notes.push(
      `LanceDB ${o.lancedb.version} (bench/peers/lancedb): a table of id + text (title + " " + text) in a temporary directory; fts = Index.fts({baseTokenizer, withPosition: false}) and fullTextSearch(new MatchQuery(q, "text")) (OR of the query's tokens; BM25 by LanceDB); "ngram" = its ngram tokenizer with its defaults on the raw text, "ko-morph tokens" = the text pre-analyzed by tamsaek's analyzer joined by spaces under its "simple" tokenizer (query terms de-duplicated); vector = nearestTo(query vector).distanceType("cosine") over the same vectors as tamsaek dense with no vector index (LanceDB scans them: exact); hybrid = fullTextSearch (ko-morph tokens) + nearestTo, fused by its RRFReranker (k 60); query embedding included`,
    );
  return rows;
}

// ---------- 2. 100k hybrid latency ----------

/**
 * Per-query latencies of several search configurations: a warm-up pass of each, then `reps` rounds in
 * which every configuration runs one pass (in a rotating order), so that drift in the machine's load
 * and the first minutes after the build do not fall on one configuration; per query the median.
 */
async function timeSearches(queries, searches, reps) {
  const names = Object.keys(searches);
  for (const name of names) for (const q of queries) await searches[name](q);
  const perRep = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < reps; r++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(r + j) % names.length];
      const t = new Float64Array(queries.length);
      for (let i = 0; i < queries.length; i++) {
        const t0 = nowMs();
        await searches[name](queries[i]);
        t[i] = nowMs() - t0;
      }
      perRep[name].push(t);
    }
  }
  return Object.fromEntries(names.map((n) => [n, queries.map((_, i) => median(perRep[n].map((t) => t[i])))]));
}

async function hybrid100k(o, push, notes) {
  const spec = { ...BM25_WORKLOAD, docs: o.docs, queries: o.queries, ...(o.tiny ? { vocab: 2_000 } : {}) };
  let t = nowMs();
  const { docs, queries: rawQueries } = makeBm25Workload(spec);
  const queries = rawQueries.map((q) => [...new Set(q.split(' ').filter(Boolean))].join(' '));
  const vspec = {
    ...(o.tiny ? DENSE_TINY : DENSE_DEFAULTS),
    docs: o.docs,
    queries: o.queries,
    dim: o.dim,
    centroids: o.centroids,
  };
  const { data, queries: qv } = makeVectors(vspec);
  o.log(
    `100k workload: ${o.docs} docs + ${o.docs} × ${o.dim} vectors, ${o.queries} queries, generated in ${((nowMs() - t) / 1000).toFixed(1)} s`,
  );
  const distinctQueries = new Set(queries).size;
  // the vectors are precomputed: a dense leg without a model (dense: { dim }), vectors handed over with documents and
  // queries; the engine's default legs (bm25, passages, dense) and its default fusion
  const engine = await Engine.create({
    analyzer: 'whitespace',
    dense: { dim: o.dim, index: 'hnsw', hnsw: { M: 16, efConstruction: o.efConstruction, efSearch: 64 } },
  });
  const { fusion, depth } = engine.describe();
  const queryVector = (i) => qv.subarray(i * o.dim, (i + 1) * o.dim);
  const order = queries.map((_, i) => i);
  t = nowMs();
  let lastLog = t;
  await engine.add(
    docs.map((text, i) => ({ id: String(i), text, vector: data.subarray(i * o.dim, (i + 1) * o.dim) })),
    {
      onProgress: (done, total) => {
        if (nowMs() - lastLog > 15_000) {
          lastLog = nowMs();
          o.log(`100k: vectors handed over ${done}/${total}`);
        }
      },
    },
  );
  const buildS = (nowMs() - t) / 1000;
  o.log(`100k: engine built (BM25 + HNSW) in ${buildS.toFixed(1)} s`);
  push('hybrid_build_s_100k', sig(buildS, 4), 's');
  gc();

  const tunable = engine.tunable();
  const search = (i, options) => engine.search(queries[i], { k: 10, ...options });
  const times = await timeSearches(
    order,
    {
      full: (i) => search(i, { vector: queryVector(i) }),
      depth10: (i) => search(i, { depth: 10, vector: queryVector(i) }),
      depth100: (i) => search(i, { depth: 100, vector: queryVector(i) }),
      bm25: (i) => search(i, { legs: ['bm25'] }),
      passages: (i) => search(i, { legs: ['passages'] }),
      twoLegs: (i) => search(i, { legs: ['bm25', 'dense'], vector: queryVector(i) }),
      dense: (i) => search(i, { legs: ['dense'], vector: queryVector(i) }),
      // engine-less: the legs (engine.tunable().retrieve) + fuse(), no document mapping
      legsOnly: async (i) => fuse(await tunable.retrieve(queries[i], { depth, vector: queryVector(i) }), fusion, 10),
    },
    o.reps,
  );
  const full = times.full;
  push('hybrid_p50_ms_100k', sig(percentile(full, 50), 4), 'ms');
  push('hybrid_p95_ms_100k', sig(percentile(full, 95), 4), 'ms');
  push('hybrid_mean_ms_100k', sig(mean(full), 4), 'ms');
  o.log(`100k: hybrid p50 ${percentile(full, 50).toFixed(3)} ms, p95 ${percentile(full, 95).toFixed(3)} ms`);
  push('hybrid_p50_ms_100k.depth10', sig(percentile(times.depth10, 50), 4), 'ms');
  push('hybrid_p95_ms_100k.depth10', sig(percentile(times.depth10, 95), 4), 'ms');
  push('hybrid_p50_ms_100k.depth100', sig(percentile(times.depth100, 50), 4), 'ms');
  push('bm25_leg_p50_ms_100k', sig(percentile(times.bm25, 50), 4), 'ms');
  push('passages_leg_p50_ms_100k', sig(percentile(times.passages, 50), 4), 'ms');
  push('hybrid_p50_ms_100k.two_legs', sig(percentile(times.twoLegs, 50), 4), 'ms');
  push('dense_leg_p50_ms_100k', sig(percentile(times.dense, 50), 4), 'ms');
  push('hybrid_legs_fuse_p50_ms_100k', sig(percentile(times.legsOnly, 50), 4), 'ms');
  push('hybrid_legs_fuse_p95_ms_100k', sig(percentile(times.legsOnly, 95), 4), 'ms');
  const p50 = percentile(full, 50);
  notes.push(
    `hybrid_p50/p95_ms_100k: Engine.search(q, {k: 10}) — BM25 (whitespace analyzer) over the bm25 bench's synthetic documents + HNSW (M 16, efConstruction ${o.efConstruction}, efSearch 64, cosine) over the dense bench's clustered ${o.dim}-d vectors (doc i ↔ vector i, same id) + BM25 over 150-character passages (whitespace + bigram terms), the engine's default legs and fusion (${JSON.stringify(fusion)}), the engine's default depth per leg (${depth}; hnswlib searches with ef = max(64, depth)), top-10; ` +
      `${o.docs.toLocaleString('en-US')} documents${o.docs !== DEFAULTS.docs ? ` (shrunk from ${DEFAULTS.docs.toLocaleString('en-US')} with --docs / TAMSAEK_BENCH_HYBRID_DOCS)` : ''}, ${o.queries} queries (${distinctQueries} distinct), single-threaded, sequential; per-query median of ${o.reps} timed passes after a warm-up pass, the passes of the breakdowns below interleaved with these (round r runs one pass of every configuration, in an order rotated by r). ` +
      `Precomputed vectors go through the Engine's own API: a dense leg without a model (dense: { dim }), each document added with its vector, each search given its query vector (no model call); Engine.add builds the first batch's HNSW graph on a worker thread. Target ≤ 2 ms p50: ${p50 <= 2 ? 'met' : 'not met'} (${p50.toFixed(3)} ms), reported, not asserted`,
  );
  notes.push(
    `100k breakdowns: .depth10 / .depth100 = the same search with depth 10 / 100 per leg (efSearch 64 / 100 effective; 100 was the default before 2026-12-06); .two_legs = bm25 + dense only (the engine before the passages leg); bm25_leg / passages_leg / dense_leg = Engine.search with one leg; hybrid_legs_fuse = tunable().retrieve (every leg, depth ${depth}) + fuse(the default, 10) without the engine's document mapping — the engine-less cost`,
  );
}

// ---------- 3. serve QPS over loopback ----------

const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.bench).then(({ serveBench }) => serveBench(workerData.options)).then(
  (r) => parentPort.postMessage({ ok: r }),
  (e) => parentPort.postMessage({ error: String(e && e.stack || e) }),
);`;

async function servePart(o, push, notes) {
  const { dirs } = retrievalSets({ tiny: o.tiny });
  const engine = await Engine.create({});
  const queries = [];
  for (const dir of dirs) {
    const ds = await loadBeir(dir, { split: 'test' });
    const batch = [];
    for await (const d of readCorpus(ds.corpusPath))
      batch.push(
        d.title
          ? { id: `${ds.name}/${d.id}`, title: d.title, text: d.text }
          : { id: `${ds.name}/${d.id}`, text: d.text },
      );
    await engine.add(batch);
    queries.push(...ds.queries.map((q) => q.text));
  }
  const server = createServer(engine, { persist: 'off' });
  const { port } = await server.listen(0, '127.0.0.1');
  let r;
  try {
    const options = {
      url: `http://127.0.0.1:${port}`,
      concurrency: o.serveConcurrency,
      durationMs: o.serveMs,
      queries,
      k: 10,
      warmup: 32,
    };
    // the load generator runs on a worker thread so that the server's event loop is not shared with it
    r = await new Promise((resolve, reject) => {
      const w = new Worker(CLIENT, {
        eval: true,
        workerData: { bench: new URL('../dist/serve/bench.js', import.meta.url).href, options },
      });
      w.once('message', (m) => (m.error ? reject(new Error(m.error)) : resolve(m.ok)));
      w.once('error', reject);
    });
  } finally {
    await server.close({ timeoutMs: 2_000 });
  }
  push('serve_qps_loopback', sig(r.qps, 4), 'queries/s');
  push('serve_p50_ms_loopback', sig(r.p50_ms, 4), 'ms');
  push('serve_p95_ms_loopback', sig(r.p95_ms, 4), 'ms');
  push('serve_errors_loopback', r.errors, 'requests');
  notes.push(
    `serve_*_loopback: createServer (persist off) on 127.0.0.1 port 0 over a BM25-only Engine (ko-morph) of ${engine.size} documents (${dirs.map((d) => path.basename(d)).join(' + ')}); serveBench from a worker thread: ${o.serveConcurrency} keep-alive clients, ${o.serveMs / 1000} s, POST /search {query, k: 10} round-robin over ${queries.length} test queries, 32 warm-up requests; ${r.requests} requests, ${r.errors} errors. Client and server share the machine's cores`,
  );
}

export async function run(options = {}) {
  const o = resolveOptions(options);
  const results = [];
  const notes = [];
  const push = (name, value, unit) => results.push({ name, value, unit });
  let rows = [];
  let table;
  if (!o.skipQuality) {
    rows = await qualityPart(o, push, notes);
    table = qualityTable(rows);
    const svg = recallLatencySvg(
      rows.map((r) => ({ dataset: r.dataset, system: r.system, p50: r.p50, quality: r.latencyOnly ? null : r.ndcg10 })),
      { metric: 'nDCG@10' },
    );
    mkdirSync(path.dirname(path.resolve(o.chart)), { recursive: true });
    writeFileSync(o.chart, svg);
    o.log(`wrote ${o.chart}`);
    notes.push(`chart: ${o.chart} (nDCG@10 vs p50 latency, log x; random-weight rows hollow in an n/a strip)`);
  }
  gc();
  if (!o.skip100k) await hybrid100k(o, push, notes);
  gc();
  if (!o.skipServe) await servePart(o, push, notes);
  if (o.tiny)
    notes.push(
      '--tiny: smoke run (datasets/sample-ko, 2,000 documents × 64-d, 100 queries, 0.5 s of serve load): meaningless numbers',
    );
  return { results, notes, table };
}

function parseCli(argv) {
  const o = parseSuiteCli(argv, {
    out: 'string',
    docs: 'number',
    model: 'string',
    reranker: 'string',
    chart: 'string',
    tiny: 'flag',
    'skip-quality': 'flag',
    'skip-100k': 'flag',
    'skip-serve': 'flag',
  });
  for (const k of ['model', 'reranker'])
    if (o[k] !== undefined && !existsSync(o[k])) throw new Error(`--${k} ${o[k]}: no such directory`);
  return o;
}

if (isMain(import.meta.url)) await runStandalone('hybrid', { parseCli, available, run });
