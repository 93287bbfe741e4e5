// ko-mecab's compound terms: each run of nouns inside an eojeol adds its parts joined by "+", and such a
// term weighs `compounds` in a query. Run: npx tsc -p . && node --test test/analyze-mecab-compounds.test.mjs

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Bm25Index, createAnalyzer, Engine } from 'tamsaek';

const mecab = createAnalyzer('ko-mecab');
const morphemesOnly = createAnalyzer({ name: 'ko-mecab', compounds: false });

test('a run of nouns inside an eojeol adds its parts joined by "+", after the text\'s other terms', () => {
  assert.deepEqual(mecab.analyze('진로도서 프로그램을 운영한다'), [
    '진로',
    '도서',
    '프로그램',
    '운영',
    '하',
    '진로+도서',
  ]);
  // written apart, the parts are two eojeols: no compound
  assert.deepEqual(mecab.analyze('진로 도서'), ['진로', '도서']);
  // foreign words and numbers join a run that holds a noun; without one there is no compound
  assert.deepEqual(mecab.analyze('AI기반 5G통신'), ['ai', '기반', '5', 'g', '통신', 'ai+기반', '5+g+통신']);
  assert.deepEqual(mecab.analyze('5G'), ['5', 'g']);
  // a noun suffix (XSN) or a particle ends the run: 학생들, 가능성 have one noun each, no compound
  assert.deepEqual(mecab.analyze('학생들의 선택'), ['학생', '선택']);
  assert.deepEqual(mecab.analyze('가능성이 있다'), ['가능', '있']);
  // 16 parts make a compound; a longer run is text written without spaces and makes none
  const compoundsOf = (text) => mecab.analyze(text).filter((t) => t.includes('+'));
  assert.deepEqual(compoundsOf('학교'.repeat(16)), [Array(16).fill('학교').join('+')]);
  assert.deepEqual(compoundsOf('학교'.repeat(17)), []);
  assert.deepEqual(compoundsOf('가'.repeat(100_000)), []);
  // the terms before the compounds are the morpheme terms, as with compounds: false
  const text = '국민연금공단 지사에서 기초연금을 신청합니다';
  const terms = mecab.analyze(text);
  assert.deepEqual(terms.slice(0, -2), morphemesOnly.analyze(text));
  assert.deepEqual(terms.slice(-2), ['국민+연금+공단', '기초+연금']);
});

/** Compound terms rebuilt from tokens() (entries and morphemes with offsets), apart from the addon's term path. */
function compoundsFromTokens(text) {
  const PART = new Set(['NNG', 'NNP', 'NR', 'XPN', 'SL', 'SN']);
  const HEAD = new Set(['NNG', 'NNP', 'NR']);
  const out = [];
  let run = [];
  const end = () => {
    if (run.length >= 2 && run.length <= 16 && run.some((m) => HEAD.has(m.pos)))
      out.push(
        run
          .map((m) => m.surface)
          .join('+')
          .toLowerCase(),
      );
    run = [];
  };
  let previousEnd = -1;
  for (const token of mecab.tokens(text)) {
    if (token.start !== previousEnd) end(); // whitespace between entries: a new eojeol
    previousEnd = token.end;
    for (const m of token.morphemes) {
      const pos = m.pos.split('+')[0];
      if (PART.has(pos)) run.push({ surface: m.surface, pos });
      else end();
    }
  }
  end();
  return out;
}

test('compound terms agree with the runs read from tokens() on the sample corpus, sync and async', async () => {
  const docs = readFileSync(new URL('../datasets/sample-ko/corpus.jsonl', import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const texts = docs
    .flatMap((d) => [d.title, d.text])
    .concat(['ＡＩ기반　서비스', '2024년도 예산안', '비정규직 근로자']);
  let compounds = 0;
  const async = await mecab.analyzeAsync(texts);
  texts.forEach((text, i) => {
    const want = [...morphemesOnly.analyze(text), ...compoundsFromTokens(text)];
    compounds += want.length - morphemesOnly.analyze(text).length;
    assert.deepEqual(mecab.analyze(text), want, text);
    assert.deepEqual(async[i], want, text);
  });
  assert.ok(compounds > 20, `only ${compounds} compound terms in the sample`);
});

test('a compound term weighs `compounds` in a query: its BM25 contribution scales by it', () => {
  const docs = [
    ['apart', '진로 도서 안내와 상담'],
    ['joined', '진로도서 안내와 상담'],
    ['other', '학교 급식 안내'],
  ];
  const indexes = [1, 0.5, false].map((compounds) => {
    const index = new Bm25Index({ analyzer: { name: 'ko-mecab', compounds } });
    for (const [id, text] of docs) index.add(id, text);
    return index;
  });
  const [full, half, none] = indexes;
  // without compound terms the two spellings score alike; with them the one written as the query wins
  const flat = none.scoreDocuments(none.analyzer.analyze('진로도서'), ['apart', 'joined']);
  assert.ok(Math.abs(flat[0] - flat[1]) < 1e-12);
  assert.deepEqual(
    half.search('진로도서', { k: 2 }).map((h) => h.id),
    ['joined', 'apart'],
  );
  // the compound's part of the score is linear in the weight (same documents, same statistics)
  const extra = (index) =>
    index.scoreDocuments(['진로', '도서', '진로+도서'], ['joined'])[0] -
    index.scoreDocuments(['진로', '도서'], ['joined'])[0];
  assert.ok(extra(full) > 0);
  assert.ok(Math.abs(extra(full) - 2 * extra(half)) < 1e-9, `${extra(full)} vs 2 × ${extra(half)}`);
  assert.equal(half.analyzer.termWeight('진로+도서'), 0.5);
  assert.equal(half.analyzer.termWeight('진로'), 1);
  assert.equal(half.analyzer.termWeight('c++'), 1); // a user word with "+" but no letter after it
});

test('compounds: default 0.5, false or a weight in (0, 1]; named by the config; combinations pass the weight on', () => {
  assert.equal(mecab.termWeight('진로+도서'), 0.5);
  assert.equal(createAnalyzer({ name: 'ko-mecab', compounds: 0.5 }).name, 'ko-mecab');
  assert.equal(createAnalyzer({ name: 'ko-mecab', compounds: true }).name, 'ko-mecab');
  assert.match(morphemesOnly.name, /^ko-mecab#[0-9a-f]{8}$/);
  assert.equal(morphemesOnly.termWeight, undefined);
  assert.deepEqual(createAnalyzer(JSON.parse(JSON.stringify(morphemesOnly.config))).analyze('진로도서'), [
    '진로',
    '도서',
  ]);
  for (const bad of [0, -1, 1.5, 'yes', null, Number.NaN])
    assert.throws(
      () => createAnalyzer({ name: 'ko-mecab', compounds: bad }),
      (e) => e.code === 'INVALID_ARGUMENT' && /compounds/.test(e.message),
      String(bad),
    );
  const combo = createAnalyzer('ko-mecab+bigram');
  assert.ok(combo.analyze('진로도서').includes('진로+도서'));
  assert.equal(combo.termWeight('진로+도서'), 0.5);
  assert.equal(combo.termWeight('1:진로'), 1);
  assert.equal(createAnalyzer('ko-morph+bigram').termWeight, undefined);
});

test('a snippet highlights a compound query term as the compound written in the page, its parts as themselves', async () => {
  const engine = await Engine.create({ analyzer: 'ko-mecab' });
  try {
    const text = '학교로 찾아가는 진로도서 프로그램과 진로 상담 안내';
    await engine.add([{ id: 'a', text }]);
    const [hit] = await engine.search('진로도서', { k: 1, highlight: true });
    const marked = hit.snippet.highlights.map(({ start, end }) => text.slice(start, end));
    assert.deepEqual(marked, ['진로도서', '진로']);
  } finally {
    await engine.close();
  }
});
