// docs/models.md, *Threads and other jobs*: the int8 cross-encoder reranking 20 pairs x 96 tokens against the int8
// encoder embedding 20 texts x 96 tokens, at 2 and 1 threads (per-token: wall and CPU seconds), and the library's
// sessions (no intra-op spinning) against the same sessions with onnxruntime's default spinning (spinning: embedding
// and rerank 20 x 96, a 20-token query). One process, the workloads alternating repetition by repetition. Uses the
// models suite's cached synthetic XLM-R-large models (`npm run bench -- models` once first, and `npm run build`).
// usage: node docs/research/rerank-threads.mjs [per-token] [spinning]   (REPS=9 by default)
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { textOfLength } from '../../bench/lib/models-children.mjs';
import { OnnxEmbedder } from '../../dist/models/embedder.js';
import { defaultCacheDir } from '../../dist/models/hub.js';
import { CrossEncoder } from '../../dist/rerank/index.js';
import { mulberry32 } from '../../dist/util/random.js';

const CACHE = process.env.TAMSAEK_BENCH_MODELS ?? path.join(defaultCacheDir(), 'synthetic');
const SHAPE = 'hf-L24-H1024-A16-F4096-V250002-s1';
const FILE = 'onnx/model_quantized.onnx';
const REPS = Number(process.env.REPS ?? 9);
const parts = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['per-token', 'spinning'];
const median = (x) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)];
const embedder = (threads) =>
  OnnxEmbedder.load(path.join(CACHE, `xlmr-encoder-${SHAPE}`), { file: FILE, threads, batchSize: 32 });
const reranker = (threads) =>
  CrossEncoder.load(path.join(CACHE, `xlmr-cross-encoder-${SHAPE}`), { file: FILE, threads, cacheSize: 0 });

/** The texts: 20 of 96 tokens for the encoder, a 20-token query and 20 passages making 96-token pairs. */
function workload(e, c) {
  const random = mulberry32(20261206);
  const texts = Array.from({ length: 20 }, () => textOfLength((s) => e.tokenizer.encode(s).ids.length, 96, random));
  const query = textOfLength((s) => c.tokenizer.encode(s).ids.length, 20, random);
  const pairLength = (p) => c.encodePair(query, p).ids.length;
  const passages = Array.from({ length: 20 }, () => textOfLength(pairLength, 96, random));
  return { texts, query, passages };
}

/** Runs every workload once per repetition (order reversed every other one); wall and CPU seconds. */
async function alternate(W) {
  for (const f of Object.values(W)) await f();
  const wall = Object.fromEntries(Object.keys(W).map((k) => [k, []]));
  const cpu = Object.fromEntries(Object.keys(W).map((k) => [k, []]));
  for (let r = 0; r < REPS; r++) {
    const keys = r % 2 ? Object.keys(W).reverse() : Object.keys(W);
    for (const k of keys) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await W[k]();
      wall[k].push((performance.now() - t0) / 1000);
      const d = process.cpuUsage(c0);
      cpu[k].push((d.user + d.system) / 1e6);
    }
    console.log(`rep ${r}: ${Object.keys(W).map((k) => `${k} ${wall[k][r].toFixed(3)}`).join(', ')} s; load ${os.loadavg()[0].toFixed(2)}`);
  }
  return { wall, cpu };
}

function compare({ wall, cpu }, a, b) {
  const ratio = (x) => median(x[b].map((v, i) => v / x[a][i])).toFixed(2);
  const one = (k) => `${k} p50 ${median(wall[k]).toFixed(3)} s (cpu ${median(cpu[k]).toFixed(2)}, fastest ${Math.min(...wall[k]).toFixed(3)})`;
  console.log(`${one(a)}; ${one(b)}; ${b} / ${a}, median per repetition: wall ${ratio(wall)}, cpu ${ratio(cpu)}`);
}

async function perToken() {
  const [e2, c2, e1, c1] = [await embedder(2), await reranker(2), await embedder(1), await reranker(1)];
  const { texts, query, passages } = workload(e2, c2);
  const t = await alternate({
    'embed t2': () => e2.embed(texts),
    'rerank t2': () => c2.score(query, passages),
    'embed t1': () => e1.embed(texts),
    'rerank t1': () => c1.score(query, passages),
  });
  compare(t, 'embed t2', 'rerank t2');
  compare(t, 'embed t1', 'rerank t1');
  await Promise.all([e2, c2, e1, c1].map((m) => m.dispose()));
}

/** The same loader with `extra` (the no-spinning setting) stripped from the session options. */
async function spinningToo(load) {
  const create = ort.InferenceSession.create;
  ort.InferenceSession.create = (file, { extra, ...options }) => create.call(ort.InferenceSession, file, options);
  try {
    return await load();
  } finally {
    ort.InferenceSession.create = create;
  }
}

async function spinning() {
  const e = await embedder(2);
  const c = await reranker(2);
  const es = await spinningToo(() => embedder(2));
  const cs = await spinningToo(() => reranker(2));
  const { texts, query, passages } = workload(e, c);
  const t = await alternate({
    'embed spin': () => es.embed(texts),
    embed: () => e.embed(texts),
    'rerank spin': () => cs.score(query, passages),
    rerank: () => c.score(query, passages),
    'query spin': () => es.embedQuery(query),
    query: () => e.embedQuery(query),
  });
  for (const w of ['embed', 'rerank', 'query']) compare(t, `${w} spin`, w);
  await Promise.all([e, c, es, cs].map((m) => m.dispose()));
}

if (parts.includes('per-token')) await perToken();
if (parts.includes('spinning')) await spinning();
