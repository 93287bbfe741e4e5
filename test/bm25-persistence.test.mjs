// BM25 persistence: round trip, atomic replace, corrupt / truncated / foreign / newer files.

import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Bm25Index } from 'tamsaek';
import { BM25_FILE } from '../dist/legs/bm25/format.js';

async function sampleIndex() {
  const index = new Bm25Index({ analyzer: 'ngram', fields: { title: 2, text: 1 } });
  index.add('복지-1', { title: '기초연금', text: '만 65세 이상 어르신에게 매달 연금을 드립니다' }, { kind: 'pension' });
  index.add('복지-2', { title: '주거급여', text: '저소득 가구의 임차료를 지원합니다' });
  index.add('복지 3', { title: '아동수당', text: '8세 미만 아동에게 수당을 지급합니다' }, { kind: 'child' });
  index.add('gone', { text: '삭제될 문서' });
  index.delete('gone');
  return index;
}

async function tempDir() {
  return mkdtemp(join(tmpdir(), 'tamsaek-bm25-'));
}

test('save then open gives the same results, metadata and settings; no temp files remain', async () => {
  const dir = await tempDir();
  try {
    const index = await sampleIndex();
    const queries = ['연금', '아동 수당', '임차료 지원', '삭제될'];
    const before = queries.map((q) => index.search(q, { k: 5 }));
    await index.save(dir);
    const opened = await Bm25Index.open(dir);
    assert.deepEqual(
      queries.map((q) => opened.search(q, { k: 5 })),
      before,
    );
    assert.deepEqual(opened.metadata('복지-1'), { kind: 'pension' });
    assert.equal(opened.metadata('복지-2'), undefined);
    assert.equal(opened.has('gone'), false);
    assert.equal(opened.size, 3);
    assert.deepEqual(opened.fields, { title: 2, text: 1 });
    assert.equal(opened.analyzer.name, index.analyzer.name);
    // the opened index stays writable, and once the first writer closes, a second save replaces the first
    opened.add('복지-4', { title: '긴급복지', text: '위기 가구 생계 지원' });
    await assert.rejects(opened.save(dir), { code: 'LOCKED' });
    await index.close();
    await opened.save(dir);
    const again = await Bm25Index.open(dir);
    assert.equal(again.search('긴급복지')[0].id, '복지-4');
    assert.deepEqual((await readdir(dir)).sort(), [BM25_FILE, 'write.lock']);
    await opened.close();
    assert.deepEqual(await readdir(dir), [BM25_FILE]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an empty index round-trips', async () => {
  const dir = await tempDir();
  try {
    await new Bm25Index({ analyzer: 'whitespace' }).save(dir);
    const opened = await Bm25Index.open(dir);
    assert.equal(opened.size, 0);
    assert.deepEqual(opened.search('무엇'), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('corrupt, truncated, foreign, newer and missing files are typed errors', async () => {
  const dir = await tempDir();
  try {
    const index = await sampleIndex();
    await index.save(dir);
    const file = join(dir, BM25_FILE);
    const good = await readFile(file);

    const expectCode = async (bytes, code) => {
      await writeFile(file, bytes);
      await assert.rejects(Bm25Index.open(dir), (e) => e.code === code && e.message.includes(dir), code);
    };
    // every single flipped byte is caught (sample positions across the file)
    for (const pos of [3, 13, 20, 60, Math.floor(good.length / 2), good.length - 40, good.length - 1]) {
      const bad = Buffer.from(good);
      bad[pos] ^= 0x5a;
      await expectCode(bad, pos < 8 ? 'FOREIGN_FILE' : 'CORRUPT_INDEX');
    }
    for (const length of [0, 5, 8, 16, 100, good.length - 1]) {
      await expectCode(good.subarray(0, length), length < 8 ? 'FOREIGN_FILE' : 'CORRUPT_INDEX');
    }
    await expectCode(Buffer.from('{"not":"an index"}'), 'FOREIGN_FILE');
    const newer = Buffer.from(good);
    newer.writeUInt32LE(99, 8);
    await expectCode(newer, 'UNSUPPORTED_VERSION');
    await rm(file);
    await assert.rejects(Bm25Index.open(dir), { code: 'NOT_FOUND' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
