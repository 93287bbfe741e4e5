// onnxruntime-node and hnswlib-node are optional peers, loaded lazily: with both unresolvable (module
// hooks in a child process), the public API still imports, BM25 and the exact index work, an
// automatic index above the HNSW size falls back to the exact one, and ONNX models run on
// onnxruntime-web's WebAssembly build with the same vectors; with no ONNX runtime at all, embedding
// fails with NATIVE_UNAVAILABLE naming the fix.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function run(script, block) {
  const stdout = execFileSync(
    process.execPath,
    ['--import', './test/helpers/block-optional-deps.mjs', '--input-type=module', '-e', script],
    { cwd: root, encoding: 'utf8', env: { ...process.env, TAMSAEK_TEST_BLOCK: block, TAMSAEK_ONNX_RUNTIME: '' } },
  );
  return JSON.parse(stdout.trim().split('\n').pop());
}

const EMBED = `
  const t = await import('./dist/index.js');
  const out = {};
  try {
    const e = await t.OnnxEmbedder.load('test/fixtures/models/tiny-xlmr', { threads: 1 });
    out.runtime = e.runtime;
    out.vector = Array.from(await e.embed(['기초연금 신청 방법'], { kind: 'query' }));
  } catch (e) { out.embed = e.code + ': ' + e.message; }
  console.log(JSON.stringify(out));`;

test('without onnxruntime-node and hnswlib-node: BM25, exact and auto indexes work; ONNX runs on WebAssembly', () => {
  const script = `
    const t = await import('./dist/index.js');
    const out = {};
    const bm = new t.Bm25Index({ analyzer: 'whitespace' });
    bm.add('a', '한국어 검색'); bm.add('b', '서울 대학교');
    out.bm25 = bm.search('검색', { k: 1 })[0].id;
    const ex = await t.createVectorIndex({ dim: 2, expectedSize: 10 });
    await ex.add(['x'], new Float32Array([1, 0]));
    out.exact = (await ex.search(new Float32Array([1, 0]), 1))[0].id;
    const big = await t.createVectorIndex({ dim: 2, expectedSize: 50000 });
    out.auto = big.constructor.name;
    try { await t.createVectorIndex({ dim: 2, kind: 'hnsw' }); out.hnsw = 'loaded?!'; } catch (e) { out.hnsw = e.code + ': ' + e.message; }
    const e = await t.OnnxEmbedder.load('test/fixtures/models/tiny-xlmr', { threads: 1 });
    out.runtime = e.runtime;
    out.vector = Array.from(await e.embed(['기초연금 신청 방법'], { kind: 'query' }));
    console.log(JSON.stringify(out));`;
  const out = run(script, 'onnxruntime-node,hnswlib-node');
  assert.equal(out.bm25, 'a');
  assert.equal(out.exact, 'x');
  assert.match(out.auto, /^(Flat|Exact)Index$/);
  assert.match(out.hnsw, /^NATIVE_UNAVAILABLE: .*hnswlib-node/);
  assert.equal(out.runtime, 'web');
  // the same model on onnxruntime-node (nothing blocked) is the oracle
  const native = run(EMBED, 'none');
  assert.equal(native.runtime, 'node');
  assert.equal(out.vector.length, 16);
  for (let i = 0; i < 16; i++) assert.ok(Math.abs(out.vector[i] - native.vector[i]) < 1e-5, `dimension ${i}`);
});

test('with no ONNX runtime at all, embedding fails with NATIVE_UNAVAILABLE and the fix', () => {
  const out = run(EMBED, 'onnxruntime-node,onnxruntime-web');
  assert.match(out.embed, /^NATIVE_UNAVAILABLE: .*onnxruntime-node.*onnxruntime-web.*npm install onnxruntime-node/);
});
