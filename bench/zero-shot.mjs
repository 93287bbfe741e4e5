// zero-shot suite: the default hybrid on corpora its model never saw, learned from the corpus alone.
//
// For each shared set, a base static model is trained with the shipped recipe minus that set's documents
// and queries (cached under bench/out/zero-shot/, keyed by the recipe), then evaluated with the engine's
// defaults: the model adapts to the set's corpus (documents only), and the legs are fused with the
// label-free default weights. Reports BM25, the adapted dense leg, the hybrid, a paired randomization
// test of hybrid vs BM25 (nDCG@10), adaptation seconds and peak RSS; plus adapt_seconds_100k, the
// adaptation of the shipped model to 100k Korean-like documents made from the sets' sentences.
//
//   npm run bench -- zero-shot            node bench/zero-shot.mjs [--skip-100k] [--out f.json]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMain, parseSuiteCli, runStandalone } from './lib/standalone.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATA = process.env.TAMSAEK_DATASETS ?? path.resolve(ROOT, '..', 'shared', 'datasets');
const CACHE = path.join(ROOT, 'bench', 'out', 'zero-shot');
const PAIRS = ['question_pair', 'chatbot_data', 'kornli_xnli', 'korsts'].map((f) => `train-pairs/${f}.jsonl`);
const RECIPE =
  '--loss mnrl --symmetric --dim 448 --buckets 262144 --rows 32768 --batch-size 512 --epochs 3 --lr 0.02 --scale 12 --int8 --seed 42';
/** What each set's base model is trained on: the shipped model's sources without that set. */
const WITHOUT = {
  'autorag-ko': ['--qrels', 'welfare-ssis', '--corpus', 'welfare-ssis'],
  'welfare-ssis': ['--corpus', 'autorag-ko'],
};

export function available() {
  if (!existsSync(path.join(ROOT, 'dist', 'index.js'))) return 'run npm run build first';
  for (const need of ['autorag-ko', 'welfare-ssis', 'train-pairs'])
    if (!existsSync(path.join(DATA, need))) return `the shared datasets are not at ${DATA} (missing ${need})`;
  return true;
}

/** The base model without `set`, trained once per recipe and cached. */
function baseModel(set, log) {
  const dir = path.join(CACHE, `base-no-${set}`);
  const recipe = [...WITHOUT[set], '--pairs', ...PAIRS, ...RECIPE.split(' ')];
  const key = JSON.stringify(recipe);
  const stamp = path.join(dir, 'bench-recipe.json');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === key) return dir;
  log(`zero-shot: training the base model without ${set} (the shipped recipe minus its documents and queries)`);
  const args = recipe.map((a) => (/^(welfare-ssis|autorag-ko|train-pairs\/)/.test(a) ? path.join(DATA, a) : a));
  const r = spawnSync(
    process.execPath,
    [path.join(ROOT, 'dist/cli/main.js'), 'train', ...args, '--out', dir, '--force', '--json', '-q'],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`training the base model without ${set} failed: ${r.stderr}`);
  writeFileSync(stamp, key);
  return dir;
}

async function measureSet(set, lib, push, log) {
  const model = baseModel(set, log);
  const dir = path.join(DATA, set);
  const bm25 = await lib.evaluateRetriever(dir, { retriever: 'bm25' });
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const dense = await lib.evaluateRetriever(dir, { retriever: 'dense', model });
  clearInterval(timer);
  const hybrid = await lib.evaluateRetriever(dir, { retriever: 'hybrid', model });
  const ids = [...bm25.perQuery.keys()];
  const ndcg = (r) => ids.map((q) => r.perQuery.get(q)['ndcg@10']);
  const t = lib.pairedRandomizationTest(ndcg(hybrid), ndcg(bm25), { seed: 1 });
  const p = `zero_shot.${set}`;
  push(`${p}.bm25_ndcg10`, bm25.metrics['ndcg@10'], '');
  push(`${p}.dense_ndcg10`, dense.metrics['ndcg@10'], '', 'base model without this set, adapted to its corpus');
  push(`${p}.hybrid_ndcg10`, hybrid.metrics['ndcg@10'], '', `labels used: ${hybrid.fusion.labels}`);
  push(`${p}.hybrid_recall1`, hybrid.metrics['recall@1'], '');
  push(`${p}.hybrid_minus_bm25`, t.diff, 'nDCG@10', `paired randomization p = ${t.pValue.toFixed(4)}`);
  push(`${p}.hybrid_vs_bm25_p`, t.pValue, '');
  push(
    `${p}.adapt_seconds`,
    dense.adapted.seconds,
    's',
    `${dense.adapted.pairs} pairs, ${dense.adapted.rowsAdded} rows added`,
  );
  push(
    `${p}.adapt_peak_rss_mb`,
    peak / 2 ** 20,
    'MB',
    'process RSS while indexing the dense leg (adaptation included)',
  );
}

/** 100k Korean-like documents: sentences of the shared sets recombined (seeded). */
function syntheticCorpus(n) {
  const sentences = [];
  for (const set of ['autorag-ko', 'welfare-ssis'])
    for (const line of readFileSync(path.join(DATA, set, 'corpus.jsonl'), 'utf8').split('\n')) {
      if (!line) continue;
      for (const s of JSON.parse(line).text.split(/(?<=[.?!])\s+/)) if (s.length > 20) sentences.push(s);
    }
  let x = 12345;
  const rand = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return Array.from({ length: n }, (_, i) => ({
    id: `d${i}`,
    title: sentences[Math.floor(rand() * sentences.length)].slice(0, 20),
    text: Array.from(
      { length: 3 + Math.floor(rand() * 4) },
      () => sentences[Math.floor(rand() * sentences.length)],
    ).join(' '),
  }));
}

export async function run(opts = {}) {
  const log = opts.log ?? ((s) => process.stderr.write(`${s}\n`));
  mkdirSync(CACHE, { recursive: true });
  const lib = await import('../dist/index.js');
  const { adaptStaticModel } = await import('../dist/train/adapt.js');
  const results = [];
  const push = (name, value, unit, note) => {
    results.push({ name, value: Number(value.toPrecision(4)), unit, ...(note ? { note } : {}) });
    log(`  ${name} = ${value.toPrecision(4)} ${unit}${note ? `  (${note})` : ''}`);
  };
  for (const set of opts.tiny ? ['welfare-ssis'] : ['autorag-ko', 'welfare-ssis'])
    await measureSet(set, lib, push, log);
  if (!opts.tiny && !opts.skip100k) {
    const docs = syntheticCorpus(100_000);
    const base = await lib.loadEmbedder('default');
    const t = performance.now();
    const adapted = await adaptStaticModel(base, docs, { seed: 42 });
    push(
      'adapt_seconds_100k',
      (performance.now() - t) / 1000,
      's',
      `${adapted.record.pairs} pairs sampled, analysis included; goal ≤ 600`,
    );
  }
  return {
    results,
    notes: ['base models: the shipped recipe without the evaluated set (its documents and its queries)'],
  };
}

if (isMain(import.meta.url))
  await runStandalone('zero-shot', {
    parseCli: (argv) => parseSuiteCli(argv, { out: 'string', tiny: 'flag', 'skip-100k': 'flag' }),
    available,
    run,
  });
