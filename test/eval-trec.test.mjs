// TREC run files. Run: npx tsc -p . && node --test test/eval-trec.test.mjs

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { evaluate, readTrecRun, writeTrecRun } from 'tamsaek';

const tmp = await mkdtemp(join(tmpdir(), 'tamsaek-eval-trec-'));
after(() => rm(tmp, { recursive: true, force: true }));

const results = new Map([
  [
    '0_finance',
    [
      { id: 'finance - 지방은행 시중은행 전환 가이드.pdf - 4', score: 12.5 },
      { id: 'finance -  double  spaces.pdf - 8', score: 0.1 + 0.2 },
      { id: 'plain', score: -1e-7 },
    ],
  ],
  ['q2', [{ id: 'doc-1', score: 3 }]],
  ['q3', []],
]);

test('writeTrecRun writes "qid Q0 docid rank score runname" and readTrecRun round-trips ids with spaces', async () => {
  const path = join(tmp, 'run.trec');
  await writeTrecRun(path, results, 'bm25-ko');
  const text = await readFile(path, 'utf8');
  assert.equal(text.split('\n')[0], '0_finance Q0 finance - 지방은행 시중은행 전환 가이드.pdf - 4 1 12.5 bm25-ko');
  assert.equal(text.split('\n')[3], 'q2 Q0 doc-1 1 3 bm25-ko');
  const back = await readTrecRun(path);
  assert.equal(back.runName, 'bm25-ko');
  const expected = new Map([...results].filter(([, l]) => l.length > 0)); // empty lists leave no lines
  assert.deepEqual(back.results, expected);
  // scores survive exactly (shortest round-trip formatting), so evaluation is unchanged
  const qrels = new Map([['0_finance', new Map([['finance -  double  spaces.pdf - 8', 1]])]]);
  assert.deepEqual(evaluate(back.results, qrels), evaluate(results, qrels));
});

test('readTrecRun accepts tabs and repeated whitespace between fields; errors name file and line', async () => {
  const path = join(tmp, 'other.trec');
  await writeFile(path, 'q1\tQ0\td 1\t1\t2.5\trun\r\n\n  q1  Q0  d2   2  1  run  \n');
  const { results: r } = await readTrecRun(path);
  assert.deepEqual(r.get('q1'), [
    { id: 'd 1', score: 2.5 },
    { id: 'd2', score: 1 },
  ]);
  const bad = join(tmp, 'bad.trec');
  for (const [content, fragment] of [
    ['q1 Q0 d1 1 2.5 run\nq1 Q0 d2 1\n', 'bad.trec:2'],
    ['q1 Q0 d1 one 2.5 run\n', 'bad.trec:1'],
    ['q1 Q0 d1 1 high run\n', 'bad.trec:1'],
    ['q1 Q0 d1 1 2 run\nq1 Q0 d1 2 1 run\n', 'bad.trec:2'],
  ]) {
    await writeFile(bad, content);
    await assert.rejects(readTrecRun(bad), (e) => e.code === 'PARSE_ERROR' && e.message.includes(fragment));
  }
  await assert.rejects(readTrecRun(join(tmp, 'missing.trec')), (e) => e.code === 'NOT_FOUND');
});

test('writeTrecRun validation; strict mode refuses ids with whitespace', async () => {
  const path = join(tmp, 'x.trec');
  const code = (p, c) => assert.rejects(p, (e) => e.code === c);
  await code(writeTrecRun(path, results, 'bm25', { strict: true }), 'INVALID_ARGUMENT');
  await writeTrecRun(path, new Map([['q', [{ id: 'a', score: 1 }]]]), 'bm25', { strict: true });
  await code(writeTrecRun(path, results, 'has space'), 'INVALID_ARGUMENT');
  await code(writeTrecRun(path, new Map([['q 1', [{ id: 'a', score: 1 }]]]), 'r'), 'INVALID_ARGUMENT');
  await code(writeTrecRun(path, new Map([['q', [{ id: ' a', score: 1 }]]]), 'r'), 'INVALID_ARGUMENT');
  await code(writeTrecRun(path, new Map([['q', [{ id: 'a\nb', score: 1 }]]]), 'r'), 'INVALID_ARGUMENT');
  await code(writeTrecRun(path, new Map([['q', [{ id: 'a', score: Infinity }]]]), 'r'), 'INVALID_ARGUMENT');
  await code(writeTrecRun(path, results, 'r', { strcit: true }), 'UNKNOWN_OPTION');
});
