#!/usr/bin/env node
// docs/models.md *Full size: where the rerank disorder comes from*. On the models bench's full-size cross-encoders
// (generated into <tamsaek cache>/synthetic by `npm run bench -- models`), fp32 variants of every MatMul weight:
//   noise      × (1 + 0.001·N(0,1)): how sensitive the model itself is
//   weights    symmetric int8, one scale per output channel (what `tamsaek quantize` stores), activations fp32
//   block32    symmetric int8, one scale per 32 weights of a channel (MatMulNBits' finest common block)
//   block128   the same per 128
// each compared with the fp32 model on the bench's agreement texts (6 sample queries × 20 sample passages).
//   npm run build && node docs/research/quantize-full-size.mjs [hf,realistic-g0.6] [noise,weights,block32,block128]
import path from 'node:path';
import { defaultCacheDir } from '../../dist/models/hub.js';
import { SAMPLE_QUERIES, SAMPLE_TEXTS } from '../../dist/models/quantize-check.js';
import { compareScores } from '../../dist/rerank/agreement.js';
import { gaussian, writeWeightVariant } from '../../scripts/lib/weight-variants.mjs';

/** Symmetric int8 rounding with one scale per `block` consecutive weights of each column (K × N, row-major). */
const blockwise = (block) => (w, K, N) => {
  const out = new Float32Array(w.length);
  for (let n = 0; n < N; n++)
    for (let k0 = 0; k0 < K; k0 += block) {
      const end = Math.min(K, k0 + block);
      let max = 0;
      for (let k = k0; k < end; k++) max = Math.max(max, Math.abs(w[k * N + n]));
      const step = max / 127 || 1;
      for (let k = k0; k < end; k++) out[k * N + n] = Math.round(w[k * N + n] / step) * step;
    }
  return out;
};

const VARIANTS = {
  noise: () => {
    const normal = gaussian(3);
    return (w) => w.map((v) => v * (1 + 0.001 * normal()));
  },
  weights: () => (w, K, N) => blockwise(K)(w, K, N),
  block32: () => blockwise(32),
  block128: () => blockwise(128),
};

const inits = (process.argv[2] ?? 'hf,realistic-g0.6').split(',');
const names = (process.argv[3] ?? 'noise,weights,block32,block128').split(',');
const passages = SAMPLE_TEXTS.slice(0, 20);
for (const init of inits) {
  const dir = path.join(defaultCacheDir(), 'synthetic', `xlmr-cross-encoder-${init}-L24-H1024-A16-F4096-V250002-s1`);
  for (const name of names) {
    await writeWeightVariant(dir, name, VARIANTS[name](), { reuse: true });
    const s = await compareScores(dir, {
      fp32File: 'onnx/model.onnx',
      int8File: `onnx/${name}.onnx`,
      queries: SAMPLE_QUERIES,
      passages: SAMPLE_QUERIES.map(() => passages),
      threads: 2,
    });
    const f = (x) => x.toFixed(4);
    console.log(`| ${init} | ${name} | ${f(s.minKendallTau)} | ${f(s.meanKendallTau)} | ${f(s.meanAbsLogitDiff)} | ${f(s.meanLogitSpread)} |`);
  }
}
