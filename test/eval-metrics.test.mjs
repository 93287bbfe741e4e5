// Metrics on hand-computed cases. Run: npx tsc -p . && node --test test/eval-metrics.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareCodePoints, evaluate, latencySummary, percentile, trecOrder } from 'tamsaek';

const close = (actual, expected, msg) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${msg ?? ''} expected ${expected}, got ${actual}`);
const run = (obj) => new Map(Object.entries(obj).map(([q, list]) => [q, list.map(([id, score]) => ({ id, score }))]));
const qrels = (obj) => new Map(Object.entries(obj).map(([q, rels]) => [q, new Map(Object.entries(rels))]));
const L2 = Math.log2;

test('graded nDCG, recall with 2 relevant, precision, F1, MRR, MAP, hit; a query without results counts 0', () => {
  // q1: relevant a (gain 2), b (gain 1); ranking x, b, a.  q2: relevant c, no results at all.
  const q = qrels({ q1: { a: 2, b: 1 }, q2: { c: 1 } });
  const r = run({
    q1: [
      ['x', 0.9],
      ['b', 0.8],
      ['a', 0.7],
    ],
    q3: [['z', 1]],
  }); // q3 is not in the qrels: ignored
  const { mean, perQuery, queries } = evaluate(r, q, { ks: [1, 2, 3] });
  assert.equal(queries, 2);
  const q1 = perQuery.get('q1');
  // nDCG@3: DCG = 0/log2(2) + 1/log2(3) + 2/log2(4) = 0.63093 + 1 = 1.63093
  //         IDCG = 2/log2(2) + 1/log2(3) = 2.63093  → 0.61990
  close(q1['ndcg@3'], (1 / L2(3) + 2 / L2(4)) / (2 + 1 / L2(3)), 'ndcg@3');
  assert.equal(q1['ndcg@3'].toFixed(5), '0.61991');
  // nDCG@2: DCG = 1/log2(3) = 0.63093; IDCG@2 = 2 + 1/log2(3) = 2.63093 → 0.23981
  close(q1['ndcg@2'], 1 / L2(3) / (2 + 1 / L2(3)), 'ndcg@2');
  close(q1['ndcg@1'], 0, 'ndcg@1');
  // recall: 0/2, 1/2, 2/2
  close(q1['recall@1'], 0);
  close(q1['recall@2'], 0.5);
  close(q1['recall@3'], 1);
  // precision: 0/1, 1/2, 2/3
  close(q1['precision@1'], 0);
  close(q1['precision@2'], 0.5);
  close(q1['precision@3'], 2 / 3);
  // F1@2: P = R = 1/2 → 1/2.  F1@3: P = 2/3, R = 1 → 2·(2/3)·1 / (5/3) = 0.8.  F1@1: both 0 → 0
  close(q1['f1@1'], 0);
  close(q1['f1@2'], 0.5);
  close(q1['f1@3'], 0.8);
  // MRR: first relevant at rank 2 → 0 within k = 1, else 1/2
  close(q1['mrr@1'], 0);
  close(q1['mrr@2'], 0.5);
  close(q1['mrr@3'], 0.5);
  // MAP (trec_eval map_cut): Σ precision at each relevant rank ≤ k, ÷ ALL relevant (2), not ÷ min(k, #rel)
  //   @3: (P@2 + P@3) / 2 = (1/2 + 2/3) / 2 = 7/12;  @2: (1/2) / 2 = 1/4
  close(q1['map@3'], 7 / 12);
  close(q1['map@2'], 0.25);
  close(q1['map@1'], 0);
  close(q1['hit@1'], 0);
  close(q1['hit@2'], 1);
  // q2 has no results: every metric 0, and it still counts in the mean (÷ 2)
  for (const v of Object.values(perQuery.get('q2'))) assert.equal(v, 0);
  close(mean['ndcg@3'], q1['ndcg@3'] / 2);
  close(mean['recall@3'], 0.5);
  close(mean['map@3'], 7 / 24);
  close(mean['hit@2'], 0.5);
  assert.deepEqual(Object.keys(mean).slice(0, 3), ['ndcg@1', 'ndcg@2', 'ndcg@3']);
});

test('default ks are [1, 10] and keys look like "ndcg@10"', () => {
  const { mean } = evaluate(run({ q: [['a', 1]] }), qrels({ q: { a: 1 } }));
  for (const key of ['ndcg@10', 'recall@1', 'recall@10', 'mrr@10', 'map@10', 'f1@1', 'precision@1', 'hit@10']) {
    assert.ok(key in mean, key);
  }
  close(mean['precision@10'], 0.1); // ÷ k even when fewer than k results
  close(mean['f1@10'], (2 * 0.1 * 1) / 1.1);
});

test('qrels with score <= 0 are not relevant', () => {
  // a judged 0 (not relevant), b relevant; ranking a, b
  const { perQuery } = evaluate(
    run({
      q: [
        ['a', 2],
        ['b', 1],
      ],
    }),
    qrels({ q: { a: 0, b: 1, c: -1 } }),
    { ks: [1, 2] },
  );
  const row = perQuery.get('q');
  close(row['mrr@1'], 0);
  close(row['mrr@2'], 0.5);
  close(row['recall@2'], 1); // #relevant = 1
  close(row['precision@2'], 0.5);
  close(row['ndcg@2'], 1 / L2(3)); // DCG = 1/log2(3), IDCG = 1
});

test('a query whose qrels have no relevant document scores 0', () => {
  const { perQuery, mean } = evaluate(run({ q: [['a', 1]] }), qrels({ q: { a: 0 } }), { ks: [1] });
  for (const v of Object.values(perQuery.get('q'))) assert.equal(v, 0);
  assert.equal(mean['ndcg@1'], 0);
});

test('ties: trec order (score desc, then doc id desc) by default, array order with order: "given"', () => {
  const q = qrels({ q: { b: 1 } });
  const r = run({
    q: [
      ['a', 1],
      ['b', 1],
    ],
  });
  assert.equal(evaluate(r, q, { ks: [1] }).mean['mrr@1'], 1); // b > a, so b ranks first
  assert.equal(evaluate(r, q, { ks: [1], order: 'given' }).mean['mrr@1'], 0);
  // results not sorted by score are re-sorted in trec order
  assert.equal(
    evaluate(
      run({
        q: [
          ['a', 0.1],
          ['b', 0.9],
        ],
      }),
      q,
      { ks: [1] },
    ).mean['mrr@1'],
    1,
  );
  assert.deepEqual(
    trecOrder([
      { id: 'a', score: 1 },
      { id: 'c', score: 2 },
      { id: 'b', score: 1 },
    ]).map((x) => x.id),
    ['c', 'b', 'a'],
  );
  // strcmp on UTF-8 = code-point order: U+FFFF < U+10000 (JS '<' on UTF-16 says otherwise)
  assert.ok(compareCodePoints('\uFFFF', '\u{10000}') < 0);
  assert.ok('\u{10000}' < '\uFFFF');
  assert.ok(compareCodePoints('가', '나') < 0 && compareCodePoints('ab', 'a') > 0 && compareCodePoints('x', 'x') === 0);
});

test('AutoRAG variants differ where their code differs', () => {
  // qrels a, b relevant; only 3 results: a, x, b; k = 10
  const q = qrels({ q: { a: 1, b: 1 } });
  const r = run({
    q: [
      ['a', 3],
      ['x', 2],
      ['b', 1],
    ],
  });
  const metrics = [
    'recall',
    'precision',
    'f1',
    'mrr',
    'map',
    'ndcg',
    'autorag_recall',
    'autorag_precision',
    'autorag_f1',
    'autorag_mrr',
    'autorag_map',
    'autorag_ndcg',
  ];
  const row = evaluate(r, q, { ks: [10], metrics }).perQuery.get('q');
  // BEIR: recall 2/2; precision 2/10; F1 = 2·0.2·1/1.2 = 1/3; MRR 1/1; MAP (1/1 + 2/3)/2 = 5/6
  close(row['recall@10'], 1);
  close(row['precision@10'], 0.2);
  close(row['f1@10'], 1 / 3);
  close(row['mrr@10'], 1);
  close(row['map@10'], 5 / 6);
  // AutoRAG (groups [[a], [b]]): recall 2/2; precision 2/len(pred) = 2/3; F1 = 2·(2/3)·1/(5/3) = 0.8
  close(row['autorag_recall@10'], 1);
  close(row['autorag_precision@10'], 2 / 3);
  close(row['autorag_f1@10'], 0.8);
  // AutoRAG MRR: mean over groups of 1/rank of the group's hit: (1/1 + 1/3)/2 = 2/3
  close(row['autorag_mrr@10'], 2 / 3);
  // AutoRAG MAP: per group, precision counting only that group's hits: a → 1/1, b → 1/3; mean 2/3
  close(row['autorag_map@10'], 2 / 3);
  // nDCG equal here: DCG = 1 + 1/log2(4) = 1.5, IDCG = 1 + 1/log2(3) (two relevant) → 0.91972
  close(row['ndcg@10'], 1.5 / (1 + 1 / L2(3)));
  close(row['autorag_ndcg@10'], 1.5 / (1 + 1 / L2(3)));
});

test('AutoRAG nDCG: binary gains and ideal over min(#gt, len(pred)) instead of k', () => {
  // graded: a = 2, b = 1, ranking b, a.  BEIR: DCG = 1 + 2/log2(3) = 2.26186, IDCG = 2 + 1/log2(3) = 2.63093 → 0.85973
  // AutoRAG: binary gains → DCG = IDCG = 1 + 1/log2(3) → 1
  const g = evaluate(
    run({
      q: [
        ['b', 2],
        ['a', 1],
      ],
    }),
    qrels({ q: { a: 2, b: 1 } }),
    { ks: [2], metrics: ['ndcg', 'autorag_ndcg'] },
  ).perQuery.get('q');
  close(g['ndcg@2'], (1 + 2 / L2(3)) / (2 + 1 / L2(3)));
  close(g['autorag_ndcg@2'], 1);
  // three relevant, one result (a): BEIR IDCG@10 = 1 + 1/log2(3) + 1/2 → 1/2.13093 = 0.46928; AutoRAG IDCG over len(pred) = 1 → 1
  const s = evaluate(run({ q: [['a', 1]] }), qrels({ q: { a: 1, b: 1, c: 1 } }), {
    ks: [10],
    metrics: ['ndcg', 'autorag_ndcg'],
  }).perQuery.get('q');
  close(s['ndcg@10'], 1 / (1 + 1 / L2(3) + 0.5));
  close(s['autorag_ndcg@10'], 1);
});

test('AutoRAG groups: a group is satisfied by any member; [[]] queries are skipped in the mean', () => {
  const q = qrels({ q1: { a: 1, b: 1 }, q2: { c: 1 } });
  const r = run({ q1: [['b', 1]], q2: [['c', 1]] });
  const groups = new Map([
    ['q1', [['a', 'b']]],
    ['q2', [[]]],
  ]);
  const res = evaluate(r, q, { ks: [10], metrics: ['recall', 'autorag_recall'], autoragGroups: groups });
  close(res.perQuery.get('q1')['recall@10'], 0.5); // BEIR: 1 of 2 relevant
  close(res.perQuery.get('q1')['autorag_recall@10'], 1); // AutoRAG: the one group is hit
  assert.equal(res.perQuery.get('q2')['autorag_recall@10'], undefined); // AutoRAG returns None for [[]]
  close(res.mean['autorag_recall@10'], 1); // mean over q1 only (pandas ignores None)
  close(res.mean['recall@10'], 0.75); // BEIR mean over both
});

test('bad input is INVALID_ARGUMENT / UNKNOWN_OPTION', () => {
  const q = qrels({ q: { a: 1 } });
  const code = (fn, c) => assert.throws(fn, (e) => e.code === c);
  code(() => evaluate(run({ q: [['a', 1]] }), q, { ks: [0] }), 'INVALID_ARGUMENT');
  code(() => evaluate(run({ q: [['a', 1]] }), q, { ks: [1.5] }), 'INVALID_ARGUMENT');
  code(
    () =>
      evaluate(
        run({
          q: [
            ['a', 1],
            ['a', 0.5],
          ],
        }),
        q,
      ),
    'INVALID_ARGUMENT',
  ); // duplicate doc
  code(() => evaluate(run({ q: [['a', NaN]] }), q), 'INVALID_ARGUMENT');
  code(() => evaluate(run({ q: [['a', 1]] }), q, { metrics: ['ndgc'] }), 'INVALID_ARGUMENT');
  code(() => evaluate(run({ q: [['a', 1]] }), q, { k: 10 }), 'UNKNOWN_OPTION');
  code(() => evaluate({}, q), 'INVALID_ARGUMENT');
});

test('percentile: linear interpolation (numpy default); latencySummary', () => {
  const v = [4, 1, 3, 2];
  close(percentile(v, 0), 1);
  close(percentile(v, 50), 2.5); // position 3·0.5 = 1.5 → between 2 and 3
  close(percentile(v, 95), 3.85); // position 2.85 → 3 + 0.85·(4 − 3)
  close(percentile(v, 100), 4);
  close(percentile([7], 95), 7);
  close(percentile(Float64Array.of(10, 20), 25), 12.5);
  assert.throws(
    () => percentile([], 50),
    (e) => e.code === 'INVALID_ARGUMENT',
  );
  assert.throws(
    () => percentile([1], 101),
    (e) => e.code === 'INVALID_ARGUMENT',
  );
  const s = latencySummary(Array.from({ length: 101 }, (_, i) => i)); // 0 … 100
  assert.deepEqual(s, { count: 101, mean: 50, p50: 50, p95: 95, p99: 99, max: 100 });
});

test('runQueries collects results and latencies; feeds evaluate', async () => {
  const { runQueries } = await import('../dist/eval/index.js');
  const queries = [
    { id: 'q1', text: '기초연금' },
    { id: 'q2', text: '월세' },
  ];
  const search = async (text) =>
    text === '기초연금'
      ? [
          { id: 'a', score: 2 },
          { id: 'b', score: 1 },
        ]
      : [];
  const { results, latenciesMs } = await runQueries(queries, search, { limit: 1 });
  assert.deepEqual(
    [...results],
    [
      ['q1', [{ id: 'a', score: 2 }]],
      ['q2', []],
    ],
  );
  assert.equal(latenciesMs.length, 2);
  assert.ok(latenciesMs.every((x) => x >= 0));
  const { mean } = evaluate(results, qrels({ q1: { a: 1 }, q2: { c: 1 } }), { ks: [1] });
  close(mean['recall@1'], 0.5);
  await assert.rejects(runQueries(queries, search, { limit: 0 }), (e) => e.code === 'INVALID_ARGUMENT');
});
