// Bounded work per request (issue 19): a query over maxQueryChars or maxQueryTerms, or a document over
// maxDocumentChars, is a typed LIMIT_EXCEEDED before any analysis; the library, Bm25Index and the HTTP
// server (413) enforce them with documented defaults; a huge document under the limit is indexed whole.

import assert from 'node:assert/strict';
import net from 'node:net';
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

/** Writes `head` and then `chunks` (each after a turn) on a raw socket; resolves with what came back and whether the server closed. */
function rawExchange(port, head, chunks = []) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, 5000);
    socket.setEncoding('utf8').on('data', (c) => (text += c));
    socket.on('error', reject);
    socket.on('end', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed: true });
    });
    socket.write(head);
    let i = 0;
    const next = () => {
      if (i < chunks.length && !socket.destroyed) socket.write(chunks[i++], () => setImmediate(next));
    };
    next();
  });
}

test('HTTP: a search body over its cap is refused before it is read, and the connection closes', async () => {
  const engine = await Engine.create({ analyzer: 'ngram' });
  await engine.add(DOCS);
  // the default cap: 6 × maxQueryChars (4,096) + 256 KiB = 286,720 bytes, under the 1 MiB --max-body
  const srv = createServer(engine, { persist: 'off' });
  const { port } = await srv.listen(0, '127.0.0.1');
  try {
    // Content-Length says 1,000,000 and no byte of the body is ever sent: the answer cannot have waited for it
    const declared = await rawExchange(
      port,
      'POST /search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n',
    );
    assert.ok(declared.closed, 'the server closes the connection');
    assert.match(declared.text, /^HTTP\/1\.1 413 /);
    assert.match(declared.text, /\r\nconnection: close\r\n/i);
    const body = JSON.parse(declared.text.slice(declared.text.indexOf('\r\n\r\n') + 4));
    assert.equal(body.error.code, 'LIMIT_EXCEEDED');
    assert.match(body.error.message, /over 286720 bytes .*maxQueryChars 4096/);
    // a client that waits for `100 Continue` is refused without it, so it never sends the body …
    const expecting = await rawExchange(
      port,
      'POST /search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\nExpect: 100-continue\r\n\r\n',
    );
    assert.match(expecting.text, /^HTTP\/1\.1 413 [\s\S]*"code":"LIMIT_EXCEEDED"/);
    // … and told to go on when its body is acceptable
    const small = '{"query":"기초연금"}';
    const go = await rawExchange(
      port,
      `POST /search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(small)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
      [small],
    );
    assert.match(go.text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 [\s\S]*"id":"pension"/);
    // a chunked body is cut off as it grows past the cap: the final chunk is never sent
    const chunk = `10000\r\n${'a'.repeat(0x10000)}\r\n`;
    const chunked = await rawExchange(
      port,
      'POST /search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"q":\r\n',
      Array.from({ length: 6 }, () => chunk),
    );
    assert.ok(chunked.closed);
    assert.match(chunked.text, /^HTTP\/1\.1 413 [\s\S]*"code":"LIMIT_EXCEEDED"/);
    // just under the cap is read and parsed (then refused by the query limit itself)
    const under = await fetch(`http://127.0.0.1:${port}/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '가'.repeat(90_000) }), // 270,013 bytes
    });
    assert.equal(under.status, 413);
    assert.match((await under.json()).error.message, /90000 characters, more than maxQueryChars 4096/);
    assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);
  } finally {
    await srv.close();
  }
  // an explicit cap; --max-body still applies above it, with its own code
  const small = createServer(engine, { persist: 'off', maxSearchBodyBytes: 100, maxBodyBytes: 200 });
  const { port: smallPort } = await small.listen(0, '127.0.0.1');
  try {
    const post = async (query) => {
      const res = await fetch(`http://127.0.0.1:${smallPort}/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      });
      return [res.status, (await res.json()).error?.code ?? 'ok'];
    };
    assert.deepEqual(await post('x'.repeat(80)), [200, 'ok']);
    assert.deepEqual(await post('x'.repeat(120)), [413, 'LIMIT_EXCEEDED']);
    assert.deepEqual(await post('x'.repeat(300)), [413, 'PAYLOAD_TOO_LARGE']);
  } finally {
    await small.close();
  }
  for (const bad of [0, -1, 1.5, '1kb'])
    assert.throws(() => createServer(engine, { maxSearchBodyBytes: bad }), { code: 'INVALID_ARGUMENT' });
  await engine.close();
});
