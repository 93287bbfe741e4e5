// Paired significance tests and the seeded PRNG. Run: npx tsc -p . && node --test test/eval-significance.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluate, pairedBootstrapTest, pairedRandomizationTest, pairedScores } from 'tamsaek';
import { mulberry32, mulberry32Uint32, shuffleInPlace } from '../dist/util/random.js';

const tests = { randomization: pairedRandomizationTest, bootstrap: pairedBootstrapTest };

test('mulberry32 is deterministic, in [0, 1), and seed-dependent', () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  const c = mulberry32(43);
  const xs = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(
    xs,
    Array.from({ length: 1000 }, () => b()),
  );
  assert.notDeepEqual(
    xs.slice(0, 5),
    Array.from({ length: 5 }, () => c()),
  );
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
  // reference values of mulberry32(42) (first outputs as uint32) pin the algorithm
  const u = mulberry32Uint32(42);
  assert.deepEqual([u(), u(), u()], [2581720956, 1925393290, 3661312704]);
  assert.deepEqual(shuffleInPlace([1, 2, 3, 4, 5], mulberry32(1)), shuffleInPlace([1, 2, 3, 4, 5], mulberry32(1)));
});

for (const [name, fn] of Object.entries(tests)) {
  test(`${name}: identical runs give p = 1`, () => {
    const a = [0.1, 0.5, 1, 0, 0.3333333333333333, 0.7];
    const r = fn(a, [...a], { trials: 2000, seed: 7 });
    assert.equal(r.pValue, 1); // every resample is as extreme as a zero difference: (2000 + 1) / (2000 + 1)
    assert.equal(r.diff, 0);
    assert.equal(r.trials, 2000);
    if (name === 'bootstrap') assert.deepEqual(r.ci95, [0, 0]);
  });

  test(`${name}: clearly different runs give a small p`, () => {
    // 60 queries, A beats B by 0.5 on 50 of them and ties on 10
    const a = Array.from({ length: 60 }, (_, i) => (i < 50 ? 0.9 : 0.4));
    const b = Array.from({ length: 60 }, () => 0.4);
    const r = fn(a, b, { trials: 5000 });
    assert.ok(Math.abs(r.meanA - (50 * 0.9 + 10 * 0.4) / 60) < 1e-12);
    assert.ok(Math.abs(r.meanB - 0.4) < 1e-12);
    assert.ok(Math.abs(r.diff - r.meanA + r.meanB) < 1e-12);
    assert.ok(r.pValue < 0.001, `p = ${r.pValue}`);
    assert.equal(r.pValue, 1 / 5001); // no resample reaches the observed difference
    if (name === 'bootstrap') assert.ok(r.ci95[0] > 0 && r.ci95[0] <= r.diff && r.diff <= r.ci95[1], String(r.ci95));
  });

  test(`${name}: noise-level difference gives a large p`, () => {
    // differences +1, −1 alternating plus one +1 → mean diff 1/41; far from significant
    const a = Array.from({ length: 41 }, (_, i) => (i % 2 === 0 ? 1 : 0));
    const b = Array.from({ length: 41 }, (_, i) => (i % 2 === 0 ? 0 : 1));
    const r = fn(a, b, { trials: 4000, seed: 3 });
    assert.ok(r.pValue > 0.5, `p = ${r.pValue}`);
  });

  test(`${name}: deterministic for a seed, validated input`, () => {
    const a = Array.from({ length: 30 }, (_, i) => ((i * 37) % 11) / 10);
    const b = Array.from({ length: 30 }, (_, i) => ((i * 53) % 13) / 12);
    const r1 = fn(a, b, { trials: 3000, seed: 123 });
    const r2 = fn(Float64Array.from(a), b, { trials: 3000, seed: 123 });
    assert.deepEqual(r1, r2);
    const code = (f, c) => assert.throws(f, (e) => e.code === c);
    code(() => fn([1, 2], [1]), 'INVALID_ARGUMENT');
    code(() => fn([], []), 'INVALID_ARGUMENT');
    code(() => fn([1], [NaN]), 'INVALID_ARGUMENT');
    code(() => fn([1], [1], { trials: 0 }), 'INVALID_ARGUMENT');
    code(() => fn([1], [1], { iterations: 10 }), 'UNKNOWN_OPTION');
  });
}

test('randomization p-value matches the exact sign-flip distribution on a small case', () => {
  // d = [1, 1, 1, 1]: of the 16 sign patterns, 2 reach |Σ| = 4 → exact two-sided p = 1/8
  const r = pairedRandomizationTest([1, 1, 1, 1], [0, 0, 0, 0], { trials: 20000, seed: 9 });
  assert.ok(Math.abs(r.pValue - 0.125) < 0.01, `p = ${r.pValue}`);
});

test('pairedScores pairs per-query values of two evaluations by query id', () => {
  const qrels = new Map([
    ['q1', new Map([['a', 1]])],
    ['q2', new Map([['b', 1]])],
  ]);
  const A = evaluate(
    new Map([
      ['q1', [{ id: 'a', score: 1 }]],
      ['q2', [{ id: 'b', score: 1 }]],
    ]),
    qrels,
  );
  const B = evaluate(new Map([['q2', [{ id: 'b', score: 1 }]]]), qrels);
  assert.deepEqual(pairedScores(A, B, 'mrr@10'), { queries: ['q1', 'q2'], a: [1, 1], b: [0, 1] });
  assert.throws(
    () => pairedScores(A, B, 'nope@3'),
    (e) => e.code === 'INVALID_ARGUMENT',
  );
  const C = evaluate(new Map(), new Map([['q1', new Map([['a', 1]])]]));
  assert.throws(
    () => pairedScores(A, C, 'mrr@10'),
    (e) => e.code === 'INVALID_ARGUMENT',
  );
});
