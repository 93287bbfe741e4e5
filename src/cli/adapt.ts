/** `tamsaek adapt INDEX`, and the --adapt flags of index and eval. */
import { Engine } from '../engine/engine.js';
import type { LegAdaptOptions } from '../legs/dense/leg.js';
import { intOption, numberOption, parse, UsageError } from './args.js';
import type { Io } from './io.js';
import { createProgress } from './progress.js';

export const ADAPT_USAGE = {
  adapt:
    'usage: tamsaek adapt <index-dir> [--adapt-seconds 45] [--seed 42] [--json]   (adapts the static model to the documents stored: documents only, no queries; every document re-embedded; saved atomically)',
} as const;

export const adaptFlags = {
  adapt: { type: 'boolean' },
  'no-adapt': { type: 'boolean' },
  'adapt-seconds': { type: 'string' },
} as const;
export const seedFlag = { seed: { type: 'string' } } as const;

/**
 * --adapt [--adapt-seconds N] / --no-adapt as the dense leg's adapt option: undefined leaves the default
 * (a static model adapts), false turns it off.
 */
export function adaptOption(args: ReturnType<typeof parse>, seed?: number): LegAdaptOptions | false | undefined {
  if (args.flag('no-adapt')) {
    if (args.flag('adapt') || args.text('adapt-seconds') !== undefined || seed !== undefined)
      throw new UsageError('--no-adapt goes alone (not with --adapt, --adapt-seconds or --seed)');
    return false;
  }
  const seconds = numberOption(args.text('adapt-seconds'), 'adapt-seconds');
  if (seconds !== undefined && !(seconds > 0)) throw new UsageError('--adapt-seconds must be a positive number');
  if (!args.flag('adapt') && seconds === undefined && seed === undefined) return undefined;
  return { ...(seconds !== undefined ? { seconds } : {}), ...(seed !== undefined ? { seed } : {}) };
}

export async function adaptCommand(argv: string[], io: Io): Promise<void> {
  const args = parse(
    argv,
    {
      'adapt-seconds': { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
    },
    ADAPT_USAGE.adapt,
  );
  if (args.positionals.length !== 1) throw new UsageError(ADAPT_USAGE.adapt);
  const seconds = numberOption(args.text('adapt-seconds'), 'adapt-seconds');
  if (seconds !== undefined && !(seconds > 0)) throw new UsageError('--adapt-seconds must be a positive number');
  const seed = intOption(args.text('seed'), 'seed', 0, 2 ** 31);
  const progress = createProgress(!args.flag('quiet'));
  const engine = await Engine.open(args.positionals[0]);
  try {
    const started = performance.now();
    await engine.adapt({
      ...(seconds !== undefined ? { seconds } : {}),
      ...(seed !== undefined ? { seed } : {}),
      onProgress: (done, total, stage) => progress.update(stage ?? 'adapt', done, total),
    });
    progress.update('save', 0, 1);
    await engine.save();
    progress.stop();
    const leg = engine.describe().legs.find((l) => l.adapted);
    const summary = {
      index: args.positionals[0],
      seconds: (performance.now() - started) / 1000,
      adapted: leg?.adapted,
    };
    if (args.flag('json')) io.out(JSON.stringify(summary));
    else io.err(`adapted ${leg?.name} to ${engine.size} documents in ${summary.seconds.toFixed(1)} s → ${leg?.model}`);
  } finally {
    progress.stop();
    await engine.close();
  }
}
