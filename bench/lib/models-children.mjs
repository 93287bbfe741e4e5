// The measurements of the models suite (bench/models.mjs), each run in its own child process.
import { readFileSync } from 'node:fs';
import { OnnxEmbedder } from '../../dist/models/embedder.js';
import { loadEmbedder } from '../../dist/models/load.js';
import { compareEmbeddings, SAMPLE_QUERIES, SAMPLE_TEXTS } from '../../dist/models/quantize-check.js';
import { commonSyllables } from '../../dist/models/synthetic-tokenizer.js';
import { compareScores } from '../../dist/rerank/agreement.js';
import { CrossEncoder } from '../../dist/rerank/index.js';
import { mulberry32 } from '../../dist/util/random.js';
import { median, percentile } from './stats.mjs';

const FP32 = 'onnx/model.onnx';

/**
 * This process's peak RSS in MB: VmHWM from /proc/self/status (reset by exec), not getrusage's maxRSS,
 * which on Linux keeps the parent's high-water mark across fork + exec.
 */
export function peakRssMb() {
  try {
    const line = readFileSync('/proc/self/status', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmHWM:'));
    if (line) return Number(line.split(/\s+/)[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}
const SYLLABLES = commonSyllables();

/** Korean-looking text of common syllables whose length, measured by `count`, is exactly `n` (retries on overshoot). */
export function textOfLength(count, n, random) {
  for (;;) {
    let s = '';
    while (count(s) < n) s += (s && random() < 0.3 ? ' ' : '') + SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    if (count(s) === n) return s;
  }
}

const seconds = async (fn) => {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
};

/** fp32 and int8 alternately, `reps` times: medians of each and of the per-repetition ratio fp32 / int8. */
async function alternate(reps, fp32, int8) {
  const a = [];
  const b = [];
  for (let r = 0; r < reps; r++) {
    a.push(await seconds(fp32));
    b.push(await seconds(int8));
  }
  return { fp32: median(a), int8: median(b), ratio: median(a.map((x, i) => x / b[i])), all: { fp32: a, int8: b } };
}

async function timeEncoders(c, random) {
  const load = (file) => OnnxEmbedder.load(c.encoder, { file, threads: c.threads, batchSize: c.batch });
  const [e32, e8] = [await load(FP32), await load('onnx/model_quantized.onnx')];
  const count = (s) => e32.tokenizer.encode(s).ids.length;
  const passages = {};
  for (const L of c.lengths) {
    const texts = Array.from({ length: c.batch }, () => textOfLength(count, L, random));
    await e32.embed(texts.slice(0, 2));
    await e8.embed(texts.slice(0, 2));
    const t = await alternate(
      c.reps,
      () => e32.embed(texts),
      () => e8.embed(texts),
    );
    passages[L] = { fp32: c.batch / t.fp32, int8: c.batch / t.int8, speedup: t.ratio };
    console.error(
      `passages at ${L} tokens: fp32 ${t.all.fp32.map((x) => x.toFixed(2))} s, int8 ${t.all.int8.map((x) => x.toFixed(2))} s`,
    );
  }
  const query = textOfLength(count, c.queryTokens, random);
  const q32 = [];
  const q8 = [];
  for (let r = 0; r < c.queryReps + 1; r++) {
    const a = await seconds(() => e32.embedQuery(query));
    const b = await seconds(() => e8.embedQuery(query));
    if (r > 0) q32.push(a * 1000), q8.push(b * 1000);
  }
  await Promise.all([e32.dispose(), e8.dispose()]);
  return { passages, query: { fp32: percentile(q32, 50), int8: percentile(q8, 50) } };
}

async function timeRerankers(c, random) {
  const load = (file) => CrossEncoder.load(c.reranker, { file, threads: c.threads, cacheSize: 0, batchSize: 32 });
  const [c32, c8] = [await load(FP32), await load('onnx/model_quantized.onnx')];
  const count = (s) => c32.tokenizer.encode(s).ids.length;
  const query = textOfLength(count, c.queryTokens, random);
  const pairLength = (p) => c32.encodePair(query, p).ids.length;
  const out = {};
  for (const tokens of c.rerankTokens) {
    const passages = Array.from({ length: c.rerankPairs }, () => textOfLength(pairLength, tokens, random));
    await c32.score(query, passages.slice(0, 2));
    await c8.score(query, passages.slice(0, 2));
    const t = await alternate(
      c.rerankReps,
      () => c32.score(query, passages),
      () => c8.score(query, passages),
    );
    console.error(
      `rerank ${c.rerankPairs} x ${tokens}: fp32 ${t.all.fp32.map((x) => x.toFixed(2))} s, int8 ${t.all.int8.map((x) => x.toFixed(2))} s`,
    );
    out[tokens] = { fp32: t.fp32, int8: t.int8, speedup: t.ratio };
  }
  await Promise.all([c32.dispose(), c8.dispose()]);
  return out;
}

async function timing(c) {
  const random = mulberry32(20261206);
  const enc = await timeEncoders(c, random);
  return { ...enc, rerank: await timeRerankers(c, random) };
}

/** Peak RSS of one model file: load, then one batch (encoder: batch × 128 tokens; reranker: the rerank workload). */
async function rss(c) {
  const random = mulberry32(7);
  if (c.head === 'encoder') {
    const e = await OnnxEmbedder.load(c.model, { file: c.file, threads: c.threads, batchSize: c.batch });
    const count = (s) => e.tokenizer.encode(s).ids.length;
    await e.embed(Array.from({ length: c.batch }, () => textOfLength(count, 128, random)));
  } else {
    const ce = await CrossEncoder.load(c.model, { file: c.file, threads: c.threads, cacheSize: 0, batchSize: 32 });
    const count = (s) => ce.tokenizer.encode(s).ids.length;
    const q = textOfLength(count, c.queryTokens, random);
    await ce.score(
      q,
      Array.from({ length: c.rerankPairs }, () =>
        textOfLength((p) => ce.encodePair(q, p).ids.length, c.rerankTokens[0], random),
      ),
    );
  }
  return { maxRssMb: peakRssMb() };
}

/** int8 vs fp32 on sample texts: embedding cosines; each sample query against the 20 sample passages. */
async function agreement(c) {
  const files = { fp32File: FP32, int8File: 'onnx/model_quantized.onnx', threads: c.threads };
  const embeddings = await compareEmbeddings(c.encoder, { ...files, texts: SAMPLE_TEXTS });
  const passages = SAMPLE_TEXTS.slice(0, c.rerankPairs);
  const scores = await compareScores(c.reranker, {
    ...files,
    queries: SAMPLE_QUERIES,
    passages: SAMPLE_QUERIES.map(() => passages),
  });
  return { embeddings, scores };
}

/** The shipped static model: 150-character passages (its dense split) and short queries. */
async function staticModel(c) {
  const embedder = await loadEmbedder('default', { threads: c.threads });
  const random = mulberry32(11);
  const texts = Array.from({ length: 512 }, () => textOfLength((s) => s.length, 150, random));
  await embedder.embed(texts.slice(0, 32));
  const t = [];
  for (let r = 0; r < 3; r++) t.push(await seconds(() => embedder.embed(texts)));
  // distinct queries: the analyzer remembers its last texts
  const queries = Array.from({ length: 51 }, () => textOfLength((s) => s.length, 20, random));
  const q = [];
  for (const query of queries) q.push((await seconds(() => embedder.embed([query], { kind: 'query' }))) * 1000);
  q.shift();
  return {
    passagesPerS: texts.length / median(t),
    queryP50Ms: percentile(q, 50),
    maxRssMb: peakRssMb(),
  };
}

export const CHILDREN = { timing, rss, agreement, static: staticModel };
