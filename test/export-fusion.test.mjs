// tamsaek's fusion configuration mapped to OpenSearch / Elasticsearch, and the client-side emulation of
// the targets' fusion formulas (hand-computed oracles, and tamsaek's own RRF as an independent one).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuse, fuseAs, mapFusion, resolveTarget, targetScore } from 'tamsaek';

const os3 = resolveTarget('opensearch', '3.x');
const os2 = resolveTarget('opensearch', '2.19');
const es8 = resolveTarget('elasticsearch', '8.x');
const es9 = resolveTarget('elasticsearch', '9.x');
const ctx = (spec, depth = 100) => ({ spec, legs: ['bm25', 'dense'], depth, metric: 'cosine', k1: 1.2 });
const map = (config, spec, depth) => mapFusion(config, ctx(spec, depth));
const unsupported = { code: 'NOT_SUPPORTED' };

test('convex combination: min-max and L2 map to both targets with weights normalised to sum 1', () => {
  const mm = { method: 'cc', normalizer: 'mm', weights: { bm25: 1, dense: 3 } };
  assert.deepEqual(map(mm, os3).target, { kind: 'normalization', technique: 'min_max', weights: [0.25, 0.75] });
  assert.deepEqual(map(mm, os2).target, { kind: 'normalization', technique: 'min_max', weights: [0.25, 0.75] });
  assert.deepEqual(map(mm, es8).target, { kind: 'linear', normalizer: 'minmax', weights: [0.25, 0.75] });
  const l2 = { method: 'cc', normalizer: 'l2' };
  assert.deepEqual(map(l2, os3).target, { kind: 'normalization', technique: 'l2', weights: [0.5, 0.5] });
  assert.deepEqual(map(l2, es9).target, { kind: 'linear', normalizer: 'l2_norm', weights: [0.5, 0.5] });
  // a weight of 0 is kept (in [0, 1]); missing "min" equals "zero" for min-max
  assert.deepEqual(map({ ...mm, weights: { bm25: 0 }, missing: 'min' }, os3).target.weights, [0, 1]);
  assert.throws(() => map({ ...l2, missing: 'min' }, os3), unsupported);
});

test('z-score and theoretical min-max: OpenSearch 3.x only, bounds on the target score scale', () => {
  assert.deepEqual(map({ method: 'cc', normalizer: 'z', weights: { dense: 4 } }, os3).target, {
    kind: 'normalization',
    technique: 'z_score',
    weights: [0.2, 0.8],
  });
  for (const spec of [os2, es8, es9]) assert.throws(() => map({ method: 'cc', normalizer: 'z' }, spec), unsupported);
  const tmm = { method: 'cc', normalizer: 'tmm', theoreticalMin: { bm25: 0, dense: -1 } };
  assert.deepEqual(map(tmm, os3).target.lowerBounds, [0, 0]); // cosine −1 → (1 − 1) / 2
  assert.deepEqual(map({ ...tmm, theoreticalMin: { bm25: 2.2, dense: 0 } }, os3).target.lowerBounds, [1, 0.5]);
  for (const spec of [os2, es9]) assert.throws(() => map(tmm, spec), unsupported);
  for (const normalizer of ['dbsf', 'rank'])
    for (const spec of [os3, es9]) assert.throws(() => map({ method: 'cc', normalizer }, spec), unsupported);
});

test('RRF: the rank constant as an integer in 1..10000; unequal weights where the target takes them', () => {
  assert.deepEqual(map({ method: 'rrf' }, os2).target, { kind: 'score-ranker', rankConstant: 60 });
  assert.deepEqual(map({ method: 'rrf', k: 5 }, es8).target, { kind: 'rrf', rankConstant: 5 });
  assert.deepEqual(map({ method: 'rrf', weights: { bm25: 2, dense: 2 } }, os2).target, {
    kind: 'score-ranker',
    rankConstant: 60,
  });
  const weighted = { method: 'rrf', weights: { bm25: 1, dense: 3 } };
  assert.deepEqual(map(weighted, os3).target.weights, [0.25, 0.75]);
  assert.deepEqual(map(weighted, es9).target.weights, [0.25, 0.75]);
  assert.throws(() => map(weighted, os2), unsupported);
  assert.throws(() => map(weighted, es8), unsupported);
  for (const k of [0, 2.5, 10_001]) assert.throws(() => map({ method: 'rrf', k }, os3), unsupported);
});

test('depth: one window for the lexical sub-query, the k-NN one may be shallower', () => {
  const m = map({ method: 'cc', normalizer: 'mm', depth: { dense: 40 } }, os3, 100);
  assert.deepEqual([m.depths, m.window], [[100, 40], 100]);
  const n = map({ method: 'cc', normalizer: 'mm', depth: 30 }, es9, 100);
  assert.deepEqual([n.depths, n.window], [[30, 30], 30]);
  assert.throws(() => map({ method: 'cc', normalizer: 'mm', depth: { bm25: 20 } }, os3, 100), unsupported);
});

test('target scores: k-NN transforms and BM25 without (k1 + 1)', () => {
  const at = (leg, score, metric, spec = os3) => targetScore(leg, score, { spec, metric, k1: 1.2 });
  assert.equal(at('dense', 0.6, 'cosine'), 0.8);
  assert.equal(at('dense', 0.5, 'dot'), 1.5);
  assert.equal(at('dense', -1, 'dot'), 0.5);
  assert.equal(at('dense', -3, 'l2'), 0.25);
  assert.ok(Math.abs(at('bm25', 2.2, undefined) - 1) < 1e-12);
  assert.equal(at('bm25', 2.2, undefined, os2), 2.2);
});

const legs = [
  {
    name: 'bm25',
    hits: [
      { id: 'a', score: 10 },
      { id: 'b', score: 6 },
      { id: 'c', score: 2 },
    ],
  },
  {
    name: 'dense',
    hits: [
      { id: 'b', score: 0.8 },
      { id: 'd', score: 0.4 },
      { id: 'a', score: 0 },
    ],
  },
];
const emulate = (config, spec, k = 10) => fuseAs(legs, map(config, spec), { spec, metric: 'cosine', k1: 1.2 }, k);
const close = (got, want) =>
  want.forEach(([id, score], i) => {
    assert.equal(got[i].id, id);
    assert.ok(Math.abs(got[i].score - score) < 1e-12, `${id}: ${got[i].score} vs ${score}`);
  });

test('emulated OpenSearch min_max: 0 becomes 0.001, arithmetic mean with the weights', () => {
  // bm25 a 1, b 0.5, c 0 → 0.001; dense (1 + cos) / 2 = 0.9, 0.7, 0.5 → b 1, d 0.5, a 0.001
  close(emulate({ method: 'cc', normalizer: 'mm' }, os3), [
    ['b', 0.75],
    ['a', 0.5005],
    ['d', 0.25],
    ['c', 0.0005],
  ]);
  // one hit that is both min and max normalises to 1.0 (tamsaek: 0.5)
  const single = fuseAs(
    [{ name: 'bm25', hits: [{ id: 'x', score: 3 }] }, legs[1]],
    map({ method: 'cc', normalizer: 'mm' }, os3),
    { spec: os3, metric: 'cosine', k1: 1.2 },
    10,
  );
  assert.equal(single.find((h) => h.id === 'x').score, 0.5);
});

test('emulated OpenSearch z_score: sample σ, z ≤ 0 → 0.001, a score at the mean → the max', () => {
  const z = fuseAs(
    [
      {
        name: 'bm25',
        hits: [
          { id: 'a', score: 3 },
          { id: 'b', score: 2 },
          { id: 'c', score: 1 },
        ],
      },
      { name: 'dense', hits: [] },
    ],
    map({ method: 'cc', normalizer: 'z' }, os3),
    { spec: os2, metric: 'cosine', k1: 1.2 }, // 2.19's BM25 scale keeps the raw scores
    10,
  );
  // mean 2, sample σ 1: a → 1, b (= mean) → max 3, c → −1 → 0.001; weight 0.5 each
  close(z, [
    ['b', 1.5],
    ['a', 0.5],
    ['c', 0.0005],
  ]);
});

test('emulated OpenSearch lower bounds (tmm): under the bound → 0.001, else (s − b) / (max − b)', () => {
  const tmm = { method: 'cc', normalizer: 'tmm', theoreticalMin: { bm25: 0, dense: 0.2 } }; // dense bound (1 + 0.2) / 2 = 0.6
  // bm25 (scale 1/2.2): a 1, b 0.6, c 0.2; dense 0.9, 0.7, 0.5: b 1, d 1/3, a 0.001
  close(emulate(tmm, os3), [
    ['b', 0.8],
    ['a', 0.5005],
    ['d', 1 / 6],
    ['c', 0.1],
  ]);
});

test('emulated Elasticsearch linear minmax and l2_norm', () => {
  close(emulate({ method: 'cc', normalizer: 'mm', weights: { bm25: 3, dense: 1 } }, es9), [
    ['a', 0.75],
    ['b', 0.625],
    ['d', 0.125],
    ['c', 0],
  ]);
  const n1 = Math.hypot(10, 6, 2);
  const n2 = Math.hypot(0.9, 0.7, 0.5);
  const l2 = emulate({ method: 'cc', normalizer: 'l2' }, es9);
  const want = { a: 10 / n1 / 2 + 0.5 / n2 / 2, b: 6 / n1 / 2 + 0.9 / n2 / 2, c: 2 / n1 / 2, d: 0.7 / n2 / 2 };
  for (const h of l2) assert.ok(Math.abs(h.score - want[h.id]) < 1e-12, h.id);
});

test('emulated RRF ranks as tamsaek RRF with the same (scaled) weights, on random lists', () => {
  let seed = 7;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (let trial = 0; trial < 50; trial++) {
    const list = (name) => {
      const ids = [...new Set(Array.from({ length: 30 }, () => `d${Math.floor(random() * 40)}`))];
      return { name, hits: ids.map((id, i) => ({ id, score: 100 - i })) };
    };
    const ranked = [list('bm25'), list('dense')];
    const weights = { bm25: 1 + Math.floor(random() * 4), dense: 1 + Math.floor(random() * 4) };
    const config = { method: 'rrf', k: 1 + Math.floor(random() * 80), weights };
    const ours = fuse(ranked, config, 20);
    for (const spec of [os3, es9]) {
      const mapping = map(config, spec);
      // equal weights are left out (plain RRF): then the common weight is the scale
      const scale = mapping.target.weights ? weights.bm25 + weights.dense : weights.bm25;
      const theirs = fuseAs(ranked, mapping, { spec, metric: 'cosine', k1: 1.2 }, 20);
      // the same scores position by position (ties may order differently by a rounding ulp)
      theirs.forEach((h, i) => assert.ok(Math.abs(h.score * scale - ours[i].score) < 1e-12, `${trial} ${i}`));
      const byId = new Map(ours.map((h) => [h.id, h.score]));
      for (const h of theirs) if (byId.has(h.id)) assert.ok(Math.abs(h.score * scale - byId.get(h.id)) < 1e-12);
    }
  }
});
