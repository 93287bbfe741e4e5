// device: 'cpu' | 'cuda' | 'auto' on the flat index and the losses, and the GPU kernels against the CPU
// kernels. Without a GPU (or with an addon built without CUDA) the GPU comparisons are skipped with the
// reason; TAMSAEK_REQUIRE_GPU=1 (npm run gpu-check) turns a skip into a failure.
//
// Tolerances (GPU vs CPU on the same stored rows):
//  * search scores, every dtype: dot 2e-5 (|q| |x| + 1), cosine 2e-5, l2 2e-5 (|q| + |x|)^2 + 2e-5, with the
//    largest norms of the test data: both sides compute fp32 dot products of the stored values (the scan with
//    CUDA-core FMAs, the tensor-core path rescores its candidates in fp32); only the summation order
//    differs. Rankings may swap only between scores within the tolerance.
//  * losses: InfoNCE loss relative 2e-5, each gradient coordinate within 1e-4 of the largest |gradient|;
//    GIST 1e-4 and 5e-4 (its temperature 0.01 multiplies logit rounding by 100). fp32 strip GEMMs and
//    split-K atomics sum in another order than the CPU's blocked GEMM.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { TamsaekError } from '../dist/errors.js';
import { FlatIndex } from '../dist/legs/dense/flat.js';
import { createVectorIndex } from '../dist/legs/dense/index.js';
import { CudaMatrix, cudaInfo, cudaUnavailableReason, resolveDevice } from '../dist/native/cuda.js';
import { encodeRows, exactSearch, loadNative } from '../dist/native/index.js';
import { cachedContrastiveStep, gistLoss, infoNCELoss } from '../dist/native/loss.js';
import { randomArray, rng } from './native-helpers.mjs';

const isCode = (code) => (e) => e instanceof TamsaekError && e.code === code;
const why = cudaUnavailableReason();
const requireGpu = process.env.TAMSAEK_REQUIRE_GPU === '1';
const gpu = why === undefined || requireGpu ? {} : { skip: `no usable GPU: ${why}` };
if (why !== undefined) console.log(`# GPU tests skipped: ${why}`);

test('cudaInfo answers on every build and machine; no GPU is a reason, not a crash', () => {
  const info = cudaInfo();
  assert.equal(typeof info.built, 'boolean');
  assert.ok(Array.isArray(info.devices));
  assert.equal(info.maxK, 120);
  if (info.devices.length === 0) assert.match(info.reason, /\S/);
  if (info.built) assert.match(info.archs, /80/);
  // raw addon calls without a device fail with the typed prefix and leave the process up
  if (info.devices.length === 0) {
    assert.throws(() => loadNative().cudaMatrixCreate({ dtype: 0, dim: 8 }), /^Error: CUDA_UNAVAILABLE: /);
  }
});

test('device option: cpu and auto run without a GPU, cuda without one is CUDA_UNAVAILABLE, typos are rejected', async () => {
  assert.equal(resolveDevice('t', undefined), 'cpu');
  assert.equal(resolveDevice('t', 'cpu'), 'cpu');
  assert.throws(() => resolveDevice('t', 'gpu'), isCode('INVALID_ARGUMENT'));
  if (why === undefined) return;
  assert.equal(resolveDevice('t', 'auto'), 'cpu');
  assert.throws(() => resolveDevice('t', 'cuda'), isCode('CUDA_UNAVAILABLE'));
  assert.throws(() => new FlatIndex({ dim: 4, device: 'cuda' }), isCode('CUDA_UNAVAILABLE'));
  await assert.rejects(createVectorIndex({ dim: 4, kind: 'flat', device: 'cuda' }), isCode('CUDA_UNAVAILABLE'));
  await assert.rejects(createVectorIndex({ dim: 4, kind: 'hnsw', device: 'cuda' }), isCode('INVALID_ARGUMENT'));
  const r = rng(3);
  const a = randomArray(r, 8 * 16);
  const p = randomArray(r, 8 * 16);
  await assert.rejects(infoNCELoss({ anchors: a, positives: p, dim: 16, device: 'cuda' }), isCode('CUDA_UNAVAILABLE'));
  const cpu = await infoNCELoss({ anchors: a, positives: p, dim: 16 });
  const auto = await infoNCELoss({ anchors: a, positives: p, dim: 16, device: 'auto' });
  assert.equal(auto.loss, cpu.loss);
  const idx = new FlatIndex({ dim: 16, device: 'auto' });
  await idx.add([1, 2, 3], randomArray(r, 3 * 16));
  assert.equal((await idx.search(a.subarray(0, 16), 2)).length, 2);
});

test('tamsaek info prints the kernels and the CUDA devices (or why there are none)', () => {
  const out = execFileSync(process.execPath, ['dist/cli/main.js', 'info', '--json'], { encoding: 'utf8' });
  const info = JSON.parse(out);
  assert.ok(info.native.kernel && Array.isArray(info.cuda.devices));
  const text = execFileSync(process.execPath, ['dist/cli/main.js', 'info'], { encoding: 'utf8' });
  assert.match(text, /CPU kernels: \w+ in use/);
  assert.match(text, /CUDA: /);
});

// ---- GPU against CPU
function stores(r, n, dim) {
  const src = randomArray(r, n * dim);
  return Promise.all(
    ['f32', 'f16', 'i8'].map(async (dtype) => {
      const data =
        dtype === 'f32'
          ? new Float32Array(n * dim)
          : dtype === 'f16'
            ? new Uint16Array(n * dim)
            : new Int8Array(n * dim);
      const norms = new Float32Array(n);
      const scales = dtype === 'i8' ? new Float32Array(n) : undefined;
      await encodeRows(src, n, dim, dtype, data, norms, scales, 0);
      return { data, dtype, n, dim, norms, scales };
    }),
  );
}

function maxNorm(v, dim) {
  let m = 0;
  for (let i = 0; i < v.length; i += dim) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += v[i + d] * v[i + d];
    m = Math.max(m, Math.sqrt(s));
  }
  return m;
}

function assertSameTop(got, want, m, k, tol, label) {
  for (let j = 0; j < m; j++) {
    for (let r = 0; r < k; r++) {
      const g = got.scores[j * k + r];
      const w = want.scores[j * k + r];
      assert.equal(got.rows[j * k + r] < 0, want.rows[j * k + r] < 0, `${label} q${j} r${r}: presence`);
      if (want.rows[j * k + r] < 0) continue;
      assert.ok(Math.abs(g - w) <= tol, `${label} q${j} rank ${r}: ${g} vs ${w}`);
      // a different row at this rank is only allowed inside a tie (within tolerance)
      if (got.rows[j * k + r] !== want.rows[j * k + r]) {
        const i = Array.from(want.rows.subarray(j * k, (j + 1) * k)).indexOf(got.rows[j * k + r]);
        assert.ok(i < 0 || Math.abs(want.scores[j * k + i] - g) <= tol, `${label}: row order`);
      }
    }
  }
}

test(
  'GPU search paths (scan, fused tensor-core, cuBLAS baseline) equal the CPU kernels for every dtype and metric',
  gpu,
  async () => {
    const r = rng(41);
    for (const dim of [100, 128]) {
      const n = 3000;
      const list = await stores(r, n, dim);
      const queries = randomArray(r, 70 * dim);
      const allow = new Uint8Array((n + 7) >> 3).map(() => Math.floor(r() * 256));
      for (const store of list) {
        const mx = new CudaMatrix(store.dtype, dim);
        await mx.write(0, n, store.data, store.norms, store.scales);
        const qmax = maxNorm(queries, dim);
        const xmax = Math.sqrt(Math.max(...store.norms));
        for (const metric of ['dot', 'cosine', 'l2']) {
          const tol =
            metric === 'dot' ? 2e-5 * (qmax * xmax + 1) : metric === 'cosine' ? 2e-5 : 2e-5 * (qmax + xmax) ** 2 + 2e-5;
          for (const [path, m, k] of [
            ['scan', 3, 10],
            ['scan', 1, 120],
            ['fused', 70, 10],
            ['fused', 9, 100],
          ]) {
            const q = queries.subarray(0, m * dim);
            const want = await exactSearch(store, q, { k, metric });
            const got = await mx.search(q, k, { metric, path });
            assertSameTop(got, want, m, k, tol, `${store.dtype} ${metric} ${path} dim ${dim} k ${k}`);
            const wantA = await exactSearch(store, q, { k, metric, allow });
            assertSameTop(
              await mx.search(q, k, { metric, path, allow }),
              wantA,
              m,
              k,
              tol,
              `${store.dtype} ${path} allow`,
            );
          }
          if (store.dtype === 'f16' && cudaInfo().cublas) {
            const q = queries.subarray(0, 64 * dim);
            assertSameTop(
              await mx.search(q, 10, { metric, path: 'gemm-select' }),
              await exactSearch(store, q, { k: 10, metric }),
              64,
              10,
              tol,
              'baseline',
            );
          }
        }
        await assert.rejects(mx.search(queries.subarray(0, dim), 121), isCode('INVALID_ARGUMENT'));
        await mx.release();
      }
    }
  },
);

test(
  'FlatIndex on the GPU: results equal device cpu through adds, removals and filters; large k falls back',
  gpu,
  async () => {
    const r = rng(43);
    const dim = 64;
    for (const dtype of ['f32', 'f16', 'i8']) {
      const cpu = new FlatIndex({ dim, dtype, metric: 'cosine' });
      const cuda = new FlatIndex({ dim, dtype, metric: 'cosine', device: 'cuda' });
      const v = randomArray(r, 2000 * dim);
      const ids = Array.from({ length: 2000 }, (_, i) => `d${i}`);
      for (const idx of [cpu, cuda]) {
        await idx.add(ids.slice(0, 1500), v.subarray(0, 1500 * dim));
        await idx.remove(ids.filter((_, i) => i % 5 === 0).slice(0, 200));
        await idx.add(ids.slice(1500), v.subarray(1500 * dim));
      }
      const q = randomArray(r, 12 * dim);
      for (const k of [1, 10, 200]) {
        const a = await cpu.searchBatch(q, k);
        const b = await cuda.searchBatch(q, k);
        const filter = (id) => id.endsWith('7');
        const fa = await cpu.searchBatch(q, k, { filter });
        const fb = await cuda.searchBatch(q, k, { filter });
        for (const [x, y] of [
          [a, b],
          [fa, fb],
        ]) {
          for (let j = 0; j < 12; j++) {
            assert.equal(y[j].length, x[j].length);
            x[j].forEach((h, t) => assert.ok(Math.abs(h.score - y[j][t].score) <= 1e-4, `${dtype} k ${k}`));
          }
        }
      }
      await cuda.releaseDevice();
    }
  },
);

function maxAbs(a) {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}
function assertGradClose(got, want, label, rel = 1e-4) {
  const tol = rel * maxAbs(want) + 1e-7;
  for (let i = 0; i < want.length; i++)
    assert.ok(Math.abs(got[i] - want[i]) <= tol, `${label}[${i}]: ${got[i]} vs ${want[i]}`);
}
function assertLossClose(got, want, label) {
  assert.ok(
    Math.abs(got.loss - want.loss) <= 2e-5 * Math.abs(want.loss) + 1e-6,
    `${label}: ${got.loss} vs ${want.loss}`,
  );
  for (const key of ['gradAnchors', 'gradPositives', 'gradNegatives'])
    assertGradClose(got[key], want[key], `${label} ${key}`);
}

test(
  'GPU losses equal the CPU kernels: InfoNCE (cos/dot, symmetric, hard negatives), GIST (both margins, guides, matrices), cached',
  gpu,
  async () => {
    const r = rng(47);
    const B = 300;
    const H = 170;
    const dim = 48;
    const gdim = 20;
    const a = randomArray(r, B * dim);
    const p = randomArray(r, B * dim);
    const n = randomArray(r, H * dim);
    // several strips with a partial last one, and a deep block (1,100 negatives) that splits its GEMM over K
    process.env.TAMSAEK_CUDA_LOSS_STRIP = '64';
    const od = { anchors: a, positives: p, negatives: randomArray(r, 1100 * dim), dim };
    assertLossClose(await infoNCELoss({ ...od, device: 'cuda' }), await infoNCELoss(od), 'infonce strips of 64');
    delete process.env.TAMSAEK_CUDA_LOSS_STRIP;
    for (const similarity of ['cos', 'dot']) {
      for (const symmetric of [false, true]) {
        const o = {
          anchors: a,
          positives: p,
          negatives: n,
          dim,
          similarity,
          symmetric,
          scale: similarity === 'dot' ? 0.5 : 20,
        };
        assertLossClose(
          await infoNCELoss({ ...o, device: 'cuda' }),
          await infoNCELoss(o),
          `infonce ${similarity} ${symmetric}`,
        );
      }
    }
    const guide = {
      anchors: randomArray(r, B * gdim),
      positives: randomArray(r, B * gdim),
      negatives: randomArray(r, H * gdim),
      dim: gdim,
    };
    for (const marginStrategy of ['absolute', 'relative']) {
      for (const contrastAnchors of [true, false]) {
        const o = { anchors: a, positives: p, negatives: n, dim, guide, marginStrategy, margin: 0.1, contrastAnchors };
        assertLossClose(
          await gistLoss({ ...o, device: 'cuda' }),
          await gistLoss(o),
          `gist ${marginStrategy} ${contrastAnchors}`,
        );
      }
    }
    const mat = (rows, cols) => Float32Array.from({ length: rows * cols }, () => r() * 2 - 1);
    const matrices = { ap: mat(B, B), aa: mat(B, B), pp: mat(B, B), an: mat(B, H) };
    const om = { anchors: a, positives: p, negatives: n, dim, guide: { matrices }, margin: 0.2 };
    assertLossClose(await gistLoss({ ...om, device: 'cuda' }), await gistLoss(om), 'gist matrices', 1e-4, 5e-4);
    const chunks = (x, rows) => [x.subarray(0, 100 * dim), x.subarray(100 * dim, rows * dim)];
    const oc = { loss: 'infonce', dim, anchors: chunks(a, B), positives: chunks(p, B), negatives: chunks(n, H) };
    const want = await cachedContrastiveStep(oc);
    const got = await cachedContrastiveStep({ ...oc, device: 'cuda' });
    assert.ok(Math.abs(got.loss - want.loss) <= 2e-5 * want.loss);
    got.gradAnchors.forEach((g, i) => assertGradClose(g, want.gradAnchors[i], 'cached anchors'));
  },
);

test('a failing CUDA call is a CUDA_ERROR carrying the CUDA message, and the device stays usable', gpu, async () => {
  const addon = loadNative();
  await assert.rejects(addon.cudaBench({ kind: 'alloc', bytes: 2 ** 52, reps: 1 }), (e) =>
    /^CUDA_ERROR: cudaMalloc \(probe\): cudaErrorMemoryAllocation/.test(e.message),
  );
  const { wrapNativeError } = await import('../dist/native/index.js');
  try {
    await addon.cudaBench({ kind: 'alloc', bytes: 2 ** 52, reps: 1 });
  } catch (e) {
    const t = wrapNativeError('probe', e);
    assert.equal(t.code, 'CUDA_ERROR');
    assert.match(t.message, /out of memory/);
  }
  const mx = new CudaMatrix('f32', 8);
  await mx.write(0, 2, new Float32Array(16).fill(1), Float32Array.of(8, 8));
  assert.equal((await mx.search(new Float32Array(8).fill(1), 1)).rows[0], 0);
});

test('a CUDA build carries an image for every architecture it reports (sm_80..sm_90 SASS + compute_90 PTX by default)', async (t) => {
  const info = cudaInfo();
  if (!info.built) return t.skip('the loaded addon was built without CUDA (npm run build:native adds it)');
  const { fatbinEntries } = await import('../scripts/list-fatbin.mjs');
  const { readFileSync } = await import('node:fs');
  const { nativePath } = await import('../dist/native/index.js');
  const entries = fatbinEntries(readFileSync(nativePath()));
  for (const a of info.archs.split(',')) {
    const [num, kind] = a.split('-');
    const want = kind === 'virtual' ? 'ptx' : 'elf';
    assert.ok(
      entries.some((e) => e.kind === want && e.arch === Number(num)),
      `no ${want} image for ${a}`,
    );
    if (!kind)
      assert.ok(
        entries.some((e) => e.arch === Number(num)),
        `no image for ${a}`,
      );
  }
});

test('the cuda bench suite is registered and skips with the reason when no GPU is usable', async () => {
  const { listSuites, runSuite } = await import('../bench/run.mjs');
  assert.ok(listSuites().includes('cuda'));
  if (why === undefined) return;
  const r = await runSuite('cuda');
  assert.equal(r.status, 'skipped');
  assert.match(r.reason, /no usable GPU/);
});
