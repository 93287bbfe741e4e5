#!/usr/bin/env node
// Where int8 error comes from on synthetic models, and whether a synthetic model can measure it at all
// (docs/models.md, *Quantization error*). For each 'realistic' gain, against the fp32 model on the sample texts:
//   noise      every MatMul weight × (1 + 0.001·N(0,1)), fp32: how sensitive the model itself is
//   weights    per-channel int8 rounding of the weights only, fp32 activations
//   int8       tamsaek quantize without smoothing
//   smoothed   tamsaek quantize (default: smoothing α 0.5)
//
//   npm run build && node scripts/quantization-error.mjs [--gains 1,0.8,0.7,0.6,0.5] [--shape '{"hidden":256,...}']
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { quantizeModel, quantizeSymmetric } from '../dist/models/quantize.js';
import { compareEmbeddings, SAMPLE_QUERIES, SAMPLE_TEXTS } from '../dist/models/quantize-check.js';
import { ensureSyntheticModel } from '../dist/models/synthetic.js';
import { compareScores } from '../dist/rerank/agreement.js';
import { gaussian, writeWeightVariant } from './lib/weight-variants.mjs';

const { values } = parseArgs({
  options: { gains: { type: 'string' }, shape: { type: 'string' }, cache: { type: 'string' } },
});
const gains = (values.gains ?? '1,0.8,0.7,0.6,0.5').split(',').map(Number);
// 24 layers as XLM-R-large, narrower so each model takes seconds: sensitivity grows with depth, not width
const shape = JSON.parse(values.shape ?? '{"layers":24,"hidden":256,"heads":4,"ffn":1024,"vocab":24000}');
const cache = values.cache ?? path.join(tmpdir(), 'tamsaek-quantization-error');
mkdirSync(cache, { recursive: true });

async function variants(dir) {
  const normal = gaussian(3);
  await writeWeightVariant(dir, 'noise', (w) => w.map((v) => v * (1 + 0.001 * normal())));
  await writeWeightVariant(dir, 'weights', (w, K, N) => {
    const { q, scales } = quantizeSymmetric(w, K, N, 1);
    return Float32Array.from(q, (v, i) => v * scales[i % N]);
  });
  await quantizeModel(dir, { smooth: false, out: 'onnx/int8.onnx', force: true });
  await quantizeModel(dir, { out: 'onnx/smoothed.onnx', force: true });
}

const f = (x) => x.toFixed(4);
console.log(
  '| gain | variant | embed cos min | centered min | fp32 pairwise | rerank τ min | τ mean | mean abs Δlogit | fp32 logit spread |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const gain of gains) {
  const enc = (await ensureSyntheticModel(cache, { ...shape, init: 'realistic', gain })).dir;
  const ce = (await ensureSyntheticModel(cache, { ...shape, init: 'realistic', gain, head: 'cross-encoder' })).dir;
  for (const dir of [enc, ce]) await variants(dir);
  for (const name of ['noise', 'weights', 'int8', 'smoothed']) {
    const files = { fp32File: 'onnx/model.onnx', int8File: `onnx/${name}.onnx` };
    const e = await compareEmbeddings(enc, files);
    const passages = SAMPLE_QUERIES.map(() => SAMPLE_TEXTS.slice(0, 20));
    const s = await compareScores(ce, { ...files, queries: SAMPLE_QUERIES, passages });
    console.log(
      `| ${gain} | ${name} | ${f(e.minCosine)} | ${f(e.minCenteredCosine)} | ${f(e.meanPairwiseCosine)} | ${f(s.minKendallTau)} | ${f(s.meanKendallTau)} | ${f(s.meanAbsLogitDiff)} | ${f(s.meanLogitSpread)} |`,
    );
  }
}
