// Two workloads of the models suite (bench/models.mjs) alone, in one process, for docs/models.md: the 16 x 128-token
// embedding fp32 against int8 (5 alternating repetitions), and the int8 cross-encoder's default budget
// (12 pairs x 192 tokens) against 20 x 96 (7 alternating repetitions). Uses the suite's cached synthetic
// XLM-R-large models (run `npm run bench -- models` once first, and `npm run build`).
// usage: OMP_NUM_THREADS=2 node docs/research/models-spot-check.mjs [embed] [rerank]
import os from 'node:os';
import path from 'node:path';
import { textOfLength } from '../../bench/lib/models-children.mjs';
import { OnnxEmbedder } from '../../dist/models/embedder.js';
import { defaultCacheDir } from '../../dist/models/hub.js';
import { CrossEncoder } from '../../dist/rerank/index.js';
import { mulberry32 } from '../../dist/util/random.js';

const CACHE = process.env.TAMSAEK_BENCH_MODELS ?? path.join(defaultCacheDir(), 'synthetic');
const SHAPE = 'hf-L24-H1024-A16-F4096-V250002-s1';
const parts = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['embed', 'rerank'];
const median = (x) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)];
const seconds = async (fn) => {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
};
const load1 = () => os.loadavg()[0].toFixed(2);

async function embed() {
  const dir = path.join(CACHE, `xlmr-encoder-${SHAPE}`);
  const load = (file) => OnnxEmbedder.load(dir, { file, threads: 2, batchSize: 16 });
  const [e32, e8] = [await load('onnx/model.onnx'), await load('onnx/model_quantized.onnx')];
  const random = mulberry32(20261206);
  const count = (s) => e32.tokenizer.encode(s).ids.length;
  const texts = Array.from({ length: 16 }, () => textOfLength(count, 128, random));
  await e32.embed(texts.slice(0, 2));
  await e8.embed(texts.slice(0, 2));
  const a = [];
  const b = [];
  for (let r = 0; r < 5; r++) {
    a.push(await seconds(() => e32.embed(texts)));
    b.push(await seconds(() => e8.embed(texts)));
    console.log(`embed 16 x 128: fp32 ${a[r].toFixed(2)} s, int8 ${b[r].toFixed(2)} s, load ${load1()}`);
  }
  const ratio = median(a.map((x, i) => x / b[i]));
  console.log(`embed: median ratio ${ratio.toFixed(2)}; fp32 ${(16 / median(a)).toFixed(2)}, int8 ${(16 / median(b)).toFixed(2)} passages/s`);
}

async function rerank() {
  const dir = path.join(CACHE, `xlmr-cross-encoder-${SHAPE}`);
  const ce = await CrossEncoder.load(dir, { threads: 2, cacheSize: 0, batchSize: 32 });
  const random = mulberry32(20261206);
  const count = (s) => ce.tokenizer.encode(s).ids.length;
  const query = textOfLength(count, 20, random);
  const pairLength = (p) => ce.encodePair(query, p).ids.length;
  const sets = {
    '20 x 96': Array.from({ length: 20 }, () => textOfLength(pairLength, 96, random)),
    [`${ce.defaultTopN} x ${ce.maxLength}`]: Array.from({ length: ce.defaultTopN }, () =>
      textOfLength(pairLength, ce.maxLength, random),
    ),
  };
  for (const p of Object.values(sets)) await ce.score(query, p.slice(0, 2));
  const times = Object.fromEntries(Object.keys(sets).map((k) => [k, []]));
  for (let r = 0; r < 7; r++) for (const [k, p] of Object.entries(sets)) times[k].push(await seconds(() => ce.score(query, p)));
  for (const [k, t] of Object.entries(times))
    console.log(`rerank ${k} (${ce.file}): p50 ${median(t).toFixed(2)} s; all ${t.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}

if (parts.includes('embed')) await embed();
if (parts.includes('rerank')) await rerank();
