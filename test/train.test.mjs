// Static-model training: loss decreases on a toy task, same seed → same model, the batch sampler never
// puts a duplicate text or group in a batch, and the miner's false-negative margin filter.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Featurizer } from 'tamsaek';
import { selfSupervisedPairs, sentences, TextStore } from '../dist/train/data.js';
import { keepCandidate, mineHardNegatives } from '../dist/train/mine.js';
import { bm25Residual, trainPipeline } from '../dist/train/pipeline.js';
import { batchSampler } from '../dist/train/sampler.js';
import { trainStatic } from '../dist/train/trainer.js';
import { mulberry32 } from '../dist/util/random.js';

const FEATURES = { morphemes: false, bigrams: true, buckets: 4096, hash: 'fnv1a32', tf: 'log' };
const SYL = '가나다라마바사아자차카타파하거너더러머버서어저처커터퍼허고노도로모보소오조초';

function toy(n, seed) {
  const rnd = mulberry32(seed);
  const word = () => Array.from({ length: 3 }, () => SYL[Math.floor(rnd() * SYL.length)]).join('');
  const store = new TextStore(new Featurizer(FEATURES));
  const pairs = [];
  for (let i = 0; i < n; i++) {
    const topic = [word(), word(), word()];
    const a = `${topic[0]} ${topic[1]} ${word()}`;
    const p = `${topic[1]} ${topic[2]} ${word()} ${word()}`;
    pairs.push({ anchor: store.add(a), positive: store.add(p), group: `t:${i}`, source: 'toy' });
  }
  store.analyzeAll();
  return { store, pairs };
}

test('loss decreases on a toy task (MNRL and GIST with a BM25 guide)', async () => {
  for (const loss of ['mnrl', 'gist', 'cached-mnrl']) {
    const { store, pairs } = toy(256, 1);
    const r = await trainStatic(store, pairs, {
      features: FEATURES,
      dim: 32,
      batchSize: 64,
      epochs: 6,
      lr: 0.05,
      seed: 3,
      loss,
    });
    const first = r.losses.slice(0, 4).reduce((a, b) => a + b) / 4;
    const last = r.losses.slice(-4).reduce((a, b) => a + b) / 4;
    assert.ok(last < first * 0.5, `${loss}: ${first} → ${last}`);
  }
});

test('same seed, same model; another seed, another model', async () => {
  const run = async (seed) => {
    const { store, pairs } = toy(128, 2);
    return (
      await trainStatic(store, pairs, { features: FEATURES, dim: 16, batchSize: 32, epochs: 2, seed, threads: 2 })
    ).table;
  };
  const a = await run(7);
  const b = await run(7);
  const c = await run(8);
  assert.deepEqual(Buffer.from(a.buffer), Buffer.from(b.buffer));
  assert.notDeepEqual(Buffer.from(a.buffer), Buffer.from(c.buffer));
});

test('batch sampler: no duplicate texts or groups within a batch, every pair once per epoch', () => {
  const pairs = [];
  for (let i = 0; i < 300; i++)
    pairs.push({ anchor: i % 97, positive: 1000 + (i % 50), group: `d:${i % 50}`, source: 's' });
  let total = 0;
  for (const b of batchSampler(pairs, 32, mulberry32(1))) {
    const texts = new Set();
    const groups = new Set();
    for (const p of b) {
      assert.ok(!texts.has(p.anchor) && !texts.has(p.positive) && !groups.has(p.group));
      texts.add(p.anchor).add(p.positive);
      groups.add(p.group);
    }
    total += b.length;
  }
  assert.ok(total <= 300 && total >= 250, `${total}`);
});

test('inverse cloze pairs: a sentence vs the rest of its passage, never across documents', () => {
  const store = new TextStore(new Featurizer(FEATURES));
  const docs = [
    {
      id: 'd1',
      title: '제목',
      text: '첫 번째 문장은 여기에 있습니다. 두 번째 문장도 여기에 있습니다. 세 번째 문장은 마지막입니다.',
      full: '',
    },
  ];
  docs[0].full = `${docs[0].title} ${docs[0].text}`;
  assert.equal(sentences(docs[0].text).length, 3);
  const pairs = selfSupervisedPairs('x', docs, store, { perDoc: 8, random: mulberry32(1) });
  const ict = pairs.filter((p) => p.source === 'x:ict');
  assert.equal(ict.length, 3);
  for (const p of ict) {
    const s = store.text(p.anchor);
    assert.ok(!store.text(p.positive).includes(s));
    const fs = store.features(p.positive);
    assert.ok(fs.ids.length > 0);
  }
  assert.ok(pairs.every((p) => p.group === 'd:x/d1'));
  // keep = 1: every positive is the whole passage, sentence included; keep = 0 draws nothing extra
  const kept = selfSupervisedPairs('x', docs, store, { perDoc: 8, keep: 1, random: mulberry32(1) }).filter(
    (p) => p.source === 'x:ict',
  );
  assert.equal(kept.length, 3);
  for (const p of kept) assert.equal(store.text(p.positive), docs[0].full);
  let draws = 0;
  selfSupervisedPairs('x', docs, store, { perDoc: 8, random: () => (draws++, 0.5) });
  assert.equal(draws, 2); // the sentence shuffle only
});

test('miner: margin filter (absolute / relative) and BM25 negatives skip near-ties', async () => {
  assert.equal(keepCandidate(9.6, 10, 'relative', 0.05), false);
  assert.equal(keepCandidate(9.4, 10, 'relative', 0.05), true);
  assert.equal(keepCandidate(9.6, 10, 'absolute', 0.5), false);
  assert.equal(keepCandidate(9.4, 10, 'absolute', 0.5), true);
  const docs = [
    '국민연금 수급 자격',
    '국민연금 수급 자격 안내',
    '기초연금 신청 방법',
    '장애인 연금 지원',
    '청년 주거 지원',
  ].map((t, i) => ({ id: `d${i}`, title: '', text: t, full: t }));
  const mined = await mineHardNegatives(docs, [{ anchor: '국민연금 수급 자격', positives: ['d0'] }], {
    depth: 5,
    negatives: 1,
    analyzer: 'bigram',
    marginStrategy: 'relative',
    margin: 0.3,
  });
  assert.equal(mined.length, 1);
  assert.notEqual(mined[0].negativeId, 'd1'); // near-duplicate of the positive: filtered as a likely false negative
  assert.notEqual(mined[0].negativeId, 'd0');
  for (const bad of [
    { margin: NaN },
    { margin: -1 },
    { negatives: 0 },
    { skip: -1 },
    { depth: 0 },
    { marginStrategy: 'nearest' },
  ]) {
    await assert.rejects(
      mineHardNegatives(docs, [{ anchor: '국민연금', positives: ['d0'] }], { analyzer: 'bigram', ...bad }),
      (e) => e.code === 'INVALID_ARGUMENT',
      JSON.stringify(bad),
    );
  }
});

test('BM25 residual: extra copies of the labelled pairs BM25 does not rank first, never of other pairs', () => {
  const store = new TextStore(new Featurizer(FEATURES));
  const docs = [
    {
      id: 'd1',
      title: '',
      text: '지방은행의 시중은행 전환 인가 절차를 안내합니다. 지방은행 전환은 금융위원회가 심사합니다.',
    },
    { id: 'd2', title: '', text: '기초연금은 주민센터에서 신청합니다. 소득 인정액 기준이 있습니다.' },
    { id: 'd3', title: '', text: '청년 월세 지원은 무주택 청년이 신청할 수 있습니다. 소득 기준이 있습니다.' },
  ].map((d) => ({ ...d, full: d.text }));
  const ref = (d) => store.add(d.full);
  const pairs = [
    {
      anchor: store.add('지방은행 시중은행 전환 절차'),
      positive: ref(docs[0]),
      group: 'd:x/d1',
      source: 'x:qrels/train',
    }, // BM25 finds d1
    { anchor: store.add('노인 용돈 받는 법'), positive: ref(docs[1]), group: 'd:x/d2', source: 'x:qrels/train' }, // no shared word
    // inverse cloze, even one BM25 misses (without its first sentence d3 shares only 신청 with it, as d2 does): not copied
    {
      anchor: store.add('청년 월세 지원은 무주택 청년이 신청할 수 있습니다.'),
      positive: store.addDiff(ref(docs[2]), store.add('청년 월세 지원은 무주택 청년이 신청할 수 있습니다.')),
      group: 'd:x/d3',
      source: 'x:ict',
    },
    {
      anchor: store.add('지방은행 전환은 금융위원회가 심사합니다.'),
      positive: store.addDiff(ref(docs[0]), store.add('지방은행 전환은 금융위원회가 심사합니다.')),
      group: 'd:x/d1',
      source: 'x:ict',
    },
    { anchor: store.add('지방은행'), positive: ref(docs[0]), group: 't:other', source: 'pairs.jsonl' }, // not a corpus pair: never copied
  ];
  const extra = bm25Residual(pairs, new Map([['x', docs]]), store, 2);
  const anchors = extra.map((p) => store.text(p.anchor));
  assert.deepEqual(anchors, ['노인 용돈 받는 법', '노인 용돈 받는 법']);
  assert.ok(extra.every((p) => p.source.endsWith(':bm25-residual')));
  assert.equal(bm25Residual(pairs, new Map([['x', docs]]), store, 0).length, 0);
});

test('training settings are vetted up front: typed errors, no hang, nothing written', async () => {
  const { store, pairs } = toy(32, 4);
  const base = { features: FEATURES, dim: 16, batchSize: 8, epochs: 1 };
  const cases = [
    [{ lr: NaN }, /lr must be a finite number > 0/],
    [{ lr: -1 }, /lr must be a finite number > 0/],
    [{ scale: 0 }, /scale must be a finite number > 0/],
    [{ epochs: 1.5 }, /epochs must be an integer/], // trained two epochs before
    [{ epochs: 0 }, /epochs must be an integer/], // wrote an untrained table before
    [{ maxSeconds: -1 }, /maxSeconds must be a finite number > 0/],
    [{ miniBatch: 0, loss: 'cached-mnrl' }, /miniBatch must be an integer/], // looped until out of memory before
    [{ lrEnd: 5 }, /lrEnd must be a fraction of lr/],
    [{ margin: -0.1, loss: 'gist' }, /margin must be a finite number ≥ 0/],
    [{ seed: 1.5 }, /seed must be an integer/],
    [{ loss: 'triplet' }, /loss must be one of mnrl/],
  ];
  for (const [bad, message] of cases) {
    await assert.rejects(
      trainStatic(store, pairs, { ...base, ...bad }),
      (e) => e.code === 'INVALID_ARGUMENT' && message.test(e.message),
      JSON.stringify(bad),
    );
  }
  await assert.rejects(trainStatic(store, pairs.slice(0, 1), base), /need at least two training pairs, got 1/);
  // the pipeline checks them before it reads any data (the missing file would be NOT_FOUND) and writes nothing
  const out = join(tmpdir(), `tamsaek-never-${process.pid}`);
  await assert.rejects(
    trainPipeline({ pairs: ['/nonexistent/pairs.jsonl'], out, lr: 0 }),
    (e) => e.code === 'INVALID_ARGUMENT' && /lr must be/.test(e.message),
  );
  await assert.rejects(
    trainPipeline({ pairs: ['/nonexistent/pairs.jsonl'], out, ictPerDoc: 0 }),
    (e) => e.code === 'INVALID_ARGUMENT',
  );
  await assert.rejects(
    trainPipeline({ pairs: ['/nonexistent/pairs.jsonl'], out, morphemes: 'mecab' }),
    (e) => e.code === 'INVALID_ARGUMENT' && /morphemes must be one of ko-morph, ko-mecab/.test(e.message),
  );
  assert.equal(existsSync(out), false);
});
