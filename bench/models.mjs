#!/usr/bin/env node
// models suite: what the XLM-RoBERTa-large-shaped seed models (KoE5, BGE-m3-ko, KURE-v1, arctic-ko-l,
// bge-reranker-v2-m3-ko) cost through tamsaek on this machine, fp32 against int8 (`tamsaek quantize`),
// with random-weight models of exactly that shape (latency does not depend on weight values).
//
//   node bench/models.mjs [--out f.json] [--tiny] [--threads 2]
//   npm run bench -- models [--tiny]
//
// Models are generated on first use into $TAMSAEK_BENCH_MODELS (default <tamsaek cache>/synthetic; about 2.2 GB
// fp32 + 0.56 GB int8 per model, 4 models) and quantized with the default format. Every measurement runs in a child
// process (`--child <kind>`, JSON on stdout) so each peak RSS is its own and the runner stays small; fp32 and int8
// timings alternate repetition by repetition in one child, so a change of machine load hits both alike.
// PyTorch (bench/lib/torch_xlmr.py) joins as a same-run baseline when `python3 -c "import torch"` works.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultCacheDir } from '../dist/models/hub.js';
import { quantizeModel } from '../dist/models/quantize.js';
import { ensureSyntheticModel } from '../dist/models/synthetic.js';
import { CHILDREN } from './lib/models-children.mjs';
import { isMain, parseSuiteCli, runStandalone } from './lib/standalone.mjs';
import { sig } from './lib/stats.mjs';

const SELF = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SELF), '..');

export const DEFAULTS = Object.freeze({
  shape: {},
  threads: 2,
  reps: 3,
  queryReps: 11,
  rerankReps: 5,
  batch: 16,
  lengths: [64, 128, 256],
  queryTokens: 20,
  rerankPairs: 20,
  rerankTokens: [96, 192],
  inits: ['hf', 'realistic'],
});
export const TINY = Object.freeze({
  ...DEFAULTS,
  shape: { layers: 2, hidden: 128, heads: 4, ffn: 256, vocab: 24_000 },
  reps: 1,
  queryReps: 3,
  rerankReps: 2,
  inits: ['realistic'],
});

// acceptance of issue 23, checked on every full run and printed in the notes
const ACCEPT = { int8Speedup128: 2, minCosine: 0.99, minTau: 0.9, rerankInt8S: 2.5 };
const QUANTIZED = 'onnx/model_quantized.onnx';

function modelCache(tiny) {
  if (process.env.TAMSAEK_BENCH_MODELS) return process.env.TAMSAEK_BENCH_MODELS;
  return tiny ? path.join(tmpdir(), 'tamsaek-bench-models-tiny') : path.join(defaultCacheDir(), 'synthetic');
}

/** The synthetic model and its int8 file, generated / quantized when missing (the seconds spent are reported). */
async function prepare(cache, shape, init, head, log) {
  const t0 = performance.now();
  const { dir, generated } = await ensureSyntheticModel(cache, { ...shape, init, head });
  if (generated) log(`generated ${dir} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const marker = path.join(dir, 'quantized.json');
  const want = JSON.stringify({
    format: 'matmul-integer-to-float',
    smooth: 0.5,
    head: 'fp32',
    external: true,
    version: 6,
  });
  let quantizeS;
  if (!existsSync(path.join(dir, QUANTIZED)) || !existsSync(marker) || readFileSync(marker, 'utf8') !== want) {
    const r = await quantizeModel(dir, { force: true });
    writeFileSync(marker, want);
    quantizeS = r.seconds;
    log(`quantized ${dir} in ${r.seconds.toFixed(1)} s (${(r.bytesOut / 2 ** 20).toFixed(0)} MB)`);
  }
  return { dir, generateS: generated ? (performance.now() - t0) / 1000 - (quantizeS ?? 0) : undefined, quantizeS };
}

/** Runs `bench/models.mjs --child kind` with a JSON config; returns its JSON answer (last stdout line). */
function child(kind, config, log) {
  const r = spawnSync(process.execPath, ['--max-old-space-size=8192', SELF, '--child', kind, JSON.stringify(config)], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, OMP_NUM_THREADS: String(config.threads ?? 2) },
  });
  if (r.stderr) for (const line of r.stderr.trim().split('\n')) if (line) log(line);
  if (r.status !== 0) throw new Error(`models bench child ${kind} failed (exit ${r.status})`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function torchAvailable() {
  for (const python of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { python, version: r.stdout.trim() };
  }
  return undefined;
}

function torchBaseline(o, log) {
  if (process.env.TAMSAEK_BENCH_NO_TORCH) return { note: 'PyTorch baseline skipped: TAMSAEK_BENCH_NO_TORCH is set' };
  const torch = torchAvailable();
  if (!torch) return { note: 'PyTorch baseline skipped: `import torch` fails with /usr/bin/python3 and python3' };
  const args = { ...o.shape, threads: o.threads, batch: o.batch, lengths: o.lengths, reps: o.reps };
  Object.assign(args, { queryTokens: o.queryTokens, queryReps: o.queryReps, rerankPairs: o.rerankPairs });
  Object.assign(args, { rerankTokens: o.rerankTokens[0], rerankReps: o.rerankReps });
  const script = path.join(ROOT, 'bench', 'lib', 'torch_xlmr.py');
  const r = spawnSync(torch.python, [script, JSON.stringify(args)], {
    encoding: 'utf8',
    maxBuffer: 16 << 20,
    env: { ...process.env, OMP_NUM_THREADS: String(o.threads) },
  });
  if (r.stderr) for (const line of r.stderr.trim().split('\n')) if (line) log(`[torch] ${line}`);
  if (r.status !== 0) return { note: `PyTorch baseline failed (exit ${r.status})` };
  return { ...JSON.parse(r.stdout.trim().split('\n').pop()), version: torch.version };
}

function push(results, name, value, unit) {
  if (value !== undefined && Number.isFinite(value)) results.push({ name, value: sig(value, 4), unit });
}

function timingResults(results, t, lengths) {
  for (const L of lengths) {
    push(results, `fp32_passages_per_s_${L}`, t.passages[L].fp32, 'passages/s');
    push(results, `int8_passages_per_s_${L}`, t.passages[L].int8, 'passages/s');
    push(results, `int8_speedup_${L}`, t.passages[L].speedup, 'x');
  }
  push(results, 'fp32_query_p50_ms', t.query.fp32, 'ms');
  push(results, 'int8_query_p50_ms', t.query.int8, 'ms');
  for (const [tokens, r] of Object.entries(t.rerank)) {
    push(results, `fp32_rerank_p50_s_${tokens}`, r.fp32, 's');
    push(results, `int8_rerank_p50_s_${tokens}`, r.int8, 's');
    push(results, `int8_rerank_speedup_${tokens}`, r.speedup, 'x');
  }
}

function agreementResults(results, init, a) {
  const e = a.embeddings;
  const s = a.scores;
  push(results, `${init}.embed_min_cosine`, e.minCosine, '');
  push(results, `${init}.embed_mean_cosine`, e.meanCosine, '');
  push(results, `${init}.embed_min_centered_cosine`, e.minCenteredCosine, '');
  push(results, `${init}.embed_fp32_mean_pairwise_cosine`, e.meanPairwiseCosine, '');
  push(results, `${init}.rerank_min_kendall_tau`, s.minKendallTau, '');
  push(results, `${init}.rerank_mean_kendall_tau`, s.meanKendallTau, '');
  push(results, `${init}.rerank_max_abs_logit_diff`, s.maxAbsLogitDiff, '');
  push(results, `${init}.rerank_mean_abs_logit_diff`, s.meanAbsLogitDiff, '');
  push(results, `${init}.rerank_fp32_logit_spread`, s.meanLogitSpread, '');
}

function acceptanceNotes(results, o) {
  const get = (n) => results.find((r) => r.name === n)?.value;
  const check = (ok, text) => `${ok ? 'PASS' : 'FAIL'}: ${text}`;
  const notes = [];
  const speed = get('int8_speedup_128');
  notes.push(check(speed >= ACCEPT.int8Speedup128, `int8 embedding throughput at 128 tokens ${speed}× fp32 (≥ 2×)`));
  for (const init of o.inits) {
    const cos = get(`${init}.embed_min_cosine`);
    const tau = get(`${init}.rerank_min_kendall_tau`);
    notes.push(check(cos >= ACCEPT.minCosine, `${init} weights: int8 vs fp32 embedding cosine min ${cos} (≥ 0.99)`));
    notes.push(
      check(tau >= ACCEPT.minTau, `${init} weights: rerank top-${o.rerankPairs} Kendall τ min ${tau} (≥ 0.9)`),
    );
  }
  const rr = get(`int8_rerank_p50_s_${o.rerankTokens[0]}`);
  notes.push(
    check(
      rr <= ACCEPT.rerankInt8S,
      `rerank ${o.rerankPairs} pairs × ${o.rerankTokens[0]} tokens int8 p50 ${rr} s (≤ 2.5 s)`,
    ),
  );
  return notes;
}

async function prepareAll(o, log) {
  const cache = modelCache(o.tiny);
  const models = {};
  const setup = [];
  for (const init of [...new Set(['hf', ...o.inits])])
    for (const head of ['encoder', 'cross-encoder']) {
      const m = await prepare(cache, o.shape, init, head, log);
      models[`${init}.${head}`] = m.dir;
      if (m.generateS !== undefined) setup.push({ name: `${init}.${head}.generate_s`, value: m.generateS });
      if (m.quantizeS !== undefined) setup.push({ name: `${init}.${head}.quantize_s`, value: m.quantizeS });
    }
  return { models, setup };
}

function rssResults(results, o, models, log) {
  for (const head of ['encoder', 'cross-encoder'])
    for (const file of ['onnx/model.onnx', QUANTIZED]) {
      const cfg = { ...o, model: models[`hf.${head}`], head, file };
      const { maxRssMb } = child('rss', cfg, log);
      push(
        results,
        `peak_rss_mb.${head === 'encoder' ? 'encoder' : 'reranker'}_${file === QUANTIZED ? 'int8' : 'fp32'}`,
        maxRssMb,
        'MB',
      );
    }
}

function torchResults(results, notes, o, log) {
  const torch = torchBaseline(o, log);
  if (torch.note) {
    notes.push(torch.note);
    return;
  }
  notes.push(
    `PyTorch ${torch.version} (${torch.model}), ${o.threads} threads, eager fp32 and torch dynamic int8 (nn.Linear)`,
  );
  for (const L of o.lengths) {
    push(results, `torch_fp32_passages_per_s_${L}`, torch.passages[L].fp32, 'passages/s');
    push(results, `torch_int8_passages_per_s_${L}`, torch.passages[L].int8, 'passages/s');
    const ours = results.find((r) => r.name === `int8_passages_per_s_${L}`)?.value;
    push(results, `int8_vs_torch_fp32_${L}`, ours / torch.passages[L].fp32, 'x');
  }
  push(results, 'torch_fp32_query_p50_ms', torch.query.fp32, 'ms');
  push(results, `torch_fp32_rerank_p50_s_${o.rerankTokens[0]}`, torch.rerank.fp32, 's');
  push(results, `torch_int8_rerank_p50_s_${o.rerankTokens[0]}`, torch.rerank.int8, 's');
  // the whole script: fp32 and int8 copies of the encoder, then of the cross-encoder
  push(results, 'peak_rss_mb.torch_script', torch.maxRssMb, 'MB');
}

export async function run(options = {}) {
  const log = options.log ?? ((...a) => console.error('[models]', ...a));
  const o = { ...(options.tiny ? TINY : DEFAULTS), tiny: Boolean(options.tiny) };
  if (options.threads) o.threads = options.threads;
  const { models, setup } = await prepareAll(o, log);
  const results = [];
  const notes = [
    `synthetic ${o.tiny ? 'tiny' : 'XLM-R-large'} models (${JSON.stringify(o.shape)} over the XLM-R-large shape), ${o.threads} intra-op threads, batch ${o.batch}; int8 = tamsaek quantize (MatMulIntegerToFloat, per-channel 8-bit weights, smoothing α 0.5, int8 word embeddings)`,
  ];
  const t = child('timing', { ...o, encoder: models['hf.encoder'], reranker: models['hf.cross-encoder'] }, log);
  timingResults(results, t, o.lengths);
  rssResults(results, o, models, log);
  for (const init of o.inits) {
    const a = child(
      'agreement',
      { ...o, encoder: models[`${init}.encoder`], reranker: models[`${init}.cross-encoder`] },
      log,
    );
    agreementResults(results, init, a);
  }
  const s = child('static', o, log);
  push(results, 'static.passages_per_s_150_chars', s.passagesPerS, 'passages/s');
  push(results, 'static.query_p50_ms', s.queryP50Ms, 'ms');
  push(results, 'peak_rss_mb.static', s.maxRssMb, 'MB');
  torchResults(results, notes, o, log);
  for (const x of setup) push(results, x.name, x.value, 's');
  if (!o.tiny) notes.push(...acceptanceNotes(results, o));
  notes.push(
    `timing ratios are medians of per-repetition fp32/int8 pairs (${o.reps} repetitions; rerank ${o.rerankReps})`,
  );
  return { results, notes };
}

export async function childMain(kind, config) {
  const fn = CHILDREN[kind];
  if (!fn) throw new Error(`unknown child ${kind}`);
  const out = await fn(config);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

if (isMain(import.meta.url)) {
  const i = process.argv.indexOf('--child');
  if (i >= 0) await childMain(process.argv[i + 1], JSON.parse(process.argv[i + 2]));
  else
    await runStandalone('models', {
      parseCli: (argv) => parseSuiteCli(argv, { out: 'string', tiny: 'flag', threads: 'number' }),
      run,
    });
}
