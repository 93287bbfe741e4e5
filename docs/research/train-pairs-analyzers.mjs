#!/usr/bin/env node
// docs/analyzers.md *Sentence-pair sets*: BM25 with ko-morph and ko-mecab (its defaults, ko-morph's stop tags, each
// with and without compound terms) on retrieval sets built from ../shared/datasets/train-pairs (training data; nothing is chosen on them):
//   question-pair  anchor → its paraphrase among every positive
//   korsts         anchor → its pair (score ≥ 4) among every second sentence
//   kornli         premise → its entailed sentence among the entailed and the contradicting ones
// nDCG@10 / R@1, and ko-mecab − ko-morph with a paired randomization p (10,000 sign flips).
//   npm run build && node docs/research/train-pairs-analyzers.mjs [../shared/datasets/train-pairs] [out-dir]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAnalyzer, evaluateRetriever } from '../../dist/index.js';
import { mulberry32 } from '../../dist/util/random.js';

const src = process.argv[2] ?? path.join(import.meta.dirname, '../../../shared/datasets/train-pairs');
const out = process.argv[3] ?? path.join(tmpdir(), 'tamsaek-train-pairs-sets');
const read = (f) =>
  readFileSync(path.join(src, f), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

/** Writes a BEIR directory: every distinct positive (and distractor) a document, every distinct anchor a query. */
function writeSet(name, pairs, distractors = []) {
  const dir = path.join(out, name);
  mkdirSync(path.join(dir, 'qrels'), { recursive: true });
  const docs = new Map();
  const queries = new Map();
  const qrels = new Set();
  const doc = (t) => docs.get(t) ?? (docs.set(t, `d${docs.size}`), docs.get(t));
  for (const t of distractors) doc(t);
  for (const [a, p] of pairs) {
    if (!queries.has(a)) queries.set(a, `q${queries.size}`);
    qrels.add(`${queries.get(a)}\t${doc(p)}\t1`);
  }
  const lines = (m, f) => `${[...m].map(f).join('\n')}\n`;
  writeFileSync(path.join(dir, 'corpus.jsonl'), lines(docs, ([t, id]) => JSON.stringify({ _id: id, title: '', text: t })));
  writeFileSync(path.join(dir, 'queries.jsonl'), lines(queries, ([t, id]) => JSON.stringify({ _id: id, text: t })));
  writeFileSync(path.join(dir, 'qrels', 'test.tsv'), `query-id\tcorpus-id\tscore\n${[...qrels].join('\n')}\n`);
  return dir;
}

function pairedP(diffs) {
  const observed = Math.abs(diffs.reduce((a, b) => a + b, 0));
  const random = mulberry32(12345);
  let more = 0;
  for (let r = 0; r < 10_000; r++) {
    let t = 0;
    for (const d of diffs) t += random() < 0.5 ? -d : d;
    if (Math.abs(t) >= observed - 1e-9) more++;
  }
  return (more + 1) / 10_001;
}

const sts = read('korsts.jsonl');
const nli = read('kornli_xnli.jsonl');
const sets = {
  'question-pair': writeSet('question-pair', read('question_pair.jsonl').map((r) => [r.anchor, r.positive])),
  korsts: writeSet('korsts', sts.filter((r) => r.score >= 4).map((r) => [r.anchor, r.positive]), sts.map((r) => r.positive)),
  kornli: writeSet('kornli', nli.map((r) => [r.anchor, r.positive]), nli.flatMap((r) => (r.negative ? [r.negative] : []))),
};
const analyzers = {
  'ko-morph': createAnalyzer('ko-morph'),
  'ko-mecab': createAnalyzer('ko-mecab'),
  'ko-mecab without compound terms': createAnalyzer({ name: 'ko-mecab', compounds: false }),
  "ko-mecab, ko-morph's stop tags": createAnalyzer({ name: 'ko-mecab', stopTags: ['E', 'J', 'MM', 'S', 'VC'] }),
  "ko-mecab, ko-morph's stop tags, no compound terms": createAnalyzer({
    name: 'ko-mecab',
    stopTags: ['E', 'J', 'MM', 'S', 'VC'],
    compounds: false,
  }),
};
for (const [set, dir] of Object.entries(sets)) {
  const runs = {};
  for (const [name, analyzer] of Object.entries(analyzers)) runs[name] = await evaluateRetriever(dir, { retriever: 'bm25', analyzer });
  const cells = Object.entries(runs).map(([n, r]) => `${n} ${r.metrics['ndcg@10'].toFixed(4)} / ${r.metrics['recall@1'].toFixed(4)}`);
  const base = runs['ko-morph'].perQuery;
  const diffs = [...runs['ko-mecab'].perQuery].map(([id, x]) => x['ndcg@10'] - base.get(id)['ndcg@10']);
  console.log(`${set} (${diffs.length} queries): ${cells.join(' | ')} | ko-mecab − ko-morph p = ${pairedP(diffs).toFixed(4)}`);
}
