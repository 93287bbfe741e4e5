// What an export makes of an index's legs: the default pair under any names, format 1 manifests, and a typed
// NOT_SUPPORTED for the layouts a cluster has no counterpart for (BM25 over passages, custom kinds, several
// legs of a kind); eval --fusion-as over the engine's own legs reproduces the harness's hybrid score.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  Engine,
  evaluateFusionAs,
  evaluateRetriever,
  exportIndex,
  readExportSource,
  registerLeg,
  UNSUPPORTED_LEGS,
} from 'tamsaek';
import { HashEmbedder, refuseOnceLeg } from './helpers/fake-models.mjs';
import { specFor } from './helpers/spec-validator.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const sample = join(root, 'datasets/sample-ko');
const fixtures = join(root, 'test/fixtures/indexes');
refuseOnceLeg(registerLeg);

let dir;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tamsaek-export-legs-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function sampleDocs() {
  return (await readFile(join(sample, 'corpus.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
    .map(({ _id, title, text }) => ({ id: _id, title, text }));
}

/** Saves an engine built from `options` over two tiny documents; returns its directory. */
async function saved(name, options) {
  const engine = await Engine.create({ analyzer: 'whitespace', ...options });
  const dense = engine.describe().legs.some((l) => l.kind === 'dense');
  await engine.add([
    { id: 'a', text: 'alpha beta', ...(dense ? { vector: [1, 0] } : {}) },
    { id: 'b', text: 'gamma', ...(dense ? { vector: [0, 1] } : {}) },
  ]);
  const d = join(dir, name);
  await engine.save(d);
  await engine.close();
  return d;
}

test('legs under names of the user: weights, sub-queries and vectors follow the names', async () => {
  const d = await saved('named', {
    legs: [
      { name: 'vec', kind: 'dense', options: { dim: 2, hnsw: { M: 24 } } },
      { name: 'lex', kind: 'bm25', options: { k1: 1.5, titleWeight: 2 } },
    ],
    fusion: { method: 'cc', normalizer: 'mm', weights: { lex: 1, vec: 3 } },
  });
  const source = await readExportSource(d);
  assert.deepEqual(source.bm25, { name: 'lex', k1: 1.5, b: 0.75, titleWeight: 2 });
  assert.equal(source.dense.name, 'vec');
  assert.equal(source.dense.hnsw.M, 24);
  const out = join(dir, 'named-os');
  const report = await exportIndex(d, { to: 'opensearch', out });
  // the lexical sub-query comes first whatever the leg order, with its own weight
  assert.deepEqual(report.fusion.legs, ['lex', 'vec']);
  assert.deepEqual(report.fusion.target.weights, [0.25, 0.75]);
  assert.equal(report.bulk.vectors, 2);
  const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8'));
  assert.deepEqual(specFor('opensearch').index(index), []);
  assert.equal(index.mappings.properties.vector.method.parameters.m, 24);
  const bulk = (await readFile(join(out, 'bulk', report.bulk.parts[0]), 'utf8')).trim().split('\n');
  assert.deepEqual(JSON.parse(bulk[1]).vector, [1, 0]);
});

test("the default hybrid's passages leg exports as nested windows; one the cluster cannot analyse is left out and named", async () => {
  const three = await readExportSource(await saved('three', { dense: { dim: 2 } }));
  const split = { by: 'chars', size: 150, overlap: 50 };
  assert.deepEqual(three.passages, { name: 'passages', k1: 1.2, b: 0.75, split, bigrams: true });
  assert.equal(three.dropped, undefined);
  const legs = (win) => ({
    legs: [
      { name: 'bm25', kind: 'bm25' },
      { name: 'win', kind: 'bm25', options: { passages: { by: 'chars', size: 20 }, ...win } },
      { name: 'dense', kind: 'dense', options: { dim: 2 } },
    ],
  });
  // the engine's own analyzer without bigrams: windows without the bigram subfield
  const plain = await saved('plain-windows', legs({ k1: 0.9 }));
  assert.deepEqual((await readExportSource(plain)).passages, {
    name: 'win',
    k1: 0.9,
    b: 0.75,
    split: { by: 'chars', size: 20, overlap: 0 },
    bigrams: false,
  });
  const report = await exportIndex(plain, { to: 'elasticsearch', out: join(dir, 'windows-es') });
  assert.deepEqual(report.fusion.legs, ['bm25', 'win', 'dense']);
  const index = JSON.parse(await readFile(join(dir, 'windows-es', 'index.json'), 'utf8'));
  assert.deepEqual(specFor('elasticsearch').index(index), []);
  assert.equal(index.mappings.properties.windows.properties.text.fields, undefined);
  assert.equal(index.settings.index.analysis.analyzer.tamsaek_bigrams, undefined);
  assert.deepEqual(index.settings.index.similarity.tamsaek_bm25_windows, { type: 'BM25', k1: 0.9, b: 0.75 });
  // an analyzer of its own (n-grams), or no dense leg beside it: left out, named among the differences
  const own = await saved('own-analyzer', legs({ analyzer: 'ngram' }));
  const source = await readExportSource(own);
  assert.equal(source.passages, undefined);
  assert.deepEqual(source.dropped, ['win']);
  const left = await exportIndex(own, { to: 'opensearch', out: join(dir, 'own-os') });
  assert.deepEqual(left.fusion.legs, ['bm25', 'dense']);
  assert.ok(left.differences.some((x) => /"win" over passages is left out/.test(x.difference)));
  const lexical = await saved('no-dense', {
    legs: [
      { name: 'bm25', kind: 'bm25' },
      { name: 'win', kind: 'bm25', options: { passages: { by: 'chars', size: 20 } } },
    ],
  });
  assert.deepEqual((await readExportSource(lexical)).dropped, ['win']);
});

test('format 1 manifests are read as the pair they describe; their engine-wide chunk is refused', async () => {
  const bm25 = await readExportSource(join(fixtures, 'v1-bm25'));
  assert.deepEqual(bm25.bm25, { name: 'bm25', k1: 1.2, b: 0.75, titleWeight: 2 });
  assert.equal(bm25.dense, undefined);
  const chunked = await readExportSource(join(fixtures, 'v1-dense-chunk'));
  assert.equal(chunked.dense.name, 'dense');
  assert.equal(chunked.dense.passages, true);
  assert.equal(chunked.dense.dim, 32);
  assert.equal(chunked.dense.modelId, 'hash-32');
  const whole = await readExportSource(join(fixtures, 'v1-whole'));
  assert.equal(whole.dense.passages, false);
  assert.deepEqual(whole.fusion, { method: 'rrf', k: 60 });
  await assert.rejects(readExportSource(join(fixtures, 'v1-engine-chunk')), {
    code: 'NOT_SUPPORTED',
    message: /BM25 leg over passages/,
  });
});

test('layouts without a counterpart are NOT_SUPPORTED, name the leg, and write nothing', async () => {
  const passages = { by: 'chars', size: 20, overlap: 0 };
  const cases = [
    ['bm25-passages', { bm25: { passages }, dense: { dim: 2 }, passages: false }, /BM25 leg "bm25" over passages/],
    ['engine-chunk', { chunk: passages, dense: { dim: 2 } }, /BM25 leg "bm25" over passages/],
    [
      'custom-kind',
      {
        legs: [
          { name: 'bm25', kind: 'bm25' },
          { name: 'odd', kind: 'refuse-once' },
        ],
      },
      /leg "odd" of kind "refuse-once"/,
    ],
    [
      'two-bm25',
      {
        legs: [
          { name: 'lex', kind: 'bm25' },
          { name: 'lex2', kind: 'bm25', options: { k1: 2 } },
        ],
      },
      /2 BM25 legs \(lex, lex2\)/,
    ],
    [
      'two-dense',
      {
        legs: [
          { name: 'bm25', kind: 'bm25' },
          { name: 'd1', kind: 'dense', options: { dim: 2 } },
          { name: 'd2', kind: 'dense', options: { dim: 2 } },
        ],
      },
      /2 dense legs \(d1, d2\)/,
    ],
    ['dense-only', { legs: [{ name: 'dense', kind: 'dense', options: { dim: 2 } }] }, /no BM25 leg/],
  ];
  for (const [name, options, message] of cases) {
    const d = await saved(name, options);
    const out = join(dir, `${name}-out`);
    await assert.rejects(exportIndex(d, { to: 'elasticsearch', out }), { code: 'NOT_SUPPORTED', message }, name);
    await assert.rejects(readFile(join(out, 'export.json')), { code: 'ENOENT' });
  }
});

test('README-export.md lists what an export refuses', async () => {
  const d = await saved('plain', { dense: { dim: 2 } });
  const out = join(dir, 'plain-es');
  await exportIndex(d, { to: 'elasticsearch', out });
  const readme = await readFile(join(out, 'README-export.md'), 'utf8');
  assert.match(readme, /## What an export refuses/);
  for (const what of UNSUPPORTED_LEGS) assert.ok(readme.includes(what), what);
});

test("eval --fusion-as fuses the engine's own legs as its search does: same score as the hybrid harness", async () => {
  const engine = await Engine.create({
    legs: [
      { name: 'words', kind: 'bm25' },
      { name: 'vectors', kind: 'dense', options: { embedder: new HashEmbedder(32) } },
    ],
    fusion: { method: 'cc', normalizer: 'mm', weights: { words: 0.4, vectors: 0.6 } },
  });
  await engine.add(await sampleDocs());
  const harness = await evaluateRetriever(sample, { retriever: 'hybrid', index: engine, fusion: 'fixed' });
  const report = await evaluateFusionAs(sample, { to: 'elasticsearch', index: engine });
  assert.equal(report.metrics.tamsaek['ndcg@10'], harness.metrics['ndcg@10']);
  assert.equal(report.metrics.tamsaek['recall@1'], harness.metrics['recall@1']);
  assert.deepEqual(report.configs[0].target, { kind: 'linear', normalizer: 'minmax', weights: [0.4, 0.6] });
  // min-max over the same hit lists: the target's formulas rank these queries alike
  assert.equal(report.agreement.sameTop1, 1);
  const three = await Engine.create({
    legs: [
      { name: 'a', kind: 'bm25' },
      { name: 'b', kind: 'bm25', options: { k1: 2 } },
      { name: 'c', kind: 'dense', options: { dim: 2 } },
    ],
  });
  await assert.rejects(evaluateFusionAs(sample, { to: 'opensearch', index: three }), {
    code: 'INVALID_ARGUMENT',
    message: /one BM25 and one dense leg/,
  });
  await three.close();
  await engine.close();
});
