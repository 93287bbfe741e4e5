// Tuning: improves the validation metric over the default, reports test scores honestly, cross-fits.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from 'tamsaek';
import { pickOnLine, tuneEngine } from '../dist/tune/index.js';
import { mulberry32 } from '../dist/util/random.js';

/** An embedder that knows nothing: a pseudo-random unit vector per text. */
class NoiseEmbedder {
  dim = 16;
  modelId = 'noise';
  async embed(texts) {
    const out = new Float32Array(texts.length * this.dim);
    texts.forEach((t, i) => {
      let seed = 0;
      for (let j = 0; j < t.length; j++) seed = (Math.imul(seed, 31) + t.charCodeAt(j)) | 0;
      const rand = mulberry32(seed);
      let norm = 0;
      for (let d = 0; d < this.dim; d++) norm += (out[i * this.dim + d] = rand() - 0.5) ** 2;
      for (let d = 0; d < this.dim; d++) out[i * this.dim + d] /= Math.sqrt(norm);
    });
    return out;
  }
}

async function labelledSet(n = 120) {
  const rand = mulberry32(5);
  const syllables = '가나다라마바사아자차카타파하거너더러머버서어저처커터퍼허고노도로모보소오조초코토포호';
  const word = () =>
    syllables[Math.floor(rand() * syllables.length)] + syllables[Math.floor(rand() * syllables.length)];
  const docs = [];
  const queries = [];
  const qrels = new Map();
  for (let i = 0; i < n; i++) {
    const words = Array.from({ length: 12 }, word);
    docs.push({ id: `d${i}`, text: words.join(' ') });
    queries.push({ id: `q${i}`, text: words.slice(0, 3).join(' ') });
    qrels.set(`q${i}`, new Map([[`d${i}`, 1]]));
  }
  const engine = await Engine.create({
    analyzer: 'whitespace',
    dense: { embedder: new NoiseEmbedder() },
    passages: false,
  });
  await engine.add(docs);
  return { engine, queries, qrels };
}

test('tuning on a train split beats the default on train and reports test honestly', async () => {
  const { engine, queries, qrels } = await labelledSet();
  const report = await tuneEngine(
    engine,
    { train: queries.slice(0, 80), test: queries.slice(80), qrels },
    { metric: 'ndcg@10', maxEvaluations: 150, seed: 1 },
  );
  assert.equal(report.mode, 'train/test');
  assert.deepEqual(report.queries, { train: 80, test: 40 });
  assert.ok(report.tuned.train > report.default.train, `${report.tuned.train} > ${report.default.train}`);
  // the noise leg cannot be allowed to dominate: the tuned fusion gets close to BM25 alone
  assert.ok(report.tuned.train > 0.9, JSON.stringify(report));
  assert.ok(report.default.train < 0.9, JSON.stringify(report.default));
  assert.ok(report.tuned.test > report.default.test);
  assert.ok(report.evaluations <= 150 + 4);
  // same seed, same answer
  const again = await tuneEngine(
    engine,
    { train: queries.slice(0, 80), test: queries.slice(80), qrels },
    { metric: 'ndcg@10', maxEvaluations: 150, seed: 1 },
  );
  assert.deepEqual(again.tuned, report.tuned);
  // applying the tuned config changes what search returns by default
  engine.configure(report.tuned.config);
  assert.deepEqual(engine.describe().fusion, report.tuned.config.fusion);
});

test('without a train split the test queries are cross-fitted', async () => {
  const { engine, queries, qrels } = await labelledSet(60);
  const report = await tuneEngine(
    engine,
    { train: [], test: queries, qrels },
    { metric: 'recall@1', maxEvaluations: 60, folds: 3 },
  );
  assert.equal(report.mode, 'cross-fitted');
  assert.equal(report.tuned.train, undefined);
  assert.ok(report.tuned.test > report.default.test, `${report.tuned.test} > ${report.default.test}`);
});

test("space 'weight' searches only the BM25 weight of a min-max combination", async () => {
  const { engine, queries, qrels } = await labelledSet(60);
  const report = await tuneEngine(
    engine,
    { train: queries.slice(0, 40), test: queries.slice(40), qrels },
    { space: 'weight', seed: 3 },
  );
  assert.equal(report.evaluations, 21 + 3); // the 21-point line, then the default on train and test and the tuned on test
  const { fusion } = report.tuned.config;
  assert.equal(fusion.method, 'cc');
  assert.equal(fusion.normalizer, 'mm');
  assert.ok(fusion.weights.bm25 > 0.5, JSON.stringify(fusion)); // the noise leg is outweighed
  assert.ok(Math.abs(fusion.weights.bm25 + fusion.weights.dense - 1) < 1e-9);
  assert.ok(report.tuned.train >= report.default.train);
  await assert.rejects(tuneEngine(engine, { train: queries, test: [], qrels }, { space: 'grid' }), {
    code: 'INVALID_ARGUMENT',
  });
});

test('the weight line picks the best neighbourhood, not a lone spike', () => {
  // a one-point spike at index 2 (noise on few queries) against a broad good region at 6..10
  const curve = [0.5, 0.5, 0.95, 0.5, 0.5, 0.6, 0.8, 0.85, 0.85, 0.85, 0.8, 0.6, 0.5];
  assert.equal(pickOnLine(curve), 8); // the middle of the region: window 6..10 → 0.83 beats 0..4 → 0.59
  assert.equal(pickOnLine(curve, 0), 2); // radius 0 is the plain argmax
  assert.equal(pickOnLine([0.7, 0.7, 0.7]), 0); // ties keep the lower index
  assert.equal(pickOnLine([0.1, 0.2, 0.9], 1), 2); // windows are cut at the ends, not padded (0.55 vs 0.4)
  assert.equal(pickOnLine([0.4]), 0);
  assert.throws(() => pickOnLine([]), { code: 'INVALID_ARGUMENT' });
});

test('bad tuning requests are typed errors', async () => {
  const { engine, queries, qrels } = await labelledSet(10);
  await assert.rejects(tuneEngine(engine, { train: [], test: queries, qrels }, { metric: 'accuracy' }), {
    code: 'INVALID_ARGUMENT',
  });
  await assert.rejects(tuneEngine(engine, { train: [], test: queries, qrels }, { folds: 1 }), {
    code: 'INVALID_ARGUMENT',
  });
  await assert.rejects(tuneEngine(engine, { train: [], test: queries, qrels }, { budget: 5 }), {
    code: 'UNKNOWN_OPTION',
  });
  const bm25Only = await Engine.create({ analyzer: 'whitespace' });
  await assert.rejects(tuneEngine(bm25Only, { train: [], test: queries, qrels }), /nothing to tune/);
});

test('with three legs the weight space is the simplex grid, picked by its neighbourhood', async () => {
  const { pickOnSimplex, simplexWeights } = await import('../dist/tune/index.js');
  const grid = simplexWeights(['a', 'b', 'c'], 10);
  assert.equal(grid.length, 66);
  assert.ok(grid.every((w) => Math.abs(w.a + w.b + w.c - 1) < 1e-9));
  // a lone spike at (1, 0, 0) loses to a broad hill around (0.2, 0.4, 0.4)
  const v = (w) => (w.a === 1 ? 1 : 0.9 - Math.abs(w.a - 0.2) - Math.abs(w.b - 0.4) - Math.abs(w.c - 0.4));
  const best =
    grid[
      pickOnSimplex(
        grid.map((weights) => ({ weights, v: v(weights) })),
        0.1,
      )
    ];
  assert.deepEqual(best, { a: 0.2, b: 0.4, c: 0.4 });
});
