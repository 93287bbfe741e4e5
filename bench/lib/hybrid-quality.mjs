// Quality table of the hybrid suite: every BEIR retrieval set under $TAMSAEK_DATASETS (default
// ../shared/datasets next to the repository root), each searched by tamsaek's legs and by peers in the same run.

import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAnalyzer } from '../../dist/analyze/index.js';
import { loadBeir, readCorpus } from '../../dist/data/beir.js';
import { indexCorpus } from '../../dist/eval/corpus.js';
import { evaluate, latencySummary } from '../../dist/eval/metrics.js';
import { Engine } from '../../dist/index.js';
import { loadHnswlib } from '../../dist/legs/dense/index.js';
import { ftsSearch, ftsTable, hybridSearch, tempDatabase, vectorSearch } from './lancedb.mjs';
import { nowMs } from './stats.mjs';

const require = createRequire(import.meta.url);
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURE_MODEL = path.join(REPO, 'test/fixtures/models/tiny-xlmr');
export const FIXTURE_RERANKER = path.join(REPO, 'test/fixtures/models/tiny-reranker');
const K = 10;
const K1 = 1.2;
const B = 0.75;
const HNSW = { M: 16, efConstruction: 200, efSearch: 64 };

/**
 * The retrieval sets: every directory under the datasets root with corpus.jsonl, queries.jsonl and
 * qrels/test.tsv (training-pair folders have none), sorted with autorag-ko first. Without any, the repository's
 * datasets/sample-ko (`fallback: true`). `tiny` always uses the sample.
 */
export function retrievalSets({ env = process.env, tiny = false } = {}) {
  const root = env.TAMSAEK_DATASETS ? path.resolve(env.TAMSAEK_DATASETS) : path.resolve(REPO, '../shared/datasets');
  const sample = path.join(REPO, 'datasets/sample-ko');
  if (tiny) return { root, dirs: [sample], fallback: true };
  const isSet = (d) => ['corpus.jsonl', 'queries.jsonl', 'qrels/test.tsv'].every((f) => existsSync(path.join(d, f)));
  let dirs = [];
  if (existsSync(root)) {
    dirs = readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => path.join(root, e.name))
      .filter(isSet)
      .sort((a, b) =>
        path.basename(a) === 'autorag-ko' ? -1 : path.basename(b) === 'autorag-ko' ? 1 : a.localeCompare(b),
      );
  }
  if (dirs.length) return { root, dirs, fallback: false };
  return { root, dirs: [sample], fallback: true };
}

async function loadCorpus(corpusPath) {
  const docs = [];
  for await (const d of readCorpus(corpusPath)) if (d.text.trim() !== '' || d.title) docs.push(d);
  return docs;
}

/** wink-bm25-text-search with the prep task of its README (wink-nlp + wink-eng-lite-web-model, stemmed words). */
function winkReadmePrep() {
  const winkNLP = require('wink-nlp');
  const model = require('wink-eng-lite-web-model');
  const nlp = winkNLP(model);
  const its = nlp.its;
  return function prepTask(text) {
    const tokens = [];
    nlp
      .readDoc(text)
      .tokens()
      .filter((t) => t.out(its.type) === 'word' && !t.out(its.stopWordFlag))
      .each((t) => tokens.push(t.out(its.negationFlag) ? `!${t.out(its.stem)}` : t.out(its.stem)));
    return tokens;
  };
}

function buildWink(docs, prepTask, toText) {
  const bm25 = require('wink-bm25-text-search');
  const engine = bm25();
  engine.defineConfig({ fldWeights: { body: 1 }, bm25Params: { k1: K1, b: B, k: 1 } });
  engine.definePrepTasks([prepTask]);
  for (const d of docs) engine.addDoc({ body: toText(d.title ? `${d.title} ${d.text}` : d.text) }, d.id);
  engine.consolidate(4);
  return engine;
}

/** Runs `search` over the queries once, sequentially, after `warmup` unrecorded queries. */
async function timeQueries(queries, search, warmup = 5) {
  for (const q of queries.slice(0, warmup)) await search(q.text);
  const run = new Map();
  const lat = [];
  for (const q of queries) {
    const t0 = nowMs();
    const hits = await search(q.text);
    lat.push(nowMs() - t0);
    run.set(
      q.id,
      hits.slice(0, K).map((h) => ({ id: String(h.id), score: h.score })),
    );
  }
  return { run, lat };
}

function score(run, qrels) {
  // only the timed queries' qrels (latency-only rows may run a subset)
  const sub = new Map([...qrels].filter(([q]) => run.has(q)));
  const m = evaluate(run, sub, { ks: [1, 10], metrics: ['ndcg', 'recall', 'mrr'] }).mean;
  return { ndcg10: m['ndcg@10'], recall1: m['recall@1'], recall10: m['recall@10'], mrr10: m['mrr@10'] };
}

/** An embedder that serves the corpus' passage vectors from a cache (embedded once) and embeds queries live. */
function cachingEmbedder(embedder, texts, vectors) {
  const at = new Map(texts.map((t, i) => [t, i]));
  const dim = embedder.dim;
  return {
    dim,
    modelId: embedder.modelId,
    async embed(list, options) {
      if (options?.kind === 'passage' && list.every((t) => at.has(t))) {
        const out = new Float32Array(list.length * dim);
        list.forEach((t, i) => out.set(vectors.subarray(at.get(t) * dim, (at.get(t) + 1) * dim), i * dim));
        return out;
      }
      return embedder.embed(list, options);
    },
  };
}

/**
 * Measures one dataset. Returns rows [{dataset, system, queries, latencyOnly, ndcg10, recall1, recall10, mrr10, p50, p95}].
 * o: {model, reranker, modelIsFixture, rerankerIsFixture, latencyQueries, rerankTopN, log}
 */
export async function measureDataset(dir, o) {
  const ds = await loadBeir(dir, { split: 'test' });
  const name = ds.name;
  const log = (...a) => o.log(`${name}:`, ...a);
  const docs = await loadCorpus(ds.corpusPath);
  const rows = [];
  const add = (system, queries, timed, latencyOnly, extra = {}) => {
    const lat = latencySummary(timed.lat);
    const q = latencyOnly ? {} : score(timed.run, ds.qrels);
    const row = {
      dataset: name,
      system,
      queries: queries.length,
      latencyOnly,
      ndcg10: null,
      recall1: null,
      recall10: null,
      mrr10: null,
      ...q,
      p50: lat.p50,
      p95: lat.p95,
      ...extra,
    };
    rows.push(row);
    log(
      `${system}: ${latencyOnly ? 'latency only' : `nDCG@10 ${row.ndcg10.toFixed(4)} R@10 ${row.recall10.toFixed(4)}`} p50 ${lat.p50.toFixed(3)} ms p95 ${lat.p95.toFixed(3)} ms (${queries.length} queries)`,
    );
  };
  log(`${docs.length} docs, ${ds.queries.length} test queries`);

  // 1. tamsaek BM25 leg (default analyzer ko-morph), bare index as `tamsaek eval --retriever bm25`
  const bm25 = await indexCorpus(ds.corpusPath, {});
  add(
    `tamsaek bm25 (${bm25.analyzer.name})`,
    ds.queries,
    await timeQueries(ds.queries, (t) => bm25.search(t, { k: K })),
    false,
  );

  // 2. peers: wink with its README prep task, and wink fed tamsaek's ko-morph tokens
  {
    const engine = buildWink(docs, winkReadmePrep(), (s) => s);
    add(
      'wink-bm25 (README prep)',
      ds.queries,
      await timeQueries(ds.queries, (t) => engine.search(t, K).map(([id, s]) => ({ id, score: s }))),
      false,
    );
  }
  {
    const analyzer = createAnalyzer(bm25.analyzer.name);
    const toTokens = (s) => [...new Set(analyzer.analyze(s))].join(' '); // wink counts duplicate query terms twice; tamsaek does not
    const engine = buildWink(
      docs,
      (s) => s.split(' ').filter(Boolean),
      (s) => analyzer.analyze(s).join(' '),
    );
    add(
      `wink-bm25 (${bm25.analyzer.name} tokens)`,
      ds.queries,
      await timeQueries(ds.queries, (t) => engine.search(toTokens(t), K).map(([id, s]) => ({ id, score: s }))),
      false,
    );
  }

  // 2b. Orama full-text search, out of the box (it has no Korean tokenizer), and with tamsaek's
  // analyzer as its tokenizer (which separates tokenizer from scoring, like the wink row above)
  const { search: oramaSearch } = await import('@orama/orama');
  const koTokenizer = oramaKoTokenizer(createAnalyzer(bm25.analyzer.name));
  {
    const db = await buildOrama(docs);
    add(
      'orama (default tokenizer)',
      ds.queries,
      await timeQueries(ds.queries, async (t) => oramaHits(await oramaSearch(db, { term: t, limit: K }))),
      false,
    );
  }
  {
    const db = await buildOrama(docs, { tokenizer: koTokenizer });
    add(
      `orama (${bm25.analyzer.name} tokenizer)`,
      ds.queries,
      await timeQueries(ds.queries, async (t) => oramaHits(await oramaSearch(db, { term: t, limit: K }))),
      false,
    );
  }

  // 2c. LanceDB full-text search: its ngram tokenizer on the raw text, and tamsaek's analyzer's terms
  // joined by spaces under its "simple" tokenizer (same tokens → separates tokenizer from scoring)
  const lance = o.lancedb?.lancedb ? await tempDatabase(o.lancedb.lancedb) : undefined;
  try {
    if (lance) await lancedbFtsRows(o.lancedb.lancedb, lance.db, docs, ds.queries, bm25.analyzer.name, add);
    // 3. dense / hybrid / rerank through the Engine, and raw hnswlib-node over the same vectors
    if (o.model) await denseRows({ o, ds, docs, log, add, lance, analyzerName: bm25.analyzer.name, koTokenizer });
  } finally {
    await lance?.dispose();
  }
  return rows;
}

async function lancedbFtsRows(lancedb, db, docs, queries, analyzerName, add) {
  const joined = (d) => (d.title ? `${d.title} ${d.text}` : d.text);
  const ngram = await ftsTable(
    lancedb,
    db,
    'ngram',
    docs.map((d) => ({ id: d.id, text: joined(d) })),
    'ngram',
  );
  add('lancedb fts (ngram)', queries, await timeQueries(queries, (t) => ftsSearch(lancedb, ngram, t, K)), false);
  const analyzer = createAnalyzer(analyzerName);
  const terms = (s) => analyzer.analyze(s).join(' ');
  const koTable = await ftsTable(
    lancedb,
    db,
    'terms',
    docs.map((d) => ({ id: d.id, text: terms(joined(d)) })),
    'simple',
  );
  add(
    `lancedb fts (${analyzerName} tokens)`,
    queries,
    await timeQueries(queries, (t) => ftsSearch(lancedb, koTable, [...new Set(analyzer.analyze(t))].join(' '), K)),
    false,
  );
}

/** Dense, hybrid and rerank rows through the Engine, Orama hybrid, raw hnswlib-node and LanceDB over the same vectors. */
async function denseRows({ o, ds, docs, log, add, lance, analyzerName, koTokenizer }) {
  const { search: oramaSearch } = await import('@orama/orama');
  const { loadEmbedder } = await import('../../dist/models/load.js');
  const { CrossEncoder } = await import('../../dist/rerank/index.js');
  const embedder = await loadEmbedder(o.model, { threads: 1 });
  const reranker = o.reranker ? await CrossEncoder.load(o.reranker, { threads: 1, cacheSize: 0 }) : undefined;
  try {
    const texts = docs.map((d) => (d.title ? `${d.title} ${d.text}` : d.text));
    const t = nowMs();
    const vectors = await embedder.embed(texts, { kind: 'passage' });
    log(`embedded ${texts.length} passages in ${((nowMs() - t) / 1000).toFixed(1)} s (${path.basename(o.model)})`);
    const denseLatencyOnly = o.modelIsFixture;
    const qDense = denseLatencyOnly ? ds.queries.slice(0, o.latencyQueries) : ds.queries;
    const engine = await Engine.create({
      dense: { embedder: cachingEmbedder(embedder, texts, vectors), index: 'hnsw', hnsw: HNSW },
      ...(reranker ? { rerank: { reranker, topN: o.rerankTopN } } : {}),
    });
    await engine.add(
      docs.map((d) => (d.title ? { id: d.id, title: d.title, text: d.text } : { id: d.id, text: d.text })),
    );
    add(
      'tamsaek dense',
      qDense,
      await timeQueries(qDense, (q) => engine.search(q, { k: K, legs: ['dense'], rerank: false })),
      denseLatencyOnly,
    );
    add(
      'tamsaek hybrid (min-max CC)',
      qDense,
      await timeQueries(qDense, (q) => engine.search(q, { k: K, rerank: false })),
      denseLatencyOnly,
    );
    if (reranker) {
      const rerankLatencyOnly = denseLatencyOnly || o.rerankerIsFixture;
      const qR = rerankLatencyOnly ? ds.queries.slice(0, o.latencyQueries) : ds.queries;
      add(
        'tamsaek hybrid (min-max CC) + rerank',
        qR,
        await timeQueries(qR, (q) => engine.search(q, { k: K })),
        rerankLatencyOnly,
      );
    }
    // Orama's hybrid mode over the same vectors and the ko-morph tokenizer: its own fusion (each side
    // divided by its max, weights 0.5 / 0.5); similarity 0 so its vector side is not cut at cosine 0.8
    {
      const db = await buildOrama(docs, { tokenizer: koTokenizer, vectors, dim: embedder.dim });
      const hybrid = async (q) => {
        const v = await embedder.embed([q], { kind: 'query' });
        return oramaHits(
          await oramaSearch(db, {
            mode: 'hybrid',
            term: q,
            vector: { value: Array.from(v), property: 'embedding' },
            similarity: 0,
            limit: K,
          }),
        );
      };
      add(
        `orama hybrid (${analyzerName} tokenizer + the same vectors)`,
        qDense,
        await timeQueries(qDense, hybrid),
        denseLatencyOnly,
      );
    }
    // raw hnswlib-node: the same vectors, the same M / efConstruction / efSearch; query embedding included
    const { HierarchicalNSW } = await loadHnswlib();
    const dim = embedder.dim;
    const raw = new HierarchicalNSW('cosine', dim);
    raw.initIndex({ maxElements: docs.length, m: HNSW.M, efConstruction: HNSW.efConstruction, randomSeed: 100 });
    for (let i = 0; i < docs.length; i++) raw.addPoint(Array.from(vectors.subarray(i * dim, (i + 1) * dim)), i);
    raw.setEf(HNSW.efSearch);
    add(
      'hnswlib-node (raw)',
      qDense,
      await timeQueries(qDense, async (q) => {
        const v = await embedder.embed([q], { kind: 'query' });
        const r = raw.searchKnn(Array.from(v), Math.min(K, docs.length));
        return r.neighbors.map((n, i) => ({ id: docs[n].id, score: 1 - r.distances[i] }));
      }),
      denseLatencyOnly,
    );
    if (lance)
      await lancedbDenseRows({
        lancedb: o.lancedb.lancedb,
        db: lance.db,
        docs,
        vectors,
        embedder,
        qDense,
        analyzerName,
        add,
        denseLatencyOnly,
      });
  } finally {
    await embedder.dispose?.();
    await reranker?.dispose?.();
  }
}

/** LanceDB over the same vectors: its vector search (no index: exact), and its hybrid (RRF) with the ko-morph-token FTS. */
async function lancedbDenseRows({ lancedb, db, docs, vectors, embedder, qDense, analyzerName, add, denseLatencyOnly }) {
  const dim = embedder.dim;
  const analyzer = createAnalyzer(analyzerName);
  const table = await ftsTable(
    lancedb,
    db,
    'vectors',
    docs.map((d, i) => ({
      id: d.id,
      text: analyzer.analyze(d.title ? `${d.title} ${d.text}` : d.text).join(' '),
      vector: Array.from(vectors.subarray(i * dim, (i + 1) * dim)),
    })),
    'simple',
  );
  const embed = async (q) => Array.from(await embedder.embed([q], { kind: 'query' }));
  add(
    'lancedb vector (the same vectors, exact)',
    qDense,
    await timeQueries(qDense, async (q) => vectorSearch(table, await embed(q), K)),
    denseLatencyOnly,
  );
  const rrf = await lancedb.rerankers.RRFReranker.create();
  add(
    `lancedb hybrid RRF (${analyzerName} tokens + the same vectors)`,
    qDense,
    await timeQueries(qDense, async (q) =>
      hybridSearch(lancedb, table, rrf, [...new Set(analyzer.analyze(q))].join(' '), await embed(q), K),
    ),
    denseLatencyOnly,
  );
}

/**
 * An Orama tokenizer over a tamsaek analyzer (Orama's own tokenizers drop Hangul). Every token ends
 * with "$": Orama matches each query token against every indexed word it is a PREFIX of
 * (search-as-you-type), which floods one-syllable morphemes with unrelated words, and its `exact`
 * option is an all-terms ASCII word-boundary filter that matches no Hangul; the marker makes its
 * prefix match an exact one, so it scores the same terms as tamsaek's BM25.
 */
function oramaKoTokenizer(analyzer) {
  return {
    language: 'korean',
    normalizationCache: new Map(),
    tokenize: (raw) => (typeof raw === 'string' ? analyzer.analyze(raw).map((t) => `${t}$`) : []),
  };
}

/** An Orama database of the corpus (title + text), with the documents' vectors when given. */
async function buildOrama(docs, { tokenizer, vectors, dim } = {}) {
  const { create, insertMultiple } = await import('@orama/orama');
  const schema = { title: 'string', text: 'string', ...(vectors ? { embedding: `vector[${dim}]` } : {}) };
  const db = create({ schema, ...(tokenizer ? { components: { tokenizer } } : {}) });
  const rows = docs.map((d, i) => ({
    id: d.id,
    title: d.title ?? '',
    text: d.text,
    ...(vectors ? { embedding: Array.from(vectors.subarray(i * dim, (i + 1) * dim)) } : {}),
  }));
  await insertMultiple(db, rows, 500);
  return db;
}

const oramaHits = (result) => result.hits.map((h) => ({ id: h.id, score: h.score }));

const fmt = (v, d = 4) => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(d));

/** The side-by-side markdown table of the quality rows. */
export function qualityTable(rows) {
  const lines = [
    '| dataset | system | queries | nDCG@10 | Recall@1 | Recall@10 | MRR@10 | p50 ms | p95 ms | note |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.dataset} | ${r.system} | ${r.queries} | ${fmt(r.ndcg10)} | ${fmt(r.recall1)} | ${fmt(r.recall10)} | ${fmt(r.mrr10)} | ${fmt(r.p50, 3)} | ${fmt(r.p95, 3)} | ${r.latencyOnly ? 'random weights — latency only' : ''} |`,
    );
  }
  return lines.join('\n');
}
