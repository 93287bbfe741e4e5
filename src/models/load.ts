/**
 * The one entry point that turns a model name into an embedder, used by eval, index, tune, embed and
 * serve: "default" (or no name) = the static model shipped in the package (models/DEFAULT_MODEL);
 * a local directory whose config.json says `"tamsaek_model": "static"` = StaticEmbedder; anything
 * else (an ONNX directory or a Hub id) = OnnxEmbedder.
 */

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TamsaekError } from '../errors.js';
import type { EmbedderOptions, OnnxEmbedder } from './embedder.js';
import { modelDirKind } from './model-dir.js';
import type { StaticEmbedder, StaticEmbedderOptions } from './static.js';

/** Name of the shipped default dense model (a directory under the package's models/). */
export const DEFAULT_MODEL = 'tamsaek-static-ko-v2';

/** Absolute path of the shipped default model directory. */
export function defaultModelDir(): string {
  // dist/models/load.js -> package root is two levels up
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'models', DEFAULT_MODEL);
}

/** Maps "default" / undefined / the default model's name to its directory; other names pass through. */
export function resolveModelName(model: string | undefined): string {
  if (model === undefined || model === 'default' || model === DEFAULT_MODEL) {
    const dir = defaultModelDir();
    if (!existsSync(join(dir, 'config.json'))) {
      throw new TamsaekError(
        'NOT_FOUND',
        `the default dense model is missing (${dir}); reinstall tamsaek or pass --model <dir|id>`,
      );
    }
    return dir;
  }
  return model;
}

export type AnyEmbedder = OnnxEmbedder | StaticEmbedder;

/** Loads a model by name: the default static model, a static model directory, or an ONNX model (directory or Hub id). */
export async function loadEmbedder(
  model: string | undefined,
  options: EmbedderOptions = {},
  staticOptions: Pick<StaticEmbedderOptions, 'morphemes'> = {},
): Promise<AnyEmbedder> {
  const name = resolveModelName(model);
  if ((await modelDirKind(name)) === 'static') {
    const { StaticEmbedder } = await import('./static.js');
    const o: StaticEmbedderOptions = { ...staticOptions };
    if (options.threads !== undefined) o.threads = options.threads;
    if (options.batchSize !== undefined) o.batchSize = Math.max(options.batchSize, 64);
    return StaticEmbedder.load(name, o);
  }
  const { OnnxEmbedder } = await import('./embedder.js');
  return OnnxEmbedder.load(name, options);
}
