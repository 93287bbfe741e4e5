// Analyzers: ko-morph (lindera ko-dic), ngram, whitespace, combinations, factory and robustness.
// Run: npx tsc -p . && node --test test/analyze.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAnalyzer, DEFAULT_ANALYZER, listAnalyzers } from 'tamsaek';

const ko = createAnalyzer('ko-morph');

function codeOf(fn) {
  try {
    fn();
  } catch (e) {
    return e.code;
  }
  return 'no error';
}

test('default analyzer is ko-morph and listAnalyzers names every analyzer', () => {
  assert.equal(DEFAULT_ANALYZER, 'ko-morph');
  assert.equal(createAnalyzer().name, 'ko-morph');
  const names = listAnalyzers().map((a) => a.name);
  for (const n of ['ko-morph', 'ngram', 'bigram', 'whitespace', 'ko-morph+ngram', 'ko-morph+bigram'])
    assert.ok(names.includes(n), n);
});

test('ko-morph drops particles, endings and punctuation, keeps nouns and stems', () => {
  const t = ko.analyze('학교에서 친구를 만났습니다.');
  assert.ok(t.includes('학교'), t.join(' '));
  assert.ok(t.includes('친구'), t.join(' '));
  for (const gone of ['에서', '를', '습니다', '.', '었', '았'])
    assert.ok(!t.includes(gone), `${gone} in ${t.join(' ')}`);
  assert.deepEqual(ko.analyze('정부는 국민에게 지원금을 준다'), ['정부', '국민', '지원', '금', '주']);
  // copula and determiners are function words too
  assert.deepEqual(ko.analyze('그 요건은 무엇인가요?'), ['요건', '무엇']);
});

test('ko-morph decompounds Compound / Inflect tokens (and can be told not to)', () => {
  // ko-dic stores 고무호스 as a Compound of 고무 + 호스, 했 as Inflect 하 + 았
  assert.deepEqual(ko.analyze('고무호스'), ['고무', '호스']);
  assert.deepEqual(ko.analyze('검토했다'), ['검토', '하']);
  const whole = createAnalyzer({ name: 'ko-morph', decompound: false });
  assert.deepEqual(whole.analyze('고무호스'), ['고무호스']);
  assert.notEqual(whole.name, ko.name);
});

test('ko-morph applies NFKC and lower-cases Latin; keeps numbers and Latin words', () => {
  assert.deepEqual(ko.analyze('ＬＰＧ 가스 ＡＢＣ Full 123'), ['lpg', '가스', 'abc', 'full', '123']);
  assert.deepEqual(ko.analyze('①'), ['1']);
});

test("ko-morph works around lindera's unknown 이 (particle/copula)", () => {
  // default "drop": unknown 이 / 이… glued to a noun is dropped
  assert.deepEqual(ko.analyze('사람이 왔다'), ['사람', '오']);
  assert.deepEqual(ko.analyze('학생이었다'), ['학생']);
  const off = createAnalyzer({ name: 'ko-morph', fixI: 'off' });
  assert.deepEqual(off.analyze('사람이 왔다'), ['사람', '이', '오']);
  // "split" also repairs the segmentation that the missing 이 breaks (학생이 → 학/생이 without it)
  const split = createAnalyzer({ name: 'ko-morph', fixI: 'split' });
  assert.ok(!ko.analyze('학생이 왔다').includes('학생'));
  assert.deepEqual(split.analyze('학생이 왔다'), ['학생', '오']);
  assert.deepEqual(split.analyze('지방은행이 문을 열었다'), ['지방', '은행', '문', '열']);
  // …but leaves words that really end in 이 alone
  assert.deepEqual(split.analyze('관계없이 같이 어린이'), off.analyze('관계없이 같이 어린이'));
});

test('ko-morph: stop tags dropped inside lindera do not change the terms (glued 이 after a dropped symbol)', async () => {
  // ")" (SSC) is a stop tag that lindera drops before the token reaches JS; the unknown "이었던" right
  // after it is still recognised as glued copula material and dropped, as when ")" was seen.
  assert.deepEqual(ko.analyze('주된 접점(B2C)이었던 오프라인 매장'), [
    '주',
    '되',
    '접점',
    'b',
    '2',
    'c',
    '오프라인',
    '매장',
  ]);
  const off = createAnalyzer({ name: 'ko-morph', fixI: 'off' });
  assert.ok(off.analyze('주된 접점(B2C)이었던 오프라인 매장').includes('이었던'));
  // after whitespace it is not glued: a lone "이…" word stays (fixI "drop" only drops a bare 이)
  assert.ok(ko.analyze('(B2C) 이었던').includes('이었던'));
  // multi-byte and astral characters before the token keep the byte → character mapping right
  assert.deepEqual(ko.analyze('😀(가)이었던'), ko.analyze('😀(가)'));
  // the dropped set is the single ko-dic tags the stop prefixes cover, never SL / SN / SH
  const { TagFilter } = await import('../dist/analyze/ko-morph.js');
  const dropped = new TagFilter(['E', 'J', 'MM', 'S', 'VC']).droppedTags();
  assert.deepEqual(
    dropped.filter((t) => t.startsWith('S')),
    ['SF', 'SE', 'SSO', 'SSC', 'SC', 'SY'],
  );
  assert.ok(dropped.includes('JKS') && dropped.includes('EF') && dropped.includes('VCP') && !dropped.includes('VV'));
  // a custom stop list gets its own lindera filter: J only keeps endings and symbols
  const onlyJ = createAnalyzer({ name: 'ko-morph', stopTags: ['J'] });
  assert.deepEqual(onlyJ.analyze('학교에 갔다.'), ['학교', '가', '았', '다']);
});

test('ko-morph: repeated short texts (a hybrid query analysed by two legs) give fresh, equal, per-configuration terms', () => {
  const a = createAnalyzer('ko-morph');
  const b = createAnalyzer('ko-morph');
  const first = a.analyze('기초연금 신청 방법');
  first.push('changed by the caller');
  const again = b.analyze('기초연금 신청 방법');
  assert.deepEqual(again, ['기초', '연금', '신청', '방법']);
  again.length = 0;
  assert.deepEqual(a.analyze('기초연금 신청 방법'), ['기초', '연금', '신청', '방법']);
  // another configuration never sees the first one's terms
  const noDecompound = createAnalyzer({ name: 'ko-morph', decompound: false });
  const j = createAnalyzer({ name: 'ko-morph', stopTags: ['J'] });
  assert.deepEqual(j.analyze('학교에 갔다'), ['학교', '가', '았', '다']);
  assert.deepEqual(a.analyze('학교에 갔다'), ['학교', '가']);
  assert.deepEqual(noDecompound.analyze('고무호스'), ['고무호스']);
  assert.deepEqual(a.analyze('고무호스'), ['고무', '호스']);
});

test('user dictionary keeps a word whole (지방은행이 → 지방, 은행) even where ko-dic splits it', () => {
  const plain = createAnalyzer({ name: 'ko-morph', fixI: 'off' });
  assert.ok(!plain.analyze('지방은행이').includes('은행'), plain.analyze('지방은행이').join(' '));
  const ud = createAnalyzer({ name: 'ko-morph', userDictionary: ['은행'] });
  assert.deepEqual(ud.analyze('지방은행이'), ['지방', '은행']);
  assert.deepEqual(ud.analyze('지방은행이다'), ['지방', '은행']);
  const udRaw = createAnalyzer({ name: 'ko-morph', fixI: 'off', userDictionary: ['은행'] });
  assert.ok(udRaw.analyze('지방은행이').includes('은행'));
  // a whole brand name, a POS that the stop filter drops, and an explicit segmentation
  const ud2 = createAnalyzer({
    name: 'ko-morph',
    userDictionary: [
      { word: '그루브웍스', pos: 'NNP' },
      { word: '세종시', parts: ['세종', '시'] },
      { word: '께옵서', pos: 'JKS' },
    ],
  });
  assert.deepEqual(ud2.analyze('그루브웍스가 세종시에 있다'), ['그루브웍스', '세종', '시', '있']);
  assert.deepEqual(ud2.analyze('할머니께옵서'), ['할머니']);
  assert.notEqual(ud2.name, 'ko-morph');
  assert.match(ud2.name, /^ko-morph#[0-9a-f]{8}$/);
  assert.equal(
    codeOf(() => createAnalyzer({ name: 'ko-morph', userDictionary: ['두 단어'] })),
    'INVALID_ARGUMENT',
  );
  assert.equal(
    codeOf(() => createAnalyzer({ name: 'ko-morph', userDictionary: [{ word: 'x', tag: 'NNG' }] })),
    'INVALID_ARGUMENT',
  );
});

test('stopwords are dropped at index and query time', () => {
  const a = createAnalyzer({ name: 'ko-morph', stopwords: ['것', '수', 'ＴＨＥ'] });
  assert.deepEqual(a.analyze('할 수 있는 것'), ['하', '있']);
  assert.deepEqual(a.analyze('The book'), ['book']);
  const w = createAnalyzer({ name: 'whitespace', stopwords: ['a', 'the'] });
  assert.deepEqual(w.analyze('The cat a dog'), ['cat', 'dog']);
});

test('synonyms map every group member to the canonical (first) member', () => {
  const a = createAnalyzer({
    name: 'ko-morph',
    synonyms: [
      ['자동차', '차량', '카'],
      ['국민연금', '노령연금'],
    ],
  });
  // members are analyzed like text: 자동차 → 자동 차 (ko-dic Compound), so 차량 → 자동 차
  assert.deepEqual(a.analyze('차량 구입'), ['자동', '차', '구입']);
  assert.deepEqual(a.analyze('자동차 구입'), ['자동', '차', '구입']);
  // multi-term members (국민연금 → 국민 연금) are matched as sequences
  assert.deepEqual(a.analyze('노령연금 신청'), ['국민', '연금', '신청']);
  assert.deepEqual(a.analyze('국민 연금'), ['국민', '연금']);
  const w = createAnalyzer({ name: 'whitespace', synonyms: [['tv', 'television']] });
  assert.deepEqual(w.analyze('Television set'), ['tv', 'set']);
});

test('ngram: words plus Hangul syllable 1- and 2-grams (hand case)', () => {
  const a = createAnalyzer('ngram');
  assert.deepEqual(a.analyze('학교에 가요!'), ['학교에', '학', '학교', '교', '교에', '에', '가요', '가', '가요', '요']);
  assert.deepEqual(a.analyze('"LPG용기" ＡＢ'), ['lpg용기', '용', '용기', '기', 'ab']);
  const bi = createAnalyzer({ name: 'ngram', words: false, minGram: 2 });
  assert.deepEqual(bi.analyze('학교에 가요'), ['학교', '교에', '가요']);
  assert.deepEqual(a.analyze('... --- !!!'), []);
  assert.equal(
    codeOf(() => createAnalyzer({ name: 'ngram', minGram: 0 })),
    'INVALID_ARGUMENT',
  );
});

test('whitespace: split on Unicode whitespace, lower-case, nothing else', () => {
  const a = createAnalyzer('whitespace');
  assert.deepEqual(a.analyze('  Hello\tWORLD\u3000한국어\u00a0x\n'), ['hello', 'world', '한국어', 'x']);
  assert.deepEqual(a.analyze('a,b'), ['a,b']);
  // the terms are what splitting on JavaScript's \s gives (an independent oracle), on random text drawn from
  // every kind of whitespace, NEL (not \s), letters, Hangul, NUL and lone surrogates
  const alphabet = [' ', '\t', '\n', '\v', '\f', '\r', '\u00a0', '\u1680', '\u2000', '\u200a', '\u2028', '\u2029'];
  alphabet.push('\u202f', '\u205f', '\u3000', '\ufeff', '\u0085', '\u200b', 'A', 'z', '한', '\u0000', '\ud800', 'İ');
  let seed = 11;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let r = 0; r < 500; r++) {
    const text = Array.from(
      { length: Math.floor(next() * 24) },
      () => alphabet[Math.floor(next() * alphabet.length)],
    ).join('');
    const oracle = text
      .toLowerCase()
      .split(/\s+/)
      .filter((t) => t !== '');
    assert.deepEqual(a.analyze(text), oracle, JSON.stringify(text));
  }
});

test('combination ko-morph+ngram: terms of both, second part prefixed', () => {
  const c = createAnalyzer('ko-morph+ngram');
  assert.equal(c.name, 'ko-morph+ngram');
  assert.deepEqual(c.analyze('학교에'), ['학교', '1:학교에', '1:학', '1:학교', '1:교', '1:교에', '1:에']);
  const kb = createAnalyzer('ko-morph+bigram');
  assert.equal(kb.name, 'ko-morph+bigram');
  assert.deepEqual(kb.analyze('학교에 가요'), ['학교', '가요', '1:학교', '1:교에', '1:가요']);
  assert.equal(createAnalyzer(kb.config).name, 'ko-morph+bigram');
  assert.equal(createAnalyzer('bigram').name, 'bigram');
  const np = createAnalyzer({
    name: 'combine',
    parts: [{ name: 'whitespace' }, { name: 'whitespace' }],
    prefix: false,
  });
  assert.deepEqual(np.analyze('A b'), ['a', 'b', 'a', 'b']);
  assert.equal(np.name, 'whitespace+whitespace#noprefix');
});

test('config is JSON-serializable and recreates an identical analyzer', () => {
  const specs = [
    'ko-morph',
    'ngram',
    'whitespace',
    'ko-morph+ngram',
    { name: 'ngram', words: false, minGram: 2, maxGram: 3 },
    { name: 'ko-morph', decompound: false, fixI: 'split', stopTags: ['J', 'E', 'S'] },
    {
      name: 'ko-morph',
      userDictionary: ['은행', { word: '세종시', parts: ['세종', '시'] }],
      stopwords: ['것'],
      synonyms: [['차', '자동차']],
    },
    {
      name: 'combine',
      parts: [
        { name: 'ko-morph', stopwords: ['수'] },
        { name: 'ngram', words: false },
      ],
      prefix: false,
    },
  ];
  const text = '세종시의 지방은행이 자동차 대출을 할 수 있는 것으로 Ｆｕｌｌ 검토했다.';
  for (const spec of specs) {
    const a = createAnalyzer(spec);
    const json = JSON.stringify(a.config);
    const b = createAnalyzer(JSON.parse(json));
    assert.equal(b.name, a.name, json);
    assert.equal(JSON.stringify(b.config), json);
    assert.deepEqual(b.analyze(text), a.analyze(text), json);
  }
  // default options are not written out, so equivalent specs have equal names
  assert.equal(
    createAnalyzer({ name: 'ko-morph', decompound: true, fixI: 'drop', stopTags: ['S', 'VC', 'MM', 'J', 'E'] }).name,
    'ko-morph',
  );
  assert.deepEqual(createAnalyzer('ko-morph').config, { name: 'ko-morph' });
});

test('analyzeBatch equals analyze mapped over the texts', () => {
  const texts = ['학생이 왔다', '', '고무호스를 샀습니다', '   ', 'ABC 123'];
  for (const n of ['ko-morph', 'ngram', 'whitespace', 'ko-morph+ngram']) {
    const a = createAnalyzer(n);
    assert.deepEqual(
      a.analyzeBatch(texts),
      texts.map((t) => a.analyze(t)),
      n,
    );
  }
});

test('bad inputs: empty, whitespace-only, NUL, lone surrogates never throw', () => {
  for (const n of ['ko-morph', 'ngram', 'whitespace', 'ko-morph+ngram']) {
    const a = createAnalyzer(n);
    assert.deepEqual(a.analyze(''), [], n);
    assert.deepEqual(a.analyze(' \t\n\u3000 '), [], n);
    const odd = [
      'a\u0000b 학교\u0000에',
      '\ud800학교',
      '학교\udc00',
      '\udfff\ud800',
      '\u0000',
      '\uffff\ufffe',
      '😀학교',
    ];
    for (const t of odd) {
      const out = a.analyze(t);
      assert.ok(Array.isArray(out), `${n} ${JSON.stringify(t)}`);
      for (const term of out) assert.ok(term.length > 0 && typeof term === 'string');
    }
  }
  assert.ok(ko.analyze('\ud800학교').includes('학교'));
  assert.ok(ko.analyze('학교\u0000에서').includes('학교'));
});

test('bad inputs: non-string text → INVALID_ARGUMENT; unknown name/option → typed errors', () => {
  for (const n of ['ko-morph', 'ngram', 'whitespace', 'ko-morph+ngram']) {
    const a = createAnalyzer(n);
    for (const bad of [undefined, null, 42, {}, ['x'], Buffer.from('x')]) {
      assert.equal(
        codeOf(() => a.analyze(bad)),
        'INVALID_ARGUMENT',
        `${n} ${String(bad)}`,
      );
    }
    assert.equal(
      codeOf(() => a.analyzeBatch('not an array')),
      'INVALID_ARGUMENT',
    );
    assert.equal(
      codeOf(() => a.analyzeBatch(['ok', 3])),
      'INVALID_ARGUMENT',
    );
  }
  assert.equal(
    codeOf(() => createAnalyzer('kiwi')),
    'UNKNOWN_ANALYZER',
  );
  assert.equal(
    codeOf(() => createAnalyzer('ko-morph+nope')),
    'UNKNOWN_ANALYZER',
  );
  assert.equal(
    codeOf(() => createAnalyzer('ko-morph+')),
    'UNKNOWN_ANALYZER',
  );
  assert.equal(
    codeOf(() => createAnalyzer({ name: 'nope' })),
    'UNKNOWN_ANALYZER',
  );
  assert.equal(
    codeOf(() => createAnalyzer({ name: 'ko-morph', decompund: true })),
    'UNKNOWN_OPTION',
  );
  assert.equal(
    codeOf(() => createAnalyzer({ name: 'ngram', word: true })),
    'UNKNOWN_OPTION',
  );
  assert.equal(
    codeOf(() => createAnalyzer({ name: 'whitespace', lower: false })),
    'UNKNOWN_OPTION',
  );
  assert.equal(
    codeOf(() => createAnalyzer({ name: 'combine', parts: ['ngram', 'whitespace'], weights: [1, 2] })),
    'UNKNOWN_OPTION',
  );
  assert.equal(
    codeOf(() => createAnalyzer({ name: 'combine', parts: [{ name: 'ngram' }] })),
    'INVALID_ARGUMENT',
  );
  assert.equal(
    codeOf(() => createAnalyzer({ name: 'ko-morph', fixI: true })),
    'INVALID_ARGUMENT',
  );
  assert.equal(
    codeOf(() => createAnalyzer(42)),
    'INVALID_ARGUMENT',
  );
  assert.equal(
    codeOf(() => createAnalyzer(null)),
    'INVALID_ARGUMENT',
  );
});

test('1 MB text: every analyzer handles it (ko-morph in chunks)', () => {
  const sentence = '국민연금공단은 2024년부터 노령연금 수급자에게 추가 지원금을 지급합니다. ';
  let big = '';
  while (big.length < 1_000_000) big += sentence;
  const expect = ko.analyze(sentence);
  const t0 = performance.now();
  const out = ko.analyze(big);
  const ms = performance.now() - t0;
  const reps = Math.floor(big.length / sentence.length);
  assert.ok(out.length >= expect.length * reps, `${out.length} terms`);
  assert.deepEqual(out.slice(0, expect.length), expect);
  assert.ok(ms < 60_000, `${ms} ms`);
  // a 1 MB "word" without any whitespace is cut hard and still works
  const noSpace = '가나다라마바사'.repeat(150_000);
  assert.ok(ko.analyze(noSpace).length > 0);
  for (const n of ['ngram', 'whitespace']) assert.ok(createAnalyzer(n).analyze(big).length > reps);
});

test('analyzer objects are frozen and configs cannot be mutated', () => {
  const a = createAnalyzer({ name: 'ko-morph', stopwords: ['것'] });
  assert.ok(Object.isFrozen(a));
  assert.ok(Object.isFrozen(a.config));
  assert.throws(() => {
    a.config.stopwords.push('수');
  });
});

test('a combination reuses its first part’s terms: analyzeReusing equals analyze, only for that part', () => {
  const texts = [
    '기초연금 수급자격은 만 65세 이상입니다.',
    '서울특별시 강남구 주민센터에서 신청할 수 있나요?',
    'BM25와 dense 검색을 함께 쓰는 hybrid 검색',
    '',
    '   ',
    'ㄱㄴㄷ 😀 e\u0301 한글',
  ];
  for (const first of ['ko-morph', 'ngram', 'whitespace']) {
    const head = createAnalyzer(first);
    const combined = createAnalyzer(`${first}+bigram`);
    for (const text of texts) {
      const reused = combined.analyzeReusing(text, head.name, head.analyze(text));
      assert.deepEqual(reused, combined.analyze(text), `${first}: ${text}`);
    }
    assert.equal(combined.analyzeReusing(texts[0], 'some-other-analyzer', ['x']), undefined);
  }
  assert.equal(createAnalyzer('ko-morph').analyzeReusing, undefined);
});
