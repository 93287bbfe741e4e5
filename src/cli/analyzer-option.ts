/**
 * `--analyzer`: a name (`ko-mecab`, `ko-morph+bigram` …), an analyzer config as inline JSON
 * (`{"name": "ko-mecab", "userDictionary": ["그루브웍스"]}`), or the path of a `.json` file holding one —
 * what `createAnalyzer` takes, which checks the config's contents. In a config, `userDictionary`,
 * `stopwords` and `synonyms` may also name a text file (relative to the JSON file, or to the working
 * directory for inline JSON), in the formats Elasticsearch's Nori and synonym filters read:
 *   userDictionary  one word per line, optionally followed by its parts: `세종시 세종 시`
 *   stopwords       one word per line
 *   synonyms        one group of equivalent terms per line, comma-separated: `기초연금, 노령연금`
 * Empty lines and lines starting with `#` are skipped.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { AnalyzerConfig, UserWord } from '../analyze/types.js';
import { UsageError } from './args.js';

export async function analyzerOption(text: string | undefined): Promise<string | AnalyzerConfig | undefined> {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') && !trimmed.endsWith('.json')) return text;
  const fromFile = !trimmed.startsWith('{');
  const json = fromFile ? await readText(trimmed, '--analyzer') : trimmed;
  let config: unknown;
  try {
    config = JSON.parse(json);
  } catch (error) {
    throw new UsageError(`--analyzer: not valid JSON (${(error as Error).message})`);
  }
  if (
    !config ||
    typeof config !== 'object' ||
    Array.isArray(config) ||
    typeof (config as { name?: unknown }).name !== 'string'
  )
    throw new UsageError('--analyzer: a config must be a JSON object with a "name" (ko-morph, ko-mecab, …)');
  return withListFiles(config as Record<string, unknown>, fromFile ? dirname(resolve(trimmed)) : process.cwd());
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${what} ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
}

/** The config with each word-list field that names a file replaced by the file's entries. */
async function withListFiles(config: Record<string, unknown>, base: string): Promise<AnalyzerConfig> {
  const out = { ...config };
  const lines = async (key: string) =>
    (await readText(resolve(base, config[key] as string), `--analyzer ${key}`))
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
  if (typeof config.userDictionary === 'string')
    out.userDictionary = (await lines('userDictionary')).map((l): string | UserWord => {
      const [word, ...parts] = l.split(/\s+/);
      return parts.length ? { word: word!, parts } : word!;
    });
  if (typeof config.stopwords === 'string') out.stopwords = await lines('stopwords');
  if (typeof config.synonyms === 'string') {
    out.synonyms = (await lines('synonyms')).map((l) => {
      if (l.includes('=>'))
        throw new UsageError(`--analyzer synonyms: "${l}": only equivalent groups (a, b, c), not one-way rules (=>)`);
      return l
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
    });
  }
  return out as unknown as AnalyzerConfig;
}
