// ko-mecab: the addon's MeCab-compatible analyzer on mecab-ko-dic, through the public entry point.
// Run: npx tsc -p . && node --test test/analyze-mecab.test.mjs

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Bm25Index, createAnalyzer, Engine, listAnalyzers } from 'tamsaek';
import { analyzerFromStored, storedAnalyzerConfig } from '../dist/analyze/index.js';
import { runCli } from './helpers/cli.mjs';

const mecab = createAnalyzer('ko-mecab');

function codeOf(fn) {
  try {
    fn();
  } catch (e) {
    return e.code;
  }
  return 'no error';
}

test('ko-mecab is listed and keeps nouns and stems, drops particles, endings, copula, determiners, symbols', () => {
  assert.ok(listAnalyzers().some((a) => a.name === 'ko-mecab'));
  assert.equal(mecab.name, 'ko-mecab');
  assert.deepEqual(mecab.analyze('학교에서 친구를 만났습니다.'), ['학교', '친구', '만나']);
  // 그/MM and the pronoun 무엇/NP are dropped
  assert.deepEqual(mecab.analyze('그 요건은 무엇인가요?'), ['요건']);
  // MeCab with the same dictionary recognises 이 (lindera's ko-dic build never does): 학생이 → 학생 + 이/JKS
  assert.deepEqual(mecab.analyze('학생이 왔다'), ['학생', '오']);
  assert.deepEqual(mecab.analyze('학생이었다'), ['학생']);
});

test('ko-mecab also drops pronouns (NP), auxiliary predicates (VX) and noun suffixes (XSN) by default', () => {
  assert.deepEqual(mecab.analyze('가능성을 검토하고 있다'), ['가능', '검토', '하']);
  assert.deepEqual(mecab.analyze('이를 통해 확인해 보았다'), ['통하', '확인', '하']);
  assert.deepEqual(mecab.analyze('우리는 그 문제를 알지 않았다'), ['문제', '알']);
  // ko-morph's stop tags, named, keep them; the config names them because they are not ko-mecab's default
  const morphTags = createAnalyzer({ name: 'ko-mecab', stopTags: ['E', 'J', 'MM', 'S', 'VC'] });
  assert.deepEqual(morphTags.analyze('가능성을 검토하고 있다'), ['가능', '성', '검토', '하', '있']);
  assert.deepEqual(morphTags.config.stopTags, ['E', 'J', 'MM', 'S', 'VC']);
  assert.match(morphTags.name, /^ko-mecab#[0-9a-f]{8}$/);
  // the default, given explicitly in any order, is the default
  const same = createAnalyzer({ name: 'ko-mecab', stopTags: ['XSN', 'VX', 'NP', 'VC', 'S', 'MM', 'J', 'E'] });
  assert.equal(same.name, 'ko-mecab');
  assert.equal(same.config.stopTags, undefined);
});

test('ko-mecab decompounds Compound / Inflect entries by their expression (and can be told not to)', () => {
  assert.deepEqual(mecab.analyze('고무호스'), ['고무', '호스', '고무+호스']); // the compound term: see analyze-mecab-compounds
  assert.deepEqual(mecab.analyze('검토했다'), ['검토', '하']);
  const whole = createAnalyzer({ name: 'ko-mecab', decompound: false });
  assert.deepEqual(whole.analyze('고무호스'), ['고무호스']);
  assert.deepEqual(whole.analyze('검토했다'), ['검토', '했']); // XSV+EP is judged by its first tag
  assert.match(whole.name, /^ko-mecab#[0-9a-f]{8}$/);
  const onlyJ = createAnalyzer({ name: 'ko-mecab', stopTags: ['J'] });
  assert.deepEqual(onlyJ.analyze('학교에 갔다.'), ['학교', '가', '았', '다']);
});

test("spacePenalty adds mecab-ko's left-space penalty (dicrc): a particle or ending rarely starts after a space", () => {
  const text = '학교 에 가 다 하늘 은 파랗다';
  const plain = mecab.tokens(text).map((t) => `${t.surface}/${t.pos}`);
  // MeCab's rules: what Debian's mecab says
  assert.deepEqual(plain, ['학교/NNG', '에/JKB', '가/VV', '다/EC', '하늘/NNG', '은/JX', '파랗/VA', '다/EC']);
  const penalised = createAnalyzer({ name: 'ko-mecab', spacePenalty: true });
  assert.match(penalised.name, /^ko-mecab#[0-9a-f]{8}$/);
  assert.deepEqual(
    penalised.tokens(text).map((t) => `${t.surface}/${t.pos}`),
    ['학교/NNG', '에/JKB', '가/VV+EC', '다/MAG', '하늘/NNG', '은/JX', '파랗/VA', '다/EC'],
  );
  assert.equal(
    codeOf(() => createAnalyzer({ name: 'ko-mecab', spacePenalty: 1 })),
    'INVALID_ARGUMENT',
  );
});

test('ko-mecab normalizes like ko-morph: NFKC, Latin lower-cased per term (also outside ASCII)', () => {
  assert.deepEqual(mecab.analyze('ＬＰＧ 가스 ＡＢＣ Full 123'), ['lpg', '가스', 'abc', 'full', '123']);
  assert.deepEqual(mecab.analyze('①'), ['1']);
  assert.deepEqual(mecab.analyze('ÉCOLE Москва ΣΟΦΙΑ'), ['école', 'москва', 'σοφια']);
  assert.deepEqual(mecab.analyze(''), []);
  assert.deepEqual(mecab.analyze(' \n\t '), []);
});

test('ko-mecab user dictionary: words join the lattice with the dictionary context ids; pos, cost and parts', () => {
  assert.deepEqual(mecab.analyze('그루브웍스가 세종시에 있다'), ['그루브', '웍스', '종시', '있', '그루브+웍스']);
  const ud = createAnalyzer({
    name: 'ko-mecab',
    userDictionary: [
      '그루브웍스',
      { word: '세종시', parts: ['세종', '시'] },
      { word: '께옵서', pos: 'JKS' },
      { word: '은행', cost: -20000 },
    ],
  });
  assert.deepEqual(ud.analyze('그루브웍스가 세종시에 있다'), ['그루브웍스', '세종', '시', '있', '세종+시']);
  assert.deepEqual(ud.analyze('할머니께옵서'), ['할머니']);
  assert.deepEqual(ud.analyze('은행나무'), ['은행', '나무', '은행+나무']);
  // a particle after a user word is still a particle: the word has the connection costs of its class
  assert.deepEqual(ud.analyze('그루브웍스를'), ['그루브웍스']);
  // a cost above the dictionary's own analysis leaves the text to it
  const weak = createAnalyzer({ name: 'ko-mecab', userDictionary: [{ word: '은행나', cost: 30000 }] });
  assert.deepEqual(weak.analyze('은행나무'), mecab.analyze('은행나무'));
  // user parts are emitted even without decompounding, as in ko-morph
  const whole = createAnalyzer({
    name: 'ko-mecab',
    decompound: false,
    userDictionary: [{ word: '세종시', parts: ['세종', '시'] }],
  });
  assert.deepEqual(whole.analyze('세종시'), ['세종', '시', '세종+시']);
  assert.deepEqual(createAnalyzer(ud.config).analyze('세종시에'), ['세종', '시', '세종+시']);
  for (const bad of [
    { word: '두 단어' },
    { word: 'x', pos: 'XYZ' },
    { word: 'x', pos: 'VSV' },
    { word: 'x', cost: 1.5 },
    { word: 'x', cost: 40000 },
    { word: 'x', parts: ['a+b'] },
    { word: 'x', parts: ['a/b'] },
  ])
    assert.equal(
      codeOf(() => createAnalyzer({ name: 'ko-mecab', userDictionary: [bad] })),
      'INVALID_ARGUMENT',
    );
  // cost is a ko-mecab option only
  assert.equal(
    codeOf(() => createAnalyzer({ name: 'ko-morph', userDictionary: [{ word: 'x', cost: 1 }] })),
    'INVALID_ARGUMENT',
  );
});

test('ko-mecab stopwords and synonyms reuse the shared term filter', () => {
  // mecab-ko-dic stores 자동차 as a Compound of 자동 + 차: the group's canonical terms are that sequence.
  // Compound terms (자동+차) come from the text as written and pass the filter as they are.
  const a = createAnalyzer({ name: 'ko-mecab', stopwords: ['하'], synonyms: [['자동차', '차량']] });
  assert.deepEqual(a.analyze('차량을 검토했다'), ['자동', '차', '검토']);
  assert.deepEqual(createAnalyzer(a.config).analyze('자동차를 검토했다'), ['자동', '차', '검토', '자동+차']);
});

test('ko-mecab config round-trips; bad options and inputs are typed errors', () => {
  for (const c of [{ name: 'ko-mecab' }, { name: 'ko-mecab', decompound: false, stopTags: ['E', 'J'] }]) {
    const a = createAnalyzer(c);
    const b = createAnalyzer(JSON.parse(JSON.stringify(a.config)));
    assert.equal(b.name, a.name);
    assert.deepEqual(b.analyze('기초연금을 신청했다'), a.analyze('기초연금을 신청했다'));
  }
  assert.equal(
    codeOf(() => createAnalyzer({ name: 'ko-mecab', fixI: 'off' })),
    'UNKNOWN_OPTION',
  );
  assert.equal(
    codeOf(() => createAnalyzer({ name: 'ko-mecab', decompound: 'yes' })),
    'INVALID_ARGUMENT',
  );
  assert.equal(
    codeOf(() => createAnalyzer({ name: 'ko-mecab', stopTags: ['j'] })),
    'INVALID_ARGUMENT',
  );
  assert.equal(
    codeOf(() => mecab.analyze(42)),
    'INVALID_ARGUMENT',
  );
  assert.equal(
    codeOf(() => mecab.tokens(null)),
    'INVALID_ARGUMENT',
  );
  assert.equal(createAnalyzer('ko-mecab+bigram').name, 'ko-mecab+bigram');
});

test('analyzeAsync runs on worker threads and equals analyze (ko-mecab and combinations with it)', async () => {
  const texts = ['기초연금을 신청하려면 주민센터에 가야 합니다', '', 'ÉCOLE 고무호스', '😀\u0000\ud800 학생이'];
  const expected = texts.map((t) => mecab.analyze(t));
  assert.deepEqual(await mecab.analyzeAsync(texts), expected);
  assert.deepEqual(await mecab.analyzeAsync(texts, { threads: 1 }), expected);
  assert.deepEqual(mecab.analyzeBatch(texts), expected);
  const combo = createAnalyzer('ko-mecab+bigram');
  assert.deepEqual(
    await combo.analyzeAsync(texts),
    texts.map((t) => combo.analyze(t)),
  );
  // analyzers without a worker path have none (analyzeAll slices them)
  assert.equal(createAnalyzer('ngram').analyzeAsync, undefined);
  assert.equal(createAnalyzer('ko-morph+bigram').analyzeAsync, undefined);
  const { analyzeAll } = await import('../dist/analyze/batch.js');
  assert.deepEqual(await analyzeAll(mecab, texts), expected);
  await assert.rejects(mecab.analyzeAsync(['a', 1]), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(mecab.analyzeAsync(['a'], { threads: 0 }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(mecab.analyzeAsync(['a'], { thread: 2 }), { code: 'UNKNOWN_OPTION' });
});

test('tokens: every entry and morpheme carries UTF-16 offsets into the original text, POS and expression', () => {
  const text = '기초연금을 신청했다. ＡＢＣ ①번 😀고무호스';
  const tokens = mecab.tokens(text);
  const byS = Object.fromEntries(tokens.map((t) => [t.surface, t]));
  assert.deepEqual([byS.했.pos, byS.했.type, byS.했.expression], ['XSV+EP', 'Inflect', '하/XSV/*+았/EP/*']);
  assert.deepEqual(
    byS.했.morphemes.map((m) => [m.surface, m.pos, m.term]),
    [
      ['하', 'XSV', '하'],
      ['았', 'EP', null],
    ],
  );
  // offsets point into the text as given, also where NFKC changed it (full-width, circled) and after astral characters
  assert.equal(text.slice(byS.ABC.start, byS.ABC.end), 'ＡＢＣ');
  assert.equal(text.slice(byS['1'].start, byS['1'].end), '①');
  const hose = byS.고무호스;
  assert.equal(text.slice(hose.start, hose.end), '고무호스');
  assert.deepEqual(
    hose.morphemes.map((m) => text.slice(m.start, m.end)),
    ['고무', '호스'],
  );
  for (const t of tokens) {
    assert.ok(t.start < t.end && t.end <= text.length);
    for (const m of t.morphemes) assert.ok(m.start >= t.start && m.end <= t.end);
  }
  // the terms of the morphemes are the analyzer's terms before its compound terms
  const terms = tokens.flatMap((t) => t.morphemes.map((m) => m.term).filter((x) => x !== null));
  assert.deepEqual(terms, createAnalyzer({ name: 'ko-mecab', compounds: false }).analyze(text));
  assert.deepEqual(mecab.analyze(text), [...terms, '기초+연금', '고무+호스']);
});

test('a BM25 index with ko-mecab saves and reopens with the same analyzer', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-mecab-'));
  try {
    const index = new Bm25Index({ analyzer: 'ko-mecab' });
    index.add('a', '만 65세 이상 어르신에게 기초연금을 지급합니다.');
    index.add('b', '저소득 가구의 월세를 지원합니다.');
    await index.save(dir);
    const again = await Bm25Index.open(dir);
    assert.equal(again.analyzer.name, 'ko-mecab');
    assert.deepEqual(
      again.search('기초연금 신청', { k: 1 }).map((h) => h.id),
      ['a'],
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("stored ko-mecab configs spell out stop tags and compounds; one stored without them keeps ko-morph's tags and no compounds (the defaults before)", async () => {
  const text = '기초연금 수급 가능성이 있다';
  const now = createAnalyzer('ko-mecab');
  const before = createAnalyzer({ name: 'ko-mecab', stopTags: ['E', 'J', 'MM', 'S', 'VC'], compounds: false });
  // 성 (XSN) is dropped now, and 기초+연금 added
  assert.deepEqual(now.analyze(text), ['기초', '연금', '수급', '가능', '있', '기초+연금']);
  assert.deepEqual(before.analyze(text), ['기초', '연금', '수급', '가능', '성', '있']);
  const stored = storedAnalyzerConfig(now.config);
  assert.deepEqual(stored.stopTags, ['E', 'J', 'MM', 'NP', 'S', 'VC', 'VX', 'XSN']);
  assert.equal(stored.compounds, 0.5);
  assert.equal(analyzerFromStored(stored).name, 'ko-mecab');
  assert.deepEqual(analyzerFromStored(stored).analyze(text), now.analyze(text));
  for (const old of [{ name: 'ko-mecab' }, 'ko-mecab'])
    assert.deepEqual(analyzerFromStored(old).analyze(text), before.analyze(text), JSON.stringify(old));
  // inside a combination too; other analyzers are stored and read as they are
  const combo = createAnalyzer('ko-mecab+bigram');
  assert.deepEqual(analyzerFromStored(storedAnalyzerConfig(combo.config)).analyze(text), combo.analyze(text));
  assert.ok(analyzerFromStored('ko-mecab+bigram').analyze(text).includes('성'));
  assert.deepEqual(storedAnalyzerConfig(createAnalyzer('ko-morph').config), { name: 'ko-morph' });
  // an engine saves the spelled-out config and reopens with the same analyzer; a manifest from before keeps the old set
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-mecab-stored-'));
  try {
    const engine = await Engine.create({ analyzer: 'ko-mecab' });
    await engine.add([{ id: 'a', text: '기초연금의 수급 가능성을 확인합니다.' }]);
    await engine.save(dir);
    await engine.close();
    const path = join(dir, 'manifest.json');
    const manifest = JSON.parse(await readFile(path, 'utf8'));
    assert.deepEqual(manifest.config.analyzer, stored);
    const reopened = await Engine.open(dir, { readOnly: true });
    assert.equal(reopened.describe().analyzer, 'ko-mecab');
    await reopened.close();
    manifest.config.analyzer = { name: 'ko-mecab' };
    await writeFile(path, JSON.stringify(manifest));
    const legacy = await Engine.open(dir, { readOnly: true });
    assert.equal(legacy.describe().analyzer, before.name);
    await legacy.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('tamsaek analyze --analyzer ko-mecab --verbose prints offsets, POS and expressions', async () => {
  const r = await runCli(['analyze', '--analyzer', 'ko-mecab', '--verbose', '검토했다']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^2-3\t했\tXSV\+EP\tInflect 하\/XSV\/\*\+았\/EP\/\*$/m);
  assert.match(r.stdout, /^ {2}2-3\t하\/XSV\t하$/m);
  assert.match(r.stdout, /^terms: 검토 하$/m);
  const json = await runCli(['analyze', '--analyzer', 'ko-mecab', '--verbose', '--json', '검토했다']);
  assert.deepEqual(JSON.parse(json.stdout).terms, ['검토', '하']);
  const other = await runCli(['analyze', '--analyzer', 'ngram', '--verbose', '검토']);
  assert.equal(other.code, 2);
});
