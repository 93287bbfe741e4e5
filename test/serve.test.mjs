// HTTP server over the Engine: every endpoint, every error status, persistence, timeouts, abort on
// disconnect, graceful close with in-flight requests, and the loopback load generator.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createServer, Engine, parseByteSize, serveBench, statusFor } from 'tamsaek';
import { HashEmbedder } from './helpers/fake-models.mjs';
import { WELFARE_DOCS } from './helpers/welfare-docs.mjs';

const DOCS = WELFARE_DOCS;

async function makeIndex() {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-serve-'));
  const engine = await Engine.create({ analyzer: 'ngram', dense: { embedder: new HashEmbedder() } });
  await engine.add(DOCS);
  await engine.save(dir);
  await engine.close();
  return dir;
}

/** Waits (bounded) until `embedder` has been called `n` times: the requests are inside the engine. */
async function untilCalls(embedder, n) {
  for (let i = 0; i < 500 && embedder.calls < n; i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(embedder.calls >= n, `embedder called ${embedder.calls} times, expected ${n}`);
}

/** Opens `dir`, serves it on an ephemeral loopback port; `stop()` closes server and engine. */
async function serve(dir, serveOptions = {}, { embedder = new HashEmbedder(), readOnly = false } = {}) {
  const engine = await Engine.open(dir, { embedder, readOnly });
  const srv = createServer(engine, serveOptions);
  const { port, host } = await srv.listen(0, '127.0.0.1');
  assert.equal(host, '127.0.0.1');
  const base = `http://127.0.0.1:${port}`;
  return {
    engine,
    embedder,
    srv,
    base,
    port,
    async stop() {
      await srv.close();
      await engine.close();
    },
  };
}

async function call(base, method, path, body, headers = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    if (!('content-type' in init.headers)) init.headers['content-type'] = 'application/json';
  }
  const res = await fetch(base + path, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

/** A raw request (for chunked bodies and bodies without a Content-Type). */
function raw(port, method, path, { headers = {}, chunks = [] } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path, headers, agent: false, timeout: 10_000 },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () =>
          resolve({ status: res.statusCode, headers: res.headers, json: text ? JSON.parse(text) : undefined }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

test('endpoints: health, search (POST and GET), documents upsert/add/get/delete, persisted across a restart', async () => {
  const dir = await makeIndex();
  let s = await serve(dir);
  try {
    const health = await call(s.base, 'GET', '/health');
    assert.equal(health.status, 200);
    assert.deepEqual(health.json, { status: 'ok', documents: 5, legs: ['bm25', 'passages', 'dense'] });
    assert.match(health.headers.get('content-type'), /^application\/json/);

    const posted = await call(s.base, 'POST', '/search', { query: '예금 보호 한도', k: 3, highlight: true });
    assert.equal(posted.status, 200);
    assert.equal(posted.json.hits.length, 3);
    assert.equal(posted.json.hits[0].id, 'deposit');
    assert.ok(posted.json.hits[0].legs.bm25 && posted.json.hits[0].legs.dense);
    assert.ok(posted.json.hits[0].snippet.text.length > 0);
    assert.equal(typeof posted.json.took_ms, 'number');

    // a precomputed query vector (from the index's model) stands in for embedding the query
    const vector = Array.from(await new HashEmbedder().embed(['예금 보호 한도']));
    const byVector = await call(s.base, 'POST', '/search', { query: '', vector, legs: ['dense'], k: 1 });
    assert.equal(byVector.status, 200);
    assert.equal(byVector.json.hits[0].id, 'deposit');

    const got = await call(s.base, 'GET', `/search?q=${encodeURIComponent('예금 보호 한도')}&k=2&legs=bm25`);
    assert.equal(got.status, 200);
    assert.equal(got.json.hits.length, 2);
    assert.equal(got.json.hits[0].id, 'deposit');
    assert.ok(got.json.hits.every((h) => h.legs.dense === undefined));

    const filtered = await call(s.base, 'POST', '/search', {
      query: '지원',
      filter: { area: 'finance' },
      weights: { bm25: 1, dense: 0.5 },
      legs: ['bm25', 'dense'],
      rerank: false,
    });
    assert.equal(filtered.status, 200);
    assert.ok(filtered.json.hits.length > 0 && filtered.json.hits.every((h) => h.meta.area === 'finance'));
    const anyOf = await call(s.base, 'POST', '/search', { query: '지원', filter: { area: ['finance', 'housing'] } });
    assert.ok(anyOf.json.hits.every((h) => ['finance', 'housing'].includes(h.meta.area)));

    // upsert (the default mode) then search sees it; add of an existing id is a conflict
    const pet = { id: 'pet', title: '반려동물', text: '반려동물 진료비 지원 제도 안내', meta: { area: 'pets' } };
    const upserted = await call(s.base, 'POST', '/documents', {
      documents: [pet, { id: 'rent', text: '청년 주거 바우처 안내' }],
    });
    assert.equal(upserted.status, 200);
    assert.deepEqual(upserted.json, { indexed: 2, mode: 'upsert', documents: 6, persisted: true });
    const seen = await call(s.base, 'POST', '/search', { query: '반려동물 진료비', k: 1 });
    assert.equal(seen.json.hits[0].id, 'pet');
    const added = await call(s.base, 'POST', '/documents', {
      documents: [{ id: 'extra', text: '추가 문서 본문' }],
      mode: 'add',
    });
    assert.deepEqual(added.json, { indexed: 1, mode: 'add', documents: 7, persisted: true });
    const dup = await call(s.base, 'POST', '/documents', { documents: [pet], mode: 'add' });
    assert.equal(dup.status, 409);
    assert.equal(dup.json.error.code, 'DUPLICATE_ID');

    const doc = await call(s.base, 'GET', '/documents/pet');
    assert.equal(doc.status, 200);
    assert.equal(doc.json.text, pet.text);
    assert.deepEqual(doc.json.meta, { area: 'pets' });
    const missingDoc = await call(s.base, 'GET', `/documents/${encodeURIComponent('없는 문서')}`);
    assert.equal(missingDoc.status, 404);
    assert.equal(missingDoc.json.error.code, 'NOT_FOUND');

    // delete: bulk (absent ids are not counted) and by path (404 when absent)
    const bulk = await call(s.base, 'DELETE', '/documents', { ids: ['deposit', 'nope'] });
    assert.deepEqual(bulk.json, { deleted: 1, documents: 6, persisted: true });
    const gone = await call(s.base, 'POST', '/search', { query: '예금자 보호 은행', k: 10 });
    assert.ok(gone.json.hits.every((h) => h.id !== 'deposit'));
    const one = await call(s.base, 'DELETE', '/documents/extra');
    assert.deepEqual(one.json, { deleted: 1, documents: 5, persisted: true });
    const again = await call(s.base, 'DELETE', '/documents/extra');
    assert.equal(again.status, 404);
    const none = await call(s.base, 'DELETE', '/documents', { ids: ['nope'] });
    assert.deepEqual(none.json, { deleted: 0, documents: 5, persisted: false });
  } finally {
    await s.stop();
  }

  // every acknowledged write is on disk: a fresh open sees it
  s = await serve(dir);
  try {
    const health = await call(s.base, 'GET', '/health');
    assert.equal(health.json.documents, 5);
    assert.equal((await call(s.base, 'POST', '/search', { query: '반려동물 진료비', k: 1 })).json.hits[0].id, 'pet');
    assert.equal((await call(s.base, 'GET', '/documents/deposit')).status, 404);
    assert.equal((await call(s.base, 'GET', '/documents/rent')).json.text, '청년 주거 바우처 안내');
  } finally {
    await s.stop();
  }
  await rm(dir, { recursive: true, force: true });
});

test('error statuses: 400, 403, 404, 405, 409, 413, 415 with { error: { code, message } }', async () => {
  const dir = await makeIndex();
  const s = await serve(dir, { maxBodyBytes: 1024, maxK: 50 });
  const expectError = async (promise, status, code, pattern) => {
    const res = await promise;
    assert.equal(res.status, status, JSON.stringify(res.json));
    assert.equal(res.json.error.code, code);
    assert.equal(typeof res.json.error.message, 'string');
    if (pattern) assert.match(res.json.error.message, pattern);
    assert.equal(Object.keys(res.json).join(), 'error');
    return res;
  };
  try {
    // 400: bad JSON, not an object, unknown fields, bad values
    await expectError(call(s.base, 'POST', '/search', '{"query": "예금"'), 400, 'PARSE_ERROR', /invalid JSON/);
    await expectError(call(s.base, 'POST', '/search', '["예금"]'), 400, 'INVALID_ARGUMENT', /JSON object/);
    await expectError(call(s.base, 'POST', '/search', ''), 400, 'PARSE_ERROR', /empty/);
    await expectError(
      call(s.base, 'POST', '/search', { query: '예금', kk: 3 }),
      400,
      'UNKNOWN_OPTION',
      /unknown field "kk"/,
    );
    await expectError(call(s.base, 'POST', '/search', { query: 3 }), 400, 'INVALID_ARGUMENT', /query/);
    await expectError(call(s.base, 'POST', '/search', { query: '예금', k: 0 }), 400, 'INVALID_ARGUMENT', /k must be/);
    await expectError(call(s.base, 'POST', '/search', { query: '예금', k: 51 }), 400, 'INVALID_ARGUMENT', /1\.\.50/);
    await expectError(
      call(s.base, 'POST', '/search', { query: '예금', filter: 'area=finance' }),
      400,
      'INVALID_ARGUMENT',
      /filter/,
    );
    await expectError(
      call(s.base, 'POST', '/search', { query: '예금', legs: ['sparse'] }),
      400,
      'INVALID_ARGUMENT',
      /not configured/,
    );
    await expectError(
      call(s.base, 'POST', '/search', { query: '예금', weights: { bm25: 'x' } }),
      400,
      'INVALID_ARGUMENT',
      /weights/,
    );
    await expectError(
      call(s.base, 'POST', '/search', { query: '예금', fusion: { method: 'nope' } }),
      400,
      'INVALID_ARGUMENT',
    );
    await expectError(
      call(s.base, 'POST', '/search', { query: '예금', vector: 'x' }),
      400,
      'INVALID_ARGUMENT',
      /vector/,
    );
    await expectError(
      call(s.base, 'POST', '/search', { query: '예금', vector: [1, 2, 3] }),
      400,
      'DIMENSION_MISMATCH',
      /3 values/,
    );
    await expectError(
      call(s.base, 'POST', '/documents', { documents: [{ id: 'v', text: 'y', vector: [1] }] }),
      400,
      'DIMENSION_MISMATCH',
    );
    await expectError(call(s.base, 'GET', '/search?k=3'), 400, 'INVALID_ARGUMENT', /"q"/);
    await expectError(call(s.base, 'GET', '/search?q=a&size=3'), 400, 'UNKNOWN_OPTION', /"size"/);
    await expectError(call(s.base, 'GET', '/search?q=a&k=abc'), 400, 'INVALID_ARGUMENT');
    await expectError(call(s.base, 'POST', '/documents', { docs: [] }), 400, 'UNKNOWN_OPTION', /"docs"/);
    await expectError(
      call(s.base, 'POST', '/documents', { documents: [{ id: 'x', body: 'y' }] }),
      400,
      'UNKNOWN_OPTION',
      /"body"/,
    );
    await expectError(
      call(s.base, 'POST', '/documents', { documents: [{ id: '', text: 'y' }] }),
      400,
      'INVALID_ARGUMENT',
      /id/,
    );
    await expectError(
      call(s.base, 'POST', '/documents', { documents: [], mode: 'replace' }),
      400,
      'INVALID_ARGUMENT',
      /mode/,
    );
    await expectError(call(s.base, 'DELETE', '/documents', { ids: 'pension' }), 400, 'INVALID_ARGUMENT', /ids/);
    await expectError(call(s.base, 'GET', '/documents/%E0%A4%A'), 400, 'INVALID_ARGUMENT', /percent/);
    // 404 unknown path, 405 wrong method (with Allow)
    await expectError(call(s.base, 'GET', '/nope'), 404, 'NOT_FOUND');
    await expectError(call(s.base, 'GET', '/lib/engine/engine.js'), 404, 'NOT_FOUND');
    await expectError(call(s.base, 'POST', '/', {}), 405, 'METHOD_NOT_ALLOWED'); // GET / is the playground
    const wrong = await expectError(call(s.base, 'PUT', '/search', { query: 'x' }), 405, 'METHOD_NOT_ALLOWED');
    assert.equal(wrong.headers.get('allow'), 'GET, POST');
    await expectError(call(s.base, 'POST', '/health', {}), 405, 'METHOD_NOT_ALLOWED');
    await expectError(call(s.base, 'GET', '/documents'), 405, 'METHOD_NOT_ALLOWED');
    // 409 duplicate ids within one call, too
    await expectError(
      call(s.base, 'POST', '/documents', {
        documents: [
          { id: 'a', text: '1' },
          { id: 'a', text: '2' },
        ],
      }),
      409,
      'DUPLICATE_ID',
    );
    // 415: a body that is not declared JSON, or no Content-Type at all
    await expectError(
      call(s.base, 'POST', '/search', 'query=예금', { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    await expectError(
      raw(s.port, 'DELETE', '/documents', { headers: { 'content-length': 19 }, chunks: ['{"ids":["pension"]}'] }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    assert.equal(
      (await call(s.base, 'POST', '/search', { query: '예금' }, { 'content-type': 'application/json; charset=utf-8' }))
        .status,
      200,
    );
    // 413: declared length over the limit, and a chunked body that grows past it
    const big = { query: '가'.repeat(2000) };
    await expectError(call(s.base, 'POST', '/search', big), 413, 'PAYLOAD_TOO_LARGE', /1024 bytes/);
    await expectError(
      raw(s.port, 'POST', '/search', {
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        chunks: ['{"query":"', 'a'.repeat(700), 'b'.repeat(700), '"}'],
      }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    // the server is still healthy and nothing was written by the failed requests
    assert.deepEqual((await call(s.base, 'GET', '/health')).json, {
      status: 'ok',
      documents: 5,
      legs: ['bm25', 'passages', 'dense'],
    });
  } finally {
    await s.stop();
  }

  // 403 on a read-only server (searches still work)
  const ro = await serve(dir, { readOnly: true }, { readOnly: true });
  try {
    await expectError(call(ro.base, 'POST', '/documents', { documents: [{ id: 'x', text: 'y' }] }), 403, 'READ_ONLY');
    await expectError(call(ro.base, 'DELETE', '/documents/pension'), 403, 'READ_ONLY');
    assert.equal((await call(ro.base, 'POST', '/search', { query: '기초연금' })).json.hits[0].id, 'pension');
  } finally {
    await ro.stop();
  }
  await rm(dir, { recursive: true, force: true });
});

test('status mapping and size parsing helpers', () => {
  assert.equal(statusFor('INVALID_ARGUMENT'), 400);
  assert.equal(statusFor('UNKNOWN_OPTION'), 400);
  assert.equal(statusFor('PARSE_ERROR'), 400);
  assert.equal(statusFor('DIMENSION_MISMATCH'), 400);
  assert.equal(statusFor('NOT_FOUND'), 404);
  assert.equal(statusFor('DUPLICATE_ID'), 409);
  assert.equal(statusFor('READ_ONLY'), 403);
  assert.equal(statusFor('ABORTED'), 503);
  assert.equal(statusFor('TIMEOUT'), 504);
  assert.equal(statusFor('CORRUPT_INDEX'), 500);
  assert.equal(parseByteSize('1mb'), 1 << 20);
  assert.equal(parseByteSize('512KB'), 512 << 10);
  assert.equal(parseByteSize('2048'), 2048);
  assert.equal(parseByteSize('1.5m'), 1.5 * (1 << 20));
  assert.throws(() => parseByteSize('lots'), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => parseByteSize('0'), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => createServer({}, { maxBody: 1 }), { code: 'UNKNOWN_OPTION' });
});

test('search timeout → 504, client disconnect aborts the search', async () => {
  const dir = await makeIndex();
  const s = await serve(dir, { timeoutMs: 50 }, { embedder: new HashEmbedder(64, { delayMs: 400 }) });
  try {
    const slow = await call(s.base, 'POST', '/search', { query: '예금 보호' });
    assert.equal(slow.status, 504);
    assert.equal(slow.json.error.code, 'TIMEOUT');
    // BM25 alone does not wait for the embedder
    assert.equal((await call(s.base, 'POST', '/search', { query: '예금 보호', legs: ['bm25'] })).status, 200);
  } finally {
    await s.stop();
  }

  // a disconnected client's search stops at once: close() then has nothing to wait for
  const t = await serve(dir, { shutdownTimeoutMs: 5000 }, { embedder: new HashEmbedder(64, { delayMs: 1500 }) });
  try {
    const controller = new AbortController();
    const pending = fetch(`${t.base}/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '예금' }),
      signal: controller.signal,
    });
    await untilCalls(t.embedder, 1);
    controller.abort();
    await assert.rejects(pending, { name: 'AbortError' });
    await new Promise((r) => setTimeout(r, 50));
    const started = performance.now();
    await t.srv.close();
    assert.ok(
      performance.now() - started < 1000,
      `close waited ${performance.now() - started} ms for an aborted search`,
    );
  } finally {
    await t.stop();
  }
  await rm(dir, { recursive: true, force: true });
});

test('graceful close: in-flight search and write complete, the write is persisted, new connections are refused', async () => {
  const dir = await makeIndex();
  const s = await serve(dir, { shutdownTimeoutMs: 5000 }, { embedder: new HashEmbedder(64, { delayMs: 300 }) });
  let closedAt;
  try {
    const search = call(s.base, 'POST', '/search', { query: '기초연금 신청', k: 2 });
    const write = call(s.base, 'POST', '/documents', {
      documents: [{ id: 'late', text: '종료 직전에 들어온 문서 내용' }],
    });
    await untilCalls(s.embedder, 2); // both are now inside the engine
    const closing = s.srv.close().then(() => (closedAt = performance.now()));
    const [searched, written] = await Promise.all([search, write]);
    assert.equal(searched.status, 200);
    assert.equal(searched.json.hits[0].id, 'pension');
    assert.equal(written.status, 200);
    assert.equal(written.json.persisted, true);
    await closing;
    assert.ok(closedAt !== undefined);
    assert.equal(s.srv.server.listening, false);
    await assert.rejects(fetch(`${s.base}/health`, { signal: AbortSignal.timeout(5000) }));
  } finally {
    await s.stop();
  }
  const reopened = await Engine.open(dir, { embedder: new HashEmbedder() });
  try {
    assert.equal(reopened.size, 6);
    assert.ok(reopened.has('late'));
  } finally {
    await reopened.close();
  }
  await rm(dir, { recursive: true, force: true });
});

test('close: bounded wait aborts a search that outlives shutdownTimeoutMs; async persistence flushes on close', async () => {
  const dir = await makeIndex();
  const s = await serve(
    dir,
    { shutdownTimeoutMs: 100, persist: 'async', saveDelayMs: 60_000 },
    { embedder: new HashEmbedder(64, { delayMs: 0 }) },
  );
  try {
    const written = await call(s.base, 'POST', '/documents', {
      documents: [{ id: 'queued', text: '나중에 저장되는 문서' }],
    });
    assert.equal(written.json.persisted, false);
  } finally {
    await s.stop(); // flushes the pending save
  }
  const reopened = await Engine.open(dir, { embedder: new HashEmbedder() });
  assert.ok(reopened.has('queued'));
  await reopened.close();

  const slow = await serve(dir, { shutdownTimeoutMs: 100 }, { embedder: new HashEmbedder(64, { delayMs: 2000 }) });
  try {
    const pending = call(slow.base, 'POST', '/search', { query: '문서' }).then(
      (r) => r,
      (e) => e,
    );
    await untilCalls(slow.embedder, 1);
    const started = performance.now();
    await slow.srv.close();
    assert.ok(performance.now() - started < 1500, 'close is bounded');
    const outcome = await pending;
    // the client sees either the 503 sent on abort or a dropped connection, never a hang
    assert.ok(outcome instanceof Error || outcome.status === 503, String(outcome?.status ?? outcome));
  } finally {
    await slow.stop();
  }
  await rm(dir, { recursive: true, force: true });
});

test('serveBench: bounded keep-alive loopback load', async () => {
  const dir = await makeIndex();
  const s = await serve(dir);
  try {
    const result = await serveBench({
      url: s.base,
      concurrency: 4,
      requests: 60,
      queries: ['예금 보호', '청년 월세', '기초연금'],
      warmup: 2,
    });
    assert.equal(result.requests, 60);
    assert.equal(result.errors, 0);
    assert.equal(result.concurrency, 4);
    assert.ok(result.qps > 0);
    assert.ok(result.p50_ms > 0 && result.p95_ms >= result.p50_ms && result.p99_ms >= result.p95_ms);
    const timed = await serveBench({ url: s.base, concurrency: 2, durationMs: 200 });
    assert.ok(timed.requests > 0 && timed.seconds < 5);
    await assert.rejects(serveBench({ url: s.base, concurrency: 0 }), { code: 'INVALID_ARGUMENT' });
  } finally {
    await s.stop();
  }
  await rm(dir, { recursive: true, force: true });
});
