// The tile recurrences the CUDA kernels run (native/cuda/select.h, lse.h, score.h) are compiled into every
// addon as plain C++ (TSK_HD); these tests call them through the addon's `recurrence` hook and check them
// against independent JS oracles, so the code the GPU runs is exercised on any machine.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadNative } from '../dist/native/index.js';
import { rng } from './native-helpers.mjs';

const addon = loadNative();
const before = (a, b) => a.s > b.s || (a.s === b.s && a.i < b.i);
const oracleTop = (hits, cap) => [...hits].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0)).slice(0, cap);
const f32 = (x) => Math.fround(x);

function randomHits(r, n, ties) {
  // few distinct scores when `ties`, so equal scores are common and the row order decides
  return Array.from({ length: n }, (_, i) => ({ s: f32(ties ? Math.floor(r() * 5) : r() * 2 - 1), i: i * 3 + 1 }));
}

function insert(hits, cap) {
  const res = addon.recurrence({
    op: 'insert',
    n: hits.length,
    cap,
    scores: Float32Array.from(hits.map((h) => h.s)),
    rows: Uint32Array.from(hits.map((h) => h.i)),
  });
  return Array.from(res.rows, (i, k) => ({ s: res.scores[k], i }));
}

test('topk_insert keeps the best cap hits, best first, ties by the lower row, in any arrival order', () => {
  const r = rng(5);
  for (const cap of [0, 1, 3, 32, 128]) {
    for (const ties of [false, true]) {
      const hits = randomHits(r, 300, ties);
      for (let round = 0; round < 3; round++) {
        const order = hits
          .map((h) => [r(), h])
          .sort((a, b) => a[0] - b[0])
          .map(([, h]) => h);
        assert.deepEqual(insert(order, cap), oracleTop(hits, cap), `cap ${cap} ties ${ties}`);
      }
    }
  }
});

test('topk_merge of two sorted lists equals the best cap of their union', () => {
  const r = rng(6);
  for (const cap of [1, 7, 32, 128]) {
    for (const ties of [false, true]) {
      const all = randomHits(r, 200, ties);
      const a = oracleTop(
        all.filter((_, k) => k % 3 !== 0),
        Math.min(cap, 150),
      );
      const b = oracleTop(
        all.filter((_, k) => k % 3 === 0),
        Math.floor(r() * cap),
      );
      const res = addon.recurrence({
        op: 'merge',
        cap,
        na: a.length,
        nb: b.length,
        as: Float32Array.from(a.map((h) => h.s)),
        ai: Uint32Array.from(a.map((h) => h.i)),
        bs: Float32Array.from(b.map((h) => h.s)),
        bi: Uint32Array.from(b.map((h) => h.i)),
      });
      const got = Array.from(res.rows, (i, k) => ({ s: res.scores[k], i }));
      assert.deepEqual(got, oracleTop([...a, ...b], cap));
    }
  }
});

test('online log-sum-exp: any split into partial states merges to the fp64 value; -inf entries count zero', () => {
  const r = rng(7);
  const lse = (x, parts) => addon.recurrence({ op: 'lse', n: x.length, x, parts });
  for (const n of [1, 2, 17, 1000]) {
    for (const spread of [1, 30, 400]) {
      const x = Float32Array.from({ length: n }, () => (r() * 2 - 1) * spread);
      if (n > 2) x[1] = -Infinity; // a masked logit
      let m = -Infinity;
      for (const v of x) m = Math.max(m, v);
      let s = 0;
      for (const v of x) s += Math.exp(v - m);
      const want = m + Math.log(s);
      for (const parts of [1, 2, 7, Math.max(1, n)]) {
        const got = lse(x, parts);
        assert.ok(
          Math.abs(got - want) <= 2e-6 * Math.max(1, Math.abs(want)),
          `n ${n} spread ${spread} parts ${parts}: ${got} vs ${want}`,
        );
      }
    }
  }
  assert.equal(lse(Float32Array.of(-Infinity, -Infinity), 2), -Infinity);
  assert.equal(lse(new Float32Array(0), 1), -Infinity);
  // a state seeded only by later partials (empty first parts) still merges exactly
  assert.ok(Math.abs(lse(Float32Array.of(-Infinity, -Infinity, 3), 3) - 3) < 1e-6);
});

test('finish_score: dot, cosine (0 for a zero row or query) and negative squared l2, as the CPU search defines them', () => {
  const score = (metric, dot, rowNorm2, qNorm2) => addon.recurrence({ op: 'score', metric, dot, rowNorm2, qNorm2 });
  assert.equal(score(0, 1.5, 9, 4), 1.5);
  assert.ok(Math.abs(score(1, 3, 9, 4) - 3 / (3 * 2)) < 1e-7);
  assert.equal(score(1, 3, 0, 4), 0);
  assert.equal(score(1, 3, 9, 0), 0);
  assert.ok(Math.abs(score(2, 3, 9, 4) - -(9 - 6 + 4)) < 1e-6);
});

test('GIST margin masks: absolute and relative thresholds, the protected positive never masked', () => {
  const guide = Float32Array.of(0.2, 0.78, 0.79, 0.82, 0.95, 0.9); // clear of the thresholds' fp32 rounding
  const gist = (strategy, margin, protect) =>
    addon.recurrence({ op: 'gist', gpos: 0.9, strategy, margin, n: guide.length, guide, protect });
  const abs = gist(0, 0.1, 5);
  assert.ok(Math.abs(abs.threshold - 0.8) < 1e-6);
  assert.deepEqual(Array.from(abs.masked), [0, 0, 0, 1, 1, 0]); // > 0.8 masked; index 5 (0.9) protected
  const rel = gist(1, 0.1, -1);
  assert.ok(Math.abs(rel.threshold - 0.81) < 1e-6);
  assert.deepEqual(Array.from(rel.masked), [0, 0, 0, 1, 1, 1]);
  // margin 0: only guide similarities above the positive's own are masked
  assert.deepEqual(Array.from(gist(0, 0, -1).masked), [0, 0, 0, 0, 1, 0]);
});
