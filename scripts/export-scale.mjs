#!/usr/bin/env node
// Memory of an index and of its export at scale (docs/SCALE-OUT.md). Run `npx tsc -p .` first.
//
//   node scripts/export-scale.mjs build --docs 100000 --out /tmp/syn-100k   # synthetic Korean-like corpus,
//        ko-morph BM25 + a 448-d dense leg of seeded random unit vectors (the shipped model's dimension;
//        the vector index kind is the engine's default for the size: HNSW from 20,000 vectors)
//   node scripts/export-scale.mjs open /tmp/syn-100k    # resident memory after Engine.open (read-only)
//   /usr/bin/time -v npx tamsaek export /tmp/syn-100k --to opensearch --out /tmp/syn-100k-os   # peak RSS
//
// The text: words of 1–4 Hangul syllables drawn from a 30,000-word vocabulary with Zipf-like
// frequencies, joined into 20–80-word documents with a 2–6-word title (seeded, so reruns build the
// same index). It exercises the analyzer and the inverted index at realistic sizes; it is not language.
import { parseArgs } from 'node:util';
import { Engine } from '../dist/index.js';
import { mulberry32 } from '../dist/util/random.js';

function vocabulary(random, size) {
  const words = [];
  for (let i = 0; i < size; i++) {
    let w = '';
    const syllables = 1 + Math.floor(random() * 4);
    for (let s = 0; s < syllables; s++) w += String.fromCharCode(0xac00 + Math.floor(random() * 11172));
    words.push(w);
  }
  return words;
}

function* documents(n, seed) {
  const random = mulberry32(seed);
  const words = vocabulary(random, 30_000);
  // Zipf-like: rank r drawn as floor(V^u) − 1
  const word = () => words[Math.min(words.length - 1, Math.floor(words.length ** random()) - 1)];
  const phrase = (len) => Array.from({ length: len }, word).join(' ');
  for (let i = 0; i < n; i++) {
    yield { id: `doc-${i}`, title: phrase(2 + Math.floor(random() * 5)), text: phrase(20 + Math.floor(random() * 61)) };
  }
}

function unitVectors(count, dim, random) {
  const out = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      const v = random() - 0.5;
      out[i * dim + j] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    for (let j = 0; j < dim; j++) out[i * dim + j] /= norm;
  }
  return out;
}

async function build(n, out, dim) {
  const started = performance.now();
  const engine = await Engine.create({ dense: { dim } });
  const random = mulberry32(7);
  const batch = [];
  const flush = async () => {
    const vectors = unitVectors(batch.length, dim, random);
    await engine.add(batch.map((d, i) => ({ ...d, vector: vectors.subarray(i * dim, (i + 1) * dim) })));
    batch.length = 0;
  };
  // one add for the whole corpus: the dense index kind is chosen for its size (HNSW bulk-built from 20,000)
  const all = [...documents(n, 42)];
  batch.push(...all);
  await flush();
  await engine.save(out);
  await engine.close();
  const rss = process.resourceUsage().maxRSS / 1024;
  console.log(
    `built ${n} documents (${dim}-d) in ${((performance.now() - started) / 1000).toFixed(0)} s, peak RSS ${rss.toFixed(0)} MB → ${out}`,
  );
}

async function open(dir) {
  const before = process.memoryUsage().rss;
  const { readFileSync } = await import('node:fs');
  const manifest = JSON.parse(readFileSync(`${dir}/manifest.json`, 'utf8'));
  // format 2 lists the legs (the dense one's state holds its dimension); format 1 had config.dense
  const dense = manifest.config.legs?.find((l) => l.kind === 'dense')?.state ?? manifest.config.dense;
  const dim = dense?.dim;
  const embedder = dim && {
    dim,
    modelId: dense.modelId,
    embed: () => Promise.reject(new Error('no model')),
  };
  const engine = await Engine.open(dir, { readOnly: true, ...(embedder ? { embedder } : {}) });
  globalThis.gc?.();
  const after = process.memoryUsage();
  console.log(
    `opened ${engine.size} documents: RSS ${(after.rss / 1048576).toFixed(0)} MB (${((after.rss - before) / 1048576).toFixed(0)} MB above a bare process), heap ${(after.heapUsed / 1048576).toFixed(0)} MB, external+arrays ${((after.external + after.arrayBuffers) / 1048576).toFixed(0)} MB, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
  );
  await engine.close();
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { docs: { type: 'string' }, out: { type: 'string' }, dim: { type: 'string' } },
});
const [command, dir] = positionals;
if (command === 'build' && values.out)
  await build(Number(values.docs ?? 100_000), values.out, Number(values.dim ?? 448));
else if (command === 'open' && dir) await open(dir);
else {
  console.error('usage: node scripts/export-scale.mjs build --docs N --out DIR [--dim 448] | open DIR');
  process.exit(2);
}
