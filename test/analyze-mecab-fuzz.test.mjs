// ko-mecab under hostile input: random Unicode (all planes, lone surrogates, NUL, controls), 1 MB
// texts, 100,000-character runs of one character. No crash, no throw, the same terms from the
// synchronous and the worker-thread paths, and time linear in the length (the lattice is bounded).
// Run: npx tsc -p . && node --test test/analyze-mecab-fuzz.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAnalyzer } from 'tamsaek';

const mecab = createAnalyzer('ko-mecab');
const decompounded = createAnalyzer({ name: 'ko-mecab', decompound: false, stopTags: ['J'] });

function rng(seed) {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

/** Code units from everywhere: ASCII, controls and NUL, Hangul, jamo, CJK, surrogate halves, astral pairs. */
function randomText(rnd, n) {
  const parts = [];
  for (let i = 0; i < n; i++) {
    const r = rnd();
    if (r < 0.25) parts.push(String.fromCharCode(0xac00 + Math.floor(rnd() * 11172)));
    else if (r < 0.35) parts.push(String.fromCharCode(Math.floor(rnd() * 0x80)));
    else if (r < 0.4) parts.push('\u0000');
    else if (r < 0.45)
      parts.push(String.fromCharCode(0xd800 + Math.floor(rnd() * 0x800))); // lone halves
    else if (r < 0.5) parts.push(String.fromCodePoint(0x10000 + Math.floor(rnd() * 0xfffff)));
    else if (r < 0.55) parts.push(' ');
    else if (r < 0.6) parts.push(String.fromCharCode(0x1100 + Math.floor(rnd() * 0x100)));
    else parts.push(String.fromCharCode(Math.floor(rnd() * 0x10000)));
  }
  return parts.join('');
}

test('random Unicode never throws, and the sync and worker paths give the same terms', async () => {
  const rnd = rng(7);
  const texts = [];
  for (let i = 0; i < 3000; i++) texts.push(randomText(rnd, Math.floor(rnd() * 200)));
  texts.push('', '\u0000', '\ud800', '\udfff\ud800', '\u0000'.repeat(1000), '\n'.repeat(1000), '\r\n\t\v\f');
  for (const a of [mecab, decompounded]) {
    const sync = texts.map((t) => a.analyze(t));
    for (const terms of sync) for (const term of terms) assert.ok(term.length > 0 && !term.includes('\u0000'));
    assert.deepEqual(await a.analyzeAsync(texts), sync);
    assert.deepEqual(await a.analyzeAsync(texts, { threads: 3 }), sync);
  }
  for (const t of texts.slice(0, 300)) {
    for (const tok of mecab.tokens(t)) assert.ok(tok.start >= 0 && tok.start < tok.end && tok.end <= t.length);
  }
});

function cpuMs(fn) {
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const c0 = process.cpuUsage();
    fn();
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / 1000);
  }
  return best;
}

test('1 MB texts and 100,000-character runs of one character: bounded, linear time', async () => {
  const sentence = '기초연금을 신청하려면 가까운 주민센터에 가야 합니다. ';
  const mb = sentence.repeat(Math.ceil((1 << 20) / sentence.length));
  const terms = mecab.analyze(mb);
  assert.ok(terms.length > 100000);
  assert.deepEqual((await mecab.analyzeAsync([mb]))[0], terms);
  const noSpaces = mb.replaceAll(' ', '');
  assert.deepEqual((await mecab.analyzeAsync([noSpaces]))[0], mecab.analyze(noSpaces));
  for (const ch of ['가', '뷁', 'a', '1', '😀', '.', '\u0000', ' ']) {
    const run = ch.repeat(100000 / ch.length);
    const t = mecab.analyze(run);
    assert.deepEqual((await mecab.analyzeAsync([run]))[0], t, ch);
  }
  // four times the text, about four times the time (generous bound: the machine is shared)
  for (const text of [noSpaces, '가'.repeat(400000), '뷁'.repeat(400000), randomText(rng(3), 400000)]) {
    const quarter = text.slice(0, text.length >> 2);
    const small = cpuMs(() => mecab.analyze(quarter));
    const large = cpuMs(() => mecab.analyze(text));
    assert.ok(large < 8 * small + 20, `${large.toFixed(1)} ms for 4× the text vs ${small.toFixed(1)} ms`);
  }
});
