// Fusion over N legs: hand-computed cases for rrf and cc with every normalizer.
// Run: npx tsc -p . && node --test test/fuse.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_RRF_K,
  fromAutoRAG,
  fuse,
  fuseCc,
  fuseRrf,
  normalizeDbsf,
  normalizeScores,
  validateFusionConfig,
} from 'tamsaek';

const close = (actual, expected, msg) =>
  assert.ok(Math.abs(actual - expected) < 1e-6, `${msg ?? ''} expected ${expected}, got ${actual}`);
const leg = (name, pairs, weight) => {
  const l = { name, hits: pairs.map(([id, score]) => ({ id, score })) };
  if (weight !== undefined) l.weight = weight;
  return l;
};
const ids = (hits) => hits.map((h) => h.id);
const scoreOf = (hits, id) => hits.find((h) => h.id === id).score;
const code = (c) => (err) => {
  assert.equal(err.name, 'TamsaekError');
  assert.equal(err.code, c, err.message);
  return true;
};

// Shared two-leg case (AutoRAG order: semantic first, lexical second).
//   dense: a 0.9, b 0.7, c 0.5       bm25: b 10, d 6, a 2
const dense = leg('dense', [
  ['a', 0.9],
  ['b', 0.7],
  ['c', 0.5],
]);
const bm25 = leg('bm25', [
  ['b', 10],
  ['d', 6],
  ['a', 2],
]);
// Variant with bm25 scores b 10, d 6, a 5 (asymmetric, so z/dbsf/l2 sums are not accidental ties).
const bm25b = leg('bm25', [
  ['b', 10],
  ['d', 6],
  ['a', 5],
]);

// ---------------------------------------------------------------- RRF

test('rrf: default k = 60, plain sum of 1/(60 + rank), missing legs add 0, evidence per leg', () => {
  assert.equal(DEFAULT_RRF_K, 60);
  const out = fuse(
    [
      leg('bm25', [
        ['a', 3],
        ['b', 2],
        ['c', 1],
      ]),
      leg('dense', [
        ['b', 0.9],
        ['d', 0.8],
      ]),
    ],
    { method: 'rrf' },
    10,
  );
  // a = 1/61 = 0.016393   b = 1/62 + 1/61 = 0.032523   c = 1/63 = 0.015873   d = 1/62 = 0.016129
  assert.deepEqual(ids(out), ['b', 'a', 'd', 'c']);
  close(scoreOf(out, 'b'), 1 / 62 + 1 / 61, 'b');
  close(scoreOf(out, 'a'), 1 / 61, 'a');
  close(scoreOf(out, 'd'), 1 / 62, 'd');
  close(scoreOf(out, 'c'), 1 / 63, 'c');
  const b = out[0];
  assert.deepEqual(Object.keys(b.legs), ['bm25', 'dense']);
  assert.deepEqual(b.legs.bm25, { score: 2, rank: 2, contribution: 1 / 62 });
  assert.deepEqual(b.legs.dense, { score: 0.9, rank: 1, contribution: 1 / 61 });
  assert.deepEqual(Object.keys(out[1].legs), ['bm25'], 'a appears only in bm25');
});

test('rrf: uses ranks, not scores; explicit ranks are honoured; top k cut', () => {
  // x's score is huge but it is ranked 2nd; explicit rank 5 on z gives 1/(60+5).
  const out = fuse(
    [
      {
        name: 'l',
        hits: [
          { id: 'y', score: 1 },
          { id: 'x', score: 1e9 },
          { id: 'z', score: 0, rank: 5 },
        ],
      },
    ],
    { method: 'rrf' },
    2,
  );
  assert.deepEqual(ids(out), ['y', 'x']);
  close(out[1].score, 1 / 62);
  const all = fuse(
    [
      {
        name: 'l',
        hits: [
          { id: 'y', score: 1 },
          { id: 'z', score: 0, rank: 5 },
        ],
      },
    ],
    { method: 'rrf' },
    5,
  );
  close(scoreOf(all, 'z'), 1 / 65, 'z uses explicit rank 5');
  assert.equal(all[1].legs.l.rank, 5);
});

test('rrf: k_rrf is configurable and changes the order', () => {
  // x: a, c, b    y: d, e, b.   a = d = 1/(K+1), c = e = 1/(K+2), b = 2/(K+3).
  // K = 0:  a = d = 1, b = 2/3 = 0.6667, c = e = 0.5            → a, d, b, c, e
  // K = 60: b = 2/63 = 0.031746 > a = d = 1/61 = 0.016393 > c = e = 1/62 → b, a, d, c, e
  const legs = [
    leg('x', [
      ['a', 3],
      ['c', 2],
      ['b', 1],
    ]),
    leg('y', [
      ['d', 3],
      ['e', 2],
      ['b', 1],
    ]),
  ];
  const k0 = fuse(legs, { method: 'rrf', k: 0 }, 5);
  assert.deepEqual(ids(k0), ['a', 'd', 'b', 'c', 'e']);
  close(scoreOf(k0, 'a'), 1);
  close(scoreOf(k0, 'b'), 2 / 3);
  close(scoreOf(k0, 'c'), 1 / 2);
  const k60 = fuse(legs, { method: 'rrf', k: 60 }, 5);
  assert.deepEqual(ids(k60), ['b', 'a', 'd', 'c', 'e']);
  close(scoreOf(k60, 'b'), 2 / 63);
  assert.deepEqual(fuse(legs, { method: 'rrf' }, 5), k60, 'default k is 60');
});

test('rrf: weights are honoured and change the order', () => {
  // bm25: a, b   dense: b, a.   a = w_bm25/61 + w_dense/62,  b = w_bm25/62 + w_dense/61.
  const legs = [
    leg('bm25', [
      ['a', 2],
      ['b', 1],
    ]),
    leg('dense', [
      ['b', 0.9],
      ['a', 0.8],
    ]),
  ];
  // Equal weights: exact tie (1/61 + 1/62 either way) → id order a, b.
  const eq = fuse(legs, { method: 'rrf' }, 2);
  assert.equal(eq[0].score, eq[1].score);
  assert.deepEqual(ids(eq), ['a', 'b']);
  // w_dense = 2: a = 1/61 + 2/62 = 0.048651, b = 1/62 + 2/61 = 0.048916 → b first.
  const d2 = fuse(legs, { method: 'rrf', weights: { dense: 2 } }, 2);
  assert.deepEqual(ids(d2), ['b', 'a']);
  close(scoreOf(d2, 'a'), 1 / 61 + 2 / 62);
  close(scoreOf(d2, 'b'), 1 / 62 + 2 / 61);
  // Weights are not renormalised for rrf: w = 3 on a single leg triples the score.
  close(fuse([leg('x', [['a', 1]])], { method: 'rrf', weights: { x: 3 } }, 1)[0].score, 3 / 61);
  // Weight 0 silences a leg: only bm25 order counts → a first; b still listed with contribution 0 from dense.
  const d0 = fuse(legs, { method: 'rrf', weights: { dense: 0 } }, 2);
  assert.deepEqual(ids(d0), ['a', 'b']);
  close(scoreOf(d0, 'b'), 1 / 62);
  assert.equal(d0[1].legs.dense.contribution, 0);
});

test('leg.weight is used when config.weights does not name the leg; config.weights overrides it', () => {
  const legs = [
    leg('bm25', [
      ['a', 2],
      ['b', 1],
    ]),
    leg(
      'dense',
      [
        ['b', 0.9],
        ['a', 0.8],
      ],
      2,
    ),
  ];
  assert.deepEqual(ids(fuse(legs, { method: 'rrf' }, 2)), ['b', 'a']); // dense weight 2 from the leg
  // config dense 0.5 beats the leg's 2: a = 1/61 + 0.5/62 = 0.024458 > b = 1/62 + 0.5/61 = 0.024326
  const over = fuse(legs, { method: 'rrf', weights: { dense: 0.5 } }, 2);
  assert.deepEqual(ids(over), ['a', 'b']);
  close(scoreOf(over, 'a'), 1 / 61 + 0.5 / 62);
});

test('rrf: depth keeps only the top hits of each leg (number or per leg); ranks stay the original ones', () => {
  const legs = [
    leg('bm25', [
      ['a', 3],
      ['b', 2],
      ['c', 1],
    ]),
    leg('dense', [
      ['b', 0.9],
      ['d', 0.8],
      ['e', 0.7],
    ]),
  ];
  const d2 = fuse(legs, { method: 'rrf', depth: 2 }, 10);
  // c (bm25 rank 3) and e (dense rank 3) are cut.  b = 1/62 + 1/61, a = 1/61, d = 1/62.
  assert.deepEqual(ids(d2), ['b', 'a', 'd']);
  const per = fuse(legs, { method: 'rrf', depth: { bm25: 1 } }, 10);
  // bm25 keeps only a; dense keeps all: b = 1/61, a = 1/61, d = 1/62, e = 1/63 → a, b tie → id order.
  assert.deepEqual(ids(per), ['a', 'b', 'd', 'e']);
  assert.deepEqual(Object.keys(per[1].legs), ['dense'], 'b lost its bm25 evidence (rank 2 > depth 1)');
});

test('ties: equal fused score → id ascending by plain < (code units: digits < upper < lower < Hangul)', () => {
  const hits = ['a', '가', 'B', '9', '10'].map((id) => ({ id, score: 1, rank: 1 }));
  const out = fuse([{ name: 'l', hits }], { method: 'rrf' }, 10);
  assert.deepEqual(ids(out), ['10', '9', 'B', 'a', '가']);
  for (const h of out) assert.equal(h.score, 1 / 61);
  // Same with cc: all-equal scores normalise to 0.5 (mm) → tie → id order.
  const cc = fuse([{ name: 'l', hits }], { method: 'cc', normalizer: 'mm' }, 10);
  assert.deepEqual(ids(cc), ['10', '9', 'B', 'a', '가']);
});

test('deterministic: same input → identical output, inputs not mutated', () => {
  const legs = [structuredClone(dense), structuredClone(bm25)];
  const before = structuredClone(legs);
  const cfg = { method: 'cc', normalizer: 'z', weights: { dense: 0.3, bm25: 0.7 } };
  const cfgBefore = structuredClone(cfg);
  const a = fuse(legs, cfg, 10);
  const b = fuse(legs, cfg, 10);
  assert.deepEqual(a, b);
  assert.deepEqual(legs, before);
  assert.deepEqual(cfg, cfgBefore);
});

// ---------------------------------------------------------------- CC

test('cc mm: hand case; weights renormalised to sum 1; missing doc contributes 0 (as AutoRAG)', () => {
  // mm dense: a (0.9−0.5)/0.4 = 1, b 0.5, c 0.    mm bm25: b (10−2)/8 = 1, d 0.5, a 0.
  // w = 0.6 / 0.4:  a = 0.6·1 + 0.4·0 = 0.6   b = 0.6·0.5 + 0.4·1 = 0.7   c = 0.6·0 + (missing) 0 = 0   d = 0 + 0.4·0.5 = 0.2
  const out = fuse([dense, bm25], { method: 'cc', normalizer: 'mm', weights: { dense: 0.6, bm25: 0.4 } }, 10);
  assert.deepEqual(ids(out), ['b', 'a', 'd', 'c']);
  close(scoreOf(out, 'a'), 0.6);
  close(scoreOf(out, 'b'), 0.7);
  close(scoreOf(out, 'd'), 0.2);
  close(scoreOf(out, 'c'), 0);
  close(out[0].legs.dense.contribution, 0.3, 'b dense contribution');
  assert.equal(out[0].legs.bm25.score, 10, 'evidence keeps the raw score');
  // Unnormalised weights 3 : 2 are the same convex combination 0.6 : 0.4.
  const same = fuse([dense, bm25], { method: 'cc', normalizer: 'mm', weights: { dense: 3, bm25: 2 } }, 10);
  for (const h of out) close(scoreOf(same, h.id), h.score, `renormalised ${h.id}`);
});

test('cc: changing a weight changes the order (dense 0.8: a = 0.8 > b = 0.4 + 0.2 = 0.6)', () => {
  const out = fuse([dense, bm25], { method: 'cc', normalizer: 'mm', weights: { dense: 0.8, bm25: 0.2 } }, 10);
  assert.deepEqual(ids(out).slice(0, 2), ['a', 'b']);
  close(scoreOf(out, 'a'), 0.8);
  close(scoreOf(out, 'b'), 0.6);
  // Default weights (1, 1 → 0.5, 0.5): a = 0.5, b = 0.75, d = 0.25, c = 0.
  const def = fuse([dense, bm25], { method: 'cc', normalizer: 'mm' }, 10);
  assert.deepEqual(ids(def), ['b', 'a', 'd', 'c']);
  close(scoreOf(def, 'b'), 0.75);
});

test('cc tmm: per-leg theoretical minimum (dense −1, bm25 0), observed max; changes the order vs mm', () => {
  // dense: (s + 1) / (0.9 + 1): a 1, b 1.7/1.9 = 0.894737, c 1.5/1.9 = 0.789474
  // bm25:  s / 10:              b 1, d 0.6, a 0.2
  // equal weights: a = 0.5·1 + 0.5·0.2 = 0.6   b = 0.5·0.894737 + 0.5 = 0.947368   c = 0.394737   d = 0.3
  // (mm gives d 0.25 > c 0: tmm keeps c's decent cosine, so c overtakes d.)
  const out = fuse([dense, bm25], { method: 'cc', normalizer: 'tmm', theoreticalMin: { dense: -1, bm25: 0 } }, 10);
  assert.deepEqual(ids(out), ['b', 'a', 'c', 'd']);
  close(scoreOf(out, 'a'), 0.6);
  close(scoreOf(out, 'b'), 0.5 * (1.7 / 1.9) + 0.5);
  close(scoreOf(out, 'c'), 0.5 * (1.5 / 1.9));
  close(scoreOf(out, 'd'), 0.3);
});

test('cc z: population σ; missing = "zero" (default) vs "min"', () => {
  // dense .9 .7 .5: μ = 0.7, σ = sqrt(0.08/3) = 0.163299 → a 1.224745, b 0, c −1.224745
  // bm25 10 6 5:    μ = 7,   σ = sqrt(14/3) = 2.160247 → b 1.388730, d −0.462910, a −0.925820
  // a = 0.5·1.224745 + 0.5·(−0.925820) = 0.149463   b = 0.694365   c = −0.612372 + 0 = −0.612372   d = 0 − 0.231455
  const z = fuse([dense, bm25b], { method: 'cc', normalizer: 'z' }, 10);
  assert.deepEqual(ids(z), ['b', 'a', 'd', 'c']);
  close(scoreOf(z, 'a'), 0.5 * Math.sqrt(1.5) - 0.5 * (2 / Math.sqrt(14 / 3)));
  close(scoreOf(z, 'b'), 0.5 * (3 / Math.sqrt(14 / 3)));
  close(scoreOf(z, 'c'), -0.5 * Math.sqrt(1.5));
  close(scoreOf(z, 'd'), -0.5 * (1 / Math.sqrt(14 / 3)));
  // missing "min": a leg's floor fills its gaps. dense floor −1.224745 → d += 0.5·(−1.224745);
  // bm25 floor −0.925820 → c += 0.5·(−0.925820).  d = −0.843827, c = −1.075283; a, b unchanged.
  const m = fuse([dense, bm25b], { method: 'cc', normalizer: 'z', missing: 'min' }, 10);
  close(scoreOf(m, 'd'), -0.5 / Math.sqrt(14 / 3) - 0.5 * Math.sqrt(1.5));
  close(scoreOf(m, 'c'), -0.5 * Math.sqrt(1.5) - 0.5 * (2 / Math.sqrt(14 / 3)));
  close(scoreOf(m, 'a'), scoreOf(z, 'a'));
  // 'min' with mm is the same as 'zero' (the floor of mm is 0).
  const mm0 = fuse([dense, bm25], { method: 'cc', normalizer: 'mm' }, 10);
  const mmMin = fuse([dense, bm25], { method: 'cc', normalizer: 'mm', missing: 'min' }, 10);
  assert.deepEqual(mmMin, mm0);
});

test('cc dbsf: (s − (μ − 3σ)) / 6σ = 0.5 + z/6', () => {
  // dense: a 0.5 + 1.224745/6 = 0.704124, b 0.5, c 0.295876
  // bm25:  b 0.5 + 1.388730/6 = 0.731455, d 0.422848, a 0.345697
  // a = 0.5·(0.704124 + 0.345697) = 0.524911   b = 0.5·(0.5 + 0.731455) = 0.615728   c = 0.147938   d = 0.211424
  const out = fuse([dense, bm25b], { method: 'cc', normalizer: 'dbsf' }, 10);
  assert.deepEqual(ids(out), ['b', 'a', 'd', 'c']);
  close(scoreOf(out, 'a'), 0.524911);
  close(scoreOf(out, 'b'), 0.615728);
  close(scoreOf(out, 'c'), 0.147938);
  close(scoreOf(out, 'd'), 0.211424);
});

test('dbsf clips to [0, 1]: one outlier among ten zeros has z = sqrt(10) > 3', () => {
  // μ = 100/11 = 9.0909, σ = 28.7480; outlier z = 90.909/28.748 = 3.1623 → 0.5 + 0.5270 = 1.027 → clipped to 1
  // zeros: z = −0.316228 → 0.5 − 0.052705 = 0.447295
  const out = normalizeDbsf([100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(out[0], 1);
  close(out[1], 0.5 - Math.sqrt(0.1) / 6);
  // And the low side: one low outlier → 0.
  assert.equal(normalizeDbsf([-100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])[0], 0);
});

test('cc l2: s / ‖s‖₂', () => {
  // dense ‖·‖ = sqrt(1.55) = 1.244990: a 0.722897, b 0.562254, c 0.401610
  // bm25  ‖·‖ = sqrt(161) = 12.688578: b 0.788110, d 0.472866, a 0.394055
  // a = 0.558476   b = 0.675182   c = 0.200805   d = 0.236433
  const out = fuse([dense, bm25b], { method: 'cc', normalizer: 'l2' }, 10);
  assert.deepEqual(ids(out), ['b', 'a', 'd', 'c']);
  close(scoreOf(out, 'a'), 0.5 * (0.9 / Math.sqrt(1.55) + 5 / Math.sqrt(161)));
  close(scoreOf(out, 'b'), 0.5 * (0.7 / Math.sqrt(1.55) + 10 / Math.sqrt(161)));
  close(scoreOf(out, 'c'), 0.5 * (0.5 / Math.sqrt(1.55)));
  close(scoreOf(out, 'd'), 0.5 * (6 / Math.sqrt(161)));
  // Negative scores keep their sign: [3, −4] / 5.
  assert.deepEqual(normalizeScores('l2', [3, -4]), [0.6, -0.8]);
});

test('cc rank: (N − rank + 1) / N, scores ignored, explicit ranks honoured', () => {
  // dense a r1, b r2, c r3 → 1, 2/3, 1/3     bm25 b, d, a → 1, 2/3, 1/3
  // a = 0.5·(1 + 1/3) = 2/3   b = 0.5·(2/3 + 1) = 5/6   c = 1/6   d = 1/3
  const out = fuse([dense, bm25], { method: 'cc', normalizer: 'rank' }, 10);
  assert.deepEqual(ids(out), ['b', 'a', 'd', 'c']);
  close(scoreOf(out, 'a'), 2 / 3);
  close(scoreOf(out, 'b'), 5 / 6);
  close(scoreOf(out, 'c'), 1 / 6);
  close(scoreOf(out, 'd'), 1 / 3);
  // Explicit ranks 1, 1, 4 → N = 4: 1, 1, 1/4.
  assert.deepEqual(normalizeScores('rank', [9, 8, 7], { ranks: [1, 1, 4] }), [1, 1, 0.25]);
});

test('cc depth: normalisation sees only the top-depth hits', () => {
  // bm25 depth 2 keeps b 10, d 6 → mm: b 1, d 0; a is no longer a bm25 hit.
  // a = 0.5·1 = 0.5, b = 0.5·0.5 + 0.5·1 = 0.75, c = 0, d = 0.
  const out = fuse([dense, bm25], { method: 'cc', normalizer: 'mm', depth: { bm25: 2 } }, 10);
  close(scoreOf(out, 'a'), 0.5);
  close(scoreOf(out, 'b'), 0.75);
  close(scoreOf(out, 'd'), 0);
  assert.deepEqual(Object.keys(out.find((h) => h.id === 'a').legs), ['dense']);
  assert.deepEqual(ids(out), ['b', 'a', 'c', 'd']); // c, d tie at 0 → id order
});

test('cc with N = 3 legs: weights renormalised over all three', () => {
  // rank normalizer, legs x: a, b   y: b   z: c, a.  w = 1, 2, 1 → 0.25, 0.5, 0.25
  // x: a 1, b 0.5   y: b 1   z: c 1, a 0.5
  // a = 0.25·1 + 0.25·0.5 = 0.375   b = 0.25·0.5 + 0.5·1 = 0.625   c = 0.25
  const out = fuse(
    [
      leg('x', [
        ['a', 1],
        ['b', 0],
      ]),
      leg('y', [['b', 1]]),
      leg('z', [
        ['c', 1],
        ['a', 0],
      ]),
    ],
    { method: 'cc', normalizer: 'rank', weights: { y: 2 } },
    10,
  );
  assert.deepEqual(ids(out), ['b', 'a', 'c']);
  close(scoreOf(out, 'a'), 0.375);
  close(scoreOf(out, 'b'), 0.625);
  close(scoreOf(out, 'c'), 0.25);
});

// ---------------------------------------------------------------- degenerate inputs

test('degenerate: all equal, single hit, empty leg, σ = 0, zero norm, tmm edge cases', () => {
  assert.deepEqual(normalizeScores('mm', [3, 3, 3]), [0.5, 0.5, 0.5]);
  assert.deepEqual(normalizeScores('mm', [7]), [0.5]);
  assert.deepEqual(normalizeScores('z', [2, 2]), [0, 0]);
  assert.deepEqual(normalizeScores('z', [0.1, 0.1, 0.1]), [0, 0, 0], 'no rounding residue in σ');
  assert.deepEqual(normalizeScores('dbsf', [0.1, 0.1, 0.1]), [0.5, 0.5, 0.5]);
  assert.deepEqual(normalizeScores('dbsf', [4]), [0.5]);
  assert.deepEqual(normalizeScores('l2', [0, 0]), [0, 0]);
  assert.deepEqual(normalizeScores('rank', [5], { ranks: [1] }), [1]);
  assert.deepEqual(normalizeScores('tmm', [5], { theoreticalMin: 0 }), [1]);
  assert.deepEqual(normalizeScores('tmm', [0, 0], { theoreticalMin: 0 }), [0, 0], 'max = tmin → 0');
  assert.deepEqual(normalizeScores('tmm', [4, -2], { theoreticalMin: 0 }), [1, 0], 'below tmin clips to 0');
  assert.deepEqual(normalizeScores('tmm', [-3, -5], { theoreticalMin: 0 }), [0, 0], 'max < tmin → 0');
  for (const n of ['mm', 'tmm', 'z', 'dbsf', 'l2', 'rank']) {
    assert.deepEqual(normalizeScores(n, [], { theoreticalMin: 0, ranks: [] }), [], n);
  }
  // An empty leg contributes nothing; the other leg still fuses. Its weight still counts in the renormalisation.
  const out = fuse(
    [
      leg('e', []),
      leg('x', [
        ['a', 2],
        ['b', 1],
      ]),
    ],
    { method: 'cc', normalizer: 'mm' },
    10,
  );
  assert.deepEqual(ids(out), ['a', 'b']);
  close(scoreOf(out, 'a'), 0.5);
  close(scoreOf(out, 'b'), 0);
  assert.deepEqual(fuse([leg('e', []), leg('f', [])], { method: 'rrf' }, 10), []);
  // A single-hit leg under mm gives 0.5 (not NaN as in AutoRAG).
  const single = fuse([leg('x', [['a', 42]])], { method: 'cc', normalizer: 'mm' }, 10);
  assert.equal(single[0].score, 0.5);
});

test('config survives a JSON round trip and gives the same result', () => {
  const cfg = {
    method: 'cc',
    normalizer: 'tmm',
    weights: { dense: 0.7, bm25: 0.3 },
    theoreticalMin: { dense: -1, bm25: 0 },
    depth: { bm25: 2 },
  };
  const back = JSON.parse(JSON.stringify(cfg));
  assert.deepEqual(fuse([dense, bm25], back, 10), fuse([dense, bm25], cfg, 10));
  assert.equal(validateFusionConfig(back), back);
});

test('leg named __proto__ stays an ordinary own key of legs', () => {
  const out = fuse(
    [leg('__proto__', [['a', 1]]), leg('toString', [['a', 1]])],
    { method: 'rrf', weights: { toString: 2 } },
    1,
  );
  assert.ok(Object.hasOwn(out[0].legs, '__proto__'));
  assert.equal(Object.getOwnPropertyDescriptor(out[0].legs, '__proto__').value.rank, 1);
  close(out[0].score, 1 / 61 + 2 / 61);
});

// ---------------------------------------------------------------- AutoRAG mapping

test('fromAutoRAG: hybrid_cc weight is the semantic share; hybrid_rrf weight is the RRF k', () => {
  assert.deepEqual(fromAutoRAG({ module_type: 'hybrid_cc', weight: 0.6 }), {
    method: 'cc',
    normalizer: 'mm',
    weights: { dense: 0.6, bm25: 0.4 },
  });
  // Same result as the hand case above (AutoRAG's fuse_per_query with weight 0.6, mm).
  const out = fuse([dense, bm25], fromAutoRAG({ module_type: 'hybrid_cc', weight: 0.6 }), 10);
  assert.deepEqual(ids(out), ['b', 'a', 'd', 'c']);
  close(scoreOf(out, 'b'), 0.7);
  assert.deepEqual(
    fromAutoRAG({ module_type: 'hybrid_cc', weight: 1, normalize_method: 'tmm' }, { semantic: 'vec', lexical: 'lex' }),
    {
      method: 'cc',
      normalizer: 'tmm',
      weights: { vec: 1, lex: 0 },
      theoreticalMin: { vec: -1, lex: 0 },
    },
  );
  assert.deepEqual(fromAutoRAG({ module_type: 'hybrid_rrf' }), { method: 'rrf', k: 60 });
  assert.deepEqual(fromAutoRAG({ module_type: 'hybrid_rrf', weight: 30.7 }), { method: 'rrf', k: 30 });
  assert.deepEqual(fromAutoRAG({ module_type: 'hybrid_rrf', weight: 30, rrf_k: 10 }), { method: 'rrf', k: 10 });
  assert.throws(() => fromAutoRAG({ module_type: 'hybrid_cc', weight: 1.5 }), code('INVALID_ARGUMENT'));
  assert.throws(
    () => fromAutoRAG({ module_type: 'hybrid_cc', weight: 0.5, normalize_method: 'l2' }),
    code('INVALID_ARGUMENT'),
  );
  assert.throws(() => fromAutoRAG({ module_type: 'hybrid_cc', weight: 0.5, top_k: 3 }), code('UNKNOWN_OPTION'));
  assert.throws(() => fromAutoRAG({ module_type: 'hybrid_dbsf' }), code('INVALID_ARGUMENT'));
});

// ---------------------------------------------------------------- errors

test('errors: bad scores, ids, ranks and legs → INVALID_ARGUMENT', () => {
  const rrf = { method: 'rrf' };
  const bad = (legs, c = 'INVALID_ARGUMENT') => assert.throws(() => fuse(legs, rrf, 10), code(c));
  bad([leg('x', [['a', NaN]])]);
  bad([leg('x', [['a', Infinity]])]);
  bad([leg('x', [['a', -Infinity]])]);
  bad([leg('x', [['a', '1']])]);
  bad([
    leg('x', [
      ['a', 1],
      ['a', 0.5],
    ]),
  ]); // duplicate id within one leg
  bad([leg('x', [['', 1]])]);
  bad([{ name: 'x', hits: [{ id: 7, score: 1 }] }]);
  bad([{ name: 'x', hits: [{ id: 'a', score: 1, rank: 0 }] }]);
  bad([{ name: 'x', hits: [{ id: 'a', score: 1, rank: 1.5 }] }]);
  bad([
    {
      name: 'x',
      hits: [
        { id: 'a', score: 1, rank: 3 },
        { id: 'b', score: 0, rank: 2 },
      ],
    },
  ]); // not best-first
  bad([]); // no legs
  bad([leg('x', []), leg('x', [])]); // duplicate leg name
  bad([leg('', [])]);
  bad([{ name: 'x', hits: 'a' }]);
  bad([leg('x', [['a', 1]], -1)]); // leg weight
  bad([leg('x', [['a', 1]], NaN)]);
  bad([{ name: 'x', hits: [], wieght: 2 }], 'UNKNOWN_OPTION');
  // The same hit is fine in two different legs, and a duplicate beyond depth is still an error.
  assert.equal(fuse([leg('x', [['a', 1]]), leg('y', [['a', 1]])], rrf, 10).length, 1);
  assert.throws(
    () =>
      fuse(
        [
          leg('x', [
            ['a', 1],
            ['b', 1],
            ['a', 0],
          ]),
        ],
        { method: 'rrf', depth: 1 },
        10,
      ),
    code('INVALID_ARGUMENT'),
  );
});

test('errors: k (results) must be a positive integer', () => {
  for (const k of [0, -1, 1.5, NaN, Infinity, '3', undefined]) {
    assert.throws(() => fuse([dense], { method: 'rrf' }, k), code('INVALID_ARGUMENT'), String(k));
  }
  assert.equal(fuse([dense], { method: 'rrf' }, 1).length, 1);
  assert.equal(fuse([dense], { method: 'rrf' }, 100).length, 3, 'k beyond candidates returns all');
});

test('errors: config validation — unknown keys, bad method/normalizer/weights/depth/k/theoreticalMin', () => {
  const legs = [dense, bm25];
  const bad = (cfg, c = 'INVALID_ARGUMENT') => assert.throws(() => fuse(legs, cfg, 10), code(c), JSON.stringify(cfg));
  bad({ method: 'rrf', weight: { dense: 1 } }, 'UNKNOWN_OPTION'); // typo
  bad({ method: 'rrf', normalizer: 'mm' }, 'UNKNOWN_OPTION'); // cc-only key on rrf
  bad({ method: 'cc', normalizer: 'mm', k: 60 }, 'UNKNOWN_OPTION'); // rrf-only key on cc
  bad({});
  bad(null);
  bad({ method: 'rsf' });
  bad({ method: 'cc' }); // normalizer required
  bad({ method: 'cc', normalizer: 'minmax' });
  bad({ method: 'rrf', k: -1 });
  bad({ method: 'rrf', k: Infinity });
  bad({ method: 'rrf', k: '60' });
  bad({ method: 'rrf', weights: { dense: -0.1 } });
  bad({ method: 'rrf', weights: { dense: NaN } });
  bad({ method: 'rrf', weights: { dense: Infinity } });
  bad({ method: 'rrf', weights: [1, 2] });
  bad({ method: 'rrf', weights: { dense: 0, bm25: 0 } }); // all zero
  bad({ method: 'cc', normalizer: 'mm', weights: { dense: 0, bm25: 0 } });
  bad({ method: 'rrf', weights: { dense: 1, sparse: 1 } }); // names no leg
  bad({ method: 'rrf', depth: 0 });
  bad({ method: 'rrf', depth: 2.5 });
  bad({ method: 'rrf', depth: { bm25: 0 } });
  bad({ method: 'rrf', depth: { splade: 3 } }); // names no leg
  bad({ method: 'cc', normalizer: 'tmm' }); // theoreticalMin required per leg
  bad({ method: 'cc', normalizer: 'tmm', theoreticalMin: { dense: -1 } }); // bm25 missing
  bad({ method: 'cc', normalizer: 'tmm', theoreticalMin: { dense: -1, bm25: NaN } });
  bad({ method: 'cc', normalizer: 'mm', theoreticalMin: { bm2: 0 } }); // names no leg
  bad({ method: 'cc', normalizer: 'mm', missing: 'mean' });
  // Method-specific entry points check the method.
  assert.throws(() => fuseRrf(legs, { method: 'cc', normalizer: 'mm' }, 10), code('INVALID_ARGUMENT'));
  assert.throws(() => fuseCc(legs, { method: 'rrf' }, 10), code('INVALID_ARGUMENT'));
  // Valid configs pass: theoreticalMin is allowed (ignored) with other normalizers, so tuning can switch normalizer.
  assert.doesNotThrow(() => fuse(legs, { method: 'cc', normalizer: 'mm', theoreticalMin: { dense: -1, bm25: 0 } }, 10));
  assert.doesNotThrow(() => fuse(legs, { method: 'rrf', k: 0, weights: { dense: 0 }, depth: 1 }, 10));
});

test('normalizeScores validates its inputs', () => {
  assert.throws(() => normalizeScores('mm', [1, NaN]), code('INVALID_ARGUMENT'));
  assert.throws(() => normalizeScores('tmm', [1]), code('INVALID_ARGUMENT'));
  assert.throws(() => normalizeScores('rank', [1, 2], { ranks: [1] }), code('INVALID_ARGUMENT'));
  assert.throws(() => normalizeScores('softmax', [1]), code('INVALID_ARGUMENT'));
});
