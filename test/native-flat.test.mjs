import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TamsaekError } from 'tamsaek';
import { FlatIndex } from '../dist/legs/dense/flat.js';
import { bruteForce, randomArray, rng } from './native-helpers.mjs';

const isCode = (code) => (e) => e instanceof TamsaekError && e.code === code;

test('flat index: add, search, remove (swap with last) agree with brute force', async () => {
  const r = rng(21);
  const dim = 24;
  for (const dtype of ['f32', 'f16', 'i8']) {
    for (const metric of ['dot', 'cosine', 'l2']) {
      const idx = new FlatIndex({ dim, metric, dtype, threads: 2 });
      const live = new Map();
      const vecs = randomArray(r, 300 * dim);
      const ids = Array.from({ length: 300 }, (_, i) => `doc-${i}`);
      await idx.add(ids.slice(0, 200), vecs.subarray(0, 200 * dim));
      await idx.add(ids.slice(200), vecs.subarray(200 * dim));
      ids.forEach((id, i) => live.set(id, vecs.subarray(i * dim, (i + 1) * dim)));
      const gone = ids.filter((_, i) => i % 7 === 3 || i === 299 || i === 0);
      assert.equal(await idx.remove([...gone, 'nope']), gone.length);
      gone.forEach((id) => live.delete(id));
      assert.equal(idx.size, live.size);
      assert.ok(!idx.has('doc-0') && idx.has('doc-1'));
      const q = randomArray(r, 3 * dim);
      const hits = await idx.searchBatch(q, 8);
      const liveIds = [...live.keys()];
      const rows = liveIds.map((id) => Float64Array.from(live.get(id)));
      const tol = dtype === 'f32' ? 1e-4 : dtype === 'f16' ? 5e-2 : 0.2;
      for (let j = 0; j < 3; j++) {
        const ref = bruteForce(rows, q.subarray(j * dim, (j + 1) * dim), metric);
        assert.equal(hits[j].length, 8);
        for (let t = 0; t < 8; t++) {
          assert.ok(live.has(hits[j][t].id), 'only live ids');
          assert.ok(
            Math.abs(hits[j][t].score - ref[t].score) <= tol * Math.max(1, Math.abs(ref[t].score)),
            `${dtype} ${metric} rank ${t}`,
          );
        }
        if (dtype === 'f32') assert.equal(hits[j][0].id, liveIds[ref[0].row]);
      }
      const one = await idx.search(q.subarray(0, dim), 8);
      assert.deepEqual(
        one.map((h) => h.id),
        hits[0].map((h) => h.id),
      );
    }
  }
});

test('flat index: numeric ids, k > size, filters, duplicate ids, mixed ids', async () => {
  const r = rng(2);
  const idx = new FlatIndex({ dim: 4, metric: 'dot' });
  assert.deepEqual(await idx.search(new Float32Array(4), 3), []);
  await idx.add([10, 20, 30], Float32Array.from([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]));
  const all = await idx.search(Float32Array.from([1, 0, 0, 0]), 10);
  assert.deepEqual(
    all.map((h) => h.id),
    [30, 20, 10],
  );
  const f = await idx.search(Float32Array.from([1, 0, 0, 0]), 10, { filter: (id) => id !== 30 });
  assert.deepEqual(
    f.map((h) => h.id),
    [20, 10],
  );
  const s = await idx.search(Float32Array.from([1, 0, 0, 0]), 10, { filter: new Set([10]) });
  assert.deepEqual(
    s.map((h) => h.id),
    [10],
  );
  await assert.rejects(idx.add([20], randomArray(r, 4)), isCode('DUPLICATE_ID'));
  await assert.rejects(idx.add([40, 40], randomArray(r, 8)), isCode('DUPLICATE_ID'));
  await assert.rejects(idx.add(['x'], randomArray(r, 4)), isCode('INVALID_ARGUMENT'));
  await assert.rejects(idx.add([50], randomArray(r, 5)), isCode('DIMENSION_MISMATCH'));
  await assert.rejects(idx.add([50], Float32Array.from([1, NaN, 0, 0])), isCode('INVALID_ARGUMENT'));
  await assert.rejects(
    idx.add([60, 61], Float32Array.from([1, 2, 3, 4, 0, -Infinity, 0, 0])),
    isCode('INVALID_ARGUMENT'),
  );
  assert.equal(idx.size, 3, 'a rejected add leaves the index unchanged');
  assert.ok(!idx.has(60));
  await assert.rejects(idx.search(Float32Array.from([1, 0, 0]), 1), isCode('DIMENSION_MISMATCH'));
  await assert.rejects(idx.search(Float32Array.from([1, 0, 0, Infinity]), 1), isCode('INVALID_ARGUMENT'));
  await assert.rejects(idx.search(Float32Array.from([1, 0, 0, 0]), 0), isCode('INVALID_ARGUMENT'));
  await assert.rejects(
    idx.search(Float32Array.from([1, 0, 0, 0]), 1, { fliter: () => true }),
    isCode('UNKNOWN_OPTION'),
  );
  assert.throws(() => new FlatIndex({ dim: 0 }), isCode('INVALID_ARGUMENT'));
  assert.throws(() => new FlatIndex({ dim: 3, dtype: 'f64' }), isCode('INVALID_ARGUMENT'));
  assert.equal(idx.size, 3);
});

test("flat index: equal scores rank by the smaller id, whatever the rows' history (as ExactIndex)", async () => {
  const { ExactIndex } = await import('../dist/legs/dense/exact.js');
  const dim = 4;
  // twelve vectors in three groups of equal direction: every query score comes in ties of four
  const ids = Array.from({ length: 12 }, (_, i) => `d${String(i).padStart(2, '0')}`);
  const groups = [
    [1, 0, 0, 0],
    [0.6, 0.8, 0, 0],
    [0, 0, 1, 0],
  ];
  const vecs = new Float32Array(ids.length * dim);
  ids.forEach((_, i) => vecs.set(groups[i % 3], i * dim));
  const q = new Float32Array([1, 0.2, 0, 0]); // groups score 0.98, 0.75, 0: distinct across groups, equal within
  const fresh = new FlatIndex({ dim, metric: 'cosine' });
  await fresh.add(ids, vecs);
  // the same vectors, but rows shuffled by removals (the last row moves into each hole) and re-adds
  const moved = new FlatIndex({ dim, metric: 'cosine' });
  await moved.add(
    [...ids].reverse(),
    new Float32Array([...ids].reverse().flatMap((_, j) => groups[(ids.length - 1 - j) % 3])),
  );
  const out = ['d00', 'd04', 'd09'];
  await moved.remove(out);
  await moved.add(out, new Float32Array(out.flatMap((id) => groups[Number(id.slice(1)) % 3])));
  const exact = new ExactIndex({ dim, metric: 'cosine' });
  await exact.add(ids, vecs);
  for (const k of [1, 2, 3, 5, 6, 12, 20]) {
    const want = (await exact.search(q, k)).map((h) => h.id);
    assert.deepEqual(
      (await fresh.search(q, k)).map((h) => h.id),
      want,
      `fresh k=${k}`,
    );
    assert.deepEqual(
      (await moved.search(q, k)).map((h) => h.id),
      want,
      `moved k=${k}`,
    );
  }
  // a tie that straddles the cut is resolved by id, not by whichever rows the kernel met first
  assert.deepEqual(
    (await moved.search(q, 2)).map((h) => h.id),
    ['d00', 'd03'],
  );
  // filters and batches keep the rule
  const even = (id) => Number(id.slice(1)) % 2 === 0;
  assert.deepEqual(
    (await moved.search(q, 3, { filter: even })).map((h) => h.id),
    (await exact.search(q, 3, { filter: even })).map((h) => h.id),
  );
  const batch = await moved.searchBatch(new Float32Array([...q, 0, 0, 1, 0]), 3);
  assert.deepEqual(
    batch.map((hits) => hits.map((h) => h.id)),
    [
      ['d00', 'd03', 'd06'],
      ['d02', 'd05', 'd08'],
    ],
  );
});

test('flat index: removal during an in-flight search does not disturb it', async () => {
  const r = rng(8);
  const dim = 32,
    n = 20000;
  const idx = new FlatIndex({ dim, metric: 'dot' });
  const ids = Array.from({ length: n }, (_, i) => i);
  const vecs = randomArray(r, n * dim);
  await idx.add(ids, vecs);
  const q = randomArray(r, 16 * dim);
  const before = await idx.searchBatch(q, 5);
  const pending = idx.searchBatch(q, 5);
  const removal = idx.remove(ids.filter((i) => i % 2 === 0));
  const during = await pending;
  assert.deepEqual(
    during.map((h) => h.map((x) => x.id)),
    before.map((h) => h.map((x) => x.id)),
  );
  await removal;
  const after = await idx.searchBatch(q, 5);
  assert.ok(after.every((h) => h.every((x) => x.id % 2 === 1)));
});

test('flat index: save/load round trip and typed errors for corrupt or foreign files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-flat-'));
  try {
    const r = rng(13);
    for (const dtype of ['f32', 'f16', 'i8']) {
      const idx = new FlatIndex({ dim: 16, metric: 'cosine', dtype });
      const ids = Array.from({ length: 50 }, (_, i) => `id-${i}`);
      await idx.add(ids, randomArray(r, 50 * 16));
      await idx.remove(['id-3']);
      const file = join(dir, `flat-${dtype}.tsk`);
      await idx.save(file);
      const back = await FlatIndex.load(file);
      assert.equal(back.size, 49);
      assert.equal(back.dtype, dtype);
      assert.equal(back.metric, 'cosine');
      const q = randomArray(r, 16);
      assert.deepEqual(await back.search(q, 7), await idx.search(q, 7));
      await back.add(['new'], randomArray(r, 16));
      assert.equal(back.size, 50);
    }
    const file = join(dir, 'flat-f32.tsk');
    const good = await readFile(file);
    const flip = Buffer.from(good);
    flip[good.length - 100] ^= 0x55;
    await writeFile(join(dir, 'flip.tsk'), flip);
    await assert.rejects(FlatIndex.load(join(dir, 'flip.tsk')), isCode('CORRUPT_INDEX'));
    await writeFile(join(dir, 'trunc.tsk'), good.subarray(0, good.length - 10));
    await assert.rejects(FlatIndex.load(join(dir, 'trunc.tsk')), isCode('CORRUPT_INDEX'));
    await writeFile(join(dir, 'short.tsk'), good.subarray(0, 20));
    await assert.rejects(FlatIndex.load(join(dir, 'short.tsk')), isCode('CORRUPT_INDEX'));
    await writeFile(join(dir, 'foreign.tsk'), Buffer.from('{"not":"an index"}'));
    await assert.rejects(FlatIndex.load(join(dir, 'foreign.tsk')), isCode('FOREIGN_FILE'));
    const future = Buffer.from(good);
    future.writeUInt32LE(99, 8);
    await writeFile(join(dir, 'future.tsk'), future);
    await assert.rejects(FlatIndex.load(join(dir, 'future.tsk')), isCode('UNSUPPORTED_VERSION'));
    await assert.rejects(FlatIndex.load(join(dir, 'missing.tsk')), isCode('NOT_FOUND'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a missing or broken addon gives NATIVE_UNAVAILABLE with the fix', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-native-'));
  try {
    const bogus = join(dir, 'tamsaek.node');
    await writeFile(bogus, 'not a shared object');
    const script = `import('${new URL('../dist/native/index.js', import.meta.url).href}').then((m) => {
      try { m.loadNative(); console.log('loaded'); } catch (e) { console.log(e.code + ' ' + e.message); }
    });`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, TAMSAEK_NATIVE_PATH: bogus },
      encoding: 'utf8',
    });
    assert.match(out, /^NATIVE_UNAVAILABLE .*(npm rebuild|build:native)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('flat index: reserve, sliced growth and addInChunks keep the same rows and results', async () => {
  const { addInChunks, ADD_CHUNK } = await import('../dist/legs/dense/index.js');
  const r = rng(33);
  const dim = 16;
  const n = ADD_CHUNK * 2 + 77;
  const vecs = randomArray(r, n * dim);
  const ids = Array.from({ length: n }, (_, i) => `u${i}`);
  const q = randomArray(r, 4 * dim);
  for (const dtype of ['f32', 'f16', 'i8']) {
    // one growth for the whole batch (addInChunks reserves) vs. growth chunk by chunk
    const reserved = new FlatIndex({ dim, dtype });
    await reserved.add(ids.slice(0, 5), vecs.subarray(0, 5 * dim));
    await addInChunks(reserved, ids.slice(5), vecs.subarray(5 * dim), dim);
    const grown = new FlatIndex({ dim, dtype });
    for (let at = 0; at < n; at += 100)
      await grown.add(ids.slice(at, at + 100), vecs.subarray(at * dim, (at + 100) * dim));
    assert.equal(reserved.size, n);
    assert.deepEqual(await reserved.vectorsOf(ids), await grown.vectorsOf(ids));
    assert.deepEqual(await reserved.searchBatch(q, 10), await grown.searchBatch(q, 10));
    // a reserve below the size is a no-op; searches during a growth see the rows before it
    await reserved.reserve(1);
    const before = await reserved.searchBatch(q, 10);
    const during = reserved.searchBatch(q, 10);
    const growing = reserved.reserve(n * 3);
    assert.deepEqual(await during, before);
    await growing;
    assert.deepEqual(await reserved.searchBatch(q, 10), before);
    assert.deepEqual(await reserved.vectorsOf(ids), await grown.vectorsOf(ids));
  }
});
