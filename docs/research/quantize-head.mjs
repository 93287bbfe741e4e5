#!/usr/bin/env node
// docs/models.md *Quantization error*: the cross-encoder's classification head left in fp32 (the default since
// 2026-12-06) vs quantized (`head: 'int8'`), on the narrow 24-layer synthetic models of
// scripts/quantization-error.mjs (INITS=hf,realistic; SHAPE, CACHE override).
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
  for (const head of ['fp32', 'int8']) {
    await quantizeModel(ce, { out: `onnx/head-${head}.onnx`, force: true, head });
    const passages = SAMPLE_QUERIES.map(() => SAMPLE_TEXTS.slice(0, 20));
    const s = await compareScores(ce, { fp32File: 'onnx/model.onnx', int8File: `onnx/head-${head}.onnx`, queries: SAMPLE_QUERIES, passages });
    console.log(`| ${init} | head ${head} | ${f(s.minKendallTau)} | ${f(s.meanKendallTau)} | ${f(s.meanAbsLogitDiff)} | ${f(s.meanLogitSpread)} |`);
  }
}
