// A leg that rescores: it scores the documents the other legs found (each by its best passage) instead of
// searching its whole index — checked against the same leg searching everything, through the public API.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Engine, TamsaekError } from 'tamsaek';

const WORDS = 'gaja nara bada sori maeum haneul nuri gil saram jip bam nun baram kkot'.split(' ');
const PASSAGES = { by: 'chars', size: 40, overlap: 10 };

/** A seeded corpus of word sequences long enough for several windows each. */
function corpus(n = 80) {
  let seed = 7;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  return Array.from({ length: n }, (_, i) => {
    const words = Array.from({ length: 12 + Math.floor(next() * 30) }, () => WORDS[Math.floor(next() * WORDS.length)]);
    return { id: `d${i}`, text: words.join(' ') };
  });
}

const QUERIES = ['gaja nara', 'bada sori maeum', 'kkot', 'saram jip bam nun', 'baram haneul nuri'];

async function engineWith(passageOptions) {
  const engine = await Engine.create({
    analyzer: 'whitespace',
    legs: [
      { name: 'bm25', kind: 'bm25' },
      { name: 'passages', kind: 'bm25', options: { passages: PASSAGES, ...passageOptions } },
    ],
  });
  await engine.add(corpus());
  return engine;
}

/** Every document the passage leg matches, with its best-window score, from a full search. */
async function fullScores(query) {
  const full = await engineWith({});
  const [, passages] = await full.tunable().retrieve(query, { depth: 1000 });
  return new Map(passages.hits.map((h) => [h.id, h.score]));
}

test('a rescoring leg scores exactly the other legs’ documents, each as a full search of its windows would', async () => {
  const engine = await engineWith({ rescore: true });
  for (const query of QUERIES) {
    const oracle = await fullScores(query);
    const [bm25, passages] = await engine.tunable().retrieve(query, { depth: 10 });
    const candidates = new Set(bm25.hits.map((h) => h.id));
    const expected = [...candidates].filter((id) => oracle.has(id)).sort();
    assert.deepEqual(passages.hits.map((h) => h.id).sort(), expected, query);
    for (const h of passages.hits) assert.ok(Math.abs(h.score - oracle.get(h.id)) < 1e-9, `${query} ${h.id}`);
    // best first
    for (let i = 1; i < passages.hits.length; i++) assert.ok(passages.hits[i - 1].score >= passages.hits[i].score);
  }
});

test('rescoreDepth limits the candidates to each other leg’s best documents; it is saved with the index', async () => {
  const engine = await engineWith({ rescore: true, rescoreDepth: 3 });
  for (const query of QUERIES) {
    const [bm25, passages] = await engine.tunable().retrieve(query, { depth: 10 });
    const top3 = new Set(bm25.hits.slice(0, 3).map((h) => h.id));
    assert.ok(passages.hits.length <= 3);
    for (const h of passages.hits) assert.ok(top3.has(h.id), `${query}: ${h.id} is not in bm25's top 3`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-rescore-'));
  try {
    await engine.save(dir);
    const opened = await Engine.open(dir, { readOnly: true });
    const leg = opened.describe().legs.find((l) => l.name === 'passages');
    assert.equal(leg.rescore, true);
    assert.equal(leg.rescoreDepth, 3);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('searched alone, a rescoring leg searches its whole index', async () => {
  const engine = await engineWith({ rescore: true, rescoreDepth: 2 });
  const query = 'bada sori';
  const oracle = await fullScores(query);
  const hits = await engine.search(query, { k: 50, legs: ['passages'] });
  assert.equal(hits.length, Math.min(50, oracle.size));
});

test('bad rescore options are typed errors', async () => {
  for (const options of [
    { rescore: 'yes' },
    { rescore: true, rescoreDepth: 0 },
    { rescore: true, rescoreDepth: 1.5 },
  ]) {
    await assert.rejects(
      Engine.create({
        analyzer: 'whitespace',
        legs: [{ name: 'p', kind: 'bm25', options: { passages: PASSAGES, ...options } }],
      }),
      (err) => err instanceof TamsaekError && err.code === 'INVALID_ARGUMENT',
      JSON.stringify(options),
    );
  }
});

test('a rescoring leg retrieved alone searches all its windows, as the same leg without rescoring does', async () => {
  const engine = await engineWith({ rescore: true });
  const tunable = engine.tunable();
  for (const query of QUERIES) {
    const oracle = await fullScores(query);
    const [alone] = await tunable.retrieve(query, { depth: 1000, legs: ['passages'] });
    assert.equal(alone.name, 'passages');
    assert.deepEqual(new Map(alone.hits.map((h) => [h.id, h.score])), oracle, query);
  }
  await assert.rejects(tunable.retrieve('gaja', { depth: 5, legs: ['nope'] }), (e) => {
    assert.ok(e instanceof TamsaekError);
    assert.equal(e.code, 'INVALID_ARGUMENT');
    return true;
  });
  await engine.close();
});
