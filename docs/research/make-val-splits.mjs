#!/usr/bin/env node
// Builds the validation sets used to choose a training recipe WITHOUT touching any test split.
// usage: node docs/research/make-val-splits.mjs <datasets-dir> <out-dir> [--frac 0.15] [--seed 7]
//
//   <out>/welfare-trn   welfare-ssis with qrels/train.tsv = 85 % of the TRAIN queries (train on this)
//   <out>/welfare-val   welfare-ssis with qrels/test.tsv  = the other 15 % of the TRAIN queries
//   <out>/autorag-trn   autorag-ko documents with one held-out sentence removed from each (ICT training)
//   <out>/autorag-ict-val  inverse-cloze validation: query = a held-out sentence, relevant doc = its
//        document without it (same corpus as autorag-trn). Uses document text only — never autorag-ko
//        queries or qrels.
//   <out>/autorag-span-val  query = a contiguous half of each held-out sentence's words, corpus = the
//        original documents (which contain it): queries written from a passage share its words, which
//        the ICT proxy (sentence removed) cannot measure. Training still sees autorag-trn only.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sentences } from '../../dist/train/data.js';

const args = process.argv.slice(2);
const D = resolve(args[0] ?? '../shared/datasets');
const O = resolve(args[1] ?? '/tmp/tamsaek-val');
const opt = (n, d) => {
  const i = args.indexOf(`--${n}`);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const FRAC = opt('frac', 0.15);
const SEED = opt('seed', 7);
/** Deterministic per-id uniform in [0,1). */
const u = (id, salt = '') => createHash('sha256').update(`${SEED}:${salt}:${id}`).digest().readUInt32BE(0) / 2 ** 32;
const jsonl = (p) =>
  readFileSync(p, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
const fresh = (p) => {
  if (existsSync(p)) rmSync(p, { recursive: true });
  mkdirSync(join(p, 'qrels'), { recursive: true });
  return p;
};

// welfare-ssis: split TRAIN queries
{
  const src = join(D, 'welfare-ssis');
  const lines = readFileSync(join(src, 'qrels/train.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l.trim());
  const [head, ...rows] = lines;
  const trn = [],
    val = [];
  for (const r of rows) (u(r.split('\t')[0], 'welfare') < FRAC ? val : trn).push(r);
  for (const [name, split, rs] of [
    ['welfare-trn', 'train', trn],
    ['welfare-val', 'test', val],
  ]) {
    const dir = fresh(join(O, name));
    symlinkSync(join(src, 'corpus.jsonl'), join(dir, 'corpus.jsonl'));
    symlinkSync(join(src, 'queries.jsonl'), join(dir, 'queries.jsonl'));
    writeFileSync(join(dir, `qrels/${split}.tsv`), `${[head, ...rs].join('\n')}\n`);
    console.log(`${name}: ${new Set(rs.map((r) => r.split('\t')[0])).size} queries, ${rs.length} qrels`);
  }
}

// autorag-ko: hold out one sentence from each document (from both the training corpus and the validation
// corpus), so the validation mirrors the test situation: documents seen in (ICT) training, query text unseen.
{
  const docs = jsonl(join(D, 'autorag-ko/corpus.jsonl'));
  const corpus = [],
    queries = [],
    spans = [],
    qrels = ['query-id\tcorpus-id\tscore'];
  for (const d of docs) {
    const full = d.title ? `${d.title} ${d.text}` : d.text;
    const cands = [...new Set(sentences(d.text))].filter((s) => s.length >= 20 && s.length < full.length * 0.5);
    let text = d.text;
    if (cands.length >= 3) {
      const s = cands.sort((a, b) => u(a, d._id) - u(b, d._id))[0];
      text = text.replace(/\s+/g, ' ').replace(s, ' ').replace(/\s+/g, ' ').trim();
      const qid = `ict-${queries.length}`;
      queries.push({ _id: qid, text: s });
      const words = s.split(' ');
      const n = Math.max(3, Math.ceil(words.length / 2));
      const at = Math.floor(u(s, 'span') * (words.length - n + 1));
      spans.push({ _id: qid, text: words.slice(at, at + n).join(' ') });
      qrels.push(`${qid}\t${d._id}\t1`);
    }
    corpus.push({ ...d, text });
  }
  const dir = fresh(join(O, 'autorag-ict-val'));
  const body = `${corpus.map((d) => JSON.stringify(d)).join('\n')}\n`;
  writeFileSync(join(dir, 'corpus.jsonl'), body);
  writeFileSync(join(dir, 'queries.jsonl'), `${queries.map((d) => JSON.stringify(d)).join('\n')}\n`);
  writeFileSync(join(dir, 'qrels/test.tsv'), `${qrels.join('\n')}\n`);
  const spanDir = fresh(join(O, 'autorag-span-val'));
  symlinkSync(join(D, 'autorag-ko/corpus.jsonl'), join(spanDir, 'corpus.jsonl'));
  writeFileSync(join(spanDir, 'queries.jsonl'), `${spans.map((d) => JSON.stringify(d)).join('\n')}\n`);
  writeFileSync(join(spanDir, 'qrels/test.tsv'), `${qrels.join('\n')}\n`);
  mkdirSync(join(O, 'autorag-trn'), { recursive: true });
  writeFileSync(join(O, 'autorag-trn/corpus.jsonl'), body);
  console.log(`autorag-trn / autorag-ict-val: ${docs.length} docs, ${queries.length} held-out ICT query sentences`);
}
