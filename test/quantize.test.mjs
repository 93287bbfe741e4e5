// int8 dynamic quantization (`tamsaek quantize`): the rewritten graphs are valid, load, and stay close to fp32.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import {
  CrossEncoder,
  compareEmbeddings,
  compareScores,
  generateSyntheticModel,
  kendallTau,
  OnnxEmbedder,
  QUANTIZE_FORMATS,
  quantizeModel,
  quantizeSymmetric,
  SAMPLE_TEXTS,
} from 'tamsaek';
import { DT, node, valueInfo, writeOnnxModel } from '../dist/models/onnx-io.js';
import { onnxModelProto } from '../dist/models/onnx-schema.js';

// Debian's python3-onnx (.ci/run installs it): onnx.checker is the independent check of a written graph
const PYTHON_ONNX = spawnSync('/usr/bin/python3', ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;
const MODELS = fileURLToPath(new URL('./fixtures/models/', import.meta.url));
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

async function copyFixture(name) {
  const dir = await mkdtemp(join(tmpdir(), `tamsaek-quant-${name}-`));
  await cp(join(MODELS, name), dir, { recursive: true });
  await rm(join(dir, 'onnx', 'model_quantized.onnx'), { force: true });
  return dir;
}

/** Structural validity: every node input is a graph input, an initializer or an earlier node's output. */
async function assertValidGraph(path) {
  if (PYTHON_ONNX) {
    const check = spawnSync('/usr/bin/python3', [
      '-c',
      'import onnx, sys; onnx.checker.check_model(sys.argv[1])',
      path,
    ]);
    assert.equal(check.status, 0, `onnx.checker: ${check.stderr}`);
  }
  const model = onnxModelProto().decode(await readFile(path));
  const known = new Set(['', ...model.graph.input.map((i) => i.name), ...model.graph.initializer.map((t) => t.name)]);
  for (const n of model.graph.node) {
    for (const i of n.input) assert.ok(known.has(i), `${n.opType} ${n.name}: input ${i} is produced nowhere before it`);
    for (const o of n.output) known.add(o);
  }
  for (const o of model.graph.output) assert.ok(known.has(o.name), `graph output ${o.name} is never produced`);
  return model;
}

test("symmetric per-channel int8: each column's largest weight maps to ±127 and every weight is within half a step", () => {
  const rows = 5;
  const cols = 3;
  const w = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 1.7) * (1 + (i % cols)));
  const { q, scales } = quantizeSymmetric(w, rows, cols, 1);
  for (let c = 0; c < cols; c++) {
    let max = 0;
    for (let r = 0; r < rows; r++) max = Math.max(max, Math.abs(w[r * cols + c]));
    assert.ok(Math.abs(scales[c] - max / 127) < 1e-9);
    for (let r = 0; r < rows; r++) {
      assert.ok(Math.abs(q[r * cols + c] * scales[c] - w[r * cols + c]) <= scales[c] / 2 + 1e-7);
      assert.ok(Math.abs(q[r * cols + c]) <= 127);
    }
  }
  const reduced = quantizeSymmetric(w, rows, cols, 0, 63);
  assert.ok(reduced.q.every((v) => Math.abs(v) <= 63) && reduced.scales.length === rows);
});

test('quantize round-trip on the test encoders: valid graph, int8 weights, loads by default, embeddings close', async () => {
  for (const name of ['tiny-xlmr', 'tiny-bert']) {
    const dir = await copyFixture(name);
    try {
      const report = await quantizeModel(dir, { embeddingMinRows: 1 });
      assert.equal(report.file, join('onnx', 'model_quantized.onnx'));
      assert.ok(report.matmuls >= 1 && report.gathers >= 2, JSON.stringify(report));
      const model = await assertValidGraph(join(dir, report.file));
      const types = new Map(model.graph.initializer.map((t) => [t.name, t.dataType]));
      assert.ok([...types.values()].includes(DT.INT8));
      assert.ok(!types.has('w0') && !types.has('emb'), 'the fp32 weights are gone');
      const embedder = await OnnxEmbedder.load(dir);
      assert.equal(embedder.file, join('onnx', 'model_quantized.onnx'));
      assert.equal(embedder.quantized, true);
      const fp32 = await OnnxEmbedder.load(dir, { quantized: false });
      assert.equal(fp32.file, join('onnx', 'model.onnx'));
      const check = await compareEmbeddings(dir, { fp32File: fp32.file, int8File: embedder.file });
      assert.ok(check.minCosine > 0.999 && check.minCenteredCosine > 0.999, `${name}: ${JSON.stringify(check)}`);
      await Promise.all([embedder.dispose(), fp32.dispose()]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
});

test('every output format loads and agrees with fp32; the cross-encoder keeps its ranking', async () => {
  const dir = await copyFixture('tiny-reranker');
  try {
    for (const format of QUANTIZE_FORMATS) {
      const out = `onnx/q-${format}.onnx`;
      const report = await quantizeModel(dir, { format, out, reduceRange: format === 'matmul-integer' });
      assert.equal(report.matmuls, 2);
      const model = await assertValidGraph(join(dir, out));
      const ops = new Set(model.graph.node.map((n) => n.opType));
      const expected = {
        'matmul-integer-to-float': 'MatMulIntegerToFloat',
        'dynamic-quantize-matmul': 'DynamicQuantizeMatMul',
        'matmul-integer': 'MatMulInteger',
      }[format];
      assert.ok(ops.has(expected) && !ops.has('Gemm'), [...ops].join(','));
      const check = await compareScores(dir, { fp32File: 'onnx/model.onnx', int8File: out });
      assert.ok(check.maxAbsLogitDiff < 0.1 && check.minKendallTau >= 0.9, `${format}: ${JSON.stringify(check)}`);
    }
    const ce = await CrossEncoder.load(dir, { file: 'onnx/q-matmul-integer.onnx' });
    const [s] = await ce.score('연금', ['기초연금 신청']);
    assert.ok(s > 0 && s < 1);
    // weights in model_quantized.onnx_data (the default above 64 MB), loaded and scored alike
    await quantizeModel(dir, { external: true });
    assert.ok((await stat(join(dir, 'onnx', 'model_quantized.onnx_data'))).size > 0);
    const [inline, ext] = await Promise.all(
      ['onnx/q-matmul-integer-to-float.onnx', 'onnx/model_quantized.onnx'].map((file) =>
        CrossEncoder.load(dir, { file, cacheSize: 0 }),
      ),
    );
    assert.deepEqual(
      await ext.score('연금', ['기초연금 신청', '전세']),
      await inline.score('연금', ['기초연금 신청', '전세']),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('Gemm (transB, alpha, beta, bias) and external-data sources quantize to the same function', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-quant-gemm-'));
  try {
    const K = 64;
    const N = 8;
    const w = Float32Array.from({ length: N * K }, (_, i) => Math.cos(i * 0.37));
    const c = Float32Array.from({ length: N }, (_, i) => i / 10);
    await writeOnnxModel(
      join(dir, 'model.onnx'),
      {
        graphName: 'gemm',
        nodes: [node('Gemm', ['x', 'w', 'c'], 'y', { transB: 1, alpha: { float: 0.5 }, beta: { float: 2 } })],
        inputs: [valueInfo('x', DT.FLOAT, ['batch', K])],
        outputs: [valueInfo('y', DT.FLOAT, ['batch', N])],
        initializers: [
          { name: 'w', dataType: DT.FLOAT, dims: [N, K], data: w },
          { name: 'c', dataType: DT.FLOAT, dims: [N], data: c },
        ],
      },
      { external: true },
    );
    assert.ok((await stat(join(dir, 'model.onnx_data'))).size > 0, 'the weight went to the external data file');
    const report = await quantizeModel(dir, { file: 'model.onnx', out: 'model_quantized.onnx' });
    assert.equal(report.gemms, 1);
    await assertValidGraph(join(dir, 'model_quantized.onnx'));
    const x = Float32Array.from({ length: 3 * K }, (_, i) => Math.sin(i));
    const run = async (file) => {
      const s = await ort.InferenceSession.create(join(dir, file));
      const { y } = await s.run({ x: new ort.Tensor('float32', x, [3, K]) });
      return y.data;
    };
    const [a, b] = [await run('model.onnx'), await run('model_quantized.onnx')];
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 0.05, `${i}: ${a[i]} vs ${b[i]}`);
    // the oracle: y = 0.5 x Wᵀ + 2 c
    for (let r = 0; r < 3; r++)
      for (let n = 0; n < N; n++) {
        let dot = 0;
        for (let k = 0; k < K; k++) dot += x[r * K + k] * w[n * K + k];
        assert.ok(Math.abs(a[r * N + n] - (0.5 * dot + 2 * c[n])) < 1e-4);
      }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('smoothing (calibrated on sample texts) divides each quantized activation per channel and cuts the error on outlier channels', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-quant-smooth-'));
  try {
    const shape = {
      layers: 1,
      hidden: 64,
      heads: 4,
      ffn: 128,
      vocab: 24_000,
      head: 'cross-encoder',
      init: 'realistic',
    };
    await generateSyntheticModel(dir, shape);
    // the classification head quantized too (it stays fp32 by default: the next test)
    const plain = await quantizeModel(dir, { smooth: false, out: 'onnx/plain.onnx', head: 'int8' });
    assert.equal(plain.smoothed, 0);
    const smooth = await quantizeModel(dir, { out: 'onnx/smooth.onnx', head: 'int8' });
    assert.equal(smooth.smooth, 0.5);
    // the activations with outlier channels (the LayerNorm outputs: Q/K/V's shared input, the FFN's, the
    // classifier's <s> row) are smoothed; the attention context and the GELU output have none
    assert.equal(smooth.smoothed, 3);
    const model = await assertValidGraph(join(dir, 'onnx', 'smooth.onnx'));
    const muls = model.graph.node.filter((n) => n.opType === 'Mul' && n.output[0].endsWith('_smoothed'));
    assert.deepEqual(muls.map((n) => n.input[0]).sort(), [
      'classifier.cls',
      'emb.out',
      'encoder.layer.0.attention.out',
    ]);
    const err = async (file) =>
      (await compareScores(dir, { fp32File: 'onnx/model.onnx', int8File: file })).meanAbsLogitDiff;
    const [a, b] = [await err('onnx/plain.onnx'), await err('onnx/smooth.onnx')];
    assert.ok(b < a, `smoothed ${b} vs plain ${a}`);
    await assert.rejects(quantizeModel(dir, { smooth: 2, force: true }), { code: 'INVALID_ARGUMENT' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a cross-encoder's classification head (after the per-sequence token pick) stays fp32 unless head: 'int8'", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-quant-head-'));
  const enc = await mkdtemp(join(tmpdir(), 'tamsaek-quant-nohead-'));
  try {
    const shape = { layers: 2, hidden: 32, heads: 4, ffn: 64, vocab: 24_000 };
    await generateSyntheticModel(dir, { ...shape, head: 'cross-encoder' });
    const kept = await quantizeModel(dir, { out: 'onnx/head-fp32.onnx' });
    const all = await quantizeModel(dir, { out: 'onnx/head-int8.onnx', head: 'int8' });
    assert.equal(kept.headKept, 2);
    assert.equal(all.headKept, 0);
    assert.equal(all.matmuls + all.gemms, kept.matmuls + kept.gemms + 2);
    // the body is quantized alike (2 layers × Q, K, V, attention out, FFN in, FFN out)
    assert.equal(kept.matmuls + kept.gemms, 12);
    const model = await assertValidGraph(join(dir, 'onnx', 'head-fp32.onnx'));
    const floats = new Set(model.graph.initializer.filter((t) => t.dataType === DT.FLOAT).map((t) => t.name));
    for (const w of ['classifier.dense.weight', 'classifier.out_proj.weight']) {
      assert.ok(floats.has(w), `${w} stays fp32`);
      assert.ok(!model.graph.initializer.some((t) => t.name.startsWith(`${w}_quantized`)), `${w} is not quantized`);
    }
    const check = await compareScores(dir, { fp32File: 'onnx/model.onnx', int8File: 'onnx/head-fp32.onnx' });
    assert.ok(check.maxAbsLogitDiff < 0.1, JSON.stringify(check));
    // an encoder has no head: nothing is kept
    await generateSyntheticModel(enc, shape);
    assert.equal((await quantizeModel(enc)).headKept, 0);
    await assert.rejects(quantizeModel(dir, { head: 'int4', force: true }), { code: 'INVALID_ARGUMENT' });
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(enc, { recursive: true, force: true });
  }
});

test('quantize errors are typed', async () => {
  const dir = await copyFixture('tiny-bert');
  try {
    await assert.rejects(quantizeModel(dir, { formt: 'x' }), { code: 'UNKNOWN_OPTION' });
    await assert.rejects(quantizeModel(dir, { format: 'int4' }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(quantizeModel(dir, { file: '../x.onnx' }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(quantizeModel(dir, { out: 'onnx/model.onnx' }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(quantizeModel(join(dir, 'nope')), { code: 'NOT_FOUND' });
    await quantizeModel(dir);
    await assert.rejects(quantizeModel(dir), { code: 'INVALID_ARGUMENT' }, 'an existing output needs force');
    await quantizeModel(dir, { force: true });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('tamsaek quantize prints the agreement with fp32; a second run needs --force', async () => {
  const dir = await copyFixture('tiny-xlmr');
  try {
    const run = (...args) => spawnSync(process.execPath, [CLI, 'quantize', dir, ...args], { encoding: 'utf8' });
    const first = run('--json');
    assert.equal(first.status, 0, first.stderr);
    const report = JSON.parse(first.stdout);
    assert.equal(report.check.kind, 'encoder');
    assert.equal(report.check.texts, SAMPLE_TEXTS.length);
    assert.ok(report.check.minCosine > 0.99);
    const again = run();
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already exists.*--force/);
    assert.equal(run('--format', 'int4').status, 2);
    const forced = run('--force', '--no-check', '--reduce-range');
    assert.equal(forced.status, 0, forced.stderr);
    assert.match(forced.stdout, /7-bit weights/);
    const excluded = run('--force', '--no-check', '--smooth', 'none', '--exclude', 'w0', '--json');
    assert.equal(excluded.status, 0, excluded.stderr);
    assert.deepEqual(
      (({ matmuls, smoothed }) => ({ matmuls, smoothed }))(JSON.parse(excluded.stdout)),
      { matmuls: 0, smoothed: 0 },
      'the excluded weight stays fp32, no smoothing',
    );
    assert.equal(run('--force', '--smooth', '3').status, 2);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('Kendall τ: 1 for the same order, −1 reversed, ties count as neither', () => {
  assert.equal(kendallTau([1, 2, 3, 4], [10, 20, 30, 40]), 1);
  assert.equal(kendallTau([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  assert.ok(Math.abs(kendallTau([1, 2, 3], [1, 3, 2]) - 1 / 3) < 1e-12);
  assert.throws(() => kendallTau([1], [1, 2]), { code: 'INVALID_ARGUMENT' });
});
