// Engine persistence: manifest + generations, checksums, write lock, crash safety (kill -9 during save).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Engine, registerLeg } from 'tamsaek';
import { mulberry32 } from '../dist/util/random.js';
import { HashEmbedder, refuseOnceLeg } from './helpers/fake-models.mjs';

const refuseOnce = refuseOnceLeg(registerLeg);

const DOCS = [
  { id: '연금 1', title: '기초연금', text: '만 65세 이상 어르신에게 매달 기초연금을 지급합니다.', meta: { n: 1 } },
  { id: 'rent', title: '청년 월세', text: '혼자 사는 청년에게 월세를 지원합니다.' },
  { id: 'deposit', text: '예금은 1인당 5천만 원까지 보호됩니다.', meta: { n: 3 } },
];

const temp = () => mkdtemp(join(tmpdir(), 'tamsaek-engine-'));

test('save/open round trip with both legs; generations replace each other', async () => {
  const dir = await temp();
  try {
    const embedder = new HashEmbedder();
    const engine = await Engine.create({
      analyzer: 'ngram',
      dense: { embedder },
      fusion: { method: 'cc', normalizer: 'mm', weights: { bm25: 0.3, dense: 0.7 } },
    });
    await engine.add(DOCS);
    await engine.save(dir);
    const before = await engine.search('청년 월세 지원', { k: 3 });
    await engine.close();

    await assert.rejects(Engine.open(dir), /custom embedder/);
    const opened = await Engine.open(dir, { embedder });
    assert.deepEqual(await opened.search('청년 월세 지원', { k: 3 }), before);
    assert.deepEqual(opened.get('연금 1'), DOCS[0]);
    assert.deepEqual(opened.describe().fusion, { method: 'cc', normalizer: 'mm', weights: { bm25: 0.3, dense: 0.7 } });
    // a precomputed vector is stored with the index like an embedded one
    const vector = new Float32Array(embedder.dim);
    vector[0] = 1;
    await opened.add([{ id: 'new', text: '새로운 출산 지원 제도', vector }]);
    await opened.save();
    const names = await readdir(dir);
    assert.deepEqual(
      names.filter((n) => n.startsWith('gen-')),
      ['gen-000002'],
    );
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    assert.equal(manifest.generation, 2);
    assert.equal(manifest.stats.documents, 4);
    await opened.close();
    const again = await Engine.open(dir, { embedder, readOnly: true });
    assert.equal(again.size, 4);
    assert.equal((await again.search('', { vector, legs: ['dense'], k: 1 }))[0].id, 'new');
    await assert.rejects(again.add([{ id: 'x', text: 'y' }]), { code: 'READ_ONLY' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a dense leg over passages (dense.chunk) reopens with its split; a failed upsert puts every passage back', async () => {
  const dir = await temp();
  try {
    const embedder = new HashEmbedder(128);
    const split = { by: 'chars', size: 12, overlap: 4 };
    const engine = await Engine.create({
      analyzer: 'ngram',
      legs: [
        { name: 'bm25', kind: 'bm25' },
        { name: 'dense', kind: 'dense', options: { embedder, chunk: split } },
        { name: 'flaky', kind: 'refuse-once' },
      ],
    });
    await engine.add(DOCS);
    const before = await engine.search('청년 월세 지원', { k: 3, legs: ['dense'] });
    await engine.save(dir);
    await engine.close();
    const opened = await Engine.open(dir, { embedder });
    const dense = () => opened.describe().legs.find((l) => l.name === 'dense');
    assert.deepEqual(dense().passages, split);
    assert.deepEqual(await opened.search('청년 월세 지원', { k: 3, legs: ['dense'] }), before);
    // an upsert that a later leg refuses puts the replaced document back, every passage with its vector
    const vectors = dense().units;
    assert.ok(vectors > DOCS.length, 'documents are split into several passages');
    refuseOnce.arm();
    await assert.rejects(opened.upsert([{ id: 'rent', text: '전혀 다른 새 내용입니다' }]), /no room/);
    assert.equal(opened.get('rent').text, DOCS[1].text);
    assert.deepEqual(await opened.search('청년 월세 지원', { k: 3, legs: ['dense'] }), before);
    assert.equal(dense().units, vectors, 'the same passages, none lost or doubled');
    await opened.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a vectors-only index (dense: { dim }) reopens without a model', async () => {
  const dir = await temp();
  try {
    const model = new HashEmbedder(16);
    const engine = await Engine.create({ analyzer: 'ngram', dense: { dim: 16 } });
    const vectors = await model.embed(DOCS.map((d) => (d.title ? `${d.title} ${d.text}` : d.text)));
    await engine.add(DOCS.map((d, i) => ({ ...d, vector: Array.from(vectors.subarray(i * 16, (i + 1) * 16)) })));
    await engine.save(dir);
    const vector = await model.embed(['청년 월세']);
    const before = await engine.search('청년 월세', { vector });
    await engine.close();
    const opened = await Engine.open(dir, { readOnly: true });
    assert.deepEqual(opened.legs, ['bm25', 'passages', 'dense']);
    assert.deepEqual(await opened.search('청년 월세', { vector }), before);
    await assert.rejects(opened.search('청년 월세'), { code: 'INVALID_ARGUMENT', message: /no model/ });
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    const dense = manifest.config.legs.find((l) => l.kind === 'dense');
    assert.equal(dense.state.vectorsOnly, true);
    assert.equal(dense.state.dim, 16);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('one writer per directory: a second writer gets LOCKED, readers are allowed, a dead owner is stale', async () => {
  const dir = await temp();
  try {
    const engine = await Engine.create({ analyzer: 'ngram' });
    await engine.add(DOCS);
    await engine.save(dir);
    await assert.rejects(Engine.open(dir), { code: 'LOCKED' });
    const reader = await Engine.open(dir, { readOnly: true });
    assert.equal(reader.size, 3);
    // another process cannot take it either
    const child = spawn(process.execPath, [
      '--input-type=module',
      '-e',
      `import { Engine } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)}; try { await Engine.open(${JSON.stringify(dir)}); console.log('opened'); } catch (e) { console.log(e.code); }`,
    ]);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await new Promise((r) => child.on('exit', r));
    assert.equal(out.trim(), 'LOCKED');
    await engine.close();
    const writer = await Engine.open(dir);
    await writer.close();
    // a lock left by a process that no longer exists is taken over
    await writeFile(join(dir, 'write.lock'), JSON.stringify({ pid: 2 ** 22 + 12345 }));
    const taken = await Engine.open(dir);
    await taken.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('corrupt, foreign, newer and missing manifests or segments are typed errors', async () => {
  const dir = await temp();
  try {
    const engine = await Engine.create({ analyzer: 'ngram' });
    await engine.add(DOCS);
    await engine.save(dir);
    await engine.close();
    const manifestPath = join(dir, 'manifest.json');
    const good = await readFile(manifestPath, 'utf8');
    const cases = [
      ['{"format": "tamsaek-index", "formatVer', 'CORRUPT_INDEX'],
      ['{"hello": "world"}', 'FOREIGN_FILE'],
      [good.replace('"formatVersion": 2', '"formatVersion": 9'), 'UNSUPPORTED_VERSION'],
      [good.replace(/"generation": \d+/, '"generation": 0'), 'CORRUPT_INDEX'],
    ];
    for (const [content, code] of cases) {
      await writeFile(manifestPath, content);
      await assert.rejects(Engine.open(dir, { readOnly: true }), { code });
    }
    await writeFile(manifestPath, good);
    const gen = join(
      dir,
      (await readdir(dir)).find((n) => n.startsWith('gen-')),
    );
    for (const file of ['legs/bm25/bm25.tsk', 'docs.jsonl']) {
      const path = join(gen, file);
      const bytes = await readFile(path);
      const bad = Buffer.from(bytes);
      bad[Math.floor(bad.length / 2)] ^= 0x01;
      await writeFile(path, bad);
      await assert.rejects(Engine.open(dir, { readOnly: true }), { code: 'CORRUPT_INDEX' }, file);
      await writeFile(path, bytes.subarray(0, bytes.length - 3));
      await assert.rejects(Engine.open(dir, { readOnly: true }), { code: 'CORRUPT_INDEX' }, `${file} truncated`);
      await writeFile(path, bytes);
    }
    assert.equal((await Engine.open(dir, { readOnly: true })).size, 3);
    await rm(manifestPath);
    await assert.rejects(Engine.open(dir, { readOnly: true }), { code: 'NOT_FOUND' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('kill -9 at random points during save always leaves the previous or the new index loadable', async () => {
  const dir = await temp();
  const child = fileURLToPath(new URL('./helpers/save-loop.mjs', import.meta.url));
  const rand = mulberry32(99);
  try {
    let kills = 0;
    for (let round = 0; round < 10; round++) {
      const proc = spawn(process.execPath, [child, dir, '200'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const saved = [];
      let buffer = '';
      proc.stdout.on('data', (d) => {
        buffer += d;
        for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
          saved.push(Number(buffer.slice(0, nl).split(' ')[1]));
          buffer = buffer.slice(nl + 1);
        }
      });
      const exited = new Promise((r) => proc.on('exit', r));
      // wait for the first completed save of this round, then kill at a random moment
      while (saved.length === 0 && proc.exitCode === null) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, Math.floor(rand() * 120)));
      proc.kill('SIGKILL');
      await exited;
      kills++;
      const last = saved[saved.length - 1];
      const engine = await Engine.open(dir, { readOnly: true });
      // the committed generation is the last reported save or one that finished after the report
      assert.ok(
        engine.size === last || engine.size === last + 200,
        `round ${round}: size ${engine.size}, last reported ${last}`,
      );
      const [hit] = await engine.search(`문서 ${engine.size - 1} 번째`, { k: 1, legs: ['bm25'] });
      assert.equal(hit.id, `d${engine.size - 1}`);
    }
    assert.equal(kills, 10);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('indexes saved by the engine before legs were open (format 1) open and search as they did', async () => {
  const fixtures = fileURLToPath(new URL('./fixtures/indexes/', import.meta.url));
  for (const name of ['v1-bm25', 'v1-whole', 'v1-dense-chunk', 'v1-engine-chunk']) {
    const expected = JSON.parse(await readFile(join(fixtures, `${name}.expected.json`), 'utf8'));
    const engine = await Engine.open(join(fixtures, name), { readOnly: true, embedder: new HashEmbedder(32) });
    assert.equal(engine.size, 4, name);
    for (const [query, want] of Object.entries(expected)) {
      const got = (await engine.search(query, { k: 4 })).map((h) => ({ id: h.id, score: h.score, passage: h.passage }));
      if (name === 'v1-engine-chunk') {
        // the engine-wide split now fuses each leg's best passage per document (it fused passages before)
        assert.deepEqual(new Set(got.map((h) => h.id)), new Set(want.map((h) => h.id)), `${name}: ${query}`);
        for (const h of got) assert.ok(h.passage, `${name}: every hit names its passage`);
      } else assert.deepEqual(JSON.parse(JSON.stringify(got)), want, `${name}: ${query}`);
    }
    await engine.close();
  }
});
