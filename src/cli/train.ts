/** `tamsaek train`, `tamsaek mine` and `tamsaek export-onnx`: thin wrappers over src/train/ and src/models/. */
import { writeFile } from 'node:fs/promises';
import { loadBeir } from '../data/beir.js';
import { epochEvaluator, loadEvalSet } from '../eval/quick-dense.js';
import { loadEmbedder } from '../models/load.js';
import { MORPHEME_ANALYZERS } from '../models/static-features.js';
import { exportStaticOnnx } from '../models/static-onnx.js';
import { readDocs, sentences } from '../train/data.js';
import { type MineQuery, mineHardNegatives } from '../train/mine.js';
import { trainPipeline } from '../train/pipeline.js';
import { type Guide, LOSSES, type LossName } from '../train/trainer.js';
import { mulberry32 } from '../util/random.js';
import { choiceOption, intOption, numberOption, parse, passagesOption, UsageError } from './args.js';
import type { Io } from './io.js';
import { createProgress } from './progress.js';

const STRATEGIES = ['absolute', 'relative'] as const;

export const TRAIN_USAGE = {
  train:
    'usage: tamsaek train --out <model-dir> [--force] [--pairs <jsonl…>] [--qrels <beir-dir…>] [--corpus <beir-dir|corpus.jsonl…>] [--loss mnrl|gist|cached-mnrl|cached-gist] [--guide bm25|<model-dir>] [--margin-strategy absolute|relative --margin m] [--mine] [--ict-per-doc 16] [--ict-keep 0] [--bm25-residual 0] [--passages 150:50|none] [--dim 256] [--morphemes ko-morph|ko-mecab] [--buckets 65536] [--rows N] [--batch-size 512] [--epochs 3] [--lr 0.02] [--scale 20] [--symmetric] [--seed 42] [--max-seconds N] [--int8] [--threads N] [--device cpu|cuda|auto] [--eval <beir-dir…> [--eval-split test]] [--json]',
  'export-onnx':
    'usage: tamsaek export-onnx <static-model-dir> --out <dir> [--force] [--json]   (writes <dir>/onnx/model.onnx + config.json + weights; --force overwrites)',
  mine: 'usage: tamsaek mine <beir-dir> --out negatives.jsonl [--split train] [--ict] [--depth 30] [--negatives 1] [--margin-strategy absolute|relative] [--margin m] [--model <dir|id>]',
} as const;

const MULTI = ['pairs', 'qrels', 'corpus', 'eval'];

/** Pulls `--name v1 v2 …` lists out of argv (values run until the next option). */
function takeLists(argv: string[]): { rest: string[]; lists: Record<string, string[]> } {
  const lists: Record<string, string[]> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.startsWith('--') ? a.slice(2).split('=')[0]! : '';
    if (MULTI.includes(name)) {
      const list = (lists[name] ??= []);
      if (a.includes('=')) list.push(a.slice(a.indexOf('=') + 1));
      while (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) list.push(argv[++i]!);
      continue;
    }
    rest.push(a);
  }
  return { rest, lists };
}

const TRAIN_FLAGS = {
  out: { type: 'string', short: 'o' },
  loss: { type: 'string' },
  guide: { type: 'string' },
  'margin-strategy': { type: 'string' },
  margin: { type: 'string' },
  mine: { type: 'boolean' },
  dim: { type: 'string' },
  morphemes: { type: 'string' },
  buckets: { type: 'string' },
  rows: { type: 'string' },
  'batch-size': { type: 'string' },
  epochs: { type: 'string' },
  lr: { type: 'string' },
  scale: { type: 'string' },
  seed: { type: 'string' },
  'max-seconds': { type: 'string' },
  'ict-per-doc': { type: 'string' },
  'ict-keep': { type: 'string' },
  passages: { type: 'string' },
  'bm25-residual': { type: 'string' },
  int8: { type: 'boolean' },
  symmetric: { type: 'boolean' },
  force: { type: 'boolean' },
  'eval-split': { type: 'string' },
  threads: { type: 'string' },
  device: { type: 'string' },
  name: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

/** --guide: GIST's in-batch guide, BM25 by default, or a model; only with a GIST loss. */
async function resolveGuide(loss: LossName, g: string | undefined): Promise<Guide | undefined> {
  if (g !== undefined && !loss.includes('gist')) throw new UsageError('--guide applies to --loss gist or cached-gist');
  if (g === undefined || g === 'bm25') return loss.includes('gist') ? { kind: 'bm25' } : undefined;
  return { kind: 'model', embedder: await loadEmbedder(g) };
}

export async function trainCommand(argv: string[], io: Io): Promise<void> {
  const { rest, lists } = takeLists(argv);
  const args = parse(rest, TRAIN_FLAGS, TRAIN_USAGE.train);
  const out = args.text('out');
  if (!out || args.positionals.length > 0) throw new UsageError(TRAIN_USAGE.train);
  const loss: LossName = choiceOption(args.text('loss'), 'loss', LOSSES) ?? 'mnrl';
  const guide = await resolveGuide(loss, args.text('guide'));
  // one --margin-strategy/--margin serves both GIST's false-negative filter and --mine's
  const marginStrategy = choiceOption(args.text('margin-strategy'), 'margin-strategy', STRATEGIES);
  const margin = numberOption(args.text('margin'), 'margin');
  const progress = createProgress(!args.flag('quiet'));
  const result = await trainPipeline({
    pairs: lists.pairs,
    qrels: lists.qrels,
    corpora: lists.corpus,
    mine: args.flag('mine'),
    loss,
    guide,
    marginStrategy,
    margin,
    mineMarginStrategy: marginStrategy,
    mineMargin: margin,
    dim: intOption(args.text('dim'), 'dim', 8, 4096),
    morphemes: choiceOption(args.text('morphemes'), 'morphemes', MORPHEME_ANALYZERS),
    buckets: intOption(args.text('buckets'), 'buckets', 1, 1 << 26),
    rows: intOption(args.text('rows'), 'rows', 32, 1 << 26),
    batchSize: intOption(args.text('batch-size'), 'batch-size', 2, 1 << 16),
    epochs: intOption(args.text('epochs'), 'epochs', 1, 1000),
    lr: numberOption(args.text('lr'), 'lr'),
    scale: numberOption(args.text('scale'), 'scale'),
    symmetric: args.flag('symmetric'),
    seed: intOption(args.text('seed'), 'seed', 0, 2 ** 31),
    maxSeconds: numberOption(args.text('max-seconds'), 'max-seconds'),
    ictPerDoc: intOption(args.text('ict-per-doc'), 'ict-per-doc', 1, 10_000),
    ictKeep: numberOption(args.text('ict-keep'), 'ict-keep'),
    passages: passagesOption(args.text('passages')),
    bm25Residual: intOption(args.text('bm25-residual'), 'bm25-residual', 0, 16),
    threads: intOption(args.text('threads'), 'threads', 1, 1024),
    device: choiceOption(args.text('device'), 'device', ['cpu', 'cuda', 'auto'] as const),
    dtype: args.flag('int8') ? 'int8' : 'float32',
    name: args.text('name'),
    out,
    force: args.flag('force'),
    // read before any work: a bad path fails now, not after the first epoch
    evaluators: await Promise.all(
      (lists.eval ?? []).map(async (dir) => epochEvaluator(await loadEvalSet(dir, args.text('eval-split') ?? 'test'))),
    ),
    onEval: (e) => {
      if (args.flag('quiet')) return;
      progress.stop();
      io.err(
        `epoch ${e.epoch}: ${e.set} (${e.split}) nDCG@10 ${e['ndcg@10'].toFixed(4)} R@1 ${e['recall@1'].toFixed(4)}`,
      );
    },
    command: `tamsaek train ${argv.filter((a) => a !== '--force').join(' ')}`,
    onStage: (stage, done, total) => progress.update(stage, done, total),
    onStep: (s) =>
      progress.update(
        `train loss ${s.avgLoss.toFixed(3)} · ${Math.round(s.pairsPerSec)} pairs/s`,
        s.step,
        s.totalSteps,
      ),
  });
  progress.stop();
  const summary = {
    out,
    pairs: result.pairs,
    sources: result.bySource,
    texts: result.texts,
    steps: result.steps,
    train_seconds: Number(result.trainSeconds.toFixed(1)),
    total_seconds: Number(result.totalSeconds.toFixed(1)),
    final_loss: Number(result.finalLoss.toFixed(4)),
    peak_rss_mb: result.peakRssMb,
    ...(result.evals.length ? { eval: result.evals } : {}),
  };
  if (args.flag('json')) io.out(JSON.stringify(summary));
  else
    io.err(
      `trained ${result.steps} steps on ${result.pairs} pairs in ${summary.train_seconds} s (total ${summary.total_seconds} s, loss ${summary.final_loss}, peak RSS ${summary.peak_rss_mb} MB) → ${out}`,
    );
}

export async function mineCommand(argv: string[], io: Io): Promise<void> {
  const args = parse(
    argv,
    {
      out: { type: 'string', short: 'o' },
      split: { type: 'string' },
      ict: { type: 'boolean' },
      depth: { type: 'string' },
      negatives: { type: 'string' },
      skip: { type: 'string' },
      'margin-strategy': { type: 'string' },
      margin: { type: 'string' },
      model: { type: 'string' },
      seed: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
    },
    TRAIN_USAGE.mine,
  );
  const out = args.text('out');
  if (!out || args.positionals.length !== 1) throw new UsageError(TRAIN_USAGE.mine);
  const dir = args.positionals[0]!;
  const split = args.text('split') ?? 'train';
  if (split === 'test') throw new UsageError('mine: refusing the test split (its queries must never reach training)');
  const docs = await readDocs(dir);
  const queries: MineQuery[] = [];
  if (args.flag('ict')) {
    const random = mulberry32(intOption(args.text('seed'), 'seed', 0, 2 ** 31) ?? 42);
    for (const d of docs) {
      const sents = sentences(d.text);
      if (sents.length < 2) continue;
      const s = sents[Math.floor(random() * sents.length)]!;
      queries.push({ anchor: s, positives: [d.id], positiveText: d.full.replace(s, ' ') });
    }
  } else {
    const ds = await loadBeir(dir, { split });
    const byId = new Map(docs.map((d) => [d.id, d]));
    for (const q of ds.queries) {
      const rel = [...(ds.qrels.get(q.id) ?? new Map<string, number>())].filter(([, s]) => s > 0).map(([id]) => id);
      if (rel.length > 0 && byId.has(rel[0]!)) queries.push({ anchor: q.text, positives: rel });
    }
  }
  const progress = createProgress(!args.flag('quiet'));
  const model = args.text('model');
  const mined = await mineHardNegatives(docs, queries, {
    depth: intOption(args.text('depth'), 'depth', 1, 1000),
    negatives: intOption(args.text('negatives'), 'negatives', 1, 100),
    skip: intOption(args.text('skip'), 'skip', 0, 1000),
    marginStrategy: choiceOption(args.text('margin-strategy'), 'margin-strategy', STRATEGIES),
    margin: numberOption(args.text('margin'), 'margin'),
    model: model ? await loadEmbedder(model) : undefined,
    onProgress: (d, t) => progress.update('mine', d, t),
  });
  progress.stop();
  await writeFile(
    out,
    mined.map((m) => JSON.stringify({ anchor: m.anchor, positive: m.positive, negative: m.negative })).join('\n') +
      (mined.length ? '\n' : ''),
  );
  io.err(`mined ${mined.length} hard negatives for ${queries.length} anchors → ${out}`);
}

export async function exportOnnxCommand(argv: string[], io: Io): Promise<void> {
  const usage = TRAIN_USAGE['export-onnx'];
  const args = parse(
    argv,
    { out: { type: 'string', short: 'o' }, force: { type: 'boolean' }, json: { type: 'boolean' } },
    usage,
  );
  const out = args.text('out');
  if (!out || args.positionals.length !== 1) throw new UsageError(usage);
  const r = await exportStaticOnnx(args.positionals[0]!, out, { force: args.flag('force') });
  if (args.flag('json')) io.out(JSON.stringify(r));
  else
    io.err(`exported ${r.dtype} static model (${r.buckets} x ${r.dim}) → ${r.file} (${(r.bytes / 1e6).toFixed(1)} MB)`);
}
