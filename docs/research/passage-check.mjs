// How a static model's dense leg scores over passage windows (MaxP: a document = its best window) vs
// whole documents, dense alone and in the hybrid (the eval's one-weight line, ±0.1 pick, 5-fold
// cross-fitted, averaged over 5 fold splits). Point it at validation splits (docs/training.md, Round 6):
// a test split read here is a test split chosen on.
// usage: CHUNKS=c150o50,s3o1 node docs/research/passage-check.mjs <model-dir> <split> <beir-dir…>
//   cNoM = windows of N characters sharing M; sNoM = windows of N sentences sharing M

import { loadBeir, readCorpus } from '../../dist/data/beir.js';
import { buildEngine } from '../../dist/eval/index.js';
import { evaluate } from '../../dist/eval/metrics.js';
import { loadEmbedder } from '../../dist/models/load.js';
import { pickOnLine } from '../../dist/tune/index.js';
import { chunkText } from '../../dist/util/chunker.js';
import { mulberry32, shuffleInPlace } from '../../dist/util/random.js';

const [model, split, ...dirs] = process.argv.slice(2);
const GRID = Array.from({ length: 21 }, (_, i) => i / 20);
const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
const emb = await loadEmbedder(model);
const dim = emb.dim;
const CHUNKS = (process.env.CHUNKS ?? 'c150o50').split(',');
for (const dir of dirs) {
  const set = await loadBeir(dir, { split });
  const docs = [];
  for await (const d of readCorpus(set.corpusPath)) docs.push(d);
  const full = docs.map((d) => (d.title ? `${d.title} ${d.text}` : d.text));
  const D = await emb.embed(full, { kind: 'passage' });
  const Q = await emb.embed(
    set.queries.map((q) => q.text),
    { kind: 'query' },
  );
  const dot = (A, i, B, j) => {
    let s = 0;
    for (let x = 0; x < dim; x++) s += A[i * dim + x] * B[j * dim + x];
    return s;
  };
  const variants = { doc: set.queries.map((_, qi) => docs.map((_, di) => dot(Q, qi, D, di))) };
  for (const c of CHUNKS) {
    const [, kind, size, overlap] = c.match(/([sc])(\d+)o(\d+)/).map((v, i) => (i === 1 ? v : Number(v)));
    const owner = [],
      texts = [];
    docs.forEach((d, di) => {
      for (const p of chunkText(d.text, { by: kind === 's' ? 'sentences' : 'chars', size, overlap })) {
        owner.push(di);
        texts.push(d.title ? `${d.title} ${p.text}` : p.text);
      }
    });
    const P = await emb.embed(texts, { kind: 'passage' });
    const maxp = set.queries.map((_, qi) => {
      const m = new Array(docs.length).fill(-Infinity);
      owner.forEach((di, pi) => {
        const s = dot(Q, qi, P, pi);
        if (s > m[di]) m[di] = s;
      });
      return m;
    });
    variants[`maxp-${c}`] = maxp;
    variants[`doc+maxp-${c}`] = maxp.map((m, qi) => m.map((s, di) => 0.5 * s + 0.5 * variants.doc[qi][di]));
    process.stderr.write(`${dir} ${c}: ${texts.length} passages\n`);
  }
  const engine = await buildEngine(set.corpusPath, {});
  const bm = [];
  for (const q of set.queries) bm.push(await engine.search(q.text, { k: 100, legs: ['bm25'], rerank: false }));
  await engine.close();
  const ndcg = (runOf) => {
    const run = new Map();
    set.queries.forEach((q, qi) => run.set(q.id, runOf(qi)));
    const pq = evaluate(run, set.qrels, { ks: [10], order: 'given' }).perQuery;
    return set.queries.map((q) => pq.get(q.id)['ndcg@10']);
  };
  const topk = (scores, k) =>
    scores
      .map((s, di) => ({ id: docs[di].id, score: s }))
      .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
      .slice(0, k);
  const mm = (list) => {
    if (!list.length) return new Map();
    const hi = list[0].score,
      lo = list.at(-1).score;
    return new Map(list.map((h) => [h.id, hi > lo ? (h.score - lo) / (hi - lo) : 0.5]));
  };
  const bmN = bm.map((l) => mm(l.map((h) => ({ id: h.id, score: h.score }))));
  const out = [`| ${dir.split('/').pop()} (${set.queries.length} q) | dense | hybrid (5-fold, ±0.1) |`];
  for (const [name, sc] of Object.entries(variants)) {
    const dense = ndcg((qi) => topk(sc[qi], 10).map((h, r) => ({ id: h.id, score: -r })));
    const dN = sc.map((s) => mm(topk(s, 100)));
    const table = set.queries.map(() => []);
    for (const [wi, w] of GRID.entries()) {
      const per = ndcg((qi) => {
        const f = new Map();
        for (const [id, v] of bmN[qi]) f.set(id, w * v);
        for (const [id, v] of dN[qi]) f.set(id, (f.get(id) ?? 0) + (1 - w) * v);
        return [...f]
          .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
          .slice(0, 10)
          .map(([id], r) => ({ id, score: -r }));
      });
      per.forEach((v, qi) => (table[qi][wi] = v));
    }
    let tot = 0,
      reps = 5;
    for (let rep = 0; rep < reps; rep++) {
      const order = shuffleInPlace(
        set.queries.map((_, i) => i),
        mulberry32(42 + rep),
      );
      for (let fold = 0; fold < 5; fold++) {
        const rest = order.filter((_, i) => i % 5 !== fold);
        const pick = pickOnLine(
          GRID.map((_, wi) => mean(rest.map((q) => table[q][wi]))),
          2,
        );
        for (const q of order.filter((_, i) => i % 5 === fold)) tot += table[q][pick];
      }
    }
    if (name === 'doc') out.push(`| bm25 | ${mean(table.map((r) => r[20])).toFixed(4)} | |`);
    out.push(`| ${name} | ${mean(dense).toFixed(4)} | ${(tot / reps / set.queries.length).toFixed(4)} |`);
  }
  console.log(out.join('\n'));
}
