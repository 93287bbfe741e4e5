// Every documented input is checked at the API boundary (issue 19): meta must be JSON data (typed
// INVALID_ARGUMENT naming the field, the index unchanged), a signal must be an AbortSignal, unknown
// options are UNKNOWN_OPTION everywhere, corrupt file headers are CORRUPT_INDEX (or another typed code).

import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Bm25Index, Engine, TamsaekError } from 'tamsaek';

const DOCS = [
  { id: 'a', text: '기초연금 신청 방법', meta: { area: 'pension', year: 2024 } },
  { id: 'b', text: '청년 월세 지원 대상', meta: { area: 'housing', tags: ['청년', '월세'] } },
];

class Point {
  constructor() {
    this.x = 1;
  }
}

test('meta that is not JSON data is INVALID_ARGUMENT naming the field; the index is unchanged', async () => {
  const engine = await Engine.create({ analyzer: 'ngram' });
  await engine.add(DOCS);
  const cyclic = { a: {} };
  cyclic.a.self = cyclic;
  let deep = {};
  for (let i = 0; i < 40; i++) deep = { d: deep };
  const cases = [
    [{ n: 1n }, /meta\.n is a bigint/],
    [{ f: () => 1 }, /meta\.f is a function/],
    [{ s: Symbol('x') }, /meta\.s is a symbol/],
    [{ u: undefined }, /meta\.u is a undefined/],
    [{ nested: { x: Number.NaN } }, /meta\.nested\.x is NaN/],
    [{ list: [1, Infinity] }, /meta\.list\[1\] is Infinity/],
    [{ when: new Date(0) }, /meta\.when is a Date/],
    [{ p: new Point() }, /meta\.p is a Point object/],
    [{ m: new Map() }, /meta\.m is a Map object/],
    [{ v: new Float32Array(2) }, /meta\.v is a Float32Array object/],
    [cyclic, /cycle/],
    [deep, /nested deeper/],
    [{ [Symbol('k')]: 1 }, /symbol keys/],
    [[1, 2], /meta must be a plain object/],
    ['text', /meta must be a plain object/],
  ];
  for (const [meta, message] of cases) {
    for (const write of [(d) => engine.add(d), (d) => engine.upsert(d)]) {
      await assert.rejects(
        write([
          { id: 'new', text: '새 문서' },
          { id: 'a', text: '바뀐 본문', meta },
        ]),
        (error) => {
          assert.ok(error instanceof TamsaekError);
          assert.equal(error.code, 'INVALID_ARGUMENT');
          assert.match(error.message, /document "a"/);
          assert.match(error.message, message);
          return true;
        },
        String(message),
      );
    }
  }
  assert.equal(engine.size, 2);
  assert.equal(engine.has('new'), false);
  assert.deepEqual(engine.get('a').meta, DOCS[0].meta);
  await engine.upsert([{ id: 'a', text: '바뀐 본문', meta: { ok: [null, true, 'x', { y: 1.5 }] } }]);
  assert.deepEqual(engine.get('a').meta, { ok: [null, true, 'x', { y: 1.5 }] });
  await engine.close();
});

test('a signal that is not an AbortSignal, and unknown options, are typed errors everywhere', async () => {
  const engine = await Engine.create({ analyzer: 'ngram' });
  await engine.add(DOCS);
  for (const signal of [{ aborted: false }, 'stop', null, 1]) {
    await assert.rejects(engine.search('연금', { signal }), { code: 'INVALID_ARGUMENT' }, String(signal));
    await assert.rejects(new Bm25Index().searchAsync('연금', { signal }), { code: 'INVALID_ARGUMENT' });
  }
  const unknown = { code: 'UNKNOWN_OPTION' };
  await assert.rejects(engine.search('연금', { kk: 3 }), unknown);
  await assert.rejects(engine.search('연금', { limits: { maxChars: 3 } }), unknown);
  await assert.rejects(engine.search('연금', { limits: { maxDocumentChars: 3 } }), unknown);
  await assert.rejects(engine.add([{ id: 'c', text: 'x' }], { progress: () => {} }), unknown);
  await assert.rejects(engine.upsert([{ id: 'c', text: 'x', meta: {}, extra: 1 }]), unknown);
  await assert.rejects(engine.add([{ id: 'c', text: 'x' }], { onProgress: 'yes' }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(Engine.create({ analyzer: 'ngram', limit: {} }), unknown);
  await assert.rejects(Engine.create({ limits: { maxQueryChar: 10 } }), unknown);
  await assert.rejects(Engine.create({ limits: { maxQueryChars: 0 } }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(Engine.create({ limits: { maxQueryTerms: 1.5 } }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(Engine.open('/nonexistent', { readonly: true }), unknown);
  assert.throws(() => new Bm25Index({ maxQueryChar: 3 }), unknown);
  await assert.rejects(new Bm25Index().addManyAsync([], { signal: undefined, onProgress: 1 }), unknown);
  await assert.rejects(new Bm25Index().searchAsync('연금', { timeout: 3 }), unknown);
  assert.equal(engine.size, 2);
  await engine.close();
});

/** Flips one byte at each of the first `n` positions of `path`, expecting a typed error each time. */
async function flipHeader(path, n, open) {
  const bytes = await readFile(path);
  const codes = new Set();
  for (let i = 0; i < Math.min(n, bytes.length); i++) {
    const bad = Buffer.from(bytes);
    bad[i] ^= 0x5a;
    await writeFile(path, bad);
    try {
      await open();
      codes.add('opened'); // a byte the format does not depend on (reserved, padding) may be harmless
    } catch (error) {
      assert.ok(error instanceof TamsaekError, `byte ${i} of ${path}: ${error}`);
      codes.add(error.code);
    }
  }
  await writeFile(path, bytes);
  await open();
  return codes;
}

test('corrupt headers of bm25.tsk, docs.jsonl, manifest.json and vector files are typed errors, never crashes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-headers-'));
  try {
    const { HashEmbedder } = await import('./helpers/fake-models.mjs');
    const embedder = new HashEmbedder(16);
    const engine = await Engine.create({ analyzer: 'ngram', dense: { embedder } });
    await engine.add(DOCS);
    await engine.save(dir);
    await engine.close();
    const gen = join(
      dir,
      (await readdir(dir)).find((n) => n.startsWith('gen-')),
    );
    const open = async () => (await Engine.open(dir, { readOnly: true, embedder })).close();
    const files = [join(gen, 'legs/bm25/bm25.tsk'), join(gen, 'docs.jsonl'), join(dir, 'manifest.json')];
    for (const leg of await readdir(join(gen, 'legs')))
      for (const f of await readdir(join(gen, 'legs', leg)))
        if (/\.(idx|bin|f32)$/.test(f)) files.push(join(gen, 'legs', leg, f));
    assert.ok(files.length >= 4, `a vector file among ${files}`);
    for (const file of files) {
      const codes = await flipHeader(file, 48, open);
      assert.ok(codes.has('CORRUPT_INDEX') || codes.has('FOREIGN_FILE'), `${file}: ${[...codes]}`);
    }
    const standalone = join(dir, 'standalone');
    const index = new Bm25Index({ analyzer: 'ngram' });
    index.add('a', '기초연금 신청');
    await index.save(standalone);
    await index.close();
    const codes = await flipHeader(join(standalone, 'bm25.tsk'), 48, async () =>
      (await Bm25Index.open(standalone)).close(),
    );
    assert.ok(codes.has('CORRUPT_INDEX'), [...codes].join());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
