import { evaluateFusionAs, type FusionAsReport } from '../eval/fusion-as.js';
import { EXPORT_TARGETS, exportIndex } from '../export/index.js';
import type { TunedConfig } from '../tune/index.js';
import { analyzerOption } from './analyzer-option.js';
import { choiceOption, intOption, parse, passagesOption, UsageError } from './args.js';
import { readTunedConfig } from './config-file.js';
import type { Io } from './io.js';
import { createProgress } from './progress.js';

export const EXPORT_USAGE = {
  export:
    'usage: tamsaek export <index-dir> --to opensearch|elasticsearch --out <dir> [--target-version 2.19|3.x (opensearch) | 8.x|9.x (elasticsearch)] [--name <index-name>] [--shards 1] [--replicas 1] [--part-mb 10] [--since <previous-export-dir>] [--force]',
  'eval --fusion-as':
    'usage: tamsaek eval <beir-dir> --fusion-as opensearch|elasticsearch [--target-version …] [--index <dir> | --model <dir|id> [--passages …] [--analyzer <name|config.json|{json}>]] [--config tuned.json | --fusion fixed|adapt] [--split test] [--k N] [--json]',
} as const;

export async function exportCommand(argv: string[], io: Io): Promise<void> {
  const args = parse(
    argv,
    {
      to: { type: 'string' },
      out: { type: 'string', short: 'o' },
      'target-version': { type: 'string' },
      name: { type: 'string' },
      shards: { type: 'string' },
      replicas: { type: 'string' },
      'part-mb': { type: 'string' },
      force: { type: 'boolean' },
      since: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
    },
    EXPORT_USAGE.export,
  );
  const to = args.text('to');
  const out = args.text('out');
  if (args.positionals.length !== 1 || !to || !out) throw new UsageError(EXPORT_USAGE.export);
  choiceOption(to, 'to', EXPORT_TARGETS);
  const partMb = intOption(args.text('part-mb'), 'part-mb', 1, 1024);
  const progress = createProgress(!args.flag('quiet'));
  const started = performance.now();
  const report = await exportIndex(args.positionals[0], {
    to,
    out,
    targetVersion: args.text('target-version'),
    name: args.text('name'),
    shards: intOption(args.text('shards'), 'shards', 1, 1024),
    replicas: intOption(args.text('replicas'), 'replicas', 0, 1024),
    partBytes: partMb === undefined ? undefined : partMb * 1024 * 1024,
    force: args.flag('force'),
    since: args.text('since'),
    onProgress: (done, total) => progress.update('export', done, total),
  });
  progress.stop();
  const { bulk } = report;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const peakMb = (process.resourceUsage().maxRSS / 1024).toFixed(0);
  const delta = report.since
    ? `; since generation ${report.since.generation}: ${bulk.written} changed or new, ${bulk.deleted} deleted, ${bulk.unchanged} unchanged`
    : '';
  io.err(
    `exported ${bulk.documents} documents${delta} (${bulk.vectors} vectors, ${bulk.parts.length} bulk parts, ${(bulk.bytes / 1024 / 1024).toFixed(1)} MiB) for ${report.target.target} ${report.target.version} as index ${report.index} in ${seconds} s, peak RSS ${peakMb} MB → ${report.out} (see README-export.md)`,
  );
}

async function readConfig(path: string | undefined): Promise<TunedConfig | undefined> {
  const config = await readTunedConfig(path);
  return config && { fusion: config.fusion, depth: config.depth ?? 100, rerankTopN: 0 };
}

function printFusionAs(report: FusionAsReport, io: Io): void {
  const target = `${report.target.target} ${report.target.version}`;
  io.out(
    `${report.dataset} (${report.split}, ${report.queries} queries) · fusion ${report.mode} · tamsaek vs ${target} formulas over the same leg results`,
  );
  io.out(`| metric | tamsaek | ${target} | difference |\n|---|---|---|---|`);
  for (const [key, ours] of Object.entries(report.metrics.tamsaek)) {
    const theirs = report.metrics.target[key]!;
    io.out(
      `| ${key} | ${ours.toFixed(4)} | ${theirs.toFixed(4)} | ${(theirs - ours >= 0 ? '+' : '') + (theirs - ours).toFixed(4)} |`,
    );
  }
  io.out(
    `nDCG@10 difference ${report.significance.diff.toFixed(4)} (paired randomization p = ${report.significance.pValue.toFixed(4)}); top-10 overlap ${report.agreement.top10Overlap.toFixed(3)}, same first hit on ${(100 * report.agreement.sameTop1).toFixed(1)}% of queries`,
  );
  for (const c of report.configs) io.out(`  ${JSON.stringify(c.tamsaek)} → ${JSON.stringify(c.target)}`);
}

/** `eval <beir-dir> --fusion-as <target>`; main.ts routes eval here when --fusion-as is given. */
export async function fusionAsCommand(argv: string[], io: Io): Promise<void> {
  const args = parse(
    argv,
    {
      'fusion-as': { type: 'string' },
      'target-version': { type: 'string' },
      retriever: { type: 'string' },
      index: { type: 'string' },
      model: { type: 'string' },
      analyzer: { type: 'string' },
      passages: { type: 'string' },
      config: { type: 'string' },
      fusion: { type: 'string' },
      split: { type: 'string' },
      k: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
    },
    EXPORT_USAGE['eval --fusion-as'],
  );
  const to = args.text('fusion-as');
  if (args.positionals.length !== 1 || !to) throw new UsageError(EXPORT_USAGE['eval --fusion-as']);
  choiceOption(to, 'fusion-as', EXPORT_TARGETS);
  if ((args.text('retriever') ?? 'hybrid') !== 'hybrid')
    throw new UsageError('--fusion-as compares hybrid fusions: --retriever hybrid');
  if (args.text('index') && (args.text('model') || args.text('passages') || args.text('analyzer')))
    throw new UsageError('--index uses the settings stored in the index: drop --model/--passages/--analyzer');
  if (args.text('config') && args.text('fusion')) throw new UsageError('give --config or --fusion, not both');
  const progress = createProgress(!args.flag('quiet') && !args.flag('json'));
  const report = await evaluateFusionAs(args.positionals[0], {
    to,
    targetVersion: args.text('target-version'),
    split: args.text('split'),
    k: intOption(args.text('k'), 'k', 1, 1000),
    index: args.text('index'),
    model: args.text('model'),
    analyzer: await analyzerOption(args.text('analyzer')),
    passages: passagesOption(args.text('passages')),
    config: await readConfig(args.text('config')),
    fusion: choiceOption(args.text('fusion'), 'fusion', ['fixed', 'adapt'] as const),
    seed: intOption(args.text('seed'), 'seed', 0, 2 ** 31 - 1),
    onProgress: (stage, done, total) => progress.update(stage, done, total),
  });
  progress.stop();
  if (args.flag('json')) io.out(JSON.stringify(report));
  else printFusionAs(report, io);
}
