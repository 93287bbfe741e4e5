// Bounded work per request (issue 19): a query over maxQueryChars or maxQueryTerms, or a document over
// maxDocumentChars, is a typed LIMIT_EXCEEDED before any analysis; the library, Bm25Index and the HTTP
// server (413) enforce them with documented defaults; a huge document under the limit is indexed whole.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Bm25Index, createServer, DEFAULT_LIMITS, Engine, TamsaekError } from 'tamsaek';

const DOCS = [
  { id: 'pension', text: '만 65세 이상 어르신에게 매달 기초연금을 지급합니다.' },
  { id: 'rent', text: '혼자 사는 청년에게 월세를 최대 12개월 지원합니다.' },
];

function limitError(pattern) {
  return (error) => {
    assert.ok(error instanceof TamsaekError, String(error));
    assert.equal(error.code, 'LIMIT_EXCEEDED');
    assert.match(error.message, pattern);
    return true;
  };
}

test('the documented defaults', () => {
  assert.deepEqual({ ...DEFAULT_LIMITS }, { maxQueryChars: 4096, maxQueryTerms: 1024, maxDocumentChars: 10485760 });
  assert.ok(Object.isFrozen(DEFAULT_LIMITS));
});

test('Engine: query characters and terms, per engine and per search; a 1 MB query is refused', async () => {
  const engine = await Engine.create({ analyzer: 'ngram' });
  await engine.add(DOCS);
  await assert.rejects(
    engine.search('가'.repeat(1 << 20)),
    limitError(/1048576 characters, more than maxQueryChars 4096/),
  );
  await assert.rejects(engine.search('연'.repeat(4097)), limitError(/maxQueryChars 4096/));
  // 4,096 characters pass the character limit; the ngram analyzer makes more than 1,024 terms of them
  await assert.rejects(engine.search('기초연금 '.repeat(819)), limitError(/terms, more than maxQueryTerms 1024/));
  assert.ok(Array.isArray(await engine.search('기초연금 '.repeat(819), { limits: { maxQueryTerms: Infinity } })));
  await assert.rejects(engine.search('기초연금 신청', { limits: { maxQueryChars: 3 } }), limitError(/maxQueryChars 3/));
  await assert.rejects(engine.search('기초연금 신청', { limits: { maxQueryTerms: 2 } }), limitError(/maxQueryTerms 2/));
  await engine.close();

  const strict = await Engine.create({ analyzer: 'ngram', limits: { maxQueryChars: 10 } });
  await strict.add(DOCS);
  await assert.rejects(strict.search('기초연금을 신청하는 방법'), limitError(/maxQueryChars 10/));
  assert.equal((await strict.search('기초연금'))[0].id, 'pension');
  await strict.close();
});

test('Engine: a document over maxDocumentChars is refused whole (the batch is not applied)', async () => {
  const engine = await Engine.create({ analyzer: 'ngram', limits: { maxDocumentChars: 1000 } });
  await engine.add(DOCS);
  const big = { id: 'big', text: '가'.repeat(995), meta: { note: '123456' } };
  await assert.rejects(engine.add([{ id: 'ok', text: '작은 문서' }, big]), limitError(/"big" has 1008 characters/));
  await assert.rejects(engine.upsert([{ id: 'rent', text: '나'.repeat(1001) }]), limitError(/maxDocumentChars 1000/));
  assert.equal(engine.size, 2);
  assert.equal(engine.has('ok'), false);
  assert.match(engine.get('rent').text, /월세/);
  await engine.add([{ id: 'fits', text: '가'.repeat(990) }]);
  assert.equal(engine.size, 3);
  await engine.close();
});

test('Bm25Index: query limits as constructor options', () => {
  const index = new Bm25Index({ analyzer: 'ngram', maxQueryChars: 20, maxQueryTerms: 12 });
  index.add('a', '기초연금 신청 방법');
  assert.deepEqual(index.limits, { maxQueryChars: 20, maxQueryTerms: 12 });
  assert.throws(() => index.search('가'.repeat(21)), limitError(/maxQueryChars 20/));
  assert.throws(() => index.search('기초연금 신청 방법 안내'), limitError(/more than maxQueryTerms 12/));
  assert.equal(index.search('기초연금')[0].id, 'a');
  assert.deepEqual(new Bm25Index().limits, { maxQueryChars: 4096, maxQueryTerms: 1024 });
  assert.throws(() => new Bm25Index({ maxQueryTerms: -1 }), { code: 'INVALID_ARGUMENT' });
});

test('HTTP: an oversized query is 413 LIMIT_EXCEEDED, fast, and the server keeps answering', async () => {
  const engine = await Engine.create({ analyzer: 'ngram' });
  await engine.add(DOCS);
  const srv = createServer(engine, { limits: { maxQueryChars: 64 }, persist: 'off', maxBodyBytes: 4 << 20 });
  const { port } = await srv.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${port}`;
  try {
    const post = (body) =>
      fetch(`${base}/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    for (const query of ['가'.repeat(65), '가'.repeat(1 << 20)]) {
      const res = await post({ query });
      assert.equal(res.status, 413);
      const { error } = await res.json();
      assert.equal(error.code, 'LIMIT_EXCEEDED');
      assert.match(error.message, /maxQueryChars 64/);
    }
    const get = await fetch(`${base}/search?q=${encodeURIComponent('가'.repeat(100))}`);
    assert.equal(get.status, 413);
    // a request line over the server's 64 KiB header limit is refused by the parser: still typed JSON
    const long = await fetch(`${base}/search?q=${encodeURIComponent('가'.repeat(9000))}`);
    assert.equal(long.status, 431);
    assert.equal((await long.json()).error.code, 'LIMIT_EXCEEDED');
    assert.equal((await (await post({ query: '기초연금' })).json()).hits[0].id, 'pension');
    assert.equal((await fetch(`${base}/health`)).status, 200);
    assert.throws(() => createServer(engine, { limits: { maxDocumentChars: 5 } }), { code: 'UNKNOWN_OPTION' });
  } finally {
    await srv.close();
    await engine.close();
  }
});
