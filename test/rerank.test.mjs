// Cross-encoder reranker on the generated tiny ONNX model: pairs → logits → sigmoid.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CrossEncoder, Engine } from 'tamsaek';

const MODELS = fileURLToPath(new URL('./fixtures/models/', import.meta.url));
const reranker = `${MODELS}tiny-reranker`;

test('scores are sigmoid logits, independent of batching and order, and cached', async () => {
  const ce = await CrossEncoder.load(reranker, { batchSize: 2 });
  const passages = ['기초연금 신청 방법', '전세 대출 금리', '아주 긴 문장 '.repeat(50), '', 'deposit insurance'];
  const all = await ce.score('연금 신청', passages);
  assert.equal(all.length, passages.length);
  for (const s of all) assert.ok(s > 0 && s < 1 && Number.isFinite(s));
  assert.ok(new Set(all).size > 1, 'different passages score differently');
  const fresh = await CrossEncoder.load(reranker, { batchSize: 7, cacheSize: 0 });
  for (let i = 0; i < passages.length; i++) {
    const [alone] = await fresh.score('연금 신청', [passages[i]]);
    assert.ok(Math.abs(alone - all[i]) < 1e-5, `pair ${i}: ${alone} vs ${all[i]}`);
  }
  const reversed = await fresh.score('연금 신청', [...passages].reverse());
  assert.deepEqual(
    [...reversed].reverse().map((x) => x.toFixed(5)),
    [...all].map((x) => x.toFixed(5)),
  );
  const before = ce.cache.hits;
  await ce.score('연금 신청', passages);
  assert.equal(ce.cache.hits - before, passages.length);
  const raw = await CrossEncoder.load(reranker, { sigmoid: false });
  const [logit] = await raw.score('연금 신청', [passages[0]]);
  assert.ok(Math.abs(1 / (1 + Math.exp(-logit)) - all[0]) < 1e-5);
});

test('an engine reranks with a model directory and reopens it from the manifest', async () => {
  const engine = await Engine.create({ analyzer: 'ngram', rerank: { reranker, topN: 3 } });
  await engine.add([
    { id: 'a', text: '기초연금 신청은 주민센터에서' },
    { id: 'b', text: '기초연금 금액 안내' },
    { id: 'c', text: '전세 대출 금리 비교' },
  ]);
  const hits = await engine.search('기초연금 신청', { k: 3 });
  assert.equal(hits.length, 3);
  for (const h of hits)
    assert.ok(h.legs.rerank.score > 0 && h.legs.rerank.score < 1 && h.score === h.legs.rerank.score);
  assert.ok(hits[0].score >= hits[1].score && hits[1].score >= hits[2].score);
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-rerank-'));
  try {
    await engine.save(dir);
    await engine.close();
    const opened = await Engine.open(dir, { readOnly: true });
    assert.deepEqual(await opened.search('기초연금 신청', { k: 3 }), hits);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('model errors are typed', async () => {
  await assert.rejects(CrossEncoder.load(`${MODELS}tiny-bert`), { code: 'INVALID_MODEL' });
  await assert.rejects(CrossEncoder.load(`${MODELS}nope`), (e) =>
    ['NOT_FOUND', 'INVALID_MODEL', 'OFFLINE', 'DOWNLOAD_ERROR', 'INVALID_ARGUMENT'].includes(e.code),
  );
  await assert.rejects(CrossEncoder.load(reranker, { batch: 3 }), { code: 'UNKNOWN_OPTION' });
  await assert.rejects(CrossEncoder.load(reranker, { maxLength: 100000 }), { code: 'INVALID_ARGUMENT' });
  const ce = await CrossEncoder.load(reranker);
  await assert.rejects(ce.score('q', 'not an array'), { code: 'INVALID_ARGUMENT' });
  const aborted = new AbortController();
  aborted.abort();
  await assert.rejects(ce.score('q', ['x', 'y'], { signal: aborted.signal }), { code: 'ABORTED' });
});
