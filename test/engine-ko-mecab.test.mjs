// An engine analysing with ko-mecab: its shipped static model reads ko-mecab's morphemes (the model's stop
// tags kept), so indexing and search never load lindera; saved, adapted and reopened it keeps doing so.
// Run: npx tsc -p . && node --test test/engine-ko-mecab.test.mjs  (its own process: lindera's status is global)

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createAnalyzer, defaultModelDir, Engine, koDicStatus, StaticEmbedder } from 'tamsaek';

const sample = readFileSync(new URL('../datasets/sample-ko/corpus.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l));
// 24 documents: enough for the dense leg to adapt its model to them (ADAPT_MIN_DOCUMENTS is 20)
const docs = [0, 1, 2].flatMap((round) =>
  sample.map((d, i) => ({
    id: `${round}-${i}`,
    title: d.title,
    text: round === 0 ? d.text : `${d.text} (${round}차 안내)`,
  })),
);
const KO_MORPH_STOP_TAGS = ['E', 'J', 'MM', 'S', 'VC'];

test('a ko-morph static model told to read ko-mecab reads its morphemes under the stop tags it was trained with', async () => {
  const own = await StaticEmbedder.load(defaultModelDir());
  const mapped = await StaticEmbedder.load(defaultModelDir(), { morphemes: 'ko-mecab' });
  const reads = createAnalyzer({ name: 'ko-mecab', stopTags: KO_MORPH_STOP_TAGS, compounds: false });
  assert.equal(mapped.termsAnalyzer, reads.name);
  assert.equal(mapped.config.features.morphemes, 'ko-mecab');
  assert.deepEqual(mapped.config.features.stopTags, KO_MORPH_STOP_TAGS);
  // given the same terms, the two read the same features: their vectors agree
  const text = '기초연금 신청 방법';
  const terms = reads.analyze(text);
  assert.deepEqual([...(await mapped.embedQueryTerms(text, terms))], [...(await own.embedQueryTerms(text, terms))]);
  assert.deepEqual([...(await mapped.embedQuery(text))], [...(await own.embedQueryTerms(text, terms))]);
  await assert.rejects(
    StaticEmbedder.load(defaultModelDir(), { morphemes: 'mecab' }),
    (e) => e.code === 'INVALID_ARGUMENT',
  );
  assert.equal(koDicStatus().loaded, false);
});

test('Engine.create({ analyzer: "ko-mecab" }) indexes, adapts, saves and reopens without loading lindera', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-engine-mecab-'));
  try {
    const engine = await Engine.create({ analyzer: 'ko-mecab', dense: { embedder: 'default' } });
    await engine.add(docs);
    const dense = engine.describe().legs.find((l) => l.name === 'dense');
    assert.equal(dense.morphemes, 'ko-mecab');
    assert.ok(dense.adapted, 'the model adapted to the 24 documents');
    const hits = await engine.search('기초연금 신청', { k: 3 });
    assert.match(hits[0].id, /^\d-0$/); // the sample's first document is the 기초연금 page
    await engine.save(dir);
    await engine.close();
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    const state = manifest.config.legs.find((l) => l.name === 'dense').state;
    assert.equal(state.morphemes, 'ko-mecab');
    const generation = `gen-${String(manifest.generation).padStart(6, '0')}`;
    const model = JSON.parse(await readFile(join(dir, generation, 'legs', 'dense', 'model', 'config.json'), 'utf8'));
    assert.equal(model.features.morphemes, 'ko-mecab');
    assert.deepEqual(model.features.stopTags, KO_MORPH_STOP_TAGS);
    const reopened = await Engine.open(dir, { readOnly: true });
    assert.deepEqual(
      (await reopened.search('기초연금 신청', { k: 3 })).map((h) => h.id),
      hits.map((h) => h.id),
    );
    await reopened.close();
    assert.equal(koDicStatus().loaded, false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('dense.morphemes chooses: "ko-morph" keeps the model\'s own analyzer (and loads lindera); others are typed errors', async () => {
  await assert.rejects(
    Engine.create({ analyzer: 'ko-mecab', dense: { embedder: 'default', morphemes: 'kiwi' } }),
    (e) => e.code === 'INVALID_ARGUMENT' && /morphemes/.test(e.message),
  );
  const engine = await Engine.create({ analyzer: 'ko-mecab', dense: { embedder: 'default', morphemes: 'ko-morph' } });
  await engine.add(docs.slice(0, 5));
  assert.equal(engine.describe().legs.find((l) => l.name === 'dense').morphemes, 'ko-morph');
  await engine.search('기초연금', { k: 1 });
  await engine.close();
  assert.equal(koDicStatus().loaded, true);
});
