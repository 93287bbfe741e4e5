#!/usr/bin/env node
/** `tamsaek` command line: the only place (with serve/) that touches argv, stdout and the exit code. */
import { readFileSync } from 'node:fs';
import { TamsaekError } from '../errors.js';
import { adaptCommand } from './adapt.js';
import { UsageError } from './args.js';
import {
  analyzeCommand,
  analyzersCommand,
  embedCommand,
  evalCommand,
  type Io,
  indexCommand,
  searchCommand,
  serveCommand,
  tuneCommand,
  USAGE,
} from './commands.js';
import { exportCommand, fusionAsCommand } from './export.js';
import { INFO_USAGE, infoCommand } from './info.js';
import { QUANTIZE_USAGE, quantizeCommand } from './quantize.js';
import { exportOnnxCommand, mineCommand, trainCommand } from './train.js';

const COMMANDS: Record<string, (argv: string[], io: Io) => Promise<void>> = {
  index: indexCommand,
  search: searchCommand,
  eval: (argv, io) =>
    argv.some((a) => a.split('=')[0] === '--fusion-as') ? fusionAsCommand(argv, io) : evalCommand(argv, io),
  export: exportCommand,
  tune: tuneCommand,
  analyze: analyzeCommand,
  analyzers: analyzersCommand,
  serve: serveCommand,
  embed: embedCommand,
  train: trainCommand,
  adapt: adaptCommand,
  mine: mineCommand,
  'export-onnx': exportOnnxCommand,
  info: infoCommand,
  quantize: quantizeCommand,
};
const ALL_USAGE = { ...USAGE, ...INFO_USAGE, ...QUANTIZE_USAGE };

const HELP = `tamsaek — Korean hybrid retrieval

commands:
  ${Object.values(ALL_USAGE).join('\n  ')}

options: --help on any command, --debug for stack traces, --version`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: string[], io: Io): Promise<number> {
  const debug = argv.includes('--debug');
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.out(HELP);
      return command === undefined ? 2 : 0;
    }
    if (command === '--version' || command === '-v') {
      io.out(version());
      return 0;
    }
    const run = COMMANDS[command];
    if (!run) throw new UsageError(`unknown command "${command}"\n${HELP}`);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(ALL_USAGE[command as keyof typeof ALL_USAGE]);
      return 0;
    }
    await run(rest, io);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`tamsaek: ${error.message}`);
      return 2;
    }
    const message =
      error instanceof TamsaekError ? `${error.message} [${error.code}]` : ((error as Error)?.message ?? String(error));
    io.err(`tamsaek: ${message.split('\n')[0]}`);
    if (debug && error instanceof Error && error.stack) io.err(error.stack);
    return 1;
  }
}

const io: Io = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};
process.exitCode = await main(process.argv.slice(2), io);
