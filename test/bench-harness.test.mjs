// Bench harness: the runner's --out JSON and stdout markdown have the contract's shape (tiny bm25 workload),
// unknown suites are refused, unavailable suites are skipped. No timing assertions.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { topKAgree } from '../bench/bm25.mjs';
import { resultsTable } from '../bench/lib/format.mjs';
import { listSuites, runSuite } from '../bench/run.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNNER = path.join(ROOT, 'bench/run.mjs');

function runBench(args) {
  return spawnSync(process.execPath, [RUNNER, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
}

test('bm25 --tiny --out writes the contract JSON and prints a markdown table', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tamsaek-bench-'));
  try {
    const out = path.join(dir, 'bm25.json');
    const r = runBench(['bm25', '--tiny', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(doc.suite, 'bm25');
    assert.ok(!Number.isNaN(Date.parse(doc.date)) && new Date(doc.date).toISOString() === doc.date);
    for (const k of ['cpuModel', 'cores', 'memoryBytes', 'node', 'platform', 'arch']) assert.ok(k in doc.machine, k);
    assert.equal(doc.machine.node, process.version);
    assert.ok('cpuFlags' in doc.machine);
    if (doc.machine.cpuFlags) assert.equal(typeof doc.machine.cpuFlags.avx2, 'boolean');
    assert.ok(Array.isArray(doc.results) && doc.results.length > 0);
    for (const res of doc.results) {
      assert.deepEqual(Object.keys(res).sort(), ['name', 'unit', 'value']);
      assert.equal(typeof res.name, 'string');
      assert.equal(typeof res.unit, 'string');
      assert.ok(typeof res.value === 'number' && Number.isFinite(res.value), `${res.name} = ${res.value}`);
    }
    const names = new Set(doc.results.map((x) => x.name));
    for (const n of [
      'query_speedup_vs_wink',
      'index_docs_per_s',
      'tamsaek_query_ms_p50',
      'wink_query_ms_mean',
      'top10_agreement_vs_wink',
    ]) {
      assert.ok(names.has(n), `missing ${n}`);
    }
    assert.ok(names.has('analyzer_sentences_per_s.whitespace'));
    assert.equal(doc.results.find((x) => x.name === 'top10_agreement_vs_wink').value, 1);
    // stdout: a markdown table with every result; logs went to stderr
    assert.match(r.stdout, /^\| name \| value \| unit \|$/m);
    for (const res of doc.results)
      assert.ok(r.stdout.includes(`| ${res.name} | ${res.value} | ${res.unit} |`), res.name);
    assert.doesNotMatch(r.stdout, /\[bm25\]|\[bench\]/);
    assert.match(r.stderr, /\[bm25\]/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('unknown suite: clear error and exit code 2', () => {
  const r = runBench(['no-such-suite']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown suite: no-such-suite \(available: .*bm25/);
});

test('suites are discovered from bench/*.mjs, bm25 first', () => {
  const suites = listSuites();
  assert.equal(suites[0], 'bm25');
  assert.ok(!suites.includes('run'));
});

test('a suite reporting itself unavailable is skipped (three ways)', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tamsaek-suite-'));
  try {
    writeFileSync(
      path.join(dir, 'a.mjs'),
      "export async function available() { return 'no native addon'; }\nexport async function run() { throw new Error('must not run'); }\n",
    );
    writeFileSync(path.join(dir, 'b.mjs'), "export async function run() { return { unavailable: 'not built' }; }\n");
    writeFileSync(
      path.join(dir, 'c.mjs'),
      "export async function run() { throw Object.assign(new Error('no GPU'), { code: 'SUITE_UNAVAILABLE' }); }\n",
    );
    assert.deepEqual(await runSuite('a', {}, dir), { status: 'skipped', reason: 'no native addon' });
    assert.deepEqual(await runSuite('b', {}, dir), { status: 'skipped', reason: 'not built' });
    assert.deepEqual(await runSuite('c', {}, dir), { status: 'skipped', reason: 'no GPU' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('resultsTable and topKAgree', () => {
  assert.equal(
    resultsTable([{ name: 'a', value: 1.5, unit: 'x' }]),
    '| name | value | unit |\n| --- | ---: | --- |\n| a | 1.5 | x |',
  );
  const a = [
    { id: '1', score: 3 },
    { id: '2', score: 2 },
    { id: '3', score: 1 },
  ];
  assert.ok(
    topKAgree(
      a,
      a.map((h) => ({ ...h, score: h.score + 4e-4 })),
    ),
  );
  // tie at the cut-off: a different id inside the tie band is fine
  assert.ok(topKAgree(a, [a[0], a[1], { id: '9', score: 1.0002 }]));
  assert.ok(
    !topKAgree(
      a,
      [a[1], a[0], a[2]].map((h, i) => ({ ...h, score: a[i].score })),
    ),
  );
  assert.ok(!topKAgree(a, a.slice(0, 2)));
});
