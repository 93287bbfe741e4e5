#!/usr/bin/env node
// Corpus adaptation and label-free fusion, measured on one evaluation set.
//
//   node docs/research/zero-shot.mjs --base <static-model-dir|default> --adapt-on <beir-dir> --eval <beir-dir>
//        [--split test] [--seed 42] [--seconds 45] [--epochs 2] [--lr 0.01] [--per-doc 16] [--keep 0.1]
//        [--no-adapt] [--pairs f.jsonl …] [--out grid.json]
//
// Adapts the base model on the documents of --adapt-on (documents only: no queries, no qrels), then
// evaluates --eval's split with three legs — BM25 over pages, BM25 over 150-character passages, the
// dense leg (base or adapted) — each alone, and every min-max weight triple on a 0.1 grid, written to
// --out for choosing a default on validation sets. Prints nDCG@10 per leg and for a few fixed fusions.
import { parseArgs } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { Engine, evaluate, loadBeir, loadEmbedder, readCorpus } from '../../dist/index.js';
import { adaptStaticModel } from '../../dist/train/adapt.js';

const { values } = parseArgs({
  options: {
    base: { type: 'string', default: 'default' },
    'adapt-on': { type: 'string' },
    eval: { type: 'string' },
    split: { type: 'string', default: 'test' },
    seed: { type: 'string', default: '42' },
    seconds: { type: 'string', default: '45' },
    epochs: { type: 'string' },
    lr: { type: 'string' },
    'per-doc': { type: 'string' },
    keep: { type: 'string' },
    'min-df': { type: 'string' },
    wise: { type: 'string' },
    target: { type: 'string' },
    'no-adapt': { type: 'boolean' },
    pairs: { type: 'string', multiple: true },
    out: { type: 'string' },
    analyzer: { type: 'string' },
    dump: { type: 'string' },
    'passages-analyzer': { type: 'string' },
    'engine-defaults': { type: 'boolean' },
  },
});
const PASSAGES = { by: 'chars', size: 150, overlap: 50 };
const DEPTH = 100;
const num = (v) => (v === undefined ? undefined : Number(v));

async function docsOf(dir) {
  const set = await loadBeir(dir, { split: 'test' }).catch(() => undefined);
  const path = set?.corpusPath ?? `${dir}/corpus.jsonl`;
  const out = [];
  for await (const d of readCorpus(path)) out.push({ id: d.id, title: d.title, text: d.text });
  return out;
}

const base = await loadEmbedder(values.base);
let model = base;
let record;
if (!values['no-adapt']) {
  const t = performance.now();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const adapted = await adaptStaticModel(base, await docsOf(values['adapt-on']), {
    seed: Number(values.seed),
    seconds: Number(values.seconds),
    ...(values.epochs ? { epochs: num(values.epochs) } : {}),
    ...(values.lr ? { lr: num(values.lr) } : {}),
    ...(values['per-doc'] ? { perDoc: num(values['per-doc']) } : {}),
    ...(values.keep ? { keep: num(values.keep) } : {}),
    ...(values['min-df'] ? { minDocFrequency: num(values['min-df']) } : {}),
    ...(values.wise ? { wise: num(values.wise) } : {}),
    ...(values.target ? { target: values.target } : {}),
    ...(values.pairs ? { pairs: values.pairs } : {}),
  });
  clearInterval(timer);
  model = adapted.embedder;
  record = { ...adapted.record, wallSeconds: (performance.now() - t) / 1000, peakRssMb: Math.round(peak / 2 ** 20) };
  console.error(JSON.stringify(record));
}

const set = await loadBeir(values.eval, { split: values.split });
// --engine-defaults: the engine's own default legs (bm25, passages rescoring with bigrams, dense)
const engine = values['engine-defaults']
  ? await Engine.create({ ...(values.analyzer ? { analyzer: values.analyzer } : {}), dense: { embedder: model, adapt: false } })
  : await Engine.create({
      ...(values.analyzer ? { analyzer: values.analyzer } : {}),
      legs: [
        { name: 'bm25', kind: 'bm25' },
        {
          name: 'passages',
          kind: 'bm25',
          options: {
            passages: PASSAGES,
            ...(values['passages-analyzer'] ? { analyzer: values['passages-analyzer'] } : {}),
          },
        },
        { name: 'dense', kind: 'dense', options: { embedder: model, adapt: false } },
      ],
    });
const docs = [];
for await (const d of readCorpus(set.corpusPath)) docs.push({ id: d.id, title: d.title, text: d.text });
await engine.add(docs);
const tunable = engine.tunable();
const cache = [];
for (const q of set.queries) cache.push({ id: q.id, legs: await tunable.retrieve(q.text, { depth: DEPTH }) });

if (values.dump)
  await writeFile(
    values.dump,
    JSON.stringify({
      set: set.name,
      qrels: Object.fromEntries([...set.qrels].map(([q, m]) => [q, Object.fromEntries(m)])),
      queries: cache.map((q) => ({ id: q.id, legs: q.legs.map((l) => ({ name: l.name, hits: l.hits.map((h) => [h.id, h.score]) })) })),
    }),
  );

function ndcgOf(fusion, legs = ['bm25', 'passages', 'dense']) {
  const run = new Map();
  for (const q of cache) {
    const results = q.legs.filter((l) => legs.includes(l.name));
    run.set(
      q.id,
      tunable.fuse(results, fusion, DEPTH).map((c, rank) => ({ id: c.id, score: -rank })),
    );
  }
  const r = evaluate(run, set.qrels, { ks: [1, 10], order: 'given' });
  return { ndcg: r.mean['ndcg@10'], r1: r.mean['recall@1'], perQuery: [...r.perQuery].map(([id, m]) => [id, m['ndcg@10']]) };
}

const mm = (w) => ({ method: 'cc', normalizer: 'mm', weights: { bm25: w[0], passages: w[1], dense: w[2] } });
const row = (name, r) => console.log(`| ${set.name} | ${name} | ${r.ndcg.toFixed(4)} | ${r.r1.toFixed(4)} |`);
const alone = {};
for (const leg of ['bm25', 'passages', 'dense']) row(leg, (alone[leg] = ndcgOf(mm([1, 1, 1]), [leg])));
row('bm25+dense equal', ndcgOf(mm([1, 0, 1]), ['bm25', 'dense']));
row('bm25+passages equal', ndcgOf(mm([1, 1, 0]), ['bm25', 'passages']));
row('three equal', ndcgOf(mm([1, 1, 1])));
const grid = [];
for (let a = 0; a <= 10; a++)
  for (let b = 0; a + b <= 10; b++) {
    const w = [a / 10, b / 10, (10 - a - b) / 10];
    if (w.every((x) => x === 0)) continue;
    const r = ndcgOf(mm(w));
    grid.push({ w, ndcg: r.ndcg, r1: r.r1 });
  }
grid.sort((x, y) => y.ndcg - x.ndcg);
console.log(`best grid point (on this set): ${JSON.stringify(grid[0])}`);
if (values.out)
  await writeFile(
    values.out,
    JSON.stringify({
      set: set.name,
      split: values.split,
      eval: values.eval,
      record,
      alone: Object.fromEntries(Object.entries(alone).map(([k, v]) => [k, { ndcg: v.ndcg, r1: v.r1 }])),
      grid,
      perQuery: Object.fromEntries(
        ['bm25', 'passages', 'dense'].map((leg) => [leg, alone[leg].perQuery]),
      ),
    }),
  );
await engine.close();
