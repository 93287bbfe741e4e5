// BEIR loader. Run: npx tsc -p . && node --test test/eval-beir.test.mjs

import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  isBeirDir,
  listSplits,
  loadBeir,
  readCorpus,
  readJsonl,
  readQrels,
  readQueries,
  resolveCorpusPath,
  writeQrels,
} from 'tamsaek';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sample = join(root, 'datasets', 'sample-ko');
const tmp = await mkdtemp(join(tmpdir(), 'tamsaek-eval-beir-'));
after(() => rm(tmp, { recursive: true, force: true }));

const collect = async (gen) => {
  const out = [];
  for await (const x of gen) out.push(x);
  return out;
};
const rejectsWith = (promise, code, ...fragments) =>
  assert.rejects(promise, (e) => {
    assert.equal(e.name, 'TamsaekError');
    assert.equal(e.code, code, e.message);
    for (const f of fragments)
      assert.ok(e.message.includes(f), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(f)}`);
    return true;
  });

async function makeDir(name, files) {
  const dir = join(tmp, name);
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await writeFile(join(dir, rel), content);
  }
  return dir;
}

test('readCorpus: BOM, CRLF, blank lines, ids with spaces, numeric ids, missing/null title', async () => {
  const dir = await makeDir('crlf', {
    'corpus.jsonl':
      '\uFEFF{"_id":"finance - 가이드.pdf - 4","title":"","text":"은행 인가"}\r\n' +
      '\r\n' +
      '   \n' +
      '{"_id":17,"title":"제목","text":"본문\\r\\n줄"}\r\n' +
      '{"_id":"x","title":null,"text":"t"}\r\n' +
      '{"_id":"y","text":"no title, no final newline"}',
  });
  const docs = await collect(readCorpus(join(dir, 'corpus.jsonl')));
  assert.deepEqual(docs, [
    { id: 'finance - 가이드.pdf - 4', title: '', text: '은행 인가' },
    { id: '17', title: '제목', text: '본문\r\n줄' },
    { id: 'x', title: '', text: 't' },
    { id: 'y', title: '', text: 'no title, no final newline' },
  ]);
  // readJsonl reports physical 1-based line numbers (blank lines skipped but counted)
  const lines = (await collect(readJsonl(join(dir, 'corpus.jsonl')))).map((x) => x.line);
  assert.deepEqual(lines, [1, 4, 5, 6]);
});

test('malformed JSON line → PARSE_ERROR naming file and line number', async () => {
  const dir = await makeDir('bad', {
    'corpus.jsonl': '{"_id":"a","text":"ok"}\n\n{"_id":"b","text":\n{"_id":"c","text":"x"}\n',
  });
  await rejectsWith(collect(readCorpus(join(dir, 'corpus.jsonl'))), 'PARSE_ERROR', 'corpus.jsonl:3');
  await rejectsWith(collect(readJsonl(join(dir, 'corpus.jsonl'))), 'PARSE_ERROR', join(dir, 'corpus.jsonl'), ':3:');
});

test('corpus validation: duplicate id, empty id, non-string text, non-object line', async () => {
  const cases = {
    dup: [
      '{"_id":"a b","text":"1"}\n{"_id":"c","text":"2"}\n{"_id":"a b","text":"3"}\n',
      'corpus.jsonl:3',
      'first on line 1',
    ],
    emptyid: ['{"_id":"","text":"1"}\n', 'corpus.jsonl:1', '_id'],
    noid: ['{"text":"1"}\n', 'corpus.jsonl:1', '_id'],
    badtext: ['{"_id":"a","text":1}\n', 'corpus.jsonl:1', 'text'],
    notext: ['{"_id":"a","title":"t"}\n', 'corpus.jsonl:1', 'text'],
    array: ['[1,2]\n', 'corpus.jsonl:1'],
  };
  for (const [name, [content, ...fragments]] of Object.entries(cases)) {
    const dir = await makeDir(`v-${name}`, { 'corpus.jsonl': content });
    await rejectsWith(collect(readCorpus(join(dir, 'corpus.jsonl'))), 'PARSE_ERROR', ...fragments);
  }
  const dir = await makeDir('dupq', { 'queries.jsonl': '{"_id":"q1","text":"a"}\n{"_id":"q1","text":"b"}\n' });
  await rejectsWith(collect(readQueries(join(dir, 'queries.jsonl'))), 'PARSE_ERROR', 'queries.jsonl:2', 'duplicate');
});

test('missing file → NOT_FOUND naming the path', async () => {
  await rejectsWith(collect(readCorpus(join(tmp, 'nope.jsonl'))), 'NOT_FOUND', 'nope.jsonl');
  await rejectsWith(readQrels(join(tmp, 'nope.tsv')), 'NOT_FOUND', 'nope.tsv');
});

test('streaming across chunk boundaries keeps multi-byte Korean text and line numbers intact', async () => {
  // ~3 MB: several 1 MiB read chunks, so lines and 3-byte UTF-8 characters straddle chunk boundaries
  const n = 20000;
  const parts = [];
  for (let i = 0; i < n; i++)
    parts.push(JSON.stringify({ _id: `d ${i}`, title: '', text: '한국어 검색 엔진 탐색 '.repeat((i % 7) + 1) + i }));
  const path = join(tmp, 'big.jsonl');
  await writeFile(path, parts.join('\r\n'));
  let count = 0;
  for await (const doc of readCorpus(path)) {
    assert.equal(doc.id, `d ${count}`);
    assert.ok(doc.text.endsWith(` ${count}`) && doc.text.startsWith('한국어 검색'), doc.text.slice(0, 40));
    count++;
  }
  assert.equal(count, n);
});

test('a single line longer than several read chunks is read whole', async () => {
  const long = '가'.repeat(1_500_000); // 4.5 MB of UTF-8 on one line
  const path = join(tmp, 'long.jsonl');
  await writeFile(path, `{"_id":"a","text":"x"}\n{"_id":"long","text":"${long}"}\n{"_id":"z","text":"y"}\n`);
  const docs = await collect(readCorpus(path));
  assert.deepEqual(
    docs.map((d) => [d.id, d.text.length]),
    [
      ['a', 1],
      ['long', 1_500_000],
      ['z', 1],
    ],
  );
});

test('readQrels: tabs only (ids with spaces), header, CRLF, blank lines, graded and 0 scores', async () => {
  const dir = await makeDir('qrels', {
    'q.tsv': 'query-id\tcorpus-id\tscore\r\nq 1\tfinance - a.pdf - 4\t1\r\n\r\nq 1\tdoc 2\t0\r\nq2\tdoc 3\t2\r\n',
  });
  const qrels = await readQrels(join(dir, 'q.tsv'));
  assert.deepEqual([...qrels.keys()], ['q 1', 'q2']);
  assert.deepEqual(
    [...qrels.get('q 1')],
    [
      ['finance - a.pdf - 4', 1],
      ['doc 2', 0],
    ],
  );
  assert.deepEqual([...qrels.get('q2')], [['doc 3', 2]]);
  // a file without header is fine too
  const noHeader = await makeDir('qrels-nh', { 'q.tsv': 'a\tb\t1\n' });
  assert.deepEqual([...(await readQrels(join(noHeader, 'q.tsv')))], [['a', new Map([['b', 1]])]]);
});

test('readQrels errors name file and line', async () => {
  const cases = {
    spaces: ['query-id\tcorpus-id\tscore\nq1 d1 1\n', 'q.tsv:2', '3 tab-separated'],
    score: ['query-id\tcorpus-id\tscore\nq1\td1\tyes\n', 'q.tsv:2', 'score'],
    dup: ['q1\td1\t1\nq1\td1\t1\n', 'q.tsv:2', 'duplicate'],
    emptyid: ['q1\t\t1\n', 'q.tsv:1', 'empty corpus id'],
  };
  for (const [name, [content, ...fragments]] of Object.entries(cases)) {
    const dir = await makeDir(`qe-${name}`, { 'q.tsv': content });
    await rejectsWith(readQrels(join(dir, 'q.tsv')), 'PARSE_ERROR', ...fragments);
  }
});

test('writeQrels → readQrels round trip (ids with spaces and Hangul)', async () => {
  const qrels = new Map([
    [
      '0_finance',
      new Map([
        ['finance - 지방은행 시중은행 전환 가이드.pdf - 4', 1],
        ['x y', 0],
      ]),
    ],
    ['q 2', new Map([['doc', 2.5]])],
  ]);
  const path = join(tmp, 'round.tsv');
  await writeQrels(path, qrels);
  assert.deepEqual(await readQrels(path), qrels);
  await assert.rejects(
    writeQrels(path, new Map([['q', new Map([['a\tb', 1]])]])),
    (e) => e.code === 'INVALID_ARGUMENT',
  );
});

test('loadBeir on the sample: only the split queries, in queries.jsonl order', async () => {
  const ds = await loadBeir(sample);
  assert.equal(ds.name, 'sample-ko');
  assert.equal(ds.split, 'test');
  assert.deepEqual(ds.splits, ['test', 'train']);
  assert.equal(ds.corpusPath, join(sample, 'corpus.jsonl'));
  // qrels rows list q8 before q5, but queries follow queries.jsonl
  assert.deepEqual(
    ds.queries.map((q) => q.id),
    ['q1', 'q3', 'q4', 'q5', 'q8'],
  );
  assert.deepEqual([...ds.qrels.keys()], ['q1', 'q3', 'q4', 'q8', 'q5']);
  assert.equal(ds.qrels.get('q1').get('복지 - 기초연금 안내 - 1'), 2);
  assert.equal(ds.qrels.get('q5').get('doc-006'), 0);
  const train = await loadBeir(sample, { split: 'train' });
  assert.deepEqual(
    train.queries.map((q) => q.id),
    ['q2', 'q6', 'q7'],
  );
  assert.equal(train.queries[0].text, '기초연금 신청할 때 어떤 서류가 필요해요?');
  // every qrels doc of the sample exists in its corpus
  const ids = new Set((await collect(readCorpus(ds.corpusPath))).map((d) => d.id));
  assert.equal(ids.size, 8);
  for (const split of [ds, train])
    for (const docs of split.qrels.values()) for (const id of docs.keys()) assert.ok(ids.has(id), id);
});

test('loadBeir errors: missing split (lists splits), missing dir and files, unknown option, unknown query', async () => {
  await rejectsWith(loadBeir(sample, { split: 'dev' }), 'NOT_FOUND', 'dev.tsv', 'available splits: test, train');
  await rejectsWith(loadBeir(join(tmp, 'absent')), 'NOT_FOUND', 'absent');
  const noQueries = await makeDir('noq', { 'corpus.jsonl': '', 'qrels/test.tsv': '' });
  await rejectsWith(loadBeir(noQueries), 'NOT_FOUND', 'queries.jsonl');
  const noQrels = await makeDir('noqrels', { 'corpus.jsonl': '', 'queries.jsonl': '' });
  await rejectsWith(loadBeir(noQrels), 'NOT_FOUND', 'test.tsv', 'no qrels');
  await assert.rejects(loadBeir(sample, { splt: 'test' }), (e) => e.code === 'UNKNOWN_OPTION');
  const orphan = await makeDir('orphan', {
    'corpus.jsonl': '',
    'queries.jsonl': '{"_id":"q1","text":"a"}\n',
    'qrels/test.tsv': 'q1\td\t1\nq9\td\t1\n',
  });
  await rejectsWith(loadBeir(orphan), 'PARSE_ERROR', '"q9"', 'queries.jsonl');
});

test('isBeirDir, resolveCorpusPath and listSplits', async () => {
  assert.equal(await isBeirDir(sample), true);
  assert.equal(await isBeirDir(join(sample, 'corpus.jsonl')), false);
  assert.equal(await isBeirDir(tmp), false);
  assert.equal(await resolveCorpusPath(sample), join(sample, 'corpus.jsonl'));
  assert.equal(await resolveCorpusPath(join(sample, 'corpus.jsonl')), join(sample, 'corpus.jsonl'));
  await assert.rejects(resolveCorpusPath(join(sample, 'qrels', 'test.tsv')), (e) => e.code === 'INVALID_ARGUMENT');
  await assert.rejects(resolveCorpusPath(join(tmp, 'none.jsonl')), (e) => e.code === 'NOT_FOUND');
  await assert.rejects(resolveCorpusPath(tmp), (e) => e.code === 'NOT_FOUND');
  assert.deepEqual(await listSplits(sample), ['test', 'train']);
  assert.deepEqual(await listSplits(await makeDir('empty-ds', { 'corpus.jsonl': '' })), []);
});

// The real sets live outside the repository; the counts are those of /work/shared/datasets/README.md.
const shared = process.env.TAMSAEK_DATASETS ?? join(root, '..', 'shared', 'datasets');
const haveShared = await access(join(shared, 'welfare-ssis', 'corpus.jsonl')).then(
  () => true,
  () => false,
);

test('real sets: autorag-ko 114 test queries, welfare-ssis 1,910 test / 7,637 train', {
  skip: !haveShared && 'shared datasets not present',
}, async () => {
  const count = (qrels) => [...qrels.values()].reduce((s, m) => s + m.size, 0);
  const a = await loadBeir(join(shared, 'autorag-ko'));
  assert.equal(a.queries.length, 114);
  assert.equal(count(a.qrels), 114);
  assert.deepEqual(a.splits, ['test']);
  assert.equal((await collect(readCorpus(a.corpusPath))).length, 720);
  const wt = await loadBeir(join(shared, 'welfare-ssis'), { split: 'test' });
  assert.equal(wt.queries.length, 1910);
  assert.equal(count(wt.qrels), 1939);
  const wr = await loadBeir(join(shared, 'welfare-ssis'), { split: 'train' });
  assert.equal(wr.queries.length, 7637);
  assert.equal(count(wr.qrels), 7770);
  assert.equal((await collect(readCorpus(wt.corpusPath))).length, 464);
  // SOURCE.md: the split is a mulberry32(42) shuffle of q0001…q9547, first 1,910 = test; our PRNG reproduces it
  const { mulberry32, shuffleInPlace } = await import('../dist/util/random.js');
  const all = Array.from({ length: 9547 }, (_, i) => `q${String(i + 1).padStart(4, '0')}`);
  const testIds = shuffleInPlace(all, mulberry32(42)).slice(0, 1910);
  assert.ok(testIds.every((id) => wt.qrels.has(id)));
});
