#!/usr/bin/env node
// Embedding and reranking with the synthetic XLM-R-large models on onnxruntime-node's CUDA execution provider:
// the models suite's workloads (bench/models.mjs) on a GPU, and the CUDA outputs checked against the CPU's.
//
//   npm run build && node scripts/gpu-models.mjs [--require] [--tiny] [--out results.json]
//
// Needs onnxruntime-node's CUDA provider libraries (ONNXRUNTIME_NODE_INSTALL=cuda12 npm install onnxruntime-node,
// which downloads them from NuGet), the CUDA 12 runtime and cuDNN 9, and a GPU. Without them it prints why and
// exits 0 (1 with --require, for a gpu-check that must run it). Models come from the same cache as the bench
// ($TAMSAEK_BENCH_MODELS, default <tamsaek cache>/synthetic); fp32 files (the int8 graph's dynamic quantization ops
// are CPU kernels).
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { textOfLength } from '../bench/lib/models-children.mjs';
import { median, percentile } from '../bench/lib/stats.mjs';
import { OnnxEmbedder } from '../dist/models/embedder.js';
import { defaultCacheDir } from '../dist/models/hub.js';
import { SAMPLE_TEXTS } from '../dist/models/quantize-check.js';
import { cudaUnavailableReason } from '../dist/models/session.js';
import { ensureSyntheticModel } from '../dist/models/synthetic.js';
import { CrossEncoder } from '../dist/rerank/index.js';
import { mulberry32 } from '../dist/util/random.js';

const { values: args } = parseArgs({
  options: { require: { type: 'boolean' }, tiny: { type: 'boolean' }, out: { type: 'string' } },
});
const SHAPE = args.tiny ? { layers: 2, hidden: 128, heads: 4, ffn: 256, vocab: 24_000 } : {};
const FP32 = 'onnx/model.onnx';

const reason = cudaUnavailableReason();
if (reason) {
  console.log(`gpu-models: skipped: ${reason}`);
  process.exit(args.require ? 1 : 0);
}

const cache =
  process.env.TAMSAEK_BENCH_MODELS ??
  (args.tiny ? path.join(tmpdir(), 'tamsaek-bench-models-tiny') : path.join(defaultCacheDir(), 'synthetic'));
const encoderDir = (await ensureSyntheticModel(cache, { ...SHAPE, head: 'encoder' })).dir;
const rerankerDir = (await ensureSyntheticModel(cache, { ...SHAPE, head: 'cross-encoder' })).dir;
const seconds = async (fn) => {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
};
const random = mulberry32(20261206);
const rows = [];

const embedder = await OnnxEmbedder.load(encoderDir, { file: FP32, executionProviders: 'cuda', batchSize: 64 });
if (embedder.executionProvider !== 'cuda') throw new Error('the encoder did not start on CUDA');
const count = (s) => embedder.tokenizer.encode(s).ids.length;
for (const batch of [16, 64])
  for (const L of [64, 128, 256]) {
    const texts = Array.from({ length: batch }, () => textOfLength(count, L, random));
    await embedder.embed(texts);
    const t = [];
    for (let r = 0; r < 5; r++) t.push(await seconds(() => embedder.embed(texts)));
    rows.push({ name: `cuda_fp32_passages_per_s_${L}.batch${batch}`, value: batch / median(t), unit: 'passages/s' });
  }
const query = textOfLength(count, 20, random);
const q = [];
for (let r = 0; r < 22; r++) q.push((await seconds(() => embedder.embedQuery(query))) * 1000);
rows.push({ name: 'cuda_fp32_query_p50_ms', value: percentile(q.slice(1), 50), unit: 'ms' });
await embedder.dispose();
// the CUDA outputs against the CPU's, same file
const cpu = await OnnxEmbedder.load(encoderDir, { file: FP32 });
const gpu = await OnnxEmbedder.load(encoderDir, { file: FP32, executionProviders: 'cuda' });
const [a, b] = [await cpu.embed(SAMPLE_TEXTS), await gpu.embed(SAMPLE_TEXTS)];
let minCos = 1;
for (let i = 0; i < SAMPLE_TEXTS.length; i++) {
  let dot = 0;
  for (let h = 0; h < cpu.dim; h++) dot += a[i * cpu.dim + h] * b[i * cpu.dim + h];
  minCos = Math.min(minCos, dot);
}
rows.push({ name: 'cuda_vs_cpu_embedding_min_cosine', value: minCos, unit: '' });
await Promise.all([cpu.dispose(), gpu.dispose()]);

const ce = await CrossEncoder.load(rerankerDir, { file: FP32, executionProviders: 'cuda', cacheSize: 0 });
const pairQuery = textOfLength((s) => ce.tokenizer.encode(s).ids.length, 20, random);
const passages = Array.from({ length: 20 }, () =>
  textOfLength((p) => ce.encodePair(pairQuery, p).ids.length, 96, random),
);
await ce.score(pairQuery, passages);
const rr = [];
for (let r = 0; r < 11; r++) rr.push(await seconds(() => ce.score(pairQuery, passages)));
rows.push({ name: 'cuda_fp32_rerank_20x96_p50_s', value: percentile(rr, 50), unit: 's' });
await ce.dispose();

console.log('| name | value | unit |\n| --- | ---: | --- |');
for (const r of rows) console.log(`| ${r.name} | ${Number(r.value.toPrecision(4))} | ${r.unit} |`);
if (args.out) writeFileSync(args.out, `${JSON.stringify({ suite: 'gpu-models', results: rows }, null, 2)}\n`);
const bad = rows.find((r) => r.name === 'cuda_vs_cpu_embedding_min_cosine').value < 0.999;
if (bad) console.log('gpu-models: CUDA embeddings differ from the CPU (cosine < 0.999)');
process.exitCode = bad ? 1 : 0;
