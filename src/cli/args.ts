/** Argument parsing on node's util.parseArgs (strict: unknown options are errors). */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { ChunkOptions } from '../util/chunker.js';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  /** option name → its string value (string options) */
  text: (name: string) => string | undefined;
  flag: (name: string) => boolean;
  positionals: string[];
}

const COMMON: Options = { help: { type: 'boolean', short: 'h' }, debug: { type: 'boolean' } };

/**
 * parseArgs reads `--lr -1` as two options and calls it ambiguous; a value that looks like a negative
 * number belongs to the string option before it, so the range check can name the real problem.
 */
function joinNegativeValues(argv: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (
      a.startsWith('--') &&
      !a.includes('=') &&
      options[a.slice(2)]?.type === 'string' &&
      next !== undefined &&
      /^-(\d|\.\d|Infinity)/.test(next)
    ) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

export function parse(argv: string[], options: Options, usage: string): Parsed {
  argv = joinNegativeValues(argv, options);
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: { ...options, ...COMMON },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split('\n')[0]}\n${usage}`);
  }
  return {
    text: (name) => {
      const v = values[name];
      return typeof v === 'string' ? v : undefined;
    },
    flag: (name) => values[name] === true,
    positionals,
  };
}

export function intOption(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be an integer in ${min}..${max}, got "${value}"`);
  return n;
}

/** One of a fixed set of words, e.g. `--space full|weight`. */
export function choiceOption<T extends string>(
  value: string | undefined,
  name: string,
  choices: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value))
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got "${value}"`);
  return value as T;
}

export function numberOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${value}"`);
  return n;
}

/** `--passages none|<chars>[:<overlap>]`: the dense leg's passage split (none: whole documents). */
export function passagesOption(value: string | undefined): ChunkOptions | false | undefined {
  if (value === undefined) return undefined;
  if (value === 'none') return false;
  const m = /^(\d+)(?::(\d+))?$/.exec(value);
  if (!m || Number(m[2] ?? 0) >= Number(m[1]) || Number(m[1]) < 1)
    throw new UsageError(`--passages must be none or <chars>[:<overlap>] with overlap < chars, got "${value}"`);
  return { by: 'chars', size: Number(m[1]), overlap: Number(m[2] ?? 0) };
}
