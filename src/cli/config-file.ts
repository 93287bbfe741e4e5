import { readFile } from 'node:fs/promises';
import type { TunedConfig } from '../tune/index.js';
import { UsageError } from './args.js';

/** A query-time configuration file written by `tamsaek tune` (`{ config }` or the bare configuration). */
export async function readTunedConfig(path: string | undefined): Promise<TunedConfig | undefined> {
  if (path === undefined) return undefined;
  let parsed: { config?: TunedConfig } & Partial<TunedConfig>;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8')) as typeof parsed;
  } catch (error) {
    throw new UsageError(`--config ${path}: ${(error as Error).message}`);
  }
  const config = parsed.config ?? parsed;
  if (!config || typeof config !== 'object' || !config.fusion)
    throw new UsageError(
      `--config ${path}: expected {"fusion": …, "depth": …, "rerankTopN": …} (the output of tamsaek tune)`,
    );
  return config as TunedConfig;
}
