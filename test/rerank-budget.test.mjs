// Reranking cost controls: the token budget per pair, the passage window the budget keeps, runs batched by length
// under a padded-token cap, and the engine sending the passage the legs matched.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CrossEncoder, DEFAULT_PAIR_TOKENS, Engine, passageWindow, planBatches, QUERY_TOKEN_BUDGET } from 'tamsaek';
import { mulberry32 } from '../dist/util/random.js';
import { HashEmbedder } from './helpers/fake-models.mjs';

const MODELS = fileURLToPath(new URL('./fixtures/models/', import.meta.url));
const reranker = `${MODELS}tiny-reranker`;

test('passageWindow keeps the window with the most distinct query pieces (brute-force oracle), or the head', () => {
  const random = mulberry32(7);
  const alphabet = ['▁a', 'b', 'c', '##d', 'e', 'f', '▁g', 'h'];
  for (let round = 0; round < 200; round++) {
    const passage = Array.from({ length: 5 + Math.floor(random() * 30) }, () => alphabet[Math.floor(random() * 8)]);
    const query = Array.from({ length: 1 + Math.floor(random() * 4) }, () => alphabet[Math.floor(random() * 8)]);
    const size = 1 + Math.floor(random() * 8);
    const bare = (p) => p.replace(/^(▁|##)/, '');
    const wanted = new Set(query.map(bare));
    const keys = [];
    for (let start = 0; start + size <= passage.length; start++) {
      const w = passage
        .slice(start, start + size)
        .map(bare)
        .filter((p) => wanted.has(p));
      keys.push(new Set(w).size * 1000 + w.length);
    }
    // the middle of the first run of best-scoring starts
    const top = Math.max(...keys);
    const first = keys.indexOf(top);
    let last = first;
    while (keys[last + 1] === top) last++;
    const mid = Math.floor((first + last) / 2);
    const expected = passage.length <= size ? passage : passage.slice(mid, mid + size);
    assert.deepEqual(passageWindow(query, passage, size), expected);
    assert.deepEqual(passageWindow(query, passage, size, 'head'), passage.slice(0, size));
  }
  assert.deepEqual(passageWindow(['x'], ['a', 'b'], 0), []);
});

test('planBatches: runs of at most maxRows rows and maxTokens padded tokens, in order, covering every row', () => {
  const random = mulberry32(11);
  for (let round = 0; round < 100; round++) {
    const rows = Array.from({ length: Math.floor(random() * 40) }, () => ({
      ids: new Array(1 + Math.floor(random() * 100)),
    }));
    rows.sort((a, b) => b.ids.length - a.ids.length);
    const maxRows = 1 + Math.floor(random() * 10);
    const maxTokens = 50 + Math.floor(random() * 400);
    const batches = planBatches(rows, maxRows, maxTokens);
    assert.deepEqual(batches.flat(), rows);
    for (const b of batches) {
      assert.ok(b.length >= 1 && b.length <= maxRows);
      assert.ok(
        b.length === 1 || b.length * b[0].ids.length <= maxTokens,
        `${b.length} × ${b[0].ids.length} > ${maxTokens}`,
      );
    }
  }
});

test('the token budget per pair is honoured in every ONNX run, keeps the query, and picks the matching window', async () => {
  // words of the tiny model's WordPiece vocabulary, so no piece is [UNK]
  const filler = '서울 부산 대학교 학생 공부 '.repeat(20);
  const long = `${filler}한국어 검색 엔진 모델 벡터 ${filler}`;
  const ce = await CrossEncoder.load(reranker, { maxLength: 16, batchTokens: 40, cacheSize: 0 });
  assert.equal(ce.maxLength, 16);
  const runs = [];
  const run = ce.session.run.bind(ce.session);
  ce.session.run = (feeds, fetches) => {
    runs.push(feeds.input_ids.dims);
    return run(feeds, fetches);
  };
  const passages = [long, '검색', filler, '검색 엔진 '.repeat(30), ''];
  const scores = await ce.score('검색 엔진', passages);
  assert.equal(scores.length, passages.length);
  for (const [B, T] of runs) {
    assert.ok(T <= 16, `a run of ${T} tokens per pair`);
    assert.ok(B === 1 || B * T <= 40, `a run of ${B} × ${T} padded tokens`);
  }
  const pair = ce.encodePair('검색 엔진', long);
  assert.equal(pair.ids.length, 16);
  const tokens = ce.tokenizer.encodeTokens(ce.tokenizer.tokenize('검색 엔진'), null).ids;
  assert.deepEqual(pair.ids.slice(0, tokens.length - 1), tokens.slice(0, -1), 'the query comes first, whole');
  const head = await CrossEncoder.load(reranker, { maxLength: 16, passageWindow: 'head' });
  const headIds = head.encodePair('검색 엔진', long).ids;
  const target = ce.tokenizer.encodeTokens(ce.tokenizer.tokenize('모델 벡터'), null).ids.slice(1, -1);
  assert.ok(target.length > 0);
  assert.ok(
    target.some((id) => pair.ids.includes(id)),
    'the best window reaches the matching sentence',
  );
  assert.ok(!target.some((id) => headIds.includes(id)), 'the head window does not');
  // the default budget, capped by the model's limits; the default top-N fits the per-query token budget
  const plain = await CrossEncoder.load(reranker);
  assert.equal(plain.maxLength, Math.min(DEFAULT_PAIR_TOKENS, 32));
  assert.equal(plain.defaultTopN, Math.floor(QUERY_TOKEN_BUDGET / plain.maxLength));
  assert.equal(ce.defaultTopN, Math.floor(QUERY_TOKEN_BUDGET / 16));
  const engine = await Engine.create({ analyzer: 'ngram', rerank: { reranker: ce } });
  assert.equal(engine.describe().rerank.topN, ce.defaultTopN, "the engine's top-N default comes from the reranker");
  const fixed = await Engine.create({ analyzer: 'ngram', rerank: { reranker: ce, topN: 7 } });
  assert.equal(fixed.describe().rerank.topN, 7);
  const plainReranker = { modelId: 'plain', score: async (_q, ps) => new Float32Array(ps.length) };
  const other = await Engine.create({ analyzer: 'ngram', rerank: { reranker: plainReranker } });
  assert.equal(other.describe().rerank.topN, 20, 'a reranker without defaultTopN: 20');
  await other.close();
  await Promise.all([engine.close(), fixed.close()]);
  await assert.rejects(CrossEncoder.load(reranker, { maxQueryTokens: 100 }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(CrossEncoder.load(reranker, { passageWindow: 'tail' }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(CrossEncoder.load(reranker, { batchTokens: 0 }), { code: 'INVALID_ARGUMENT' });
});

test('the engine sends the reranker the passage the dense leg matched, with the title, not the whole document', async () => {
  const seen = new Map();
  const recorder = {
    modelId: 'recorder',
    async score(query, passages) {
      passages.forEach((p) => seen.set(p, query));
      return Float32Array.from(passages, (p) => (p.includes('청약') ? 1 : 0));
    },
  };
  const filler = Array.from({ length: 8 }, (_, i) => `${i}번째 문단은 지역 축제와 공연 일정을 소개합니다.`).join(' ');
  const long = { id: 'long', title: '주택', text: `${filler} 주택 청약 조건을 설명합니다. ${filler}` };
  const engine = await Engine.create({
    analyzer: 'ngram',
    dense: { embedder: new HashEmbedder(256), chunk: { by: 'chars', size: 60, overlap: 20 } },
    passages: false,
    rerank: { reranker: recorder, topN: 5 },
  });
  await engine.add([long, { id: 'short', text: '주택 정보 안내 게시판' }, { id: 'other', text: '은행 예금 금리' }]);
  const hits = await engine.search('주택 청약 조건', { k: 3 });
  const hit = hits.find((h) => h.id === 'long');
  assert.ok(hit.passage && hit.passage.end - hit.passage.start <= 60);
  const sent = `주택 ${long.text.slice(hit.passage.start, hit.passage.end)}`;
  assert.ok(seen.has(sent), `sent: ${[...seen.keys()].join(' | ')}`);
  assert.ok(![...seen.keys()].some((p) => p.length > 100), 'no whole long document was sent');
  assert.equal(hits[0].id, 'long');
  await engine.close();
});
