// BM25 leg: scoring, incremental operations with exact statistics, filters, bad input.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { Bm25Index, TamsaekError } from 'tamsaek';
import { BatchTerms } from '../dist/legs/bm25/term-ids.js';
import { mulberry32 } from '../dist/util/random.js';
import { referenceSearch } from './helpers/reference-bm25.mjs';

const require = createRequire(import.meta.url);
const space = { name: 'space', config: { name: 'whitespace' }, analyze: (t) => t.split(' ').filter(Boolean) };

function zipfWords(rand, vocab, n) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(`w${Math.floor(vocab ** rand())}`);
  return out;
}

function assertSameHits(actual, expected, message) {
  assert.deepEqual(
    actual.map((h) => h.id),
    expected.map((h) => h.id),
    message,
  );
  for (let i = 0; i < actual.length; i++) assert.equal(actual[i].score, expected[i].score, `${message} score ${i}`);
}

test('scores equal a from-scratch BM25 on a Zipfian corpus, with weighted fields', () => {
  const rand = mulberry32(7);
  const fields = { title: 2, text: 1 };
  const index = new Bm25Index({ analyzer: space, fields, k1: 0.9, b: 0.4 });
  const docs = new Map();
  for (let i = 0; i < 2000; i++) {
    const title = zipfWords(rand, 300, 1 + Math.floor(rand() * 4));
    const text = zipfWords(rand, 3000, 5 + Math.floor(rand() * 40));
    index.add(`doc-${i}`, { title: title.join(' '), text: text.join(' ') });
    docs.set(`doc-${i}`, { title, text });
  }
  for (let q = 0; q < 200; q++) {
    const terms = zipfWords(rand, 3000, 1 + Math.floor(rand() * 6));
    for (const k of [1, 10, 50]) {
      const expected = referenceSearch(docs, terms, { k1: 0.9, b: 0.4, k, fields });
      // MaxScore pruning must not change the answer; scores are re-summed in query order
      const actual = index.searchTerms(terms, { k });
      assert.deepEqual(
        actual.map((h) => h.id),
        expected.map((h) => h.id),
        `query ${terms} k=${k}`,
      );
      for (let i = 0; i < actual.length; i++) assert.ok(Math.abs(actual[i].score - expected[i].score) < 1e-12);
    }
  }
});

test("an analyzer's termWeight scales each query term's score; MaxScore still equals scoring every match", () => {
  const rand = mulberry32(11);
  // terms of an odd number weigh 0.25 in a query (as ko-mecab's compound terms weigh its `compounds`)
  const weight = (t) => (Number(t.slice(1)) % 2 === 1 ? 0.25 : 1);
  const weighted = new Bm25Index({ analyzer: { ...space, termWeight: weight } });
  const plain = new Bm25Index({ analyzer: space });
  const docs = [];
  for (let i = 0; i < 1500; i++)
    docs.push({ id: `d${i}`, doc: zipfWords(rand, 2000, 5 + Math.floor(rand() * 30)).join(' ') });
  weighted.addMany(docs);
  plain.addMany(docs);
  for (let q = 0; q < 100; q++) {
    const terms = [...new Set(zipfWords(rand, 2000, 1 + Math.floor(rand() * 5)))];
    const ids = docs.map((d) => d.id);
    // the weighted score of every document is the sum of its terms' plain scores times their weights
    const want = new Float64Array(ids.length);
    for (const t of terms) {
      const one = plain.scoreDocuments([t], ids);
      for (let i = 0; i < ids.length; i++) want[i] += weight(t) * one[i];
    }
    const got = weighted.scoreDocuments(terms, ids);
    for (let i = 0; i < ids.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-9, `query ${terms} doc ${ids[i]}`);
    const top = weighted.searchTerms(terms, { k: 10 });
    const all = weighted.searchTerms(terms, { k: 10, exhaustive: true });
    assert.deepEqual(
      top.map((h) => h.id),
      all.map((h) => h.id),
      `query ${terms}`,
    );
    const order = [...ids.keys()].filter((i) => want[i] > 0).sort((a, b) => want[b] - want[a]);
    if (order.length > 10 && want[order[9]] > want[order[10]] + 1e-9)
      assert.deepEqual(new Set(top.map((h) => h.id)), new Set(order.slice(0, 10).map((i) => ids[i])), `query ${terms}`);
  }
  // a weight that is not a finite number >= 0 is the analyzer's bug, reported as a typed error
  const broken = new Bm25Index({ analyzer: { ...space, termWeight: () => Number.NaN } });
  broken.add('a', 'w1 w2');
  assert.throws(() => broken.searchTerms(['w1'], { k: 1 }), { code: 'INVALID_ARGUMENT' });
});

test('documents given as ids into a batch vocabulary index exactly as their strings (across compaction, huge documents)', async () => {
  const rand = mulberry32(5);
  const byStrings = new Bm25Index({ analyzer: space });
  const byIds = new Bm25Index({ analyzer: space });
  const doc = (n) => zipfWords(rand, 1500, n);
  const batch = new BatchTerms(); // one vocabulary across the rounds: it maps again after each compaction
  for (let round = 0; round < 3; round++) {
    const docs = Array.from({ length: 300 }, (_, i) => ({ id: `r${round}-${i}`, terms: doc(3 + (i % 40)) }));
    if (round === 2) docs.push({ id: 'huge', terms: doc((1 << 16) + 10) }); // the sliced path of a huge document
    byStrings.addAnalyzed(docs.slice(0, 100).map(({ id, terms }) => ({ id, fields: [{ weight: 1, terms }] })));
    byIds.addAnalyzed(
      docs.slice(0, 100).map(({ id, terms }) => ({ id, fields: [{ weight: 1, terms: batch.encode(terms) }] })),
    );
    const rest = (encode) =>
      docs.slice(100).map(({ id, terms }) => ({ id, fields: [{ weight: 2, terms: encode(terms) }] }));
    await byStrings.addAnalyzedAsync(rest((t) => t));
    await byIds.addAnalyzedAsync(rest((t) => batch.encode(t)));
    for (const index of [byStrings, byIds]) for (let i = 0; i < 150; i += 3) index.delete(`r${round}-${i}`);
    byStrings.compact(); // a new term dictionary: the batch's cached mapping must follow it
    byIds.compact();
  }
  for (let q = 0; q < 100; q++) {
    const terms = doc(1 + (q % 4));
    assertSameHits(byIds.searchTerms(terms, { k: 10 }), byStrings.searchTerms(terms, { k: 10 }), `query ${terms}`);
  }
  assert.equal(byIds.size, byStrings.size);
});

test('after any sequence of add/upsert/delete/compact, results equal a fresh build of the survivors', () => {
  for (let run = 0; run < 12; run++) {
    const rand = mulberry32(100 + run);
    const index = new Bm25Index({ analyzer: space, fields: { text: 1, title: 2 } });
    const live = new Map(); // id -> doc
    for (let step = 0; step < 400; step++) {
      const r = rand();
      const id = `d${Math.floor(rand() * 150)}`;
      const doc = {
        text: zipfWords(rand, 400, 1 + Math.floor(rand() * 25)).join(' '),
        title: zipfWords(rand, 50, 1).join(' '),
      };
      if (r < 0.45) {
        if (live.has(id)) assert.throws(() => index.add(id, doc), { code: 'DUPLICATE_ID' });
        else {
          index.add(id, doc);
          live.set(id, doc);
        }
      } else if (r < 0.65) {
        assert.equal(index.upsert(id, doc), live.has(id));
        live.set(id, doc);
      } else if (r < 0.9) {
        assert.equal(index.delete(id), live.has(id));
        live.delete(id);
      } else if (r < 0.93) {
        index.compact();
      } else {
        const terms = zipfWords(rand, 400, 3);
        const fresh = new Bm25Index({ analyzer: space, fields: { text: 1, title: 2 } });
        for (const [fid, fdoc] of live) fresh.add(fid, fdoc);
        assertSameHits(
          index.searchTerms(terms, { k: 10 }),
          fresh.searchTerms(terms, { k: 10 }),
          `run ${run} step ${step}`,
        );
      }
      assert.equal(index.size, live.size);
    }
    const fresh = new Bm25Index({ analyzer: space, fields: { text: 1, title: 2 } });
    for (const [fid, fdoc] of live) fresh.add(fid, fdoc);
    for (let q = 0; q < 30; q++) {
      const terms = zipfWords(rand, 400, 1 + Math.floor(rand() * 4));
      assertSameHits(index.searchTerms(terms, { k: 20 }), fresh.searchTerms(terms, { k: 20 }), `run ${run} final`);
    }
  }
});

test('many small segments (search after every add) keep exact results and a logarithmic segment count', () => {
  const rand = mulberry32(3);
  const index = new Bm25Index({ analyzer: space });
  const docs = new Map();
  for (let i = 0; i < 600; i++) {
    const words = zipfWords(rand, 200, 10);
    index.add(`x${i}`, words.join(' '));
    docs.set(`x${i}`, { text: words });
    const terms = zipfWords(rand, 200, 2);
    const expected = referenceSearch(docs, terms, { k: 5 });
    assert.deepEqual(
      index.searchTerms(terms, { k: 5 }).map((h) => h.id),
      expected.map((h) => h.id),
    );
  }
  assert.ok(index.stats().segments <= 10, `segments: ${index.stats().segments}`);
});

test('top-10 agrees with wink-bm25-text-search given the same tokens', () => {
  const winkFactory = require('wink-bm25-text-search');
  const rand = mulberry32(11);
  const wink = winkFactory();
  wink.defineConfig({ fldWeights: { body: 1 } });
  wink.definePrepTasks([(s) => s.split(' ')]);
  const index = new Bm25Index({ analyzer: space });
  for (let i = 0; i < 500; i++) {
    const text = zipfWords(rand, 800, 20 + Math.floor(rand() * 40)).join(' ');
    wink.addDoc({ body: text }, `d${i}`);
    index.add(`d${i}`, text);
  }
  wink.consolidate(4);
  let compared = 0;
  for (let q = 0; q < 100; q++) {
    const terms = [...new Set(zipfWords(rand, 800, 3))];
    const ours = index.searchTerms(terms, { k: 10 });
    const theirs = wink.search(terms.join(' '), 10);
    assert.equal(ours.length, theirs.length);
    // wink rounds each term's score to 4 decimals: compare scores with a tolerance, ids where scores differ clearly
    for (let i = 0; i < ours.length; i++) {
      assert.ok(Math.abs(ours[i].score - theirs[i][1]) < 1e-3, `score ${i}: ${ours[i].score} vs ${theirs[i][1]}`);
      if (
        i + 1 < ours.length &&
        ours[i].score - ours[i + 1].score > 1e-3 &&
        (i === 0 || ours[i - 1].score - ours[i].score > 1e-3)
      ) {
        assert.equal(ours[i].id, theirs[i][0]);
        compared++;
      }
    }
  }
  assert.ok(compared > 100);
});

test('metadata filters: function and field-equality forms', () => {
  const index = new Bm25Index({ analyzer: space });
  index.add('a', '서울 지하철', { city: 'seoul', year: 2024 });
  index.add('b', '서울 버스', { city: 'seoul', year: 2025 });
  index.add('c', '부산 지하철', { city: 'busan', year: 2025 });
  index.add('d', '지하철 노선');
  assert.deepEqual(
    index.search('지하철', { filter: { city: 'seoul' } }).map((h) => h.id),
    ['a'],
  );
  assert.deepEqual(
    index
      .search('지하철', { filter: { city: ['seoul', 'busan'] } })
      .map((h) => h.id)
      .sort(),
    ['a', 'c'],
  );
  assert.deepEqual(
    index
      .search('서울 지하철', { filter: (meta) => meta?.year === 2025 })
      .map((h) => h.id)
      .sort(),
    ['b', 'c'],
  );
  // the filter sees the top-k through rejected documents: k results when k matches exist
  const many = new Bm25Index({ analyzer: space });
  for (let i = 0; i < 100; i++) many.add(`m${i}`, '같은 단어', { even: i % 2 === 0 });
  assert.equal(many.search('단어', { k: 30, filter: { even: true } }).length, 30);
});

test('bad input: ids, options, queries and documents get typed errors and leave the index unchanged', () => {
  const index = new Bm25Index({ analyzer: space });
  index.add('a', '하나 둘');
  assert.throws(() => index.add('a', '셋'), { code: 'DUPLICATE_ID' });
  assert.throws(() => index.add('', '셋'), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => index.add(42, '셋'), { code: 'INVALID_ARGUMENT' });
  assert.throws(
    () =>
      index.addMany([
        { id: 'b', doc: '둘' },
        { id: 'b', doc: '셋' },
      ]),
    { code: 'DUPLICATE_ID' },
  );
  assert.throws(
    () =>
      index.addMany([
        { id: 'c', doc: '둘' },
        { id: 'd', doc: 7 },
      ]),
    { code: 'INVALID_ARGUMENT' },
  );
  assert.throws(() => index.add('e', { body: '넷' }), { code: 'INVALID_ARGUMENT' });
  assert.equal(index.size, 1, 'failed batches add nothing');
  assert.equal(index.has('c'), false);
  assert.throws(() => index.search('하나', { k: 0 }), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => index.search('하나', { k: 2.5 }), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => index.search('하나', { limit: 3 }), { code: 'UNKNOWN_OPTION' });
  assert.throws(() => index.search(null), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => new Bm25Index({ analyzer: space, k1: NaN }), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => new Bm25Index({ analyzer: space, b: 2 }), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => new Bm25Index({ analyzer: space, fields: { title: 0 } }), { code: 'INVALID_ARGUMENT' });
  assert.throws(
    () => new Bm25Index({ analyzer: space, boost: 1 }),
    (e) => e instanceof TamsaekError && e.code === 'UNKNOWN_OPTION',
  );
  assert.throws(() => new Bm25Index({ analyzer: 'no-such-analyzer' }), { code: 'UNKNOWN_ANALYZER' });
  assert.deepEqual(index.search(''), []);
  assert.deepEqual(index.search('   '), []);
  assert.deepEqual(index.search('없는단어'), []);
  assert.deepEqual(new Bm25Index({ analyzer: space }).search('하나'), []);
});

test('the default Korean analyzer copes with a 1 MB document, NUL bytes and lone surrogates', () => {
  const index = new Bm25Index();
  const sentence = '지방은행이 서민 대출 금리를 낮췄다. ';
  const big = sentence.repeat(Math.ceil(1_000_000 / sentence.length));
  index.add('big', big);
  index.add('odd', '복지\u0000급여 \ud800신청 방법\udfff 안내');
  index.add('plain', '주민센터에서 복지 급여를 신청한다');
  assert.equal(index.size, 3);
  assert.equal(index.search('대출 금리')[0].id, 'big');
  const hits = index.search('복지 급여 신청\u0000\udc00');
  assert.ok(hits.some((h) => h.id === 'odd'));
  assert.ok(hits.every((h) => Number.isFinite(h.score)));
});
