#!/usr/bin/env node
// Dense pseudo-relevance feedback (Rocchio) on the default three-leg hybrid, validation sets only:
// q' = normalize(q + beta * mean of the k best fused documents' embeddings), the legs searched again with
// q' (BM25 unchanged, passages rescoring the new union), fused with the default weights.
//   node docs/research/dense-feedback.mjs --base <model> --adapt-on <beir-dir> --eval <beir-dir> [--out rows.json]
import { parseArgs } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { Engine, evaluate, loadBeir, loadEmbedder, readCorpus } from '../../dist/index.js';
import { adaptStaticModel } from '../../dist/train/adapt.js';
const { values } = parseArgs({ options: { base: { type: 'string' }, 'adapt-on': { type: 'string' }, eval: { type: 'string' }, split: { type: 'string', default: 'test' }, out: { type: 'string' } } });
async function docsOf(dir) {
  const set = await loadBeir(dir, { split: 'test' }).catch(() => undefined);
  const out = [];
  for await (const d of readCorpus(set?.corpusPath ?? `${dir}/corpus.jsonl`)) out.push({ id: d.id, title: d.title, text: d.text });
  return out;
}
const base = await loadEmbedder(values.base);
const model = (await adaptStaticModel(base, await docsOf(values['adapt-on']), { seed: 42, seconds: 45 })).embedder;
const set = await loadBeir(values.eval, { split: values.split });
const engine = await Engine.create({ dense: { embedder: model, adapt: false } });
const docs = [];
for await (const d of readCorpus(set.corpusPath)) docs.push({ id: d.id, title: d.title, text: d.text });
await engine.add(docs);
const byId = new Map(docs.map((d) => [d.id, d]));
const tunable = engine.tunable();
const FUSION = { method: 'cc', normalizer: 'mm', weights: { bm25: 0.4, passages: 0.3, dense: 0.3 } };
const DEPTH = 64;
const docVec = new Map();
async function vecOf(id) {
  let v = docVec.get(id);
  if (!v) { const d = byId.get(id); v = await model.embed([(d.title ? d.title + ' ' : '') + d.text], { kind: 'passage' }); docVec.set(id, v); }
  return v;
}
const norm = (v) => { let s = 0; for (const x of v) s += x * x; s = Math.sqrt(s) || 1; return v.map((x) => x / s); };
const configs = [{ k: 0, beta: 0 }];
for (const k of [1, 3, 5]) for (const beta of [0.25, 0.5, 1]) configs.push({ k, beta });
const runs = configs.map(() => new Map());
const denseRuns = configs.map(() => new Map());
for (const q of set.queries) {
  const qv = await model.embed([q.text], { kind: 'query' });
  const legs = await tunable.retrieve(q.text, { depth: DEPTH, vector: qv });
  const fused = tunable.fuse(legs, FUSION, DEPTH);
  for (let c = 0; c < configs.length; c++) {
    const { k, beta } = configs[c];
    let res = legs, f = fused;
    if (k > 0) {
      const top = f.slice(0, k).map((x) => x.id);
      const cen = new Float32Array(qv.length);
      for (const id of top) { const v = await vecOf(id); for (let i = 0; i < v.length; i++) cen[i] += v[i] / top.length; }
      const q2 = norm(qv.map((x, i) => x + beta * cen[i]));
      res = await tunable.retrieve(q.text, { depth: DEPTH, vector: q2 });
      f = tunable.fuse(res, FUSION, DEPTH);
    }
    runs[c].set(q.id, f.map((x, r) => ({ id: x.id, score: -r })));
    const d = res.find((l) => l.name === 'dense');
    denseRuns[c].set(q.id, d.hits.map((h, r) => ({ id: h.id, score: -r })));
  }
}
const rows = [];
for (let c = 0; c < configs.length; c++) {
  const r = evaluate(runs[c], set.qrels, { ks: [1, 10], order: 'given' });
  const rd = evaluate(denseRuns[c], set.qrels, { ks: [1, 10], order: 'given' });
  const row = { ...configs[c], hybrid: r.mean['ndcg@10'], r1: r.mean['recall@1'], dense: rd.mean['ndcg@10'], perQuery: [...r.perQuery].map(([id, m]) => [id, m['ndcg@10']]) };
  rows.push(row);
  console.log(`${set.name} k=${row.k} beta=${row.beta} hybrid ${row.hybrid.toFixed(4)} R@1 ${row.r1.toFixed(4)} dense ${row.dense.toFixed(4)}`);
}
if (values.out) await writeFile(values.out, JSON.stringify(rows));
await engine.close();
