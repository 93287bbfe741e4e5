import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TamsaekError } from 'tamsaek';
import { encodeRows, exactSearch, nativeInfo, setKernel } from '../dist/native/index.js';
import { bruteForce, decodeStore, randomArray, rng } from './native-helpers.mjs';

const DTYPES = ['f32', 'f16', 'i8'];
const METRICS = ['dot', 'cosine', 'l2'];

async function makeStore(dtype, src, n, dim) {
  const data =
    dtype === 'f32' ? new Float32Array(n * dim) : dtype === 'f16' ? new Uint16Array(n * dim) : new Int8Array(n * dim);
  const norms = new Float32Array(n);
  const scales = dtype === 'i8' ? new Float32Array(n) : undefined;
  await encodeRows(src, n, dim, dtype, data, norms, scales, 0);
  return { data, dtype, n, dim, norms, scales };
}

/** Compares one query's native hits with the brute-force list, tolerating float reordering only
 *  among near-equal scores. */
function checkAgainst(ref, rows, scores, k, where) {
  const kk = Math.min(k, ref.length);
  const byRow = new Map(ref.map((h) => [h.row, h.score]));
  const tol = (s) => 2e-4 * Math.max(1, Math.abs(s));
  for (let r = 0; r < k; r++) {
    if (r >= kk) {
      assert.equal(rows[r], -1, `${where}: slot ${r} should be empty`);
      continue;
    }
    const row = rows[r];
    assert.ok(byRow.has(row), `${where}: row ${row} not allowed/absent`);
    assert.ok(
      Math.abs(byRow.get(row) - scores[r]) <= tol(scores[r]),
      `${where}: score of row ${row}: ${scores[r]} vs ${byRow.get(row)}`,
    );
    assert.ok(
      Math.abs(ref[r].score - scores[r]) <= tol(scores[r]),
      `${where}: rank ${r} score ${scores[r]} vs ${ref[r].score}`,
    );
    const gapPrev = r === 0 ? Infinity : ref[r - 1].score - ref[r].score;
    const gapNext = r + 1 >= ref.length ? Infinity : ref[r].score - ref[r + 1].score;
    if (gapPrev > tol(ref[r].score) && gapNext > tol(ref[r].score))
      assert.equal(row, ref[r].row, `${where}: rank ${r}`);
  }
}

const kernels = nativeInfo().available;

for (const kernel of kernels) {
  test(`exact search equals brute force for every dtype and metric (${kernel} kernels)`, async () => {
    setKernel(kernel);
    try {
      const r = rng(42);
      const shapes = [
        { n: 1, dim: 1, m: 1, k: 3 },
        { n: 37, dim: 1, m: 5, k: 4 },
        { n: 5, dim: 7, m: 1, k: 10 },
        { n: 9, dim: 19, m: 6, k: 20 },
        { n: 300, dim: 33, m: 1, k: 7 },
        { n: 517, dim: 64, m: 7, k: 10 },
        { n: 2100, dim: 40, m: 17, k: 5 },
      ];
      for (const { n, dim, m, k } of shapes) {
        const src = randomArray(r, n * dim);
        const queries = randomArray(r, m * dim);
        for (const dtype of DTYPES) {
          const store = await makeStore(dtype, src, n, dim);
          const rows = decodeStore(dtype, store.data, store.scales, n, dim);
          for (const metric of METRICS) {
            // small searches run inline by default; the worker path is forced too, with 1 and 3 threads
            for (const [threads, inline] of [
              [undefined, undefined],
              [1, false],
              [3, false],
              [2, true],
            ]) {
              const res = await exactSearch(store, queries, { k, metric, threads, inline });
              for (let j = 0; j < m; j++) {
                const ref = bruteForce(rows, queries.subarray(j * dim, (j + 1) * dim), metric);
                checkAgainst(
                  ref,
                  res.rows.subarray(j * k, (j + 1) * k),
                  res.scores.subarray(j * k, (j + 1) * k),
                  k,
                  `${kernel} ${dtype} ${metric} n=${n} dim=${dim} m=${m} k=${k} q=${j} t=${threads} inline=${inline}`,
                );
              }
            }
          }
        }
      }
    } finally {
      setKernel('auto');
    }
  });
}

test('duplicate scores rank the lower row first, for one query and for batches', async () => {
  const r = rng(7);
  const dim = 12;
  const distinct = 6;
  const n = 400;
  // integer-valued rows: fp32/fp16 dot products and l2 are exact, so ties are exact ties
  const base = Array.from({ length: distinct }, () => Array.from({ length: dim }, () => Math.floor(r() * 7) - 3));
  const src = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) src.set(base[Math.floor(r() * distinct)], i * dim);
  for (const m of [1, 9]) {
    const queries = new Float32Array(m * dim).map(() => Math.floor(r() * 5) - 2);
    for (const dtype of ['f32', 'f16']) {
      const store = await makeStore(dtype, src, n, dim);
      const rows = decodeStore(dtype, store.data, store.scales, n, dim);
      for (const metric of ['dot', 'l2']) {
        for (const threads of [1, 2, 4]) {
          const k = 25;
          const res = await exactSearch(store, queries, { k, metric, threads });
          for (let j = 0; j < m; j++) {
            const ref = bruteForce(rows, queries.subarray(j * dim, (j + 1) * dim), metric).slice(0, k);
            assert.deepEqual(
              Array.from(res.rows.subarray(j * k, (j + 1) * k)),
              ref.map((h) => h.row),
              `${dtype} ${metric} m=${m} t=${threads}`,
            );
          }
        }
      }
    }
  }
  // int8: identical rows tie exactly
  const src8 = new Float32Array(n * dim);
  const b8 = Array.from({ length: distinct }, () => randomArray(r, dim));
  for (let i = 0; i < n; i++) src8.set(b8[i % distinct], i * dim);
  const store = await makeStore('i8', src8, n, dim);
  const res = await exactSearch(store, randomArray(r, dim), { k: 10, metric: 'dot', threads: 2 });
  const top = Array.from(res.rows);
  for (let i = 1; i < top.length; i++) {
    if (res.scores[i] === res.scores[i - 1]) assert.ok(top[i] > top[i - 1], 'ties by ascending row');
  }
});

test('int8 scans of long rows at full scale: the integer dot products neither overflow nor drift (every kernel)', async () => {
  // rows and queries at the extremes of their codes (|x| = 127, |q| = 32767), long enough to cross the
  // kernels' int32 blocks many times: a wrapped lane would flip a score's sign
  const dim = 9001;
  const n = 6;
  const src = new Float32Array(n * dim);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < dim; j++) src[i * dim + j] = i === 0 ? 1 : i === 1 ? -1 : (j + i) % (i + 1) === 0 ? -2 : 2;
  const query = new Float32Array(dim).fill(3);
  query[dim - 1] = -3;
  for (const kernel of kernels) {
    setKernel(kernel);
    try {
      const store = await makeStore('i8', src, n, dim);
      const rows = decodeStore('i8', store.data, store.scales, n, dim);
      const ref = bruteForce(rows, query, 'dot');
      const res = await exactSearch(store, query, { k: n, metric: 'dot', threads: 1 });
      checkAgainst(ref, res.rows, res.scores, n, `${kernel} i8 dim=${dim}`);
      assert.ok(res.scores[0] > 8.9e3 * 3, `${kernel}: top score ${res.scores[0]}`);
    } finally {
      setKernel('auto');
    }
  }
});

test('allow bitmap filters rows', async () => {
  const r = rng(3);
  const n = 1000,
    dim = 16;
  const src = randomArray(r, n * dim);
  const store = await makeStore('f32', src, n, dim);
  const rows = decodeStore('f32', store.data, undefined, n, dim);
  const allow = new Uint8Array(Math.ceil(n / 8));
  const ok = (i) => i % 3 === 0;
  for (let i = 0; i < n; i++) if (ok(i)) allow[i >> 3] |= 1 << (i & 7);
  for (const m of [1, 8]) {
    const queries = randomArray(r, m * dim);
    const res = await exactSearch(store, queries, { k: 15, metric: 'cosine', allow });
    for (let j = 0; j < m; j++) {
      const ref = bruteForce(rows, queries.subarray(j * dim, (j + 1) * dim), 'cosine', ok);
      checkAgainst(
        ref,
        res.rows.subarray(j * 15, (j + 1) * 15),
        res.scores.subarray(j * 15, (j + 1) * 15),
        15,
        `allow m=${m}`,
      );
    }
  }
});

test('bad arguments throw typed errors and the process stays up', async () => {
  const r = rng(5);
  const store = await makeStore('f32', randomArray(r, 40), 10, 4);
  const q = randomArray(r, 4);
  const code = async (p, c) => {
    await assert.rejects(p, (e) => e instanceof TamsaekError && e.code === c);
  };
  await code(exactSearch(store, q, { k: 0 }), 'INVALID_ARGUMENT');
  await code(exactSearch(store, q, { k: -3 }), 'INVALID_ARGUMENT');
  await code(exactSearch(store, q, { k: 1.5 }), 'INVALID_ARGUMENT');
  await code(exactSearch(store, q, { k: 1e12 }), 'INVALID_ARGUMENT');
  await code(exactSearch({ ...store, data: new Float64Array(40) }, q, { k: 1 }), 'INVALID_ARGUMENT');
  await code(exactSearch({ ...store, n: -1 }, q, { k: 1 }), 'INVALID_ARGUMENT');
  await code(exactSearch(store, randomArray(r, 5), { k: 1 }), 'DIMENSION_MISMATCH');
  await code(exactSearch(store, new Float32Array([1, NaN, 0, 0]), { k: 1 }), 'INVALID_ARGUMENT');
  await code(exactSearch(store, new Float32Array([1, Infinity, 0, 0]), { k: 1 }), 'INVALID_ARGUMENT');
  await code(exactSearch(store, q, { k: 1, metric: 'hamming' }), 'INVALID_ARGUMENT');
  await code(exactSearch(store, q, { k: 1, threads: 0 }), 'INVALID_ARGUMENT');
  await code(exactSearch({ ...store, n: 11 }, q, { k: 1 }), 'INVALID_ARGUMENT'); // data too short
  await code(exactSearch({ ...store, norms: undefined }, q, { k: 1, metric: 'l2' }), 'INVALID_ARGUMENT');
  const ok = await exactSearch(store, q, { k: 3 });
  assert.equal(ok.rows.length, 3);
});

test('scalar and SIMD fp16 encoders agree bit for bit (incl. subnormals, overflow, ties)', async (t) => {
  if (!kernels.includes('avx2')) return t.skip('no avx2 on this CPU');
  const r = rng(11);
  const special = [
    0,
    -0,
    1,
    -1,
    65504,
    65519,
    65520,
    1e6,
    -1e6,
    2 ** -24,
    2 ** -25,
    3 * 2 ** -26,
    2 ** -14,
    1.00048828125,
    1.000244140625,
    6e-8,
    5.96e-8,
    1e-10,
  ];
  const src = new Float32Array(4096);
  src.set(special);
  for (let i = special.length; i < src.length; i++) src[i] = (r() - 0.5) * 2 ** Math.floor(r() * 40 - 28);
  const out = {};
  for (const kernel of kernels) {
    setKernel(kernel);
    const store = await makeStore('f16', src, src.length, 1);
    out[kernel] = store.data;
  }
  setKernel('auto');
  for (const kernel of kernels) assert.deepEqual(Array.from(out[kernel]), Array.from(out.scalar), kernel);
});
