import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TamsaekError } from 'tamsaek';
import {
  cachedContrastiveStep,
  gistLoss,
  infoNCELoss,
  nativeInfo,
  scratchStats,
  setKernel,
} from '../dist/native/index.js';
import { refGist, refInfoNCE } from './helpers/reference-loss.mjs';
import { randomArray, rng } from './native-helpers.mjs';

function relErr(a, b) {
  return Math.abs(a - b) / Math.max(1e-12, Math.abs(b));
}

/** Central finite differences of the fp64 reference w.r.t. every coordinate of every role. */
function checkGradients(refFn, opts, res, where) {
  const h = 1e-6;
  const roles = [
    ['anchors', res.gradAnchors],
    ['positives', res.gradPositives],
    ['negatives', res.gradNegatives],
  ];
  for (const [name, grad] of roles) {
    if (!opts[name]) continue;
    const base = Float64Array.from(opts[name]);
    for (let i = 0; i < base.length; i++) {
      const x = base[i];
      base[i] = x + h;
      const lp = refFn({ ...opts, [name]: base });
      base[i] = x - h;
      const lm = refFn({ ...opts, [name]: base });
      base[i] = x;
      const fd = (lp - lm) / (2 * h);
      assert.ok(
        Math.abs(fd - grad[i]) <= 2e-6 + 1e-4 * Math.abs(fd),
        `${where}: d/d${name}[${i}] native ${grad[i]} vs fd ${fd}`,
      );
    }
  }
}

function batch(seed, B, H, dim, gdim) {
  const r = rng(seed);
  return {
    anchors: randomArray(r, B * dim),
    positives: randomArray(r, B * dim),
    negatives: H ? randomArray(r, H * dim) : undefined,
    guide: {
      anchors: randomArray(r, B * gdim),
      positives: randomArray(r, B * gdim),
      negatives: H ? randomArray(r, H * gdim) : undefined,
      dim: gdim,
    },
  };
}

const kernels = nativeInfo().available;

for (const kernel of kernels) {
  test(`InfoNCE / MNRL value and gradients match the reference (${kernel})`, async () => {
    setKernel(kernel);
    try {
      for (const [B, H, dim] of [
        [1, 0, 3],
        [7, 5, 9],
        [13, 26, 17],
      ]) {
        const b = batch(B * 31 + H, B, H, dim, 4);
        for (const symmetric of [false, true]) {
          for (const similarity of ['cos', 'dot']) {
            const opts = {
              anchors: b.anchors,
              positives: b.positives,
              negatives: b.negatives,
              dim,
              scale: similarity === 'cos' ? 7 : 0.5,
              symmetric,
              similarity,
            };
            for (const tiling of [{}, { rowChunk: 6, colTile: 16, threads: 3 }]) {
              const res = await infoNCELoss({ ...opts, ...tiling });
              const ref = refInfoNCE(opts);
              const where = `infonce B=${B} H=${H} sym=${symmetric} ${similarity} ${JSON.stringify(tiling)}`;
              assert.ok(relErr(res.loss, ref) < 1e-5, `${where}: ${res.loss} vs ${ref}`);
              checkGradients(refInfoNCE, opts, res, where);
            }
          }
        }
      }
    } finally {
      setKernel('auto');
    }
  });

  test(`GIST value and gradients match the reference for both margin strategies (${kernel})`, async () => {
    setKernel(kernel);
    try {
      for (const [B, H, dim, gdim] of [
        [6, 0, 5, 3],
        [11, 7, 9, 4],
        [20, 40, 8, 6],
      ]) {
        const b = batch(B * 17 + H, B, H, dim, gdim);
        for (const marginStrategy of ['absolute', 'relative']) {
          for (const margin of [0, 0.1, -0.2]) {
            for (const [ca, cp] of [
              [true, true],
              [false, true],
              [true, false],
            ]) {
              const opts = {
                anchors: b.anchors,
                positives: b.positives,
                negatives: b.negatives,
                dim,
                guide: b.guide,
                temperature: 0.2,
                marginStrategy,
                margin,
                contrastAnchors: ca,
                contrastPositives: cp,
              };
              for (const tiling of [
                {},
                { rowChunk: 6, colTile: 16, threads: 2 },
                { rowChunk: 12, colTile: 16, threads: 3, maskCap: 5 },
              ]) {
                const res = await gistLoss({ ...opts, ...tiling });
                const ref = refGist(opts);
                const where = `gist B=${B} H=${H} ${marginStrategy} m=${margin} ca=${ca} cp=${cp} ${JSON.stringify(tiling)}`;
                assert.ok(Number.isFinite(res.loss));
                assert.ok(relErr(res.loss, ref) < 1e-5, `${where}: ${res.loss} vs ${ref}`);
                if (margin === 0.1) checkGradients(refGist, opts, res, where);
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

test('GIST masks false negatives exactly like the guide says (explicit guide matrices)', async () => {
  const B = 5,
    H = 3,
    dim = 6;
  const b = batch(99, B, H, dim, 2);
  const r = rng(4);
  const mat = (n) => Float32Array.from({ length: n }, () => r() * 2 - 1);
  const m = { ap: mat(B * B), aa: mat(B * B), pp: mat(B * B), an: mat(B * H) };
  for (let i = 0; i < B; i++) m.ap[i * B + i] = 0.3; // guide positive
  for (const marginStrategy of ['absolute', 'relative']) {
    const opts = {
      anchors: b.anchors,
      positives: b.positives,
      negatives: b.negatives,
      dim,
      guide: { matrices: m },
      temperature: 0.05,
      marginStrategy,
      margin: 0.05,
    };
    const res = await gistLoss(opts);
    const ref = refGist(opts);
    assert.ok(relErr(res.loss, ref) < 1e-5, `${marginStrategy}: ${res.loss} vs ${ref}`);
    checkGradients(refGist, opts, res, `matrices ${marginStrategy}`);
  }
  // a guide that masks every candidate but the positive gives loss 0 and zero gradients
  const all = {
    ap: new Float32Array(B * B).fill(1),
    aa: new Float32Array(B * B).fill(1),
    pp: new Float32Array(B * B).fill(1),
    an: new Float32Array(B * H).fill(1),
  };
  for (let i = 0; i < B; i++) all.ap[i * B + i] = 0.5;
  const res = await gistLoss({
    anchors: b.anchors,
    positives: b.positives,
    negatives: b.negatives,
    dim,
    guide: { matrices: all },
  });
  assert.ok(Math.abs(res.loss) < 1e-6);
  assert.ok(res.gradAnchors.every((g) => Math.abs(g) < 1e-6));
});

test('cached (GradCache) step equals the plain loss and returns per-chunk gradients', async () => {
  const B = 23,
    H = 15,
    dim = 10,
    gdim = 5;
  const b = batch(5, B, H, dim, gdim);
  const split = (a, d, sizes) => {
    const out = [];
    let off = 0;
    for (const s of sizes) {
      out.push(a.subarray(off * d, (off + s) * d));
      off += s;
    }
    return out;
  };
  const aS = [8, 8, 7],
    nS = [10, 5];
  const plain = await infoNCELoss({
    anchors: b.anchors,
    positives: b.positives,
    negatives: b.negatives,
    dim,
    symmetric: true,
    scale: 5,
  });
  const cached = await cachedContrastiveStep({
    loss: 'infonce',
    dim,
    anchors: split(b.anchors, dim, aS),
    positives: split(b.positives, dim, aS),
    negatives: split(b.negatives, dim, nS),
    symmetric: true,
    scale: 5,
    rowChunk: 6,
    colTile: 16,
  });
  assert.ok(relErr(cached.loss, plain.loss) < 1e-6);
  assert.equal(cached.gradAnchors.length, 3);
  assert.equal(cached.gradNegatives[1].length, 5 * dim);
  const joined = (chunks) => Float32Array.from(chunks.flatMap((c) => Array.from(c)));
  for (const [c, p] of [
    [cached.gradAnchors, plain.gradAnchors],
    [cached.gradPositives, plain.gradPositives],
    [cached.gradNegatives, plain.gradNegatives],
  ]) {
    const j = joined(c);
    for (let i = 0; i < j.length; i++) assert.ok(Math.abs(j[i] - p[i]) < 1e-6);
  }
  const gOpts = {
    anchors: b.anchors,
    positives: b.positives,
    negatives: b.negatives,
    dim,
    guide: b.guide,
    temperature: 0.1,
    marginStrategy: 'relative',
    margin: 0.2,
  };
  const gPlain = await gistLoss(gOpts);
  const gCached = await cachedContrastiveStep({
    loss: 'gist',
    dim,
    anchors: split(b.anchors, dim, aS),
    positives: split(b.positives, dim, aS),
    negatives: split(b.negatives, dim, nS),
    guide: {
      anchors: split(b.guide.anchors, gdim, aS),
      positives: split(b.guide.positives, gdim, aS),
      negatives: split(b.guide.negatives, gdim, nS),
      dim: gdim,
    },
    temperature: 0.1,
    marginStrategy: 'relative',
    margin: 0.2,
  });
  assert.ok(relErr(gCached.loss, refGist(gOpts)) < 1e-5);
  assert.ok(relErr(gCached.loss, gPlain.loss) < 1e-6);
  const j = joined(gCached.gradPositives);
  for (let i = 0; i < j.length; i++) assert.ok(Math.abs(j[i] - gPlain.gradPositives[i]) < 1e-6);
});

test('tiled kernels never allocate batch x candidates scratch', async () => {
  const B = 1024,
    H = 1024,
    dim = 32;
  const b = batch(1, B, H, dim, 16);
  const scoreBytes = B * (B + H) * 4;
  for (const [name, fn] of [
    [
      'infonce',
      () => infoNCELoss({ anchors: b.anchors, positives: b.positives, negatives: b.negatives, dim, threads: 2 }),
    ],
    [
      'gist',
      () =>
        gistLoss({
          anchors: b.anchors,
          positives: b.positives,
          negatives: b.negatives,
          dim,
          guide: b.guide,
          threads: 2,
        }),
    ],
  ]) {
    scratchStats(true);
    await fn();
    const { peak } = scratchStats();
    // scratch is per-thread tiles plus per-thread gradient accumulators: O(B x (tile + dim))
    assert.ok(peak > 0, `${name}: scratch is reported`);
    assert.ok(peak < scoreBytes / 4, `${name}: peak scratch ${peak} B vs full score matrix ${scoreBytes} B`);
  }
});

test('loss arguments are validated with typed errors', async () => {
  const b = batch(3, 4, 2, 3, 2);
  const base = { anchors: b.anchors, positives: b.positives, negatives: b.negatives, dim: 3 };
  const rejects = (p, code) => assert.rejects(p, (e) => e instanceof TamsaekError && e.code === code);
  await rejects(infoNCELoss({ ...base, dim: 5 }), 'DIMENSION_MISMATCH');
  await rejects(infoNCELoss({ ...base, positives: b.positives.subarray(3) }), 'DIMENSION_MISMATCH');
  await rejects(
    infoNCELoss({ ...base, anchors: new Float32Array([NaN, ...b.anchors.subarray(1)]) }),
    'INVALID_ARGUMENT',
  );
  await rejects(infoNCELoss({ ...base, scale: 0 }), 'INVALID_ARGUMENT');
  await rejects(infoNCELoss({ ...base, temprature: 1 }), 'UNKNOWN_OPTION');
  await rejects(gistLoss({ ...base, guide: b.guide, marginStrategy: 'percent' }), 'INVALID_ARGUMENT');
  await rejects(gistLoss({ ...base, guide: { ...b.guide, negatives: undefined } }), 'DIMENSION_MISMATCH');
  await rejects(gistLoss({ ...base }), 'INVALID_ARGUMENT');
  await rejects(
    cachedContrastiveStep({ loss: 'gist', dim: 3, anchors: [b.anchors], positives: [b.positives] }),
    'INVALID_ARGUMENT',
  );
  await rejects(
    cachedContrastiveStep({ loss: 'infonce', dim: 3, anchors: [b.anchors], positives: [b.positives.subarray(0, 9)] }),
    'DIMENSION_MISMATCH',
  );
});
