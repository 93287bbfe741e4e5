// `tamsaek embed` and `tamsaek eval --retriever dense` on the tiny generated model and the bundled sample.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildEngine, evaluateRetriever, OnnxEmbedder } from 'tamsaek';
import { runCli } from './helpers/cli.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const sample = join(root, 'datasets/sample-ko');
const model = join(root, 'test/fixtures/models/tiny-xlmr');

const run = runCli;

test('embed prints the same vector as the library (passage and --query), one line per text from --file', async () => {
  const emb = await OnnxEmbedder.load(model);
  const one = await run(['embed', model, '한국어 검색', '--json']);
  assert.equal(one.code, 0, one.stderr);
  const doc = JSON.parse(one.stdout);
  assert.equal(doc.dim, 16);
  const want = await emb.embed(['한국어 검색']);
  doc.embedding.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6));
  const q = JSON.parse((await run(['embed', model, '한국어 검색', '--json', '--query'])).stdout);
  const wantQ = await emb.embedQuery('한국어 검색');
  q.embedding.forEach((v, i) => assert.ok(Math.abs(v - wantQ[i]) < 1e-6));
  const plain = await run(['embed', model, '한국어 검색']);
  assert.equal(plain.stdout.trim().split(' ').length, 16);
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-embed-'));
  try {
    const file = join(dir, 'in.jsonl');
    await writeFile(file, '{"_id":"d1","title":"검색","text":"엔진"}\n"서울 대학교"\n\n{"id":7,"text":"질의"}\n');
    const r = await run(['embed', model, '--file', file, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => l.id),
      ['d1', '2', '7'],
    );
    const want1 = await emb.embed(['검색 엔진']);
    lines[0].embedding.forEach((v, i) => assert.ok(Math.abs(v - want1[i]) < 1e-6));
    await writeFile(file, '42\n');
    const bad = await run(['embed', model, '--file', file]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /in\.jsonl:1/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  await emb.dispose();
});

test('embed errors: missing model, static model, usage, offline without cache', async () => {
  const missing = await run(['embed', join(root, 'nope-dir'), 'x']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /NOT_FOUND/);
  const usage = await run(['embed', model]);
  assert.equal(usage.code, 2);
  const offline = await run(['embed', 'someone/some-model', 'x'], {
    HF_HUB_OFFLINE: '1',
    TAMSAEK_CACHE: join(tmpdir(), 'tamsaek-empty-cache'),
  });
  assert.equal(offline.code, 1);
  assert.match(offline.stderr, /OFFLINE/);
});

test('eval --retriever dense: same metrics from the CLI and the library, for the exact and HNSW indexes', async () => {
  const lib = await evaluateRetriever(sample, { retriever: 'dense', model, indexKind: 'exact' });
  assert.equal(lib.retriever, 'dense');
  assert.equal(lib.vectorIndex, 'ExactIndex');
  for (const kind of ['exact', 'hnsw']) {
    const r = await run(['eval', sample, '--retriever', 'dense', '--model', model, '--index-kind', kind, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout);
    assert.equal(rep.retriever, 'dense');
    assert.equal(rep.queries, lib.queries);
    // the sample is tiny: HNSW is exact there
    for (const [key, value] of Object.entries(lib.metrics))
      assert.ok(Math.abs(rep.metrics[key] - value) < 1e-9, `${kind} ${key}`);
  }
  // no --model: the shipped default static model (issue 7)
  const noModel = await run(['eval', sample, '--retriever', 'dense', '--json']);
  assert.equal(noModel.code, 0);
  assert.equal(JSON.parse(noModel.stdout.trim().split('\n').pop()).model, 'tamsaek-static-ko-v2');
  const modelWithBm25 = await run(['eval', sample, '--model', model]);
  assert.equal(modelWithBm25.code, 2);
  const badKind = await run(['eval', sample, '--retriever', 'dense', '--model', model, '--index-kind', 'annoy']);
  assert.equal(badKind.code, 2);
  assert.equal((await evaluateRetriever(sample, { retriever: 'dense' })).model, 'tamsaek-static-ko-v2'); // default static model
  await assert.rejects(evaluateRetriever(sample, { retriever: 'bm25', model }), { code: 'INVALID_ARGUMENT' });
});

test('passages: the default static model embeds 150-character windows; the engine and the dense-only path agree; --passages overrides', async () => {
  const byDefault = await evaluateRetriever(sample, { retriever: 'dense' });
  assert.deepEqual(byDefault.passages, { by: 'chars', size: 150, overlap: 50 });
  const whole = await evaluateRetriever(sample, { retriever: 'dense', passages: false });
  assert.equal(whole.passages, undefined);
  // the dense-only path and an engine's dense leg rank alike (one hit per document, scored by its best passage)
  const engine = await buildEngine(join(sample, 'corpus.jsonl'), { dense: { embedder: 'default' } });
  try {
    assert.deepEqual(engine.describe().legs[1].passages, byDefault.passages);
    const viaEngine = await evaluateRetriever(sample, { retriever: 'dense', index: engine });
    for (const [key, value] of Object.entries(byDefault.metrics))
      assert.ok(Math.abs(viaEngine.metrics[key] - value) < 1e-6, key);
  } finally {
    await engine.close();
  }
  const cli = await run(['eval', sample, '--retriever', 'dense', '--passages', '200:20', '--json']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.deepEqual(JSON.parse(cli.stdout).passages, { by: 'chars', size: 200, overlap: 20 });
  for (const bad of ['20:20', 'sentences', '0']) {
    const r = await run(['eval', sample, '--retriever', 'dense', '--passages', bad]);
    assert.equal(r.code, 2, bad);
    assert.match(r.stderr, /--passages must be none or <chars>\[:<overlap>\]/);
  }
  assert.equal((await run(['eval', sample, '--passages', 'none'])).code, 2, 'BM25 has no dense leg to split for');
});
