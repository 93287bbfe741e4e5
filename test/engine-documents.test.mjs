// Engine.documents(): the read-only stream of stored documents with their dense leg's stored vectors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from 'tamsaek';

const unit = (values) => {
  const v = Float32Array.from(values);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

async function collect(engine, options) {
  const out = [];
  for await (const d of engine.documents(options)) out.push(d);
  return out;
}

test('documents() yields every document in insertion order with the vectors the index stores', async () => {
  const engine = await Engine.create({ analyzer: 'whitespace', dense: { dim: 3 } });
  const vectors = { a: [1, 2, 3], b: [0, 1, 0], c: [3, -1, 2] };
  await engine.add([
    { id: 'b', text: 'bee', vector: vectors.b, meta: { k: 1 } },
    { id: 'a', title: 'T', text: 'ay', vector: vectors.a },
  ]);
  await engine.add([{ id: 'c', text: 'sea', vector: vectors.c }]);
  for (const batch of [1, 2, 256]) {
    const docs = await collect(engine, { batch });
    assert.deepEqual(
      docs.map((d) => d.id),
      ['b', 'a', 'c'],
    );
    assert.deepEqual(docs[1].title, 'T');
    assert.deepEqual(docs[0].meta, { k: 1 });
    for (const d of docs) {
      assert.equal(d.dense.length, 1);
      assert.deepEqual([d.dense[0].start, d.dense[0].end], [0, d.text.length]);
      // a cosine index may store the vector normalised or not: its direction is what it holds
      const want = unit(vectors[d.id]);
      unit(d.dense[0].vector).forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-6));
    }
  }
  const dot = await Engine.create({ analyzer: 'whitespace', dense: { dim: 3, metric: 'dot' } });
  await dot.add([{ id: 'a', text: 'ay', vector: vectors.a }]);
  assert.deepEqual(Array.from((await collect(dot))[0].dense[0].vector), vectors.a);
  await dot.close();
  await assert.rejects(collect(engine, { batch: 0 }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(collect(engine, { size: 2 }), { code: 'UNKNOWN_OPTION' });
  await engine.close();
});

test('documents() of a passage dense leg gives each passage its offsets and vector; BM25-only gives none', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-docs-'));
  try {
    const embedder = {
      dim: 2,
      modelId: 'test-passages',
      passages: { by: 'chars', size: 10, overlap: 0 },
      embed: async (texts) => Float32Array.from(texts.flatMap((t) => [t.length, 1])),
    };
    const engine = await Engine.create({ analyzer: 'whitespace', dense: { embedder } });
    await engine.add([{ id: 'x', text: 'aaaa bbbb cccc dddd eeee' }]);
    await engine.save(dir);
    await engine.close();
    const opened = await Engine.open(dir, { readOnly: true, embedder });
    const [doc] = await collect(opened);
    assert.ok(doc.dense.length >= 2);
    for (const p of doc.dense) {
      assert.ok(p.start < p.end && p.end <= doc.text.length);
      assert.equal(p.vector.length, 2);
    }
    await opened.close();
    const lexical = await Engine.create({ analyzer: 'whitespace' });
    await lexical.add([{ id: 'y', text: 'plain' }]);
    const [plain] = await collect(lexical);
    assert.equal(plain.dense, undefined);
    await lexical.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
