// `tamsaek serve`: prints the bound address on stderr, serves, exits 0 on SIGTERM with the write
// persisted and the lock released; a second server on the same index is refused (LOCKED).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Engine } from 'tamsaek';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'dist/cli/main.js');

async function makeIndex() {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-serve-cli-'));
  const engine = await Engine.create({ analyzer: 'ngram' });
  await engine.add([
    { id: 'pension', title: '기초연금', text: '만 65세 이상 어르신에게 매달 기초연금을 지급합니다.' },
    { id: 'rent', title: '청년 월세 지원', text: '혼자 사는 청년에게 월세를 최대 12개월 지원합니다.' },
  ]);
  await engine.save(dir);
  await engine.close();
  return dir;
}

/** Spawns `tamsaek serve`; resolves once it prints its address (or rejects if it exits first). */
function startServe(args) {
  const child = spawn(process.execPath, [bin, 'serve', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, stderr, stdout })),
  );
  const kill = setTimeout(() => child.kill('SIGKILL'), 30_000); // never outlive the test
  exited.then(() => clearTimeout(kill));
  const ready = new Promise((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (c) => {
      stderr += c;
      const m = /listening on (http:\/\/\S+)/.exec(stderr);
      if (m) resolve(m[1]);
    });
    exited.then((r) => reject(new Error(`serve exited early (${r.code}): ${r.stderr}`)));
  });
  ready.catch(() => {}); // awaited by the tests that need it
  return { child, ready, exited };
}

test('tamsaek serve: request, SIGTERM → exit 0, index loadable with the write', async () => {
  const dir = await makeIndex();
  const { child, ready, exited } = startServe([dir, '--port', '0', '--max-body', '64kb', '--max-search-body', '2kb']);
  try {
    const base = await ready;
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await (await fetch(`${base}/health`, { signal: AbortSignal.timeout(5000) })).json();
    assert.deepEqual(health, { status: 'ok', documents: 2, legs: ['bm25'] });
    const written = await fetch(`${base}/documents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ documents: [{ id: 'deposit', text: '예금자 보호 한도는 5천만 원입니다.' }] }),
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(written.status, 200);
    const hits = await (
      await fetch(`${base}/search?q=${encodeURIComponent('예금자 보호')}&k=1`, { signal: AbortSignal.timeout(5000) })
    ).json();
    assert.equal(hits.hits[0].id, 'deposit');
    const tooBig = await fetch(`${base}/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'x'.repeat(70_000) }),
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(tooBig.status, 413);
    assert.equal((await tooBig.json()).error.code, 'PAYLOAD_TOO_LARGE');
    // over --max-search-body (2 KiB) but under --max-body: the search route's own cap
    const overSearchCap = await fetch(`${base}/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'x'.repeat(3000) }),
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(overSearchCap.status, 413);
    const { error: capError } = await overSearchCap.json();
    assert.equal(capError.code, 'LIMIT_EXCEEDED');
    assert.match(capError.message, /maxSearchBodyBytes \(2048 bytes\)/);

    // a second writer on the same index is refused while the first holds the lock
    const second = startServe([dir, '--port', '0']);
    const refused = await second.exited;
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /LOCKED/);

    child.kill('SIGTERM');
    const result = await exited;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /SIGTERM: shutting down/);
    assert.match(result.stderr, /stopped/);
  } finally {
    child.kill('SIGKILL');
  }
  // loadable, with the write, and the lock is released (a writable open succeeds)
  const engine = await Engine.open(dir);
  try {
    assert.equal(engine.size, 3);
    assert.ok(engine.has('deposit'));
  } finally {
    await engine.close();
  }
  await rm(dir, { recursive: true, force: true });
});

test('tamsaek serve: usage errors exit 2, a missing index exits 1', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-serve-cli-'));
  try {
    const badSize = await startServe([dir, '--max-body', 'huge']).exited;
    assert.equal(badSize.code, 2);
    assert.match(badSize.stderr, /--max-body/);
    const badSearchSize = await startServe([dir, '--max-search-body', '-1']).exited;
    assert.equal(badSearchSize.code, 2);
    assert.match(badSearchSize.stderr, /--max-search-body/);
    const badPort = await startServe([dir, '--port', '70000']).exited;
    assert.equal(badPort.code, 2);
    const missing = await startServe([join(dir, 'nothing'), '--port', '0']).exited;
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /NOT_FOUND/);
    assert.equal(missing.stderr.trim().split('\n').length, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
