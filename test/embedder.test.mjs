// ONNX embedder on the tiny generated models (test/fixtures/models, made by scripts/gen-test-models.py):
// tokenizer.json (WordPiece + Unigram), truncation, pairs, pooling vs a TS reference, dynamic padding,
// prefixes, int8 preference, cache, model-directory errors.

import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { inspectModelDir, OnnxEmbedder, poolHidden, Tokenizer } from 'tamsaek';
import { sessionOptions } from '../dist/models/ort.js';

const MODELS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'models');
const BERT = path.join(MODELS, 'tiny-bert');
const XLMR = path.join(MODELS, 'tiny-xlmr');
const TEXTS = [
  '한국어 검색 엔진',
  '서울 대학교 학생은 데이터를 공부한다',
  'hello world',
  '질의',
  '문서 벡터 임베딩 테스트입니다 모델 정보 시간 사람 부산',
  '',
];

function close(a, b, tol = 1e-5) {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `index ${i}: ${a[i]} vs ${b[i]}`);
}

/** Reference: run the raw ONNX session on one unpadded sequence and pool in plain JS. */
async function reference(dir, file, ids, typeIds, pooling) {
  const s = await ort.InferenceSession.create(path.join(dir, file), { logSeverityLevel: 3 });
  const n = ids.length;
  const feeds = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, n]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
  };
  if (s.inputNames.includes('token_type_ids'))
    feeds.token_type_ids = new ort.Tensor('int64', BigInt64Array.from(typeIds.map(BigInt)), [1, n]);
  const out = (await s.run(feeds)).last_hidden_state;
  const H = out.dims[2];
  const h = out.data;
  const v = new Array(H).fill(0);
  if (pooling === 'mean') for (let t = 0; t < n; t++) for (let j = 0; j < H; j++) v[j] += h[t * H + j] / n;
  else {
    const t = pooling === 'cls' ? 0 : n - 1;
    for (let j = 0; j < H; j++) v[j] = h[t * H + j];
  }
  const norm = Math.hypot(...v);
  await s.release();
  return v.map((x) => x / norm);
}

test('tokenizer.json: WordPiece and Unigram encode with special tokens, pairs and type ids', async () => {
  const wp = await Tokenizer.fromDir(BERT);
  assert.equal(wp.maxLength, 32);
  assert.deepEqual(wp.tokenize('한국어 검색 Hello'), ['한국', '##어', '검색', 'hello']);
  const pair = wp.encode('한국어', { pair: '서울' });
  assert.equal(pair.ids[0], 2); // [CLS]
  assert.deepEqual(pair.typeIds, [0, 0, 0, 0, 1, 1, 1]);
  const ug = await Tokenizer.fromDir(XLMR);
  assert.equal(ug.maxLength, 24);
  assert.equal(ug.padId, 1);
  assert.deepEqual(ug.tokenize('한국어 검색 엔진'), ['▁한국어', '▁검색', '▁엔진']);
  const e = ug.encode('한국어', { pair: '검색' });
  assert.deepEqual(e.ids.slice(0, 1), [0]);
  assert.deepEqual(e.ids.slice(-1), [2]);
  assert.equal(e.ids.length, 6); // <s> A </s></s> B </s>
  await assert.rejects(Tokenizer.fromJSON({ nope: 1 }), { code: 'INVALID_MODEL' });
  assert.throws(() => ug.encode(42), { code: 'INVALID_ARGUMENT' });
});

test('truncation keeps the special tokens and cuts at maxLength (single texts and longest-first pairs)', async () => {
  const ug = await Tokenizer.fromDir(XLMR);
  const long = Array.from({ length: 40 }, () => '검색').join(' ');
  const one = ug.encode(long);
  assert.equal(one.ids.length, 24);
  assert.equal(one.ids[0], 0);
  assert.equal(one.ids[23], 2);
  assert.equal(ug.encode(long, { maxLength: 8 }).ids.length, 8);
  const wp = await Tokenizer.fromDir(BERT);
  const p = wp.encode(long, { pair: '서울 대학교', maxLength: 12 });
  assert.equal(p.ids.length, 12);
  // longest_first: the short pair text survives whole (서 ##울 대 ##학 ##교 = 5 tokens), the long one is cut
  assert.deepEqual(p.typeIds.filter((t) => t === 1).length, 6);
});

test('pooling (cls / mean / last) equals a TS reference over the raw ONNX output, for both tokenizers', async () => {
  for (const [dir, file] of [
    [BERT, 'onnx/model.onnx'],
    [XLMR, 'onnx/model.onnx'],
  ]) {
    for (const pooling of ['cls', 'mean', 'last']) {
      const emb = await OnnxEmbedder.load(dir, { pooling, quantized: false, threads: 1 });
      assert.equal(emb.dim, 16);
      assert.equal(emb.file, file);
      const got = await emb.embed(TEXTS.slice(0, 3), { kind: 'none' });
      for (let i = 0; i < 3; i++) {
        const enc = emb.tokenizer.encode(TEXTS[i]);
        close(got.subarray(i * 16, (i + 1) * 16), await reference(dir, file, enc.ids, enc.typeIds, pooling), 1e-5);
      }
      await emb.dispose();
    }
  }
});

test('a text embeds the same alone and inside a padded batch of any order (attention mask honoured)', async () => {
  for (const dir of [BERT, XLMR]) {
    const emb = await OnnxEmbedder.load(dir, { batchSize: 4 });
    const batch = await emb.embed(TEXTS);
    const reversed = await emb.embed([...TEXTS].reverse());
    for (let i = 0; i < TEXTS.length; i++) {
      const alone = await emb.embed([TEXTS[i]]);
      close(batch.subarray(i * 16, (i + 1) * 16), alone, 1e-5);
      close(reversed.subarray((TEXTS.length - 1 - i) * 16, (TEXTS.length - i) * 16), alone, 1e-5);
      assert.ok(Math.abs(Math.hypot(...alone) - 1) < 1e-5, 'L2-normalized');
    }
    await emb.dispose();
  }
  // padding that is not masked would change the result: make sure the model is sensitive to it
  const s = await ort.InferenceSession.create(path.join(BERT, 'onnx/model.onnx'), { logSeverityLevel: 3 });
  const ids = [2, 21, 85, 3];
  const run = async (mask) => {
    const n = mask.length;
    const padded = [...ids, ...new Array(n - ids.length).fill(0)];
    const o = await s.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(padded.map(BigInt)), [1, n]),
      attention_mask: new ort.Tensor('int64', BigInt64Array.from(mask.map(BigInt)), [1, n]),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(n), [1, n]),
    });
    return Array.from(o.last_hidden_state.data.slice(0, 16));
  };
  const masked = await run([1, 1, 1, 1, 0, 0]);
  const unmasked = await run([1, 1, 1, 1, 1, 1]);
  assert.ok(masked.some((v, j) => Math.abs(v - unmasked[j]) > 1e-3));
});

test('truncation at max length: texts longer than maxLength embed like their first maxLength tokens', async () => {
  const emb = await OnnxEmbedder.load(XLMR, { maxLength: 10 });
  assert.equal(emb.maxLength, 10);
  const words = Array.from({ length: 30 }, (_, i) => ['한국어', '검색', '엔진', '문서'][i % 4]);
  const a = await emb.embed([words.join(' ')]);
  const b = await emb.embed([words.slice(0, 8).join(' ')]); // 8 words = 8 tokens + <s> </s>
  close(a, b, 1e-6);
  const c = await emb.embed([words.slice(0, 7).join(' ')]);
  assert.ok(Math.abs(a[0] - c[0]) > 1e-6 || Math.abs(a[1] - c[1]) > 1e-6);
  await assert.rejects(OnnxEmbedder.load(XLMR, { maxLength: 100 }), { code: 'INVALID_ARGUMENT' }); // 66 - 2 positions
  await emb.dispose();
});

test('prefixes: presets, options and config_sentence_transformers.json; query vs passage', async () => {
  const emb = await OnnxEmbedder.load(XLMR, { queryPrefix: 'query: ', passagePrefix: 'passage: ' });
  const q = await emb.embedQuery('한국어 검색');
  const p = await emb.embed(['한국어 검색'], { kind: 'passage' });
  const none = await emb.embed(['한국어 검색'], { kind: 'none' });
  close(q, await emb.embed(['query: 한국어 검색'], { kind: 'none' }), 0);
  close(p, await emb.embed(['passage: 한국어 검색'], { kind: 'none' }), 0);
  assert.ok(Math.abs(q[0] - none[0]) > 1e-6);
  await assert.rejects(emb.embed(['x'], { kind: 'doc' }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(emb.embed('x'), { code: 'INVALID_ARGUMENT' });
  await emb.dispose();
  // a KoE5 export (same name as the Hub repo) picks the preset's prefixes and mean pooling;
  // its dimension (1024) does not match this tiny model (16): a typed error, not garbage
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tamsaek-model-'));
  try {
    const koe5 = path.join(dir, 'nlpai-lab--KoE5');
    cpSync(XLMR, koe5, { recursive: true });
    await assert.rejects(OnnxEmbedder.load(koe5), { code: 'DIMENSION_MISMATCH' });
    const st = path.join(dir, 'st');
    cpSync(XLMR, st, { recursive: true });
    writeFileSync(
      path.join(st, 'config_sentence_transformers.json'),
      JSON.stringify({ prompts: { query: 'q: ', document: 'd: ' } }),
    );
    const e1 = await OnnxEmbedder.load(st);
    assert.equal(e1.pooling, 'mean'); // the default without a preset or 1_Pooling
    await e1.dispose();
    mkdirSync(path.join(st, '1_Pooling'));
    writeFileSync(
      path.join(st, '1_Pooling', 'config.json'),
      JSON.stringify({ word_embedding_dimension: 16, pooling_mode_cls_token: true, pooling_mode_mean_tokens: false }),
    );
    const e2 = await OnnxEmbedder.load(st);
    assert.equal(e2.queryPrefix, 'q: ');
    assert.equal(e2.passagePrefix, 'd: ');
    assert.equal(e2.pooling, 'cls');
    await e2.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('int8 file preferred when present; quantized: false picks model.onnx; the two agree closely', async () => {
  const q = await OnnxEmbedder.load(XLMR);
  assert.equal(q.file, 'onnx/model_quantized.onnx');
  assert.ok(q.quantized);
  const f = await OnnxEmbedder.load(XLMR, { quantized: false });
  assert.equal(f.file, 'onnx/model.onnx');
  const a = await q.embed(TEXTS.slice(0, 3));
  const b = await f.embed(TEXTS.slice(0, 3));
  for (let i = 0; i < 3; i++) {
    let dot = 0;
    for (let j = 0; j < 16; j++) dot += a[i * 16 + j] * b[i * 16 + j];
    assert.ok(dot > 0.98 && dot < 1 - 1e-9, `cosine int8 vs fp32 = ${dot}`);
  }
  await q.dispose();
  await f.dispose();
});

test('embedding cache: hits return the same vectors, bounded size', async () => {
  const emb = await OnnxEmbedder.load(BERT, { cacheSize: 3 });
  const first = await emb.embed(TEXTS.slice(0, 3));
  const again = await emb.embed(TEXTS.slice(0, 3));
  close(first, again, 0);
  assert.equal(emb.cache.hits, 3);
  await emb.embed(TEXTS.slice(3, 6));
  assert.equal(emb.cache.size, 3);
  await emb.dispose();
});

test('model directory errors are typed: missing files, wrong output name, dimension mismatch, static model, junk config', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tamsaek-model-'));
  const copy = (name) => {
    const d = path.join(dir, name);
    cpSync(XLMR, d, { recursive: true });
    return d;
  };
  try {
    await assert.rejects(OnnxEmbedder.load(path.join(dir, 'nope')), { code: 'NOT_FOUND' });
    await assert.rejects(
      OnnxEmbedder.load(path.join(MODELS, 'bad-output-name')),
      (e) => e.code === 'INVALID_MODEL' && /last_hidden_state/.test(e.message) && /embeddings/.test(e.message),
    );
    const noTok = copy('no-tokenizer');
    unlinkSync(path.join(noTok, 'tokenizer.json'));
    await assert.rejects(OnnxEmbedder.load(noTok), (e) => e.code === 'NOT_FOUND' && /tokenizer\.json/.test(e.message));
    const noOnnx = copy('no-onnx');
    unlinkSync(path.join(noOnnx, 'onnx/model.onnx'));
    unlinkSync(path.join(noOnnx, 'onnx/model_quantized.onnx'));
    await assert.rejects(OnnxEmbedder.load(noOnnx), (e) => e.code === 'NOT_FOUND' && /onnx/.test(e.message));
    const noConfig = copy('no-config');
    unlinkSync(path.join(noConfig, 'config.json'));
    await assert.rejects(OnnxEmbedder.load(noConfig), (e) => e.code === 'NOT_FOUND' && /config\.json/.test(e.message));
    const wrongDim = copy('wrong-dim');
    const cfg = JSON.parse(readFileSync(path.join(wrongDim, 'config.json'), 'utf8'));
    writeFileSync(path.join(wrongDim, 'config.json'), JSON.stringify({ ...cfg, hidden_size: 32 }));
    await assert.rejects(OnnxEmbedder.load(wrongDim), { code: 'DIMENSION_MISMATCH' });
    const stat = path.join(dir, 'static');
    cpSync(XLMR, stat, { recursive: true });
    writeFileSync(path.join(stat, 'config.json'), JSON.stringify({ tamsaek_model: 'static', dim: 256 }));
    await assert.rejects(OnnxEmbedder.load(stat), { code: 'NOT_SUPPORTED' });
    await assert.rejects(inspectModelDir(stat), { code: 'NOT_SUPPORTED' });
    writeFileSync(path.join(stat, 'config.json'), JSON.stringify({ hello: 1 }));
    await assert.rejects(OnnxEmbedder.load(stat), { code: 'INVALID_MODEL' });
    writeFileSync(path.join(stat, 'config.json'), '{oops');
    await assert.rejects(OnnxEmbedder.load(stat), { code: 'PARSE_ERROR' });
    const junkOnnx = copy('junk-onnx');
    writeFileSync(path.join(junkOnnx, 'onnx/model_quantized.onnx'), 'not a model');
    await assert.rejects(OnnxEmbedder.load(junkOnnx), { code: 'INVALID_MODEL' });
    await assert.rejects(OnnxEmbedder.load(XLMR, { pooling: 'max' }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(OnnxEmbedder.load(XLMR, { batchsize: 3 }), { code: 'UNKNOWN_OPTION' });
    await assert.rejects(OnnxEmbedder.load(XLMR, { preset: 'nope/nope' }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(OnnxEmbedder.load('not a model id'), { code: 'NOT_FOUND' });
    await assert.rejects(OnnxEmbedder.load(XLMR, { file: '../tiny-bert/onnx/model.onnx' }), {
      code: 'INVALID_ARGUMENT',
    });
    await assert.rejects(OnnxEmbedder.load(XLMR, { file: '/etc/passwd' }), { code: 'INVALID_ARGUMENT' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cross-encoder fixture: pair encoding feeds a logits [batch, 1] model', async () => {
  const tok = await Tokenizer.fromDir(path.join(MODELS, 'tiny-reranker'));
  const s = await ort.InferenceSession.create(path.join(MODELS, 'tiny-reranker/onnx/model.onnx'), {
    logSeverityLevel: 3,
  });
  assert.deepEqual(s.outputNames, ['logits']);
  const enc = tok.encode('한국어 검색', { pair: '검색 엔진 문서' });
  const n = enc.ids.length;
  const out = await s.run({
    input_ids: new ort.Tensor('int64', BigInt64Array.from(enc.ids.map(BigInt)), [1, n]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
    token_type_ids: new ort.Tensor('int64', BigInt64Array.from(enc.typeIds.map(BigInt)), [1, n]),
  });
  assert.deepEqual(out.logits.dims, [1, 1]);
  assert.ok(Number.isFinite(out.logits.data[0]));
  // poolHidden is exported for reuse: mean of two rows
  const pooled = poolHidden(new Float32Array([1, 0, 0, 1, 5, 5]), new Int32Array([2]), 3, 2, 'mean', false);
  assert.deepEqual(Array.from(pooled), [0.5, 0.5]);
});

test('onnxruntime-node sessions do not spin-wait (docs/models.md, *Threads and other jobs*); onnxruntime accepts the setting', async () => {
  const options = sessionOptions('node', 2);
  assert.equal(options.intraOpNumThreads, 2);
  assert.deepEqual(options.extra, { session: { intra_op: { allow_spinning: '0' } } });
  assert.equal(sessionOptions('web', 2).extra, undefined);
  const session = await ort.InferenceSession.create(path.join(XLMR, 'onnx', 'model.onnx'), options);
  assert.ok(session.inputNames.includes('input_ids'));
  await session.release();
});
