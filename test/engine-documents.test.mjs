// Engine.documents(): the read-only stream of stored documents with each dense leg's stored vectors.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Engine } from 'tamsaek';
import { HashEmbedder } from './helpers/fake-models.mjs';

const unit = (values) => {
  const v = Float32Array.from(values);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

const close = (a, b, where) => {
  assert.equal(a.length, b.length, where);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) < 1e-6, `${where}[${i}]: ${x} vs ${b[i]}`));
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
    assert.equal('title' in docs[0], false);
    for (const d of docs) {
      assert.deepEqual(Object.keys(d.vectors), ['dense']);
      const [only] = d.vectors.dense;
      assert.equal(d.vectors.dense.length, 1);
      assert.deepEqual([only.start, only.end], [0, d.text.length]);
      // a cosine index may store the vector normalised or not: its direction is what it holds
      close(unit(only.vector), unit(vectors[d.id]), d.id);
    }
  }
  const dot = await Engine.create({ analyzer: 'whitespace', dense: { dim: 3, metric: 'dot' } });
  await dot.add([{ id: 'a', text: 'ay', vector: vectors.a }]);
  assert.deepEqual(Array.from((await collect(dot))[0].vectors.dense[0].vector), vectors.a);
  await dot.close();
  await assert.rejects(collect(engine, { batch: 0 }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(collect(engine, { size: 2 }), { code: 'UNKNOWN_OPTION' });
  await engine.close();
  await assert.rejects(collect(engine), { code: 'CLOSED' });
});

test('documents() of a passage dense leg gives each passage its offsets and stored vector; BM25-only gives none', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-docs-'));
  try {
    const embedder = {
      dim: 2,
      modelId: 'test-passages',
      passages: { by: 'chars', size: 10, overlap: 0 },
      embed: async (texts) => Float32Array.from(texts.flatMap((t) => [t.length, 1])),
    };
    const engine = await Engine.create({ analyzer: 'whitespace', dense: { embedder } });
    const text = 'aaaa bbbb cccc dddd eeee';
    await engine.add([
      { id: 'x', title: 'tt', text },
      { id: 'own', text: 'brings its own vector', vector: [3, 4] },
    ]);
    await engine.save(dir);
    await engine.close();
    const opened = await Engine.open(dir, { readOnly: true, embedder });
    const [doc, own] = await collect(opened);
    assert.ok(doc.vectors.dense.length >= 2);
    let end = 0;
    for (const p of doc.vectors.dense) {
      assert.ok(p.start >= end - 10 && p.start < p.end && p.end <= text.length);
      end = p.end;
      // the oracle: the model's vector of the passage with the title in front, as the leg embedded it
      close(unit(p.vector), unit([`tt ${text.slice(p.start, p.end)}`.length, 1]), `${p.start}:${p.end}`);
    }
    assert.equal(end, text.length);
    // a document that brought its vector is one unit spanning its text, even in a passage leg
    assert.deepEqual(
      own.vectors.dense.map((u) => [u.start, u.end]),
      [[0, own.text.length]],
    );
    close(unit(own.vectors.dense[0].vector), unit([3, 4]), 'own');
    await opened.close();
    const lexical = await Engine.create({ analyzer: 'whitespace' });
    await lexical.add([{ id: 'y', text: 'plain' }]);
    const [plain] = await collect(lexical);
    assert.equal(plain.vectors, undefined);
    await lexical.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('documents() names every dense leg by its name', async () => {
  const engine = await Engine.create({
    analyzer: 'whitespace',
    legs: [
      { name: 'lex', kind: 'bm25' },
      { name: 'first', kind: 'dense', options: { dim: 2, metric: 'dot' } },
      { name: 'second', kind: 'dense', options: { dim: 2, metric: 'dot' } },
    ],
  });
  await engine.add([{ id: 'a', text: 'x', vector: [1, 2] }]);
  const [doc] = await collect(engine);
  assert.deepEqual(Object.keys(doc.vectors), ['first', 'second']);
  for (const leg of ['first', 'second']) assert.deepEqual(Array.from(doc.vectors[leg][0].vector), [1, 2]);
  await engine.close();
});

test('documents() gives the event loop a turn between batches and reads each batch between writes', async () => {
  const engine = await Engine.create({ analyzer: 'whitespace', dense: { dim: 2, metric: 'dot' } });
  await engine.add(Array.from({ length: 6 }, (_, i) => ({ id: `d${i}`, text: `t${i}`, vector: [i, 1] })));
  let turned = false;
  setImmediate(() => {
    turned = true;
  });
  const turns = [];
  for await (const _ of engine.documents({ batch: 2 })) turns.push(turned);
  assert.deepEqual(turns, [false, false, true, true, true, true]);
  const seen = [];
  for await (const d of engine.documents({ batch: 2 })) {
    seen.push({ id: d.id, vector: Array.from(d.vectors.dense[0].vector) });
    if (d.id === 'd1') {
      // queued while the iteration runs: applied between two batches, never inside one
      void engine.delete(['d3']);
      void engine.upsert([{ id: 'd4', text: 'changed', vector: [40, 1] }]);
    }
  }
  // the ids stored when the iteration began, each once: d3 deleted before its batch, d4 as replaced
  assert.deepEqual(
    seen.map((s) => s.id),
    ['d0', 'd1', 'd2', 'd4', 'd5'],
  );
  assert.deepEqual(seen[3].vector, [40, 1]);
  await engine.close();
});

test('documents() of a format 1 index (passage offsets in docs.jsonl) gives the stored passage vectors', async () => {
  const dir = fileURLToPath(new URL('./fixtures/indexes/v1-dense-chunk/', import.meta.url));
  const embedder = new HashEmbedder(32);
  const engine = await Engine.open(dir, { readOnly: true, embedder });
  const docs = await collect(engine, { batch: 3 });
  assert.equal(docs.length, 4);
  for (const doc of docs) {
    const units = doc.vectors.dense;
    assert.ok(units.length >= 1, doc.id);
    const texts = units.map((u) => (doc.title ? `${doc.title} ` : '') + doc.text.slice(u.start, u.end));
    const want = await embedder.embed(texts);
    units.forEach((u, i) => close(u.vector, want.subarray(i * 32, (i + 1) * 32), `${doc.id} ${u.start}:${u.end}`));
  }
  assert.deepEqual(
    docs[0].vectors.dense.map((u) => [u.start, u.end]),
    [
      [0, 18],
      [13, 31],
      [26, 44],
    ],
  );
  await engine.close();
});
