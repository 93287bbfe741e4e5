// bm25 suite: tamsaek BM25 vs wink-bm25-text-search on the fixed Zipf workload (query speed, top-10
// agreement), indexing documents/s, and analyzer sentences/s on the shared Korean corpora.
// See bench/README.md for the workload and the meaning of each result.
import { createRequire } from 'node:module';
import * as analyze from '../dist/analyze/index.js';
import { Bm25Index } from '../dist/legs/bm25/index.js';
import { lancedbBm25Bench, loadLanceDb } from './lib/lancedb.mjs';
import { corpusFiles, sampleSentences } from './lib/sentences.mjs';
import { gc, mean, median, nowMs, percentile, sig } from './lib/stats.mjs';
import { BM25_WORKLOAD, makeBm25Workload } from './lib/workload.mjs';

const require = createRequire(import.meta.url);
const K1 = 1.2;
const B = 0.75;
const TOP_K = 10;
const SCORE_TOL = 1e-3;
const MIN_AGREEMENT = 0.99;

/** Options of the full run; `tiny: true` shrinks everything for smoke tests (seconds, not minutes). */
export const DEFAULTS = Object.freeze({
  workload: BM25_WORKLOAD,
  queryReps: 5,
  indexReps: 5,
  winkMinQueries: 30,
  winkMaxQueries: 50,
  winkBudgetMs: 12_000,
  sentences: 5_000,
  analyzerReps: 5,
  minRepMs: 300,
  analyzers: undefined, // all of listAnalyzers(); or a list of names, or a filter over listAnalyzers()
});

export const TINY = Object.freeze({
  workload: { ...BM25_WORKLOAD, docs: 2_000, vocab: 2_000, queries: 60 },
  queryReps: 2,
  indexReps: 2,
  winkMinQueries: 10,
  winkMaxQueries: 20,
  winkBudgetMs: 2_000,
  sentences: 200,
  analyzerReps: 2,
  minRepMs: 10,
  analyzers: (infos) => infos.filter((a) => !a.needsDictionary), // no 42 MB dictionary load in smoke runs
});

function resolveOptions(options = {}) {
  const base = options.tiny ? TINY : DEFAULTS;
  const o = { ...base };
  for (const [k, v] of Object.entries(options)) if (v !== undefined && k in base) o[k] = v;
  o.log = options.log ?? ((...a) => console.error('[bm25]', ...a));
  return o;
}

function dedupQuery(q) {
  return [...new Set(q.split(' ').filter(Boolean))].join(' ');
}

/**
 * Per-query agreement of two top-k lists [{id, score}] under a score tolerance: same length, scores
 * equal rank by rank within `tol`, and every id whose score is above the last score + tol (i.e. not in
 * the tie band at the cut-off) present in the other list with the same score within `tol`.
 */
export function topKAgree(a, b, tol = SCORE_TOL) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i].score - b[i].score) > tol) return false;
  if (a.length === 0) return true;
  const check = (x, y) => {
    const cut = x[x.length - 1].score + tol;
    const other = new Map(y.map((h) => [h.id, h.score]));
    for (const h of x) {
      if (h.score <= cut) continue;
      const s = other.get(h.id);
      if (s === undefined || Math.abs(s - h.score) > tol) return false;
    }
    return true;
  };
  return check(a, b) && check(b, a);
}

function buildTamsaek(docs, method) {
  const idx = new Bm25Index({ analyzer: 'whitespace', k1: K1, b: B });
  const t0 = nowMs();
  if (method === 'add') {
    for (let i = 0; i < docs.length; i++) idx.add(String(i), docs[i]);
  } else {
    idx.addMany(docs.map((doc, i) => ({ id: String(i), doc })));
  }
  const stats = idx.stats(); // flushes the pending segment
  return { idx, ms: nowMs() - t0, stats };
}

async function indexBench(o, docs) {
  const times = { add: [], addMany: [] };
  let keep;
  let stats;
  for (let r = 0; r < o.indexReps; r++) {
    // alternate the two methods so that drift of the shared machine hits both alike
    for (const method of r % 2 ? ['addMany', 'add'] : ['add', 'addMany']) {
      keep = undefined;
      gc();
      const built = buildTamsaek(docs, method);
      times[method].push(built.ms);
      stats = built.stats;
      keep = built.idx;
      o.log(`index ${method} rep ${r + 1}/${o.indexReps}: ${(built.ms / 1000).toFixed(2)} s`);
    }
  }
  return { times, idx: keep, stats };
}

async function lancedbPart({ o, docs, queries, tq, tAllMean, dpsMany, push, notes }) {
  const lance = await loadLanceDb();
  if (lance.unavailable) {
    notes.push(`LanceDB rows skipped: ${lance.unavailable}`);
    return;
  }
  o.log(`building a LanceDB ${lance.version} full-text index over ${docs.length} docs…`);
  const lq = await lancedbBm25Bench(lance, docs, queries, { k: TOP_K, log: o.log });
  const lMean = mean(lq.perQuery);
  o.log(`LanceDB fts: ${sig(lMean, 3)} ms/query`);
  let jaccard = 0;
  lq.hits.forEach((hits, i) => {
    const a = new Set(hits.map((h) => h.id));
    const b = new Set(tq.hits[i].map((h) => h.id));
    const both = [...a].filter((id) => b.has(id)).length;
    jaccard += a.size + b.size === 0 ? 1 : both / (a.size + b.size - both);
  });
  const lanceDps = docs.length / (lq.indexMs / 1000);
  push('query_speedup_vs_lancedb_fts', sig(lMean / tAllMean, 4), 'x');
  push('lancedb_fts_query_ms_mean', sig(lMean, 4), 'ms');
  push('lancedb_fts_query_ms_p50', sig(percentile(lq.perQuery, 50), 4), 'ms');
  push('lancedb_fts_query_ms_p95', sig(percentile(lq.perQuery, 95), 4), 'ms');
  push('lancedb_fts_qps', Math.round(1000 / lMean), 'queries/s');
  push('lancedb_index_docs_per_s', Math.round(lanceDps), 'docs/s');
  push('index_speedup_vs_lancedb', sig(dpsMany / lanceDps, 3), 'x');
  push('top10_jaccard_vs_lancedb_fts', sig(jaccard / queries.length, 4), 'fraction');
  notes.push(
    `LanceDB ${lance.version} (bench/peers/lancedb): createTable of { id, text } + Index.fts({ baseTokenizer: "whitespace", withPosition: false }) in a temporary directory (one build, timed as lancedb_index_docs_per_s); fullTextSearch(new MatchQuery(q, "text")).limit(10), all ${queries.length} queries once, sequentially, after 20 warm-up queries; query_speedup_vs_lancedb_fts = LanceDB mean / tamsaek mean (tamsaek_query_ms_mean) over the same queries; top10_jaccard = mean |A∩B| / |A∪B| of the two top-10 id sets (LanceDB's BM25 is its own: scores are not compared)`,
  );
}

function timeTamsaekQueries(o, idx, queries) {
  // warm-up pass (JIT, caches), then queryReps timed passes; per query the median over reps
  for (const q of queries) idx.search(q, { k: TOP_K });
  const perRep = [];
  for (let r = 0; r < o.queryReps; r++) {
    const t = new Float64Array(queries.length);
    for (let i = 0; i < queries.length; i++) {
      const t0 = nowMs();
      idx.search(queries[i], { k: TOP_K });
      t[i] = nowMs() - t0;
    }
    perRep.push(t);
    o.log(`tamsaek queries rep ${r + 1}/${o.queryReps}: ${sig(mean(t), 3)} ms/query`);
  }
  const perQuery = queries.map((_, i) => median(perRep.map((t) => t[i])));
  const hits = queries.map((q) => idx.search(q, { k: TOP_K }));
  return { perQuery, hits };
}

function buildWink(docs) {
  const bm25 = require('wink-bm25-text-search');
  const engine = bm25();
  engine.defineConfig({ fldWeights: { body: 1 }, bm25Params: { k1: K1, b: B, k: 1 } });
  engine.definePrepTasks([(s) => s.split(' ')]);
  const t0 = nowMs();
  for (let i = 0; i < docs.length; i++) engine.addDoc({ body: docs[i] }, String(i));
  engine.consolidate(4);
  return { engine, ms: nowMs() - t0 };
}

function timeWinkQueries(o, engine, queries) {
  // warm up on queries outside the timed subset
  for (const q of queries.slice(-3)) engine.search(q, TOP_K);
  const perQuery = [];
  const hits = [];
  const start = nowMs();
  for (let i = 0; i < queries.length && i < o.winkMaxQueries; i++) {
    if (i >= o.winkMinQueries && nowMs() - start > o.winkBudgetMs) break;
    const t0 = nowMs();
    const res = engine.search(queries[i], TOP_K);
    perQuery.push(nowMs() - t0);
    hits.push(res.map(([id, score]) => ({ id: String(id), score })));
  }
  return { perQuery, hits };
}

async function analyzerBench(o) {
  const { files, fallback, root } = corpusFiles();
  const { sentences, total } = sampleSentences(files, o.sentences);
  const chars = sentences.reduce((a, s) => a + s.length, 0);
  const infos = analyze.listAnalyzers();
  const names =
    typeof o.analyzers === 'function'
      ? o.analyzers(infos).map((a) => a.name)
      : (o.analyzers ?? infos.map((a) => a.name));
  const notes = [];
  if (fallback)
    notes.push(
      `shared corpora not found under ${root}: analyzer throughput measured on the small datasets/sample-ko (set TAMSAEK_DATASETS)`,
    );
  notes.push(
    `analyzer sample: ${sentences.length} of ${total} sentences (${sig(chars / sentences.length, 3)} chars/sentence avg) from ${files.map((f) => f.split('/').slice(-2).join('/')).join(', ')}`,
  );
  const results = [];
  const status =
    typeof analyze.koDicStatus === 'function' ? analyze.koDicStatus : () => ({ loaded: false, loadMs: NaN });
  for (const name of names) {
    const a = analyze.createAnalyzer(name);
    const preloaded = status().loaded;
    const t0 = nowMs();
    a.analyze(sentences[0]); // first use: loads the ko-dic wasm dictionary for dictionary analyzers
    const firstMs = nowMs() - t0;
    const info = infos.find((x) => x.name === name);
    if (info?.needsDictionary && !preloaded) {
      const s = status();
      results.push({
        name: 'ko_morph_load_ms',
        value: sig(Number.isFinite(s.loadMs) && s.loadMs > 0 ? s.loadMs : firstMs, 4),
        unit: 'ms',
      });
    }
    for (const s of sentences.slice(0, 500)) a.analyze(s); // JIT warm-up
    // each timed repetition repeats whole passes over the sample until minRepMs has elapsed, so that the
    // fast analyzers (a pass of a few ms) are not dominated by timer and GC noise
    const timeRep = (pass) => {
      gc();
      let passes = 0;
      const t = nowMs();
      let elapsed = 0;
      do {
        pass();
        passes++;
        elapsed = nowMs() - t;
      } while (elapsed < o.minRepMs);
      return elapsed / passes;
    };
    const single = [];
    const batch = [];
    let terms = 0;
    for (let r = 0; r < o.analyzerReps; r++) {
      single.push(
        timeRep(() => {
          terms = 0;
          for (const s of sentences) terms += a.analyze(s).length;
        }),
      );
      if (typeof a.analyzeBatch === 'function') batch.push(timeRep(() => a.analyzeBatch(sentences)));
    }
    const sps = sentences.length / (median(single) / 1000);
    o.log(`analyzer ${name}: ${Math.round(sps)} sentences/s (${sig(terms / sentences.length, 3)} terms/sentence)`);
    results.push({ name: `analyzer_sentences_per_s.${name}`, value: Math.round(sps), unit: 'sentences/s' });
    if (batch.length)
      results.push({
        name: `analyzer_batch_sentences_per_s.${name}`,
        value: Math.round(sentences.length / (median(batch) / 1000)),
        unit: 'sentences/s',
      });
    results.push({
      name: `analyzer_terms_per_sentence.${name}`,
      value: sig(terms / sentences.length, 3),
      unit: 'terms',
    });
  }
  return { results, notes };
}

export async function run(options = {}) {
  const o = resolveOptions(options);
  const w = o.workload;
  const results = [];
  const notes = [];
  const push = (name, value, unit) => results.push({ name, value, unit });

  o.log(
    `workload: ${w.docs} docs, vocab ${w.vocab}, length ${w.minLen}..${w.maxLen}, ${w.queries} queries of ${w.minQ}..${w.maxQ} tokens, seed ${w.seed}`,
  );
  const t0 = nowMs();
  const { docs, queries: rawQueries } = makeBm25Workload(w);
  const queries = rawQueries.map(dedupQuery);
  o.log(`workload generated in ${((nowMs() - t0) / 1000).toFixed(1)} s`);

  // 1. indexing: add() one by one vs addMany(), each followed by one stats() (flush)
  const ix = await indexBench(o, docs);
  const dpsAdd = w.docs / (median(ix.times.add) / 1000);
  const dpsMany = w.docs / (median(ix.times.addMany) / 1000);
  push('index_docs_per_s', Math.round(dpsMany), 'docs/s');
  push('index_docs_per_s.add', Math.round(dpsAdd), 'docs/s');
  push('index_docs_per_s.addMany', Math.round(dpsMany), 'docs/s');
  notes.push(
    `index_docs_per_s is addMany() (the documented batch path), median of ${o.indexReps} runs; add() one by one gives ${Math.round(dpsAdd)} docs/s (${sig(dpsMany / dpsAdd, 3)}× ratio addMany/add)`,
  );
  o.log(`index stats: ${JSON.stringify(ix.stats)}`);

  // 2. tamsaek queries: all queries × queryReps
  const tq = timeTamsaekQueries(o, ix.idx, queries);

  // 2b. what dynamic pruning buys: the same index scoring every matching document (same results)
  const exhaustiveMs = [];
  const prunedMs = [];
  for (let r = 0; r < o.queryReps; r++) {
    for (const exhaustive of r % 2 ? [true, false] : [false, true]) {
      const t0 = nowMs();
      for (const q of queries) ix.idx.search(q, { k: TOP_K, exhaustive });
      (exhaustive ? exhaustiveMs : prunedMs).push(nowMs() - t0);
    }
  }
  push('maxscore_speedup_vs_exhaustive', sig(median(exhaustiveMs) / median(prunedMs), 3), 'x');
  notes.push(
    `maxscore_speedup_vs_exhaustive: the same index with { exhaustive: true } (document-at-a-time, every match scored), median of ${o.queryReps} passes over all queries`,
  );

  // 3. wink: build once, time a subset of queries (each ~100–300 ms at 100k docs)
  gc();
  o.log(`building wink-bm25-text-search index over ${w.docs} docs…`);
  const wink = buildWink(docs);
  o.log(`wink index built in ${(wink.ms / 1000).toFixed(1)} s`);
  const wq = timeWinkQueries(o, wink.engine, queries);
  const n = wq.perQuery.length;
  o.log(`wink: ${n} queries timed, ${sig(mean(wq.perQuery), 3)} ms/query`);

  // 4. agreement of top-10 over the wink subset
  let agree = 0;
  const disagreements = [];
  for (let i = 0; i < n; i++) {
    if (topKAgree(tq.hits[i], wq.hits[i])) agree++;
    else if (disagreements.length < 3) disagreements.push({ query: i, tamsaek: tq.hits[i], wink: wq.hits[i] });
  }
  const agreement = n ? agree / n : NaN;

  const tSubsetMean = mean(tq.perQuery.slice(0, n));
  const tAllMean = mean(tq.perQuery);
  const wMean = mean(wq.perQuery);
  push('query_speedup_vs_wink', sig(wMean / tSubsetMean, 4), 'x');
  push('query_speedup_vs_wink.tamsaek_all_queries', sig(wMean / tAllMean, 4), 'x');
  push('tamsaek_query_ms_mean', sig(tAllMean, 4), 'ms');
  push('tamsaek_query_ms_p50', sig(percentile(tq.perQuery, 50), 4), 'ms');
  push('tamsaek_query_ms_p95', sig(percentile(tq.perQuery, 95), 4), 'ms');
  push('tamsaek_query_ms_p99', sig(percentile(tq.perQuery, 99), 4), 'ms');
  push('tamsaek_query_ms_mean.wink_subset', sig(tSubsetMean, 4), 'ms');
  push('tamsaek_qps', Math.round(1000 / tAllMean), 'queries/s');
  push('wink_query_ms_mean', sig(wMean, 4), 'ms');
  push('wink_query_ms_p50', sig(percentile(wq.perQuery, 50), 4), 'ms');
  push('wink_queries_timed', n, 'queries');
  push('wink_index_docs_per_s', Math.round(w.docs / (wink.ms / 1000)), 'docs/s');
  push('index_speedup_vs_wink', sig(dpsMany / (w.docs / (wink.ms / 1000)), 3), 'x');
  push('top10_agreement_vs_wink', sig(agreement, 4), 'fraction');
  notes.push(
    `queries: ${w.queries} (de-duplicated tokens, given to both engines); tamsaek: all × ${o.queryReps} reps (per-query median) after a warm-up pass; wink: the first ${n} queries once (budget ${o.winkBudgetMs / 1000} s, single-run timings and a single index build)`,
  );
  notes.push(
    `query_speedup_vs_wink = wink mean / tamsaek mean per query over the same ${n} queries; the .tamsaek_all_queries variant uses tamsaek's mean over all ${w.queries}`,
  );
  notes.push(
    `top-10 agreement: ${agree}/${n} queries (scores within ${SCORE_TOL} rank by rank; ids compared outside the tie band at the cut-off)`,
  );
  wink.engine = undefined;

  // 4b. LanceDB full-text search (the bench peer folder bench/peers/lancedb) over the same documents and queries
  gc();
  await lancedbPart({ o, docs, queries, tq, tAllMean, dpsMany, push, notes });

  // 5. analyzers
  gc();
  const an = await analyzerBench(o);
  results.push(...an.results);
  notes.push(...an.notes);

  if (!(agreement >= MIN_AGREEMENT)) {
    const err = new Error(
      `top-10 agreement with wink-bm25-text-search is ${agree}/${n} = ${agreement}, below ${MIN_AGREEMENT}; first disagreements: ${JSON.stringify(disagreements)}`,
    );
    err.results = results;
    err.notes = notes;
    throw err;
  }
  return { results, notes };
}
