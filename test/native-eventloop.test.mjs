import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exactSearch } from '../dist/native/index.js';

test('a 100k x 768 search runs off the event loop (timers keep ticking)', async () => {
  const n = 100_000,
    dim = 768;
  const data = new Float32Array(n * dim);
  // cheap deterministic fill (no per-element Math calls)
  let s = 12345;
  for (let i = 0; i < data.length; i += 64) {
    s = (Math.imul(s, 1103515245) + 12345) | 0;
    data[i] = s / 2147483648;
  }
  const queries = new Float32Array(8 * dim);
  for (let i = 0; i < queries.length; i += 3) queries[i] = (i % 17) - 8;
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  try {
    const single = exactSearch({ data, dtype: 'f32', n, dim }, queries.subarray(0, dim), { k: 10, metric: 'dot' });
    const batch = exactSearch({ data, dtype: 'f32', n, dim }, queries, { k: 10, metric: 'dot' });
    const [a, b] = await Promise.all([single, batch]);
    assert.equal(a.rows.length, 10);
    assert.equal(b.rows.length, 80);
    assert.deepEqual(Array.from(a.rows), Array.from(b.rows.subarray(0, 10)));
  } finally {
    clearInterval(timer);
  }
  assert.ok(ticks >= 2, `the interval timer ticked ${ticks} times while the search ran`);
});
