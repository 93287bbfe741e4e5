// onnxruntime-node and hnswlib-node are optional and loaded lazily: with both unresolvable (module hooks
// in a child process), the public API still imports, BM25 and the exact index work, and dense features
// fail with NATIVE_UNAVAILABLE instead of crashing.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

test('BM25 and the exact index work without onnxruntime-node and hnswlib-node; dense features give NATIVE_UNAVAILABLE', () => {
  const script = `
    const t = await import('./dist/index.js');
    const out = {};
    const bm = new t.Bm25Index({ analyzer: 'whitespace' });
    bm.add('a', '한국어 검색'); bm.add('b', '서울 대학교');
    out.bm25 = bm.search('검색', { k: 1 })[0].id;
    const ex = await t.createVectorIndex({ dim: 2, expectedSize: 10 });
    await ex.add(['x'], new Float32Array([1, 0]));
    out.exact = (await ex.search(new Float32Array([1, 0]), 1))[0].id;
    for (const [name, fn] of [['hnsw', () => t.createVectorIndex({ dim: 2, kind: 'hnsw' })], ['embed', () => t.OnnxEmbedder.load('test/fixtures/models/tiny-xlmr')]]) {
      try { await fn(); out[name] = 'loaded?!'; } catch (e) { out[name] = e.code + ': ' + e.message; }
    }
    console.log(JSON.stringify(out));`;
  const stdout = execFileSync(
    process.execPath,
    ['--import', './test/helpers/block-optional-deps.mjs', '--input-type=module', '-e', script],
    { cwd: root, encoding: 'utf8' },
  );
  const out = JSON.parse(stdout.trim().split('\n').pop());
  assert.equal(out.bm25, 'a');
  assert.equal(out.exact, 'x');
  assert.match(out.hnsw, /^NATIVE_UNAVAILABLE: .*hnswlib-node/);
  assert.match(out.embed, /^NATIVE_UNAVAILABLE: .*onnxruntime-node/);
});
