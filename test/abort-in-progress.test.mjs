// AbortSignal and timeoutMs stop a search that is already running (issue 19), not only one that has
// not started: the built-in legs score in slices and check the signal and the deadline between them.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Bm25Index, Engine } from 'tamsaek';

const SYLLABLES = '가나다라마바사아자차카타파하거너더러머버서어저처커터퍼허고노도로모보소오조초코토포호';

/** Documents of random two-syllable words over a small alphabet: every query term hits many postings. */
function docs(count) {
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const word = () =>
    SYLLABLES[Math.floor(random() * SYLLABLES.length)] + SYLLABLES[Math.floor(random() * SYLLABLES.length)];
  return Array.from({ length: count }, (_, i) => ({
    id: `d${i}`,
    text: Array.from({ length: 80 }, word).join(' '),
  }));
}

/** A query just under the default 4,096-character limit: ~1,300 terms, each matching many documents. */
const LONG_QUERY = docs(60)
  .map((d) => d.text)
  .join(' ')
  .slice(0, 4000);
const NO_TERM_LIMIT = { maxQueryTerms: Infinity };

test('Engine.search: a signal that fires after the search started stops it with ABORTED', async () => {
  const engine = await Engine.create({ analyzer: 'whitespace' });
  await engine.add(docs(6000));
  const controller = new AbortController();
  let turned = false;
  const search = engine.search(LONG_QUERY, { k: 10, limits: NO_TERM_LIMIT, signal: controller.signal });
  setImmediate(() => {
    turned = true;
    controller.abort(new Error('client went away'));
  });
  await assert.rejects(search, (error) => {
    assert.equal(error.code, 'ABORTED');
    return true;
  });
  assert.ok(turned, 'the abort came from a macrotask that ran while the search was in progress');
  // the same search without a signal completes: the abort, not the work, ended it
  assert.equal((await engine.search(LONG_QUERY, { k: 10, limits: NO_TERM_LIMIT })).length, 10);
  await engine.close();
});

test('Engine.search: timeoutMs stops a running search with TIMEOUT', async () => {
  const engine = await Engine.create({ analyzer: 'whitespace' });
  await engine.add(docs(6000));
  let turns = 0;
  const timer = setInterval(() => turns++, 0);
  try {
    await assert.rejects(engine.search(LONG_QUERY, { k: 10, limits: NO_TERM_LIMIT, timeoutMs: 1 }), {
      code: 'TIMEOUT',
    });
  } finally {
    clearInterval(timer);
  }
  await engine.close();
});

test('Bm25Index.searchAsync: abort and timeout in progress; a plain search is unaffected', async () => {
  const index = new Bm25Index({ analyzer: 'whitespace', maxQueryTerms: Infinity });
  index.addMany(docs(6000).map((d) => ({ id: d.id, doc: d.text })));
  const controller = new AbortController();
  const pending = index.searchAsync(LONG_QUERY, { k: 5, signal: controller.signal });
  setImmediate(() => controller.abort());
  await assert.rejects(pending, { code: 'ABORTED' });
  await assert.rejects(index.searchAsync(LONG_QUERY, { k: 5, timeoutMs: 1 }), { code: 'TIMEOUT' });
  const all = await index.searchAsync(LONG_QUERY, { k: 5 });
  assert.deepEqual(
    all.map((h) => h.id),
    index.search(LONG_QUERY, { k: 5 }).map((h) => h.id),
  );
  await assert.rejects(index.searchAsync('가나', { signal: 'stop' }), { code: 'INVALID_ARGUMENT' });
});
