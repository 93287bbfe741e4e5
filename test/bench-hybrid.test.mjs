// hybrid bench suite (issue #6): `node bench/run.mjs hybrid --tiny --out <tmp>` writes the contract JSON, prints
// the results and quality tables, and writes the SVG chart next to --out. Shape only, no timing assertions.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { recallLatencySvg } from '../bench/lib/hybrid-chart.mjs';
import { qualityTable } from '../bench/lib/hybrid-quality.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNNER = path.join(ROOT, 'bench/run.mjs');

async function hybridAvailable() {
  const { available } = await import('../bench/hybrid.mjs');
  return available();
}

test('hybrid --tiny --out writes JSON, markdown tables and the SVG chart', async (t) => {
  const a = await hybridAvailable();
  if (a !== true) return t.skip(String(a));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tamsaek-bench-hybrid-'));
  try {
    const out = path.join(dir, 'hybrid.json');
    const r = spawnSync(process.execPath, [RUNNER, 'hybrid', '--tiny', '--out', out], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(doc.suite, 'hybrid');
    assert.ok(Array.isArray(doc.results) && doc.results.length > 0);
    for (const res of doc.results) {
      assert.deepEqual(Object.keys(res).sort(), ['name', 'unit', 'value']);
      assert.ok(typeof res.value === 'number' && Number.isFinite(res.value), `${res.name} = ${res.value}`);
    }
    const names = new Set(doc.results.map((x) => x.name));
    for (const n of [
      'hybrid_p50_ms_100k',
      'hybrid_p95_ms_100k',
      'serve_qps_loopback',
      'serve_p50_ms_loopback',
      'serve_p95_ms_loopback',
    ])
      assert.ok(names.has(n), n);
    // quality rows: bm25, the peers and the shipped (trained) dense model carry metrics; the
    // generated random-weight reranker carries latency only
    for (const sys of [
      'tamsaek_bm25_ko-morph',
      'wink-bm25_README_prep',
      'wink-bm25_ko-morph_tokens',
      'orama_default_tokenizer',
      'orama_ko-morph_tokenizer',
      'tamsaek_dense',
      'tamsaek_hybrid_min-max_CC',
      'orama_hybrid_ko-morph_tokenizer_+_the_same_vectors',
      'hnswlib-node_raw',
    ]) {
      for (const m of ['ndcg@10', 'recall@1', 'recall@10', 'mrr@10', 'p50_ms', 'p95_ms'])
        assert.ok(names.has(`sample-ko.${sys}.${m}`), `${sys}.${m}`);
    }
    // Orama given the ko-morph tokens finds the Korean documents its own tokenizer cannot
    const value = (n) => doc.results.find((x) => x.name === `sample-ko.${n}`).value;
    assert.ok(value('orama_ko-morph_tokenizer.recall@10') > value('orama_default_tokenizer.recall@10'));
    assert.ok(names.has('sample-ko.tamsaek_hybrid_min-max_CC_+_rerank.p50_ms'));
    assert.ok(
      !names.has('sample-ko.tamsaek_hybrid_min-max_CC_+_rerank.ndcg@10'),
      'no quality claims with random weights',
    );
    assert.equal(doc.results.find((x) => x.name === 'serve_errors_loopback').value, 0);
    assert.ok(doc.notes.some((n) => /random weights — latency only/.test(n)));
    // stdout: results table, then the side-by-side quality table
    assert.match(r.stdout, /^## hybrid$/m);
    assert.match(r.stdout, /^\| name \| value \| unit \|$/m);
    assert.match(
      r.stdout,
      /^\| dataset \| system \| queries \| nDCG@10 \| Recall@1 \| Recall@10 \| MRR@10 \| p50 ms \| p95 ms \| note \|$/m,
    );
    assert.match(
      r.stdout,
      /\| sample-ko \| tamsaek hybrid \(min-max CC\) \+ rerank \| \d+ \| n\/a \| n\/a \| n\/a \| n\/a \| [\d.]+ \| [\d.]+ \| random weights — latency only \|/,
    );
    // chart next to --out
    const svg = path.join(dir, 'hybrid.svg');
    assert.ok(existsSync(svg), 'hybrid.svg next to --out');
    const text = readFileSync(svg, 'utf8');
    assert.match(text, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(text, /<\/svg>\n$/);
    assert.match(text, /tamsaek bm25/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('chart and table helpers: latency-only rows have no quality', () => {
  const rows = [
    {
      dataset: 'd',
      system: 'a',
      queries: 3,
      latencyOnly: false,
      ndcg10: 0.5,
      recall1: 0.25,
      recall10: 0.75,
      mrr10: 0.5,
      p50: 0.2,
      p95: 0.4,
    },
    {
      dataset: 'd',
      system: 'b <x>',
      queries: 3,
      latencyOnly: true,
      ndcg10: null,
      recall1: null,
      recall10: null,
      mrr10: null,
      p50: 12,
      p95: 20,
    },
  ];
  const md = qualityTable(rows);
  assert.match(md, /\| d \| a \| 3 \| 0\.5000 \| 0\.2500 \| 0\.7500 \| 0\.5000 \| 0\.200 \| 0\.400 \| {2}\|/);
  assert.match(
    md,
    /\| d \| b <x> \| 3 \| n\/a \| n\/a \| n\/a \| n\/a \| 12\.000 \| 20\.000 \| random weights — latency only \|/,
  );
  const svg = recallLatencySvg(
    rows.map((r) => ({ dataset: r.dataset, system: r.system, p50: r.p50, quality: r.latencyOnly ? null : r.ndcg10 })),
  );
  assert.match(svg, /b &lt;x&gt;/);
  assert.ok(!svg.includes('b <x>'));
  assert.match(svg, /fill="none"/); // the latency-only point is hollow
});
