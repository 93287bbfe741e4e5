// Indexing yields (issue 19): add, save and open give the event loop turns while they work, so
// timers fire and searches issued meanwhile complete before the write does. Counts turns and
// completions, never durations (the timing goals live in bench/eventloop.mjs).

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Bm25Index, Engine } from 'tamsaek';

const WORDS = ['기초연금', '주거', '급여', '청년', '월세', '지원', '신청', '방법', '대상', '소득', '기준', '안내'];

function docs(count, from = 0) {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    const words = Array.from({ length: 60 }, (_, j) => WORDS[(n * 7 + j * 3) % WORDS.length]);
    return { id: `d${n}`, title: `문서 ${n}`, text: `${words.join(' ')} 번호${n}` };
  });
}

/**
 * Runs `work` while a 1 ms interval ticks and a search is issued every 2 ms; returns how many ticks
 * fired and how many searches completed before `work` settled.
 */
async function during(work, search) {
  let ticks = 0;
  let completed = 0;
  const errors = [];
  const pending = [];
  const timer = setInterval(() => {
    ticks++;
    if (ticks % 2 === 0)
      pending.push(
        search().then(
          () => completed++,
          (e) => errors.push(e),
        ),
      );
  }, 1);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  const before = { ticks, completed };
  await Promise.all(pending);
  assert.deepEqual(errors, [], 'every search issued during the work succeeds');
  return before;
}

test('Engine.add, save and open (ko-morph) turn the event loop; searches issued meanwhile complete', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-yields-'));
  try {
    const engine = await Engine.create();
    await engine.add(docs(5)); // the analyzer's dictionary loads once, before measuring
    const search = () => engine.search('기초연금 신청', { k: 3 });
    const add = await during(() => engine.add(docs(1500, 5)), search);
    assert.ok(add.ticks >= 5, `timers fired during add (${add.ticks})`);
    assert.ok(add.completed >= 1, `searches completed during add (${add.completed})`);
    assert.equal(engine.size, 1505);
    const save = await during(() => engine.save(dir), search);
    assert.ok(save.ticks >= 1, `timers fired during save (${save.ticks})`);
    let reader;
    const open = await during(async () => {
      reader = await Engine.open(dir, { readOnly: true });
    }, search);
    assert.ok(open.ticks >= 1, `timers fired during open (${open.ticks})`);
    assert.equal(reader.size, 1505);
    assert.deepEqual(
      (await reader.search('번호1234', { k: 1 })).map((h) => h.id),
      (await engine.search('번호1234', { k: 1 })).map((h) => h.id),
    );
    await reader.close();
    await engine.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a huge document is analysed in windows with turns between them and stays searchable end to end', async () => {
  const engine = await Engine.create();
  await engine.add(docs(3));
  const text = `${'주거 급여 신청 방법 안내 문서입니다. '.repeat(12_000)}마지막문장에만나오는낱말 확인`;
  const add = await during(
    () => engine.add([{ id: 'huge', text }]),
    () => engine.search('기초연금', { k: 1 }),
  );
  assert.ok(add.ticks >= 5, `timers fired while a ${text.length}-character document was analysed (${add.ticks})`);
  assert.equal((await engine.search('마지막문장에만나오는낱말', { k: 1 }))[0]?.id, 'huge');
  await engine.close();
});

test('Bm25Index.addManyAsync and searchAsync yield; addMany stays synchronous', async () => {
  const index = new Bm25Index({ analyzer: 'ngram' });
  const batch = docs(3000).map((d) => ({ id: d.id, doc: d.text }));
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  try {
    await index.addManyAsync(batch);
    assert.ok(ticks >= 1, `timers fired during addManyAsync (${ticks})`);
  } finally {
    clearInterval(timer);
  }
  const sync = new Bm25Index({ analyzer: 'ngram' });
  assert.equal(sync.addMany(batch.slice(0, 10)), 10);
  assert.equal(sync.size, 10);
  assert.deepEqual(
    (await index.searchAsync('번호2999', { k: 1 })).map((h) => h.id),
    index.search('번호2999', { k: 1 }).map((h) => h.id),
  );
});
