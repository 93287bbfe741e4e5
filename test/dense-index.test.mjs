// Dense vector indexes behind one interface: the pure-TS exact index and the HNSW wrapper (hnswlib-node).

import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createVectorIndex, defaultIndexKind, ExactIndex, HNSW_MIN_VECTORS, HnswIndex, loadVectorIndex } from 'tamsaek';
import { clustered, referenceTopK, row } from './helpers/vectors.mjs';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'tamsaek-dense-'));

test('exact index equals a brute-force reference for dot, cosine and l2 (scores within 1e-5, ties by id)', async () => {
  const dim = 24;
  const data = clustered(1, 600, dim, { normalize: false });
  const queries = clustered(2, 20, dim, { normalize: false });
  const ids = Array.from({ length: 600 }, (_, i) => `d${i}`);
  for (const metric of ['dot', 'cosine', 'l2']) {
    const idx = new ExactIndex({ dim, metric });
    await idx.add(ids, data);
    assert.equal(idx.size, 600);
    for (let q = 0; q < 20; q++) {
      const hits = await idx.search(row(queries, dim, q), 10);
      const ref = referenceTopK(metric, data, ids, dim, queries, q * dim, 10);
      assert.deepEqual(
        hits.map((h) => h.id),
        ref.map((h) => h.id),
        `${metric} q${q}`,
      );
      hits.forEach((h, i) =>
        assert.ok(Math.abs(h.score - ref[i].score) < 1e-4 * Math.max(1, Math.abs(ref[i].score)), `${metric} score`),
      );
    }
    const batch = await idx.searchBatch(queries, 5);
    assert.equal(batch.length, 20);
    assert.deepEqual(
      batch[3].map((h) => h.id),
      (await idx.search(row(queries, dim, 3), 5)).map((h) => h.id),
    );
  }
});

test('exact index: remove, duplicate ids, filters, k larger than the index, numeric ids', async () => {
  const dim = 8;
  const data = clustered(3, 50, dim);
  const idx = new ExactIndex({ dim });
  await idx.add(
    Array.from({ length: 50 }, (_, i) => i),
    data,
  );
  await assert.rejects(idx.add([3], row(data, dim, 0)), { code: 'DUPLICATE_ID' });
  await assert.rejects(idx.add(['x'], row(data, dim, 0)), { code: 'INVALID_ARGUMENT' });
  assert.equal(await idx.remove([3, 4, 999]), 2);
  assert.equal(idx.size, 48);
  assert.ok(!idx.has(3) && idx.has(5));
  const all = await idx.search(row(data, dim, 3), 100);
  assert.equal(all.length, 48);
  assert.ok(!all.some((h) => h.id === 3 || h.id === 4));
  const even = await idx.search(row(data, dim, 0), 100, { filter: (id) => id % 2 === 0 });
  assert.ok(even.length === 24 && even.every((h) => h.id % 2 === 0));
  const set = await idx.search(row(data, dim, 0), 10, { filter: new Set([7, 9, 3]) });
  assert.deepEqual(set.map((h) => h.id).sort(), [7, 9]);
  // the row moved into a hole still answers for its own id
  const self = await idx.search(row(data, dim, 49), 1);
  assert.equal(self[0].id, 49);
});

test('exact index: a batch added in chunks (one reserve) holds what chunk-by-chunk growth holds', async () => {
  const { addInChunks, ADD_CHUNK } = await import('../dist/legs/dense/index.js');
  const dim = 8;
  const n = ADD_CHUNK + 300;
  const data = clustered(5, n, dim);
  const ids = Array.from({ length: n }, (_, i) => `e${i}`);
  const reserved = new ExactIndex({ dim });
  await addInChunks(reserved, ids, data, dim);
  const grown = new ExactIndex({ dim });
  for (let at = 0; at < n; at += 100)
    await grown.add(ids.slice(at, at + 100), data.subarray(at * dim, (at + 100) * dim));
  assert.equal(reserved.size, n);
  assert.deepEqual(await reserved.vectorsOf(ids), await grown.vectorsOf(ids));
  assert.deepEqual(await reserved.search(row(data, dim, 7), 10), await grown.search(row(data, dim, 7), 10));
});

test('bad input is a typed error for every index kind', async () => {
  for (const make of [() => new ExactIndex({ dim: 4 }), () => HnswIndex.create({ dim: 4 })]) {
    const idx = await make();
    await assert.rejects(idx.add(['a'], new Float32Array(3)), { code: 'DIMENSION_MISMATCH' });
    await assert.rejects(idx.add(['a'], [1, 2, 3, 4]), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(idx.add([''], new Float32Array(4)), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(idx.add(['a'], new Float32Array([1, NaN, 0, 0])), { code: 'INVALID_ARGUMENT' });
    await idx.add(['a', 'b'], new Float32Array([1, 0, 0, 0, 0, 1, 0, 0]));
    await assert.rejects(idx.search(new Float32Array(5), 3), { code: 'DIMENSION_MISMATCH' });
    await assert.rejects(idx.search(new Float32Array(4), 0), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(idx.search(new Float32Array(4), 1, { filtr: () => true }), { code: 'UNKNOWN_OPTION' });
    await assert.rejects(idx.search(new Float32Array(4), 1, { filter: 'a' }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(idx.searchBatch(new Float32Array(6), 1), { code: 'DIMENSION_MISMATCH' });
    await assert.rejects(idx.add('a', new Float32Array(4)), { code: 'INVALID_ARGUMENT' });
    const hits = await idx.search(new Float32Array([1, 0, 0, 0]), 5);
    assert.equal(hits[0].id, 'a');
    assert.equal(hits.length, 2);
  }
  assert.throws(() => new ExactIndex({ dim: 0 }), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => new ExactIndex({ dim: 4, metric: 'hamming' }), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => new ExactIndex({ dim: 4, M: 3 }), { code: 'UNKNOWN_OPTION' });
  await assert.rejects(HnswIndex.create({ dim: 4, M: 1 }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(createVectorIndex({ dim: 4, kind: 'exact', M: 8 }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(createVectorIndex({ dim: 4, kind: 'annoy' }), { code: 'INVALID_ARGUMENT' });
});

test('HNSW: recall@10 against the exact index on clustered data, scores equal exact scores', async () => {
  const dim = 32,
    n = 3000;
  const data = clustered(11, n, dim, { centroids: 30 });
  const queries = clustered(12, 100, dim, { centroids: 30 });
  const ids = Array.from({ length: n }, (_, i) => `doc-${i}`);
  for (const metric of ['cosine', 'dot', 'l2']) {
    const h = await HnswIndex.create({ dim, metric, M: 16, efConstruction: 100, efSearch: 64, capacity: 100 });
    const e = new ExactIndex({ dim, metric });
    await h.add(ids, data); // grows past the initial capacity
    await e.add(ids, data);
    assert.equal(h.size, n);
    let found = 0;
    for (let q = 0; q < 100; q++) {
      const query = row(queries, dim, q);
      const got = await h.search(query, 10);
      const want = await e.search(query, 10);
      const wantIds = new Set(want.map((x) => x.id));
      found += got.filter((x) => wantIds.has(x.id)).length;
      const exactScore = new Map((await e.search(query, n)).map((x) => [x.id, x.score]));
      for (const x of got) assert.ok(Math.abs(x.score - exactScore.get(x.id)) < 1e-4, `${metric} score of ${x.id}`);
    }
    assert.ok(found / 1000 >= 0.95, `${metric} recall@10 = ${found / 1000}`);
  }
});

test('HNSW: delete hides ids, slots are reused, filters, efSearch override, string/number id kinds', async () => {
  const dim = 16;
  const data = clustered(21, 500, dim);
  const h = await HnswIndex.create({ dim, capacity: 500 });
  const ids = Array.from({ length: 500 }, (_, i) => `v${i}`);
  await h.add(ids, data);
  assert.equal(await h.remove(ids.slice(0, 100)), 100);
  assert.equal(await h.remove(['v0', 'nope']), 0);
  assert.equal(h.size, 400);
  const self = await h.search(row(data, dim, 0), 20);
  assert.ok(self.every((x) => !ids.slice(0, 100).includes(x.id)));
  // re-adding reuses the 100 freed graph slots: capacity does not grow
  await h.add(
    ids.slice(0, 100).map((id) => `${id}-new`),
    data.slice(0, 100 * dim),
  );
  assert.equal(h.raw.getMaxElements(), 500);
  assert.equal(h.size, 500);
  const back = await h.search(row(data, dim, 5), 1);
  assert.equal(back[0].id, 'v5-new');
  const onlySet = await h.search(row(data, dim, 5), 5, { filter: new Set(['v200', 'v201']) });
  assert.deepEqual(onlySet.map((x) => x.id).sort(), ['v200', 'v201']);
  const fn = await h.search(row(data, dim, 5), 5, { filter: (id) => id.endsWith('-new'), efSearch: 200 });
  assert.ok(fn.length === 5 && fn.every((x) => x.id.endsWith('-new')));
  assert.equal(h.efSearch, 64);
  await assert.rejects(h.add([1], row(data, dim, 0)), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(h.add(['v300'], row(data, dim, 0)), { code: 'DUPLICATE_ID' });
  const empty = await HnswIndex.create({ dim });
  assert.deepEqual(await empty.search(row(data, dim, 0), 3), []);
});

test('HNSW persistence: save/load round trip with the sidecar; corruption and foreign files are typed errors', async () => {
  const dir = tmp();
  try {
    const dim = 16;
    const data = clustered(31, 400, dim);
    const h = await HnswIndex.create({ dim, metric: 'dot', efSearch: 50 });
    await h.add(
      Array.from({ length: 400 }, (_, i) => i * 10),
      data,
    );
    await h.remove([0, 10]);
    const file = path.join(dir, 'vec.hnsw');
    await h.save(file);
    const back = await loadVectorIndex(file);
    assert.ok(back instanceof HnswIndex);
    assert.equal(back.size, 398);
    assert.equal(back.metric, 'dot');
    assert.equal(back.efSearch, 50);
    for (let q = 0; q < 20; q++) {
      assert.deepEqual(await back.search(row(data, dim, q), 10), await h.search(row(data, dim, q), 10));
    }
    // keeps working after load: add reuses deleted slots, labels keep counting
    await back.add([99999], row(data, dim, 1));
    assert.equal((await back.search(row(data, dim, 1), 1))[0].id, 99999);
    // a sidecar that does not match the graph is refused
    const sidecar = JSON.parse(readFileSync(`${file}.ids.json`, 'utf8'));
    appendFileSync(file, Buffer.from([1, 2, 3]));
    await assert.rejects(HnswIndex.load(file), { code: 'CORRUPT_INDEX' });
    writeFileSync(`${file}.ids.json`, JSON.stringify({ ...sidecar, version: 99 }));
    await assert.rejects(HnswIndex.load(file), { code: 'UNSUPPORTED_VERSION' });
    writeFileSync(`${file}.ids.json`, '{"format":"other"}');
    await assert.rejects(HnswIndex.load(file), { code: 'FOREIGN_FILE' });
    writeFileSync(`${file}.ids.json`, '{nope');
    await assert.rejects(HnswIndex.load(file), { code: 'CORRUPT_INDEX' });
    await assert.rejects(loadVectorIndex(path.join(dir, 'missing')), { code: 'NOT_FOUND' });
    writeFileSync(path.join(dir, 'junk'), 'hello world, not an index');
    await assert.rejects(loadVectorIndex(path.join(dir, 'junk')), { code: 'FOREIGN_FILE' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('exact index persistence: round trip, checksum and version checks', async () => {
  const dir = tmp();
  try {
    const dim = 12;
    const data = clustered(41, 100, dim, { normalize: false });
    const e = new ExactIndex({ dim, metric: 'l2' });
    await e.add(
      Array.from({ length: 100 }, (_, i) => `é${i}`),
      data,
    );
    const file = path.join(dir, 'exact.tsk');
    await e.save(file);
    const back = await loadVectorIndex(file);
    assert.ok(back instanceof ExactIndex);
    assert.equal(back.metric, 'l2');
    assert.deepEqual(back.ids(), e.ids());
    assert.deepEqual(await back.search(row(data, dim, 7), 5), await e.search(row(data, dim, 7), 5));
    const empty = new ExactIndex({ dim: 3 });
    await empty.save(path.join(dir, 'empty.tsk'));
    assert.equal((await ExactIndex.load(path.join(dir, 'empty.tsk'))).size, 0);
    const buf = readFileSync(file);
    buf[buf.length - 100] ^= 0xff;
    writeFileSync(file, buf);
    await assert.rejects(ExactIndex.load(file), { code: 'CORRUPT_INDEX' });
    buf.writeUInt32LE(7, 8);
    writeFileSync(file, buf);
    await assert.rejects(ExactIndex.load(file), { code: 'UNSUPPORTED_VERSION' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('createVectorIndex: auto picks exact below the threshold and HNSW above; exact falls back to TS without the addon', async () => {
  assert.equal(defaultIndexKind(10), 'exact');
  assert.equal(defaultIndexKind(HNSW_MIN_VECTORS), 'hnsw');
  const small = await createVectorIndex({ dim: 4, expectedSize: 100 });
  assert.equal(small.dim, 4);
  assert.ok(!(small instanceof HnswIndex));
  const big = await createVectorIndex({ dim: 4, expectedSize: HNSW_MIN_VECTORS, M: 8 });
  assert.ok(big instanceof HnswIndex);
  assert.equal(big.M, 8);
  const exact = await createVectorIndex({ dim: 4, kind: 'exact', metric: 'dot' });
  assert.ok(exact instanceof ExactIndex);
  for (const idx of [small, big, exact]) {
    await idx.add(['x', 'y'], new Float32Array([1, 0, 0, 0, 0, 1, 0, 0]));
    assert.equal((await idx.search(new Float32Array([0, 1, 0, 0]), 1))[0].id, 'y');
  }
});

test('HnswIndex.build on a worker thread makes the same graph as add() and keeps working incrementally', async () => {
  const dim = 24,
    n = 1500;
  const data = clustered(51, n, dim);
  const ids = Array.from({ length: n }, (_, i) => `w${i}`);
  const progress = [];
  const built = await HnswIndex.build(ids, data, {
    dim,
    M: 12,
    efConstruction: 80,
    seed: 7,
    onProgress: (d, t) => progress.push([d, t]),
  });
  const added = await HnswIndex.create({ dim, M: 12, efConstruction: 80, seed: 7, capacity: n });
  await added.add(ids, data);
  assert.equal(built.size, n);
  assert.deepEqual(progress.at(-1), [n, n]);
  for (let q = 0; q < 50; q++) {
    assert.deepEqual(await built.search(row(data, dim, q * 7), 10), await added.search(row(data, dim, q * 7), 10));
  }
  await built.remove(['w0']);
  await built.add(['extra'], row(data, dim, 0));
  assert.equal((await built.search(row(data, dim, 0), 1))[0].id, 'extra');
  await assert.rejects(HnswIndex.build(['a', 'a'], new Float32Array(2 * dim), { dim }), { code: 'DUPLICATE_ID' });
  await assert.rejects(HnswIndex.build(['a'], new Float32Array(dim + 1), { dim }), { code: 'DIMENSION_MISMATCH' });
  assert.equal((await HnswIndex.build([], new Float32Array(0), { dim })).size, 0);
});

test('vectorsOf gives back the stored vectors of every index kind (decoded, normalised where the index normalises)', async () => {
  const { FlatIndex } = await import('../dist/legs/dense/flat.js');
  const dim = 24;
  const raw = clustered(11, 40, dim, { normalize: false }); // unnormalised, so a normalising index shows
  const ids = Array.from({ length: 40 }, (_, i) => `v${i}`);
  const unit = (v) => {
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  const close = (got, want, tol, what) =>
    want.forEach((w, j) =>
      assert.ok(Math.abs(got[j] - w) <= tol * Math.max(1, Math.abs(w)), `${what}[${j}]: ${got[j]} vs ${w}`),
    );
  const kinds = [
    ['exact', new ExactIndex({ dim, metric: 'cosine' }), 0, false],
    ['flat f32', new FlatIndex({ dim, metric: 'cosine' }), 0, false],
    ['flat f16', new FlatIndex({ dim, metric: 'cosine', dtype: 'f16' }), 2e-3, false],
    ['flat i8', new FlatIndex({ dim, metric: 'cosine', dtype: 'i8' }), 0.02, false],
    ['hnsw', await HnswIndex.create({ dim, metric: 'cosine', capacity: 64 }), 1e-6, true],
  ];
  for (const [name, index, tol, normalises] of kinds) {
    await index.add(ids, raw);
    await index.remove(['v3']); // rows move; the ids must still find their own vectors
    const wanted = ['v39', 'v0', 'v17'];
    const got = await index.vectorsOf(wanted);
    assert.equal(got.length, wanted.length * dim, name);
    wanted.forEach((id, i) => {
      const src = Array.from(row(raw, dim, Number(id.slice(1))));
      const expected = normalises ? unit(src) : src;
      assert.equal(expected.length, dim);
      const maxAbs = Math.max(...src.map(Math.abs));
      close(
        Array.from(got.subarray(i * dim, (i + 1) * dim)),
        expected,
        name === 'flat i8' ? (maxAbs / 127) * 0.51 + 1e-6 : tol || 1e-7,
        `${name} ${id}`,
      );
    });
    await assert.rejects(index.vectorsOf(['v3']), { code: 'NOT_FOUND' }, name);
  }
});

test('bestPassages: one hit per document at its best passage, fetching deeper until depth documents are found', async () => {
  const { bestPassages } = await import('../dist/legs/passages.js');
  // passages of document a dominate the top: the first fetch (4 × depth) holds only a and b
  const ranked = [
    ...Array.from({ length: 8 }, (_, i) => ({ id: `a\u0000${i}`, score: 1 - i * 0.01 })),
    { id: 'b\u00000', score: 0.5 },
    { id: 'c\u00002', score: 0.4 },
    { id: 'c\u00000', score: 0.3 },
  ];
  const asked = [];
  const search = async (k) => (asked.push(k), ranked.slice(0, k));
  const doc = (unit) => unit.slice(0, unit.indexOf('\u0000'));
  assert.deepEqual(await bestPassages(search, 2, ranked.length, doc), [
    { id: 'a', score: 1, unit: 'a\u00000' },
    { id: 'b', score: 0.5, unit: 'b\u00000' },
  ]);
  asked.length = 0;
  const three = await bestPassages(search, 3, ranked.length, doc);
  assert.deepEqual(
    three.map((h) => [h.id, h.unit]),
    [
      ['a', 'a\u00000'],
      ['b', 'b\u00000'],
      ['c', 'c\u00002'],
    ],
  );
  assert.deepEqual(asked, [11], 'one fetch of min(size, 4 × depth)');
  asked.length = 0;
  assert.equal(
    (await bestPassages(async (k) => (asked.push(k), ranked.slice(0, Math.min(k, 9))), 3, 100, doc)).length,
    2,
    'a filter that lets fewer through ends the search',
  );
  assert.deepEqual(asked, [12]);
  const deep = [];
  assert.equal(
    (
      await bestPassages(
        async (k) => (deep.push(k), ranked.slice(0, k)),
        2,
        1000,
        () => 'same',
      )
    ).length,
    1,
  );
  assert.deepEqual(deep, [8, 32], 'fetches deeper (×4) until the index runs out');
});
