// Sentences for analyzer throughput: split the shared Korean corpora into sentences, sample deterministically.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32, shuffleInPlace } from '../../dist/util/random.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SENTENCE_SPLIT = /(?<=[.!?。])\s+|\n+/;
const SHARED_CORPORA = ['autorag-ko/corpus.jsonl', 'welfare-ssis/corpus.jsonl'];

/**
 * The corpus files to draw sentences from: $TAMSAEK_DATASETS (or ../shared/datasets next to the repo root)
 * autorag-ko + welfare-ssis; when none exists, the small datasets/sample-ko of the repo (`fallback: true`).
 */
export function corpusFiles(env = process.env) {
  const root = env.TAMSAEK_DATASETS ? path.resolve(env.TAMSAEK_DATASETS) : path.resolve(REPO, '../shared/datasets');
  const files = SHARED_CORPORA.map((f) => path.join(root, f)).filter((f) => existsSync(f));
  if (files.length > 0) return { root, files, fallback: false };
  return { root, files: [path.join(REPO, 'datasets/sample-ko/corpus.jsonl')], fallback: true };
}

export function splitSentences(text) {
  const out = [];
  for (const s of String(text ?? '').split(SENTENCE_SPLIT)) {
    const t = s.trim();
    if (t) out.push(t);
  }
  return out;
}

/** All sentences of the corpus files (title excluded), then a seeded sample of at most `count`. */
export function sampleSentences(files, count, seed = 20261123) {
  const all = [];
  for (const file of files) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      all.push(...splitSentences(JSON.parse(line).text));
    }
  }
  const total = all.length;
  shuffleInPlace(all, mulberry32(seed));
  return { sentences: all.slice(0, Math.min(count, total)), total };
}
