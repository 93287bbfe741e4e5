#!/usr/bin/env node
// docs/models.md *Quantization error*: the cross-encoder's classification head left in fp32 vs quantized, on the
// narrow 24-layer synthetic models of scripts/quantization-error.mjs (INITS=hf,realistic; SHAPE, CACHE override).
import path from 'node:path';
import { tmpdir } from 'node:os';
import { quantizeModel } from '../../dist/models/quantize.js';
import { SAMPLE_QUERIES, SAMPLE_TEXTS } from '../../dist/models/quantize-check.js';
import { ensureSyntheticModel } from '../../dist/models/synthetic.js';
import { compareScores } from '../../dist/rerank/agreement.js';
const shape = JSON.parse(process.env.SHAPE ?? '{"layers":24,"hidden":256,"heads":4,"ffn":1024,"vocab":24000}');
const cache = process.env.CACHE ?? path.join(tmpdir(), 'tamsaek-quantization-error');
const f = (x) => x.toFixed(4);
for (const init of (process.env.INITS ?? 'hf,realistic').split(',')) {
  const ce = (await ensureSyntheticModel(cache, { ...shape, init, ...(init === 'realistic' ? { gain: 0.6 } : {}), head: 'cross-encoder' })).dir;
  const head = ['classifier.dense.weight', 'classifier.out_proj.weight'];
  const variants = { smoothed: {}, 'head fp32': { exclude: head } };
  for (const [name, o] of Object.entries(variants)) {
    await quantizeModel(ce, { out: `onnx/v-${name.replace(' ', '-')}.onnx`, force: true, ...o });
    const passages = SAMPLE_QUERIES.map(() => SAMPLE_TEXTS.slice(0, 20));
    const s = await compareScores(ce, { fp32File: 'onnx/model.onnx', int8File: `onnx/v-${name.replace(' ', '-')}.onnx`, queries: SAMPLE_QUERIES, passages });
    console.log(`| ${init} | ${name} | ${f(s.minKendallTau)} | ${f(s.meanKendallTau)} | ${f(s.meanAbsLogitDiff)} | ${f(s.meanLogitSpread)} |`);
  }
}
