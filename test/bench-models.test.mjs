// models bench suite, --tiny: the runner's contract (results table, JSON) on 2-layer synthetic models. No timing assertions.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const RUN = fileURLToPath(new URL('../bench/run.mjs', import.meta.url));

test('models --tiny measures fp32 and int8, RSS, int8 agreement and the static model', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tamsaek-bench-models-'));
  try {
    const out = path.join(dir, 'models.json');
    const r = spawnSync(process.execPath, [RUN, 'models', '--tiny', '--out', out], {
      encoding: 'utf8',
      env: { ...process.env, TAMSAEK_BENCH_NO_TORCH: '1' },
    });
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(doc.suite, 'models');
    const names = new Set(doc.results.map((x) => x.name));
    for (const n of [
      'fp32_passages_per_s_128',
      'int8_passages_per_s_128',
      'int8_speedup_128',
      'int8_query_p50_ms',
      'int8_rerank_p50_s_96',
      'int8_rerank_p50_s_192',
      'peak_rss_mb.encoder_int8',
      'peak_rss_mb.reranker_fp32',
      'realistic.embed_min_cosine',
      'realistic.rerank_min_kendall_tau',
      'static.passages_per_s_150_chars',
    ])
      assert.ok(names.has(n), `missing ${n}`);
    for (const x of doc.results) assert.ok(Number.isFinite(x.value), x.name);
    assert.ok(doc.notes.some((n) => n.includes('PyTorch baseline skipped')));
    assert.match(r.stdout, /^\| fp32_passages_per_s_64 \| /m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
