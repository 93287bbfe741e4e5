// Static embedding models: native sparse pooling (forward vs a JS reference, gradient check of the
// backward), int8 rows, safetensors and model-directory round trips, and loadEmbedder dispatch.

import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  createAnalyzer,
  loadEmbedder,
  modelDirKind,
  OnnxEmbedder,
  quantizeRows,
  StaticEmbedder,
  saveStaticModel,
} from 'tamsaek';
import { Featurizer, fnv1a } from '../dist/models/static-features.js';
import { decodeSafetensors, encodeSafetensors } from '../dist/models/static-safetensors.js';
import { createAdamState, sparsePool, sparsePoolAdam, sparsePoolBackward } from '../dist/native/sparse.js';
import { initTable } from '../dist/train/trainer.js';

const FEATURES = { morphemes: false, bigrams: true, buckets: 512, hash: 'fnv1a32', tf: 'log' };
const batch = {
  offsets: Int32Array.from([0, 3, 3, 7]),
  ids: Int32Array.from([1, 4, 4, 0, 2, 3, 4]),
  weights: Float32Array.from([1, 0.5, 2, 1, 1.5, 1, 0.25]),
};
const rows = 5;
const dim = 6;

function refPool(table, normalize) {
  const n = batch.offsets.length - 1;
  const out = new Float64Array(n * dim);
  for (let t = 0; t < n; t++) {
    let ws = 0;
    for (let j = batch.offsets[t]; j < batch.offsets[t + 1]; j++) {
      ws += batch.weights[j];
      for (let k = 0; k < dim; k++) out[t * dim + k] += batch.weights[j] * table[batch.ids[j] * dim + k];
    }
    let mul = ws > 0 ? 1 / ws : 0;
    if (normalize) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += out[t * dim + k] ** 2;
      mul = s > 0 ? 1 / Math.sqrt(s) : 0;
    }
    for (let k = 0; k < dim; k++) out[t * dim + k] *= mul;
  }
  return out;
}

test('sparse pooling forward matches a JS reference (mean and L2-normalized, empty text → 0)', async () => {
  const table = initTable(rows, dim, 1, 3);
  for (const normalize of [false, true]) {
    const got = await sparsePool(batch, { rows, dim, table }, { normalize });
    const want = refPool(table, normalize);
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-5, `${i}: ${got[i]} vs ${want[i]}`);
    for (let k = 0; k < dim; k++) assert.equal(got[dim + k], 0);
  }
});

test('gradient check: pooling backward equals finite differences of the forward', async () => {
  const table = initTable(rows, dim, 1, 5);
  const n = 3;
  const g = initTable(n, dim, 1, 9); // upstream gradient; f(T) = <g, pool(T)>
  const gradTable = new Float32Array(rows * dim);
  await sparsePoolBackward(batch, g, gradTable, rows, dim);
  const f = async (t) => {
    const y = await sparsePool(batch, { rows, dim, table: t });
    let s = 0;
    for (let i = 0; i < y.length; i++) s += g[i] * y[i];
    return s;
  };
  const eps = 1e-2;
  for (let i = 0; i < rows * dim; i++) {
    const tp = table.slice();
    tp[i] += eps;
    const tm = table.slice();
    tm[i] -= eps;
    const num = ((await f(tp)) - (await f(tm))) / (2 * eps);
    assert.ok(
      Math.abs(num - gradTable[i]) < 2e-3,
      `row ${Math.floor(i / dim)} col ${i % dim}: numeric ${num} vs ${gradTable[i]}`,
    );
  }
});

test('fused backward + lazy Adam moves only the touched rows and matches a JS Adam step', async () => {
  const table = initTable(rows, dim, 1, 5);
  const before = table.slice();
  const st = createAdamState(table, rows, dim);
  const g = initTable(3, dim, 1, 11);
  const touched = await sparsePoolAdam(batch, g, st, { lr: 0.1 });
  assert.equal(touched, 5);
  const grad = new Float32Array(rows * dim);
  await sparsePoolBackward(batch, g, grad, rows, dim);
  for (let i = 0; i < rows * dim; i++) {
    // first step: m̂ = g, v̂ = g², update = lr · g / (|g| + eps)
    const want = before[i] - (grad[i] === 0 ? 0 : (0.1 * grad[i]) / (Math.abs(grad[i]) + 1e-8));
    assert.ok(Math.abs(table[i] - want) < 1e-5, `${i}: ${table[i]} vs ${want}`);
  }
  assert.ok(st.slot.every((v) => v === -1));
  await assert.rejects(
    sparsePoolAdam({ offsets: Int32Array.from([0, 1]), ids: Int32Array.from([rows]) }, g, st, { lr: 0.1 }),
    { code: 'INVALID_ARGUMENT' },
  );
});

test('int8 rows pool like their dequantized float32 table', async () => {
  const table = initTable(rows, dim, 1, 7);
  const q = quantizeRows(table, rows, dim);
  const deq = new Float32Array(rows * dim);
  for (let i = 0; i < deq.length; i++) deq[i] = q.table[i] * q.scales[Math.floor(i / dim)];
  const a = await sparsePool(batch, { rows, dim, table: q.table, scales: q.scales }, { normalize: true });
  const b = await sparsePool(batch, { rows, dim, table: deq }, { normalize: true });
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-5);
});

test('safetensors encode/decode round trip (8-byte aligned header)', () => {
  const f = Float32Array.from([1.5, -2, 3.25]);
  const i8 = Int8Array.from([-127, 0, 5, 127]);
  const buf = encodeSafetensors(
    { b: { dtype: 'F32', shape: [3], data: f }, a: { dtype: 'I8', shape: [2, 2], data: i8 } },
    { k: 'v' },
  );
  assert.equal((8 + Number(buf.readBigUInt64LE(0))) % 8, 0);
  const { tensors, metadata } = decodeSafetensors(buf);
  assert.deepEqual(Array.from(tensors.b.data), Array.from(f));
  assert.deepEqual(Array.from(tensors.a.data), Array.from(i8));
  assert.deepEqual(tensors.a.shape, [2, 2]);
  assert.equal(metadata.k, 'v');
  assert.throws(() => decodeSafetensors(buf.subarray(0, 20)), { code: 'INVALID_MODEL' });
});

test('featurizer: hashed bigram ids are stable and weights are 1 + ln tf', () => {
  assert.equal(fnv1a(0x62, '은행'), fnv1a(0x62, '은행'));
  const fz = new Featurizer(FEATURES);
  const c = fz.counts('은행 은행 대출');
  assert.equal(c.ids.length, 2);
  assert.deepEqual([...c.counts].sort(), [1, 2]);
  const b = fz.batch(['은행 은행 대출', '']);
  assert.equal(b.offsets[2], 2);
  assert.ok(Math.abs(Math.max(...b.weights) - (1 + Math.log(2))) < 1e-6);
});

test("featurizer: morpheme features are the named analyzer's terms (ko-morph or ko-mecab); other names typed", () => {
  const text = '지방 은행이 대출 금리를 올렸다';
  for (const name of ['ko-morph', 'ko-mecab']) {
    const fz = new Featurizer({ ...FEATURES, morphemes: name, bigrams: false, buckets: 1 << 20 });
    // ko-mecab's features are its morphemes: a model never has compound terms, whatever the default
    const analyzer = createAnalyzer(name === 'ko-mecab' ? { name, compounds: false } : name);
    assert.equal(fz.morphemeAnalyzer, analyzer.name);
    const terms = analyzer.analyze(text);
    const want = [...new Set(terms.map((t) => fnv1a(0x6d, t) % (1 << 20)))].sort((x, y) => x - y);
    assert.deepEqual([...fz.counts(text).ids], want, name);
  }
  // the two analyzers disagree on this text (lindera's 이 defect), so the features do too
  assert.notDeepEqual(createAnalyzer('ko-morph').analyze(text), createAnalyzer('ko-mecab').analyze(text));
  // a model pins its analyzer's stop tags: ko-mecab's default drops the suffix 성 (XSN), ko-morph's set keeps it
  const pinned = (stopTags) =>
    new Featurizer({ ...FEATURES, morphemes: 'ko-mecab', stopTags, bigrams: false, buckets: 1 << 20 });
  const suffix = fnv1a(0x6d, '성') % (1 << 20);
  assert.ok([...pinned(['E', 'J', 'MM', 'S', 'VC']).counts('가능성').ids].includes(suffix));
  assert.ok(![...pinned(undefined).counts('가능성').ids].includes(suffix));
  assert.throws(() => new Featurizer({ ...FEATURES, stopTags: ['E'] }), { code: 'INVALID_ARGUMENT' });
  assert.throws(
    () => new Featurizer({ ...FEATURES, morphemes: 'mecab' }),
    (e) => e.code === 'INVALID_ARGUMENT' && /morphemes must be "ko-morph", "ko-mecab" or false/.test(e.message),
  );
});

test('save/load round trip (float32 exact, int8 close) and loadEmbedder dispatch', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsk-static-'));
  try {
    const table = initTable(FEATURES.buckets, 16, 0.5, 1);
    const texts = ['지방은행 시중은행 전환', '복지 서비스 신청 방법', ''];
    const mem = StaticEmbedder.fromWeights(FEATURES, { rows: FEATURES.buckets, dim: 16, table });
    const want = await mem.embed(texts);
    await saveStaticModel(path.join(dir, 'f32'), FEATURES, { rows: FEATURES.buckets, dim: 16, table }, { name: 'toy' });
    await saveStaticModel(
      path.join(dir, 'i8'),
      FEATURES,
      { rows: FEATURES.buckets, dim: 16, table },
      { dtype: 'int8' },
    );
    assert.equal(await modelDirKind(path.join(dir, 'f32')), 'static');
    const f32 = await loadEmbedder(path.join(dir, 'f32'));
    assert.ok(f32 instanceof StaticEmbedder);
    assert.equal(f32.modelId, 'toy');
    assert.deepEqual(Array.from(await f32.embed(texts)), Array.from(want));
    const i8 = await loadEmbedder(path.join(dir, 'i8'));
    const got = await i8.embed(texts);
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 0.02);
    // the passage split a model asks for travels in config.json; a bad one is INVALID_MODEL
    await saveStaticModel(
      path.join(dir, 'split'),
      FEATURES,
      { rows: FEATURES.buckets, dim: 16, table },
      { passages: { by: 'chars', size: 150, overlap: 50 } },
    );
    assert.deepEqual((await loadEmbedder(path.join(dir, 'split'))).passages, { by: 'chars', size: 150, overlap: 50 });
    assert.equal(f32.passages, undefined, 'none recorded: whole documents');
    await assert.rejects(
      saveStaticModel(
        path.join(dir, 'split'),
        FEATURES,
        { rows: FEATURES.buckets, dim: 16, table },
        { passages: { by: 'chars', size: 10, overlap: 10 } },
      ),
      { code: 'INVALID_ARGUMENT' },
    );
    const splitConfig = JSON.parse(readFileSync(path.join(dir, 'split', 'config.json'), 'utf8'));
    writeFileSync(
      path.join(dir, 'split', 'config.json'),
      JSON.stringify({ ...splitConfig, passages: { by: 'words', size: 3 } }),
    );
    await assert.rejects(loadEmbedder(path.join(dir, 'split')), {
      code: 'INVALID_MODEL',
      message: /passages: chunk\.by must be/,
    });
    // a non-finite weight (damaged file, diverged run) fails at load, for either dtype
    const nanTable = table.slice();
    nanTable[7] = NaN;
    for (const dtype of ['float32', 'int8']) {
      await assert.rejects(
        saveStaticModel(
          path.join(dir, 'nan'),
          FEATURES,
          { rows: FEATURES.buckets, dim: 16, table: nanTable },
          { dtype },
        ),
        { code: 'INVALID_ARGUMENT', message: /non-finite value at element 7; nothing written/ },
      );
    }
    assert.equal(existsSync(path.join(dir, 'nan')), false);
    const damage = (name, tensor) => {
      const file = path.join(dir, name, 'model.safetensors');
      const { tensors } = decodeSafetensors(readFileSync(file));
      tensors[tensor].data[3] = Infinity;
      writeFileSync(file, encodeSafetensors(tensors));
    };
    cpSync(path.join(dir, 'f32'), path.join(dir, 'nan32'), { recursive: true });
    damage('nan32', 'embeddings');
    await assert.rejects(loadEmbedder(path.join(dir, 'nan32')), {
      code: 'INVALID_MODEL',
      message: /"embeddings" holds a non-finite value \(Infinity\) at element 3/,
    });
    cpSync(path.join(dir, 'i8'), path.join(dir, 'nan8'), { recursive: true });
    damage('nan8', 'scales');
    await assert.rejects(loadEmbedder(path.join(dir, 'nan8')), {
      code: 'INVALID_MODEL',
      message: /"scales" holds a non-finite value/,
    });
    // errors
    await assert.rejects(OnnxEmbedder.load(path.join(dir, 'f32')), { code: 'NOT_SUPPORTED' });
    const cfg = JSON.parse(readFileSync(path.join(dir, 'f32', 'config.json'), 'utf8'));
    writeFileSync(path.join(dir, 'f32', 'config.json'), JSON.stringify({ ...cfg, format: 99 }));
    await assert.rejects(loadEmbedder(path.join(dir, 'f32')), { code: 'UNSUPPORTED_VERSION' });
    writeFileSync(path.join(dir, 'f32', 'config.json'), JSON.stringify({ ...cfg, dim: 17 }));
    await assert.rejects(loadEmbedder(path.join(dir, 'f32')), { code: 'INVALID_MODEL' });
    writeFileSync(path.join(dir, 'f32', 'config.json'), JSON.stringify({ ...cfg, weights: '../x' }));
    await assert.rejects(loadEmbedder(path.join(dir, 'f32')), { code: 'INVALID_MODEL' });
    writeFileSync(path.join(dir, 'f32', 'config.json'), JSON.stringify({ ...cfg, weights: 'missing.safetensors' }));
    await assert.rejects(loadEmbedder(path.join(dir, 'f32')), { code: 'NOT_FOUND' });
    writeFileSync(path.join(dir, 'f32', 'config.json'), JSON.stringify({ tamsaek_model: 'dynamic' }));
    await assert.rejects(loadEmbedder(path.join(dir, 'f32')), { code: 'INVALID_MODEL' });
    // a directory without tamsaek_model goes to the ONNX loader (which wants tokenizer.json)
    writeFileSync(path.join(dir, 'f32', 'config.json'), JSON.stringify({ model_type: 'bert', hidden_size: 16 }));
    assert.equal(await modelDirKind(path.join(dir, 'f32')), 'onnx');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pruned vocabulary: kept buckets own rows, the rest share the OOV rows; round trip and bad kept lists', async () => {
  const { bucketRows } = await import('../dist/models/static-features.js');
  const { pruneVocabulary } = await import('../dist/train/pipeline.js');
  const { TextStore } = await import('../dist/train/data.js');
  const pruned = { ...FEATURES, rows: 12, oovRows: 4 };
  const kept = Int32Array.from([3, 7, 100, 200, 300, 400, 500, 511]);
  const rowOf = bucketRows(pruned, kept);
  assert.deepEqual([rowOf[3], rowOf[7], rowOf[511]], [0, 1, 7]);
  assert.equal(rowOf[8], 8 + (8 % 4)); // OOV bucket 8 → row 8 + 0
  assert.equal(rowOf[9], 8 + 1);
  // two buckets that share an OOV row merge their counts
  assert.deepEqual(
    new Featurizer(pruned, kept).bucketsToRows({
      ids: Int32Array.from([3, 8, 12]),
      counts: Float32Array.from([1, 2, 3]),
    }),
    { ids: Int32Array.from([0, 8]), counts: Float32Array.from([1, 5]) },
  );
  assert.throws(() => bucketRows(pruned, Int32Array.from([7, 3, 100, 200, 300, 400, 500, 511])), /ascending/);
  assert.throws(() => new Featurizer(pruned), /kept buckets/);

  // the trainer's pruning keeps the most frequent buckets and maps the stored features onto rows
  const store = new TextStore(new Featurizer(FEATURES));
  const texts = ['은행 대출 금리', '은행 대출 상담', '은행 예금', '복지 급여 신청'];
  for (const t of texts) store.add(t);
  store.analyzeAll();
  const raw = new Featurizer(FEATURES).counts('은행 대출');
  const { features, keptBuckets } = pruneVocabulary(store, FEATURES, 32);
  assert.equal(features.rows, 32);
  assert.equal(features.oovRows, 2);
  for (const b of raw.ids) assert.ok(keptBuckets.includes(b), 'frequent buckets are kept');
  const fz = new Featurizer(features, keptBuckets);
  assert.deepEqual(store.features(0), fz.counts(texts[0]), 'stored features equal a fresh pruned featurizer');
  assert.ok(Math.max(...store.features(0).ids) < 32);

  // save/load: the kept buckets travel in model.safetensors
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsk-pruned-'));
  try {
    const table = initTable(32, 8, 0.5, 3);
    const mem = StaticEmbedder.fromWeights(features, { rows: 32, dim: 8, table, keptBuckets });
    await saveStaticModel(dir, features, { rows: 32, dim: 8, table, keptBuckets }, { dtype: 'int8' });
    const loaded = await loadEmbedder(dir);
    const want = await mem.embed(texts);
    const got = await loaded.embed(texts);
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 0.03);
    await assert.rejects(saveStaticModel(dir, features, { rows: 32, dim: 8, table }), /kept buckets/);
    // a model file whose kept list does not match its config is INVALID_MODEL
    const cfg = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...cfg, features: { ...cfg.features, oovRows: 3 } }));
    await assert.rejects(loadEmbedder(dir), { code: 'INVALID_MODEL' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
