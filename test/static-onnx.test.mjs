// ONNX export of static models: the exported graph, fed the Featurizer's ids and weights, gives the
// StaticEmbedder's embeddings (toy float32 and int8 tables, the shipped model, padded batches, empty
// texts); export errors and the export-onnx command.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { exportStaticOnnx, loadEmbedder, StaticEmbedder, saveStaticModel } from 'tamsaek';
import { initTable } from '../dist/train/trainer.js';
import { runCli } from './helpers/cli.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const FEATURES = { morphemes: false, bigrams: true, buckets: 512, hash: 'fnv1a32', tf: 'log' };
const DIM = 16;
const TEXTS = [
  '지방은행 시중은행 전환',
  '',
  '복지 서비스 신청 방법 복지 복지',
  '은행',
  '기초연금을 신청하려면 주민센터에 가야 합니다',
];

// onnxruntime-node is an optional dependency: without it the graph checks are skipped, visibly.
let ort;
let noOrt = false;
try {
  const m = await import('onnxruntime-node');
  ort = m.InferenceSession ? m : m.default;
} catch (e) {
  noOrt = `onnxruntime-node cannot be loaded (${e.message.split('\n')[0]})`;
}

const run = runCli;

/** Featurizer ids and weights of `texts`, padded to the longest with (id 0, weight 0). */
function feeds(embedder, texts) {
  const feats = texts.map((t) => embedder.featurizer.counts(t));
  const len = Math.max(1, ...feats.map((f) => f.ids.length));
  const ids = new BigInt64Array(texts.length * len);
  const weights = new Float32Array(texts.length * len);
  feats.forEach((f, t) => {
    for (let j = 0; j < f.ids.length; j++) {
      ids[t * len + j] = BigInt(f.ids[j]);
      weights[t * len + j] = embedder.featurizer.weight(f.counts[j]);
    }
  });
  return {
    ids: new ort.Tensor('int64', ids, [texts.length, len]),
    weights: new ort.Tensor('float32', weights, [texts.length, len]),
  };
}

async function runOnnx(file, embedder, texts) {
  const session = await ort.InferenceSession.create(file, { logSeverityLevel: 3 });
  try {
    assert.deepEqual(session.inputNames, ['ids', 'weights']);
    assert.deepEqual(session.outputNames, ['embeddings']);
    const out = await session.run(feeds(embedder, texts));
    assert.deepEqual(out.embeddings.dims, [texts.length, embedder.dim]);
    return out.embeddings.data;
  } finally {
    await session.release();
  }
}

function assertClose(got, want, tol, what) {
  assert.equal(got.length, want.length);
  let max = 0;
  for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(got[i] - want[i]));
  assert.ok(max <= tol, `${what}: max abs diff ${max} > ${tol}`);
}

async function toyModels(dir) {
  const table = initTable(FEATURES.buckets, DIM, 0.5, 1);
  const weights = { rows: FEATURES.buckets, dim: DIM, table };
  await saveStaticModel(path.join(dir, 'f32'), FEATURES, weights, { name: 'toy' });
  await saveStaticModel(path.join(dir, 'i8'), FEATURES, weights, { dtype: 'int8', name: 'toy-int8' });
}

test('exported float32 and int8 graphs equal StaticEmbedder (padded batch, empty text → zeros)', {
  skip: noOrt,
}, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsk-onnx-'));
  try {
    await toyModels(dir);
    for (const dtype of ['f32', 'i8']) {
      const r = await exportStaticOnnx(path.join(dir, dtype), path.join(dir, `${dtype}-onnx`));
      assert.equal(r.file, path.join(dir, `${dtype}-onnx`, 'onnx', 'model.onnx'));
      assert.equal(r.dtype, dtype === 'f32' ? 'float32' : 'int8');
      const embedder = await StaticEmbedder.load(path.join(dir, dtype));
      const want = await embedder.embed(TEXTS);
      const got = await runOnnx(r.file, embedder, TEXTS);
      assertClose(got, want, 1e-5, dtype);
      assert.ok(
        got.subarray(DIM, 2 * DIM).every((v) => v === 0),
        'the empty text pools to zeros',
      );
      assert.ok(got.every(Number.isFinite));
      // a batch of one and a batch whose longest text differs: padding must not change a row
      assertClose(
        await runOnnx(r.file, embedder, [TEXTS[3]]),
        want.subarray(3 * DIM, 4 * DIM),
        1e-5,
        `${dtype} single`,
      );
      assertClose(await runOnnx(r.file, embedder, [TEXTS[1]]), new Float32Array(DIM), 0, `${dtype} only empty`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the shipped model (ko-morph + bigrams, int8) exports and matches StaticEmbedder on Korean text', {
  skip: noOrt,
}, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsk-onnx-ship-'));
  try {
    const shipped = path.join(root, 'models', 'tamsaek-static-ko-v2');
    const r = await exportStaticOnnx(shipped, dir);
    assert.equal(r.dtype, 'int8');
    assert.ok(r.bytes < statSync(path.join(shipped, 'model.safetensors')).size * 1.01);
    const embedder = await StaticEmbedder.load(shipped);
    const texts = [
      '기초연금을 신청하려면 주민센터에 가야 합니다',
      '전세 대출 금리',
      '',
      '장애인 활동지원 급여는 어떻게 받나요?',
      'KB국민은행 2024년 예금자 보호 한도',
    ];
    assertClose(await runOnnx(r.file, embedder, texts), await embedder.embed(texts), 1e-5, 'shipped');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the export directory is a loadable static model; int8 stays int8; existing files need force', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsk-onnx-'));
  try {
    await toyModels(dir);
    const out = path.join(dir, 'out');
    const r = await exportStaticOnnx(path.join(dir, 'i8'), out);
    const st = statSync(path.join(dir, 'i8', 'model.safetensors')).size;
    assert.equal(statSync(r.file).size, r.bytes);
    // the int8 table (512 x 16 bytes) plus scales: about the safetensors' size, not 4x
    assert.ok(r.bytes < st * 1.2, `onnx ${r.bytes} bytes vs safetensors ${st}`);
    assert.deepEqual(
      JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8')),
      JSON.parse(readFileSync(path.join(dir, 'i8', 'config.json'), 'utf8')),
    );
    const copy = await loadEmbedder(out);
    assert.ok(copy instanceof StaticEmbedder);
    assert.deepEqual(
      Array.from(await copy.embed(TEXTS)),
      Array.from(await (await StaticEmbedder.load(path.join(dir, 'i8'))).embed(TEXTS)),
    );

    await assert.rejects(exportStaticOnnx(path.join(dir, 'i8'), out), {
      code: 'INVALID_ARGUMENT',
      message: /already exists/,
    });
    await exportStaticOnnx(path.join(dir, 'f32'), out, { force: true });
    assert.equal(JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8')).dtype, 'float32');
    // in place: only onnx/model.onnx is written
    const inPlace = await exportStaticOnnx(path.join(dir, 'f32'), path.join(dir, 'f32'));
    assert.equal(inPlace.file, path.join(dir, 'f32', 'onnx', 'model.onnx'));
    // an unrelated file in the output directory does not block the export
    mkdirSync(path.join(dir, 'other'));
    writeFileSync(path.join(dir, 'other', 'notes.txt'), 'x');
    await exportStaticOnnx(path.join(dir, 'f32'), path.join(dir, 'other'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('export errors are typed: not a static model, missing directory, unknown option', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsk-onnx-'));
  try {
    mkdirSync(path.join(dir, 'bert'));
    writeFileSync(path.join(dir, 'bert', 'config.json'), JSON.stringify({ model_type: 'bert', hidden_size: 16 }));
    await assert.rejects(exportStaticOnnx(path.join(dir, 'bert'), path.join(dir, 'out')), {
      code: 'INVALID_MODEL',
      message: /not a static model/,
    });
    await assert.rejects(exportStaticOnnx(path.join(dir, 'missing'), path.join(dir, 'out')), { code: 'NOT_FOUND' });
    await toyModels(dir);
    await assert.rejects(exportStaticOnnx(path.join(dir, 'f32'), path.join(dir, 'out'), { overwrite: true }), {
      code: 'UNKNOWN_OPTION',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tamsaek export-onnx: usage, export, refusal without --force, non-static model', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsk-onnx-cli-'));
  try {
    await toyModels(dir);
    const usage = await run(['export-onnx', path.join(dir, 'f32')]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /usage: tamsaek export-onnx <static-model-dir> --out <dir>/);
    const help = await run(['export-onnx', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--force/);
    assert.match((await run(['--help'])).stdout, /tamsaek export-onnx/);

    const out = path.join(dir, 'out');
    const ok = await run(['export-onnx', path.join(dir, 'i8'), '--out', out, '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    const r = JSON.parse(ok.stdout);
    assert.deepEqual(
      { ...r, bytes: 0 },
      { file: path.join(out, 'onnx', 'model.onnx'), bytes: 0, dim: DIM, buckets: FEATURES.buckets, dtype: 'int8' },
    );

    const again = await run(['export-onnx', path.join(dir, 'i8'), '--out', out]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists .*\[INVALID_ARGUMENT\]/);
    const forced = await run(['export-onnx', path.join(dir, 'i8'), '--out', out, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /exported int8 static model \(512 x 16\)/);

    writeFileSync(path.join(dir, 'f32', 'config.json'), JSON.stringify({ model_type: 'bert' }));
    const bad = await run(['export-onnx', path.join(dir, 'f32'), '--out', path.join(dir, 'out2')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not a static model \[INVALID_MODEL\]/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
