// `tamsaek export` and `tamsaek eval --fusion-as` end to end on the bundled sample with the shipped
// static model: every written body validates against the specs, the bulk carries every stored vector
// exactly (as float32), output is all-or-nothing, and bad inputs are typed errors.

import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Engine, exportIndex, renderQueryTemplate } from 'tamsaek';
import { runCli } from './helpers/cli.mjs';
import { specFor } from './helpers/spec-validator.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const sample = join(root, 'datasets/sample-ko');

const run = runCli;

let dir;
let idx;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tamsaek-export-'));
  idx = join(dir, 'idx');
  const r = await run(['index', sample, '--out', idx, '--model', 'default', '-q']);
  assert.equal(r.code, 0, r.stderr);
});
after(() => rm(dir, { recursive: true, force: true }));

async function readBulk(out) {
  const parts = (await readdir(join(out, 'bulk'))).sort();
  const lines = [];
  for (const p of parts)
    lines.push(...(await readFile(join(out, 'bulk', p), 'utf8')).split('\n').filter((l) => l !== ''));
  return { parts, lines: lines.map((l) => JSON.parse(l)) };
}

test('export to OpenSearch: bodies validate, the bulk holds every document and stored vector exactly', async () => {
  const out = join(dir, 'os');
  const r = await run(['export', idx, '--to', 'opensearch', '--target-version', '2.19', '--out', out, '-q']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /exported 8 documents \(\d+ vectors, 1 bulk parts/);
  const spec = specFor('opensearch');
  const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8'));
  assert.deepEqual(spec.index(index), []);
  assert.deepEqual(spec.pipeline(JSON.parse(await readFile(join(out, 'pipeline.json'), 'utf8'))), []);
  const template = JSON.parse(await readFile(join(out, 'query-template.json'), 'utf8'));
  const search = renderQueryTemplate(template.script.source, {
    query_text: '기초연금',
    query_vector: new Array(448).fill(0.01),
    size: 5,
  });
  assert.deepEqual(spec.search(search), []);
  // the default hybrid's three legs: BM25, the passages leg as nested windows (text and bigrams), the dense leg
  const [, windows, knn] = search.query.hybrid.queries;
  assert.equal(search.query.hybrid.queries.length, 3);
  assert.deepEqual(windows.nested.query.bool.should, [
    { match: { 'windows.text': { query: '기초연금' } } },
    { match: { 'windows.text.bigrams': { query: '기초연금' } } },
  ]);
  assert.equal(windows.nested.score_mode, 'max');
  assert.equal(knn.nested.path, 'passages');
  assert.deepEqual(index.mappings.properties.windows.properties.text.fields.bigrams.analyzer, 'tamsaek_bigrams');
  const bigrams = index.settings.index.analysis.analyzer.tamsaek_bigrams;
  assert.deepEqual(bigrams.filter, ['cjk_bigram', 'tamsaek_bigram_pairs']);
  assert.deepEqual(index.settings.index.similarity.tamsaek_bm25_windows, { type: 'BM25', k1: 1.2, b: 0.75 });

  const { lines } = await readBulk(out);
  const engine = await Engine.open(idx, { readOnly: true });
  const stored = [];
  for await (const d of engine.documents()) stored.push(d);
  await engine.close();
  assert.equal(lines.length, 2 * stored.length);
  stored.forEach((doc, i) => {
    const [action, source] = [lines[2 * i], lines[2 * i + 1]];
    assert.deepEqual(spec.bulkAction(action), []);
    assert.deepEqual(action, { index: { _index: 'tamsaek-idx', _id: doc.id } });
    assert.equal(source.text, doc.text);
    assert.equal(source.title, doc.title);
    assert.equal(source.passages.length, doc.vectors.dense.length);
    // the passages leg's windows: at most 150 characters, covering the text, the title in front of each
    const { windows } = source;
    assert.equal(windows[0].start, 0);
    assert.equal(windows.at(-1).end, doc.text.length);
    windows.forEach((w, j) => {
      assert.ok(w.end - w.start <= 150 && w.end > w.start, `${doc.id} window ${j}`);
      if (j > 0) assert.ok(w.start <= windows[j - 1].end && w.start > windows[j - 1].start, `${doc.id} window ${j}`);
      const body = doc.text.slice(w.start, w.end);
      assert.equal(w.text, doc.title ? `${doc.title} ${body}` : body);
    });
    source.passages.forEach((p, j) => {
      assert.deepEqual([p.start, p.end], [doc.vectors.dense[j].start, doc.vectors.dense[j].end]);
      // shortest decimals that read back as exactly the stored float32 values
      assert.deepEqual(Float32Array.from(p.vector), doc.vectors.dense[j].vector);
    });
  });
  const meta = JSON.parse(await readFile(join(out, 'export.json'), 'utf8'));
  assert.equal(meta.target, 'opensearch');
  assert.equal(meta.fusion.target.technique, 'min_max');
  const readme = await readFile(join(out, 'README-export.md'), 'utf8');
  assert.match(readme, /## Where the cluster differs from tamsaek/);
  assert.match(readme, /0\.001/);
  assert.match(readme, /nested `passages`/);
});

test('export to Elasticsearch: index and retriever bodies validate against its spec', async () => {
  const out = join(dir, 'es');
  const r = await run(['export', idx, '--to', 'elasticsearch', '--out', out, '--name', 'my-index', '-q']);
  assert.equal(r.code, 0, r.stderr);
  const spec = specFor('elasticsearch');
  assert.deepEqual(spec.index(JSON.parse(await readFile(join(out, 'index.json'), 'utf8'))), []);
  const template = JSON.parse(await readFile(join(out, 'query-template.json'), 'utf8'));
  const search = renderQueryTemplate(template.script.source, {
    query_text: 'a"b\\c',
    query_vector: new Array(448).fill(0.5),
    size: 3,
  });
  assert.deepEqual(spec.search(search), []);
  assert.equal(search.retriever.linear.retrievers[0].retriever.standard.query.match.tamsaek_text.query, 'a"b\\c');
  assert.equal((await readdir(out)).includes('pipeline.json'), false);
  const { lines } = await readBulk(out);
  assert.equal(lines[0].index._index, 'my-index');
});

test('bulk parts respect the size limit and never split a document', async () => {
  const out = join(dir, 'parts');
  const report = await exportIndex(idx, { to: 'opensearch', out, partBytes: 4096 });
  assert.ok(report.bulk.parts.length > 1);
  let ids = [];
  for (const part of report.bulk.parts) {
    const text = await readFile(join(out, 'bulk', part), 'utf8');
    const lines = text.split('\n').filter((l) => l !== '');
    assert.equal(lines.length % 2, 0);
    assert.ok(Buffer.byteLength(text) <= 4096 || lines.length === 2, part);
    ids = ids.concat(lines.filter((_, i) => i % 2 === 0).map((l) => JSON.parse(l).index._id));
  }
  assert.equal(ids.length, 8);
  assert.equal(new Set(ids).size, 8);
});

test('an existing output is kept unless --force; refused exports leave nothing behind', async () => {
  const out = join(dir, 'os2');
  assert.equal((await run(['export', idx, '--to', 'opensearch', '--out', out, '-q'])).code, 0);
  const again = await run(['export', idx, '--to', 'opensearch', '--out', out, '-q']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /exists.*--force/);
  assert.equal((await run(['export', idx, '--to', 'opensearch', '--out', out, '--force', '-q'])).code, 0);
  assert.equal((await run(['export', idx, '--to', 'solr', '--out', join(dir, 'x')])).code, 2);
  assert.equal(
    (await run(['export', idx, '--to', 'opensearch', '--target-version', '9.x', '--out', join(dir, 'x')])).code,
    1,
  );
  assert.equal(
    (await run(['export', idx, '--to', 'opensearch', '--name', 'Bad Name', '--out', join(dir, 'x')])).code,
    1,
  );
  const ngram = join(dir, 'ngram');
  assert.equal((await run(['index', sample, '--out', ngram, '--analyzer', 'ngram', '-q'])).code, 0);
  const refused = await run(['export', ngram, '--to', 'opensearch', '--out', join(dir, 'x')]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /NOT_SUPPORTED/);
  const missing = await run(['export', join(dir, 'nope'), '--to', 'opensearch', '--out', join(dir, 'x')]);
  assert.match(missing.stderr, /NOT_FOUND/);
  assert.deepEqual(
    (await readdir(dir)).filter((n) => n === 'x' || n.startsWith('x.') || n.includes('.tmp-')),
    [],
  );
});

test('a fusion the target cannot express is a typed error naming the fix', async () => {
  const d = join(dir, 'rrf');
  const engine = await Engine.create({
    analyzer: 'whitespace',
    dense: { dim: 2 },
    fusion: { method: 'rrf', k: 60, weights: { bm25: 1, dense: 3 } },
  });
  await engine.add([{ id: 'a', text: 'x', vector: [1, 0] }]);
  await engine.save(d);
  await engine.close();
  await assert.rejects(exportIndex(d, { to: 'opensearch', targetVersion: '2.19', out: join(dir, 'r1') }), {
    code: 'NOT_SUPPORTED',
    message: /per-leg RRF weights.*OpenSearch 3\.x/,
  });
  const ok = await exportIndex(d, { to: 'opensearch', targetVersion: '3.x', out: join(dir, 'r2') });
  // the engine's passages leg is named by no weight: it weighs 1, as in tamsaek
  assert.deepEqual(ok.fusion.legs, ['bm25', 'passages', 'dense']);
  assert.deepEqual(ok.fusion.target, { kind: 'score-ranker', rankConstant: 60, weights: [0.2, 0.2, 0.6] });
});

test('a ko-mecab index exports nori with its stop tags; one saved before they were spelled out keeps the old set', async () => {
  const d = join(dir, 'mecab');
  const engine = await Engine.create({ analyzer: 'ko-mecab' });
  await engine.add([{ id: 'a', text: '기초연금의 수급 가능성을 확인하고 있습니다.' }]);
  await engine.save(d);
  await engine.close();
  const stopTagsOf = async (out) => {
    const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8'));
    assert.deepEqual(specFor('opensearch').index(index), []);
    const { tokenizer, filter } = index.settings.index.analysis;
    assert.equal(tokenizer.tamsaek_nori.decompound_mode, 'discard');
    return filter.tamsaek_pos.stoptags;
  };
  const now = await exportIndex(d, { to: 'opensearch', targetVersion: '3.x', out: join(dir, 'mecab-os') });
  const tags = await stopTagsOf(join(dir, 'mecab-os'));
  for (const t of ['NP', 'VX', 'XSN', 'VCP', 'EC', 'JKS', 'MM']) assert.ok(tags.includes(t), t);
  for (const t of ['NNG', 'NNP', 'VV', 'SL', 'SN', 'XSV']) assert.ok(!tags.includes(t), t);
  assert.ok(now.differences.some((x) => /MeCab-style lattice/.test(x.difference)));
  assert.ok(!now.differences.some((x) => /lindera/.test(x.difference)));
  const path = join(d, 'manifest.json');
  const manifest = JSON.parse(await readFile(path, 'utf8'));
  manifest.config.analyzer = { name: 'ko-mecab' };
  await writeFile(path, JSON.stringify(manifest));
  await exportIndex(d, { to: 'opensearch', targetVersion: '3.x', out: join(dir, 'mecab-old') });
  const old = await stopTagsOf(join(dir, 'mecab-old'));
  for (const t of ['NP', 'VX', 'XSN']) assert.ok(!old.includes(t), t);
  assert.deepEqual(
    old,
    tags.filter((t) => !['NP', 'VX', 'XSN'].includes(t)),
  );
});

test('eval --fusion-as scores the sample with both fusions over the same leg results', async () => {
  const r = await run(['eval', sample, '--fusion-as', 'opensearch', '--index', idx, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.queries, 5);
  assert.equal(report.mode, 'fixed');
  assert.equal(report.configs[0].target.technique, 'min_max');
  // the cluster fuses the three legs an export writes, with the engine's weights
  assert.deepEqual(report.configs[0].target.weights, [0.4, 0.3, 0.3]);
  for (const key of ['ndcg@10', 'recall@1', 'mrr@10']) {
    const { tamsaek, target, difference } = report.metrics;
    assert.ok(tamsaek[key] >= 0 && tamsaek[key] <= 1 && target[key] >= 0 && target[key] <= 1);
    assert.ok(Math.abs(difference[key] - (target[key] - tamsaek[key])) < 1e-12);
  }
  assert.ok(report.agreement.top10Overlap > 0 && report.agreement.top10Overlap <= 1);
  const text = await run(['eval', sample, '--fusion-as', 'elasticsearch', '--index', idx, '-q']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /\| ndcg@10 \| [\d.]+ \| [\d.]+ \| [+-][\d.]+ \|/);
  assert.equal((await run(['eval', sample, '--fusion-as', 'opensearch', '--retriever', 'bm25'])).code, 2);
  assert.equal((await run(['eval', sample, '--fusion-as', 'bing', '--index', idx])).code, 2);
});

test('--since writes only what changed since a previous export: changed and new documents, deletions', async () => {
  const d = join(dir, 'sync-idx');
  const engine = await Engine.create({ analyzer: 'whitespace', dense: { dim: 2 } });
  await engine.add([
    { id: 'keep', text: 'same text', vector: [1, 0] },
    { id: 'edit', text: 'old text', vector: [0, 1] },
    { id: 'gone', text: 'to delete', vector: [1, 1] },
  ]);
  await engine.save(d);
  const full = await exportIndex(d, { to: 'opensearch', out: join(dir, 'sync-1') });
  assert.equal((await readFile(join(dir, 'sync-1', 'documents.tsv'), 'utf8')).trim().split('\n').length, 3);
  await engine.upsert([{ id: 'edit', text: 'new text', vector: [0, 1] }]);
  await engine.delete(['gone']);
  await engine.add([{ id: 'new', text: 'fresh', vector: [1, 2] }]);
  await engine.save(d);
  await engine.close();
  const r = await run([
    'export',
    d,
    '--to',
    'opensearch',
    '--out',
    join(dir, 'sync-2'),
    '--since',
    join(dir, 'sync-1'),
    '-q',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /since generation 1: 2 changed or new, 1 deleted, 1 unchanged/);
  const { lines } = await readBulk(join(dir, 'sync-2'));
  const actions = lines.filter((l) => l.index || l.delete);
  assert.deepEqual(
    actions.map((a) => (a.index ? `index ${a.index._id}` : `delete ${a.delete._id}`)),
    ['index edit', 'index new', 'delete gone'],
  );
  assert.equal(lines.find((l) => l.text?.startsWith('new')).text, 'new text');
  for (const a of actions) assert.deepEqual(specFor('opensearch').bulkAction(a), []);
  const meta = JSON.parse(await readFile(join(dir, 'sync-2', 'export.json'), 'utf8'));
  assert.equal(meta.since.generation, 1);
  assert.equal(meta.index, full.index);
  assert.equal((await readFile(join(dir, 'sync-2', 'documents.tsv'), 'utf8')).trim().split('\n').length, 3);
  // a base for another target or a changed mapping is refused
  await assert.rejects(exportIndex(d, { to: 'elasticsearch', out: join(dir, 's3'), since: join(dir, 'sync-1') }), {
    code: 'INVALID_ARGUMENT',
  });
  await assert.rejects(
    exportIndex(d, { to: 'opensearch', out: join(dir, 's4'), since: join(dir, 'sync-1'), shards: 3 }),
    {
      code: 'NOT_SUPPORTED',
    },
  );
  await assert.rejects(exportIndex(d, { to: 'opensearch', out: join(dir, 's5'), since: join(dir, 'nope') }), {
    code: 'NOT_FOUND',
  });
});
