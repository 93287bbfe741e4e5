// Static model suite: sentences/s of the native pooling from already-analyzed features
// (static_embed_features_per_s), end-to-end texts/s with the ko-morph analyzer (static_embed_texts_per_s),
// and train_seconds / train_peak_rss_mb of the shipped recipe (a child `tamsaek train` process; skipped
// with --tiny or when ../shared/datasets is absent — then the numbers recorded in models/<name>/config.json
// are reported instead).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATA = process.env.TAMSAEK_DATASETS ?? path.resolve(ROOT, '..', 'shared', 'datasets');

export function available() {
  return existsSync(path.join(ROOT, 'dist', 'models', 'static.js')) || 'run npm run build first';
}

export async function run(opts = {}) {
  const log = opts.log ?? ((s) => process.stderr.write(`${s}\n`));
  const { loadEmbedder, defaultModelDir } = await import('../dist/models/index.js');
  const { sparsePool } = await import('../dist/native/sparse.js');
  const results = [];
  const notes = [];
  const push = (name, value, unit, note) => {
    results.push({ name, value: Number(value.toPrecision(4)), unit, ...(note ? { note } : {}) });
    log(`  ${name} = ${value.toPrecision(4)} ${unit}${note ? `  (${note})` : ''}`);
  };
  const model = await loadEmbedder(undefined);
  // sentences: welfare-ssis queries when present, else a synthetic Korean sample
  let texts = [];
  const q = path.join(DATA, 'welfare-ssis', 'queries.jsonl');
  if (existsSync(q))
    texts = readFileSync(q, 'utf8')
      .trim()
      .split('\n')
      .slice(0, opts.tiny ? 500 : 4000)
      .map((l) => JSON.parse(l).text);
  else for (let i = 0; i < 2000; i++) texts.push(`국민연금 수급 자격 ${i}번 문의와 기초연금 신청 방법을 알려주세요`);
  // end to end (analyzer included)
  let t0 = performance.now();
  await model.embed(texts);
  const e2e = texts.length / ((performance.now() - t0) / 1000);
  // features only (analysis done once, outside the timer)
  const batch = model.featurizer.batch(texts);
  const out = new Float32Array(texts.length * model.dim);
  const reps = opts.tiny ? 3 : 20;
  await sparsePool(batch, model.weights, { normalize: true, out });
  t0 = performance.now();
  for (let r = 0; r < reps; r++) await sparsePool(batch, model.weights, { normalize: true, out });
  const feat = (texts.length * reps) / ((performance.now() - t0) / 1000);
  const nnz = batch.offsets[batch.offsets.length - 1] / texts.length;
  push(
    'static_embed_features_per_s',
    feat,
    'sentences/s',
    `native int8 pooling, ${nnz.toFixed(0)} features/sentence, dim ${model.dim}`,
  );
  push('static_embed_texts_per_s', e2e, 'texts/s', 'ko-morph + bigram features + pooling');
  // training cost of the shipped recipe: the command its config.json records, datasets and --out remapped
  const cfg = JSON.parse(readFileSync(path.join(defaultModelDir(), 'config.json'), 'utf8'));
  if (!opts.tiny && existsSync(path.join(DATA, 'welfare-ssis')) && process.env.TAMSAEK_BENCH_TRAIN !== '0') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tsk-train-'));
    try {
      const args = ['dist/cli/main.js', 'train', ...shippedRecipe(cfg.training?.command, path.join(dir, 'm'))];
      const t = performance.now();
      const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`train failed: ${r.stderr}`);
      const s = JSON.parse(r.stdout.trim().split('\n').pop());
      push(
        'train_seconds',
        (performance.now() - t) / 1000,
        's',
        `end to end (analysis ${(s.total_seconds - s.train_seconds).toFixed(0)} s + optimisation ${s.train_seconds} s, ${s.steps} steps)`,
      );
      push('train_peak_rss_mb', s.peak_rss_mb, 'MB', 'sampled process RSS during training');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } else {
    notes.push(
      `train_* not measured (--tiny or no datasets); the shipped model's config.json records ${JSON.stringify(cfg.training?.trainSeconds)} s of optimisation`,
    );
  }
  return { results, notes };
}

/** The `tamsaek train` arguments of a recorded command, with ../shared/datasets paths mapped to DATA and --out replaced. */
function shippedRecipe(command, out) {
  if (typeof command !== 'string' || !command.startsWith('tamsaek train '))
    throw new Error(`the shipped model records no training command (${JSON.stringify(command)})`);
  const args = command
    .slice('tamsaek train '.length)
    .trim()
    .split(/\s+/)
    .map((a) => (a.startsWith('../shared/datasets/') ? path.join(DATA, a.slice('../shared/datasets/'.length)) : a));
  args[args.indexOf('--out') + 1] = out;
  for (const flag of ['--json', '-q']) if (!args.includes(flag)) args.push(flag);
  return args;
}
