// Corpus adaptation of the shipped static model: documents only (never queries or qrels), deterministic
// per seed, stored inside the index, re-adaptable, bad options typed.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Engine, TamsaekError } from 'tamsaek';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'cli', 'main.js');
const run = promisify(execFile);
const FAST = { seconds: 20, epochs: 1, seed: 7 };

/** A small Korean corpus: the sample's documents, each also as a few recombined variants (40 documents). */
async function corpus() {
  const lines = (await readFile(join(root, 'datasets/sample-ko/corpus.jsonl'), 'utf8')).trim().split('\n');
  const base = lines.map((l) => JSON.parse(l));
  const docs = [];
  for (let v = 0; v < 5; v++)
    for (const [i, d] of base.entries()) {
      const other = base[(i + v) % base.length];
      docs.push({ _id: `${d._id}#${v}`, title: d.title, text: v === 0 ? d.text : `${d.text} ${other.text}` });
    }
  return docs;
}

async function beirDir(docs, queries, qrels) {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-adapt-'));
  await writeFile(join(dir, 'corpus.jsonl'), docs.map((d) => JSON.stringify(d)).join('\n'));
  await writeFile(join(dir, 'queries.jsonl'), queries.map((q) => JSON.stringify(q)).join('\n'));
  await cp(join(root, 'datasets/sample-ko/qrels'), join(dir, 'qrels'), { recursive: true });
  await writeFile(join(dir, 'qrels', 'test.tsv'), `query-id\tcorpus-id\tscore\n${qrels.join('\n')}\n`);
  return dir;
}

test('adaptation reads documents only: poisoned queries and qrels give the same model; the seed decides it', async () => {
  const docs = await corpus();
  const clean = await beirDir(docs, [{ _id: 'q1', text: '기초연금 신청' }], [`q1\t${docs[0]._id}\t1`]);
  const poisoned = await beirDir(
    docs,
    [
      { _id: 'q1', text: '전혀 다른 질문 예금 보호 한도 출산 지원금' },
      { _id: 'q2', text: '청년 월세' },
    ],
    [`q1\t${docs[7]._id}\t1`, `q2\t${docs[3]._id}\t1`],
  );
  const out = await mkdtemp(join(tmpdir(), 'tamsaek-adapt-out-'));
  try {
    const index = async (dir, name, seed) => {
      const argv = ['index', dir, '--adapt', '--adapt-seconds', '20', '--seed', String(seed), '--out', join(out, name)];
      await run(process.execPath, [cli, ...argv, '-q']);
      return readFile(join(out, name, 'gen-000001', 'legs', 'dense', 'model', 'model.safetensors'));
    };
    const a = await index(clean, 'a', 7);
    const b = await index(poisoned, 'b', 7);
    const c = await index(clean, 'c', 8);
    assert.ok(a.equals(b), 'queries and qrels do not reach the model');
    assert.ok(!a.equals(c), 'another seed, another model');
  } finally {
    for (const d of [clean, poisoned, out]) await rm(d, { recursive: true, force: true });
  }
});

test('an adapted index stores its model, reopens without re-adapting, and re-adapts on demand', async () => {
  const docs = (await corpus()).map(({ _id, title, text }) => ({ id: _id, title, text }));
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-adapt-idx-'));
  try {
    const engine = await Engine.create({ dense: { embedder: 'default', adapt: FAST } });
    const stages = new Set();
    await engine.add(docs, { onProgress: (_d, _t, stage) => stages.add(stage) });
    assert.ok(stages.has('adapt: analyze') && stages.has('adapt: train') && stages.has('embed'), [...stages].join());
    const dense = engine.describe().legs.find((l) => l.kind === 'dense');
    assert.equal(dense.model, 'tamsaek-static-ko-v2+adapted');
    assert.equal(dense.adapted.base, 'tamsaek-static-ko-v2');
    assert.equal(dense.adapted.seed, 7);
    assert.equal(dense.adapted.documents, docs.length);
    assert.ok(dense.adapted.rowsAdded >= 0 && dense.adapted.steps >= 1);
    const before = await engine.search('기초연금 신청 서류', { k: 5 });
    await engine.save(dir);
    await engine.close();

    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    const state = manifest.config.legs.find((l) => l.kind === 'dense').state;
    assert.equal(state.model, 'default');
    assert.equal(state.adapted.seed, 7);
    const opened = await Engine.open(dir);
    assert.deepEqual(await opened.search('기초연금 신청 서류', { k: 5 }), before, 'the stored model answers alike');
    // re-adaptation: a new model from the base, every document re-embedded, saved atomically
    await opened.upsert([{ id: 'new', title: '장애인 연금', text: '중증 장애인에게 매달 장애인연금을 지급합니다.' }]);
    await opened.adapt({ seconds: 20, epochs: 1, seed: 9 });
    const again = opened.describe().legs.find((l) => l.kind === 'dense');
    assert.equal(again.adapted.seed, 9);
    assert.equal(again.adapted.documents, docs.length + 1);
    assert.equal((await opened.search('장애인연금', { k: 1, legs: ['dense'] }))[0].id, 'new');
    await opened.save();
    await opened.close();
    const reread = await Engine.open(dir, { readOnly: true });
    assert.equal(reread.describe().legs.find((l) => l.kind === 'dense').adapted.seed, 9);
    await reread.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('bad adaptation requests are typed errors', async () => {
  const bad = [
    { dense: { embedder: 'default', adapt: 'yes' } },
    { dense: { embedder: 'default', adapt: { seconds: -1 } } },
    { dense: { embedder: 'default', adapt: { steps: 10 } } },
    { dense: { dim: 8, adapt: true } },
  ];
  for (const options of bad)
    await assert.rejects(Engine.create(options), (e) => e instanceof TamsaekError, JSON.stringify(options));
  const small = await Engine.create({ dense: { embedder: 'default' } });
  await small.add([{ id: 'a', text: '기초연금' }]);
  await assert.rejects(small.adapt(), { code: 'INVALID_ARGUMENT' }); // fewer documents than a corpus
  await assert.rejects(small.adapt({ bogus: 1 }), { code: 'UNKNOWN_OPTION' });
  const lexical = await Engine.create({});
  await assert.rejects(lexical.adapt(), { code: 'NOT_SUPPORTED' });
  const { stderr } = await run(
    process.execPath,
    [cli, 'index', 'datasets/sample-ko', '--no-adapt', '--adapt-seconds', '3', '--out', '/tmp/x'],
    { cwd: root },
  ).catch((e) => e);
  assert.match(stderr, /--no-adapt goes alone/);
});
