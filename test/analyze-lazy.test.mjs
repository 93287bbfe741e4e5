// The ko-dic dictionary (lindera wasm, ~0.5 s) loads only when a ko-morph analyzer analyzes text.
// Must run in its own process: node --test test/analyze-lazy.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAnalyzer, koDicStatus } from 'tamsaek';

test('ngram/whitespace users and merely creating ko-morph never load the dictionary', () => {
  assert.equal(koDicStatus().loaded, false);
  createAnalyzer('ngram').analyze('학교에 갑니다');
  createAnalyzer('whitespace').analyzeBatch(['a b', 'c']);
  const ko = createAnalyzer({ name: 'ko-morph', synonyms: [['차량', '자동차']], userDictionary: ['은행'] });
  createAnalyzer('ko-morph+ngram');
  assert.equal(koDicStatus().loaded, false);
  assert.deepEqual(ko.analyze('학교에 갑니다'), ['학교', '가']);
  const s = koDicStatus();
  assert.equal(s.loaded, true);
  assert.ok(s.loadMs > 0);
});
