/**
 * Training data for static models: a text store that analyzes each distinct text once and caches its
 * hashed feature counts, and pair sources — JSONL pairs ({"anchor","positive","negative"?}), the TRAIN
 * split of a BEIR set (query → relevant document), and self-supervised pairs from documents alone
 * (inverse cloze: a sentence vs the rest of its passage; title vs body).
 */

import { loadBeir, readCorpus, readJsonl, resolveCorpusPath } from '../data/beir.js';
import { invalidArgument, TamsaekError } from '../errors.js';
import type { Featurizer, TextFeatures } from '../models/static-features.js';
import { titled } from '../util/chunker.js';
import { Slicer } from '../util/slices.js';

/** A text in the store: a cached text, or a document with one of its sentences removed (ICT). */
export type TextRef = number;

export interface Pair {
  anchor: TextRef;
  positive: TextRef;
  negative?: TextRef;
  /** Items sharing a group never meet in one batch (e.g. the positive's document). */
  group: string;
  source: string;
}

export class TextStore {
  readonly texts: string[] = [];
  private readonly index = new Map<string, number>();
  private readonly feats: (TextFeatures | undefined)[] = [];
  /** ICT refs: [base, minus] for derived items. */
  private readonly diffs = new Map<number, [number, number]>();
  /** Document id of stored documents (for hard-negative mining and groups). */
  readonly docIdOf = new Map<number, string>();

  constructor(private featurizer: Featurizer) {}

  /** Document frequency of every feature id (below `size`) over the analyzed, non-derived texts. */
  documentFrequency(size: number): Float64Array {
    const df = new Float64Array(size);
    this.feats.forEach((f, i) => {
      if (f && !this.diffs.has(i)) for (const id of f.ids) df[id]!++;
    });
    return df;
  }

  /** Switches to another featurizer, mapping the features already computed (e.g. buckets → pruned rows). */
  remap(featurizer: Featurizer, map: (f: TextFeatures) => TextFeatures): void {
    this.featurizer = featurizer;
    this.feats.forEach((f, i) => {
      if (f) this.feats[i] = map(f);
    });
  }

  get size(): number {
    return this.texts.length;
  }

  /** Interns a text (analysis happens lazily, once). */
  add(text: string): TextRef {
    let i = this.index.get(text);
    if (i === undefined) {
      i = this.texts.length;
      this.texts.push(text);
      this.feats.push(undefined);
      this.index.set(text, i);
    }
    return i;
  }

  /** A derived text: `base` without the features of `minus` (counts subtracted, floored at 0). */
  addDiff(base: TextRef, minus: TextRef): TextRef {
    const i = this.texts.length;
    this.texts.push(`\u0000diff:${base}:${minus}`);
    this.feats.push(undefined);
    this.diffs.set(i, [base, minus]);
    return i;
  }

  /** Analyzes every text not analyzed yet; `onProgress` per 256 texts. */
  analyzeAll(onProgress?: (done: number, total: number) => void): void {
    const total = this.texts.length;
    for (let i = 0; i < total; i++) {
      if (!this.diffs.has(i) && this.feats[i] === undefined) this.feats[i] = this.featurizer.counts(this.texts[i]!);
      if (onProgress && (i % 256 === 0 || i === total - 1)) onProgress(i + 1, total);
    }
  }

  /**
   * `analyzeAll` that keeps the event loop turning (the featurizer's sliced analysis, 1,024 texts at a
   * time); `onProgress` after each group.
   */
  async analyzeAllAsync(onProgress?: (done: number, total: number) => void, signal?: AbortSignal): Promise<void> {
    const total = this.texts.length;
    const todo: number[] = [];
    for (let i = 0; i < total; i++) if (!this.diffs.has(i) && this.feats[i] === undefined) todo.push(i);
    for (let at = 0; at < todo.length; at += 1024) {
      const group = todo.slice(at, at + 1024);
      const counted = await this.featurizer.countsAll(
        group.map((i) => this.texts[i]!),
        signal,
      );
      group.forEach((i, j) => {
        this.feats[i] = counted[j];
      });
      onProgress?.(total - todo.length + Math.min(at + 1024, todo.length), total);
    }
    if (todo.length === 0) onProgress?.(total, total);
  }

  /** `remap` in slices of about 8 ms with event-loop turns between them. */
  async remapAsync(featurizer: Featurizer, map: (f: TextFeatures) => TextFeatures): Promise<void> {
    this.featurizer = featurizer;
    const slicer = new Slicer();
    for (let i = 0; i < this.feats.length; i++) {
      const f = this.feats[i];
      if (f) this.feats[i] = map(f);
      if ((i & 255) === 255) await slicer.pause();
    }
  }

  features(ref: TextRef): TextFeatures {
    const f = this.feats[ref];
    if (f) return f;
    const d = this.diffs.get(ref);
    if (d) return subtract(this.features(d[0]), this.features(d[1]));
    const g = this.featurizer.counts(this.texts[ref]!);
    this.feats[ref] = g;
    return g;
  }

  /** The text itself (derived texts are rebuilt as base with the sentence cut out). */
  text(ref: TextRef): string {
    const d = this.diffs.get(ref);
    if (!d) return this.texts[ref]!;
    return this.texts[d[0]]!.replace(this.texts[d[1]]!, ' ');
  }
}

function subtract(a: TextFeatures, b: TextFeatures): TextFeatures {
  const ids: number[] = [];
  const counts: number[] = [];
  let j = 0;
  for (let i = 0; i < a.ids.length; i++) {
    const id = a.ids[i]!;
    while (j < b.ids.length && b.ids[j]! < id) j++;
    const c = a.counts[i]! - (j < b.ids.length && b.ids[j] === id ? b.counts[j]! : 0);
    if (c > 0) {
      ids.push(id);
      counts.push(c);
    }
  }
  return { ids: Int32Array.from(ids), counts: Float32Array.from(counts) };
}

export interface PairRecord {
  anchor: string;
  positive: string;
  negative?: string;
  score?: number;
}

/** Reads {"anchor","positive","negative"?,"score"?} JSONL; `minScore` drops scored pairs below it. */
export async function readPairs(path: string, store: TextStore, options: { minScore?: number } = {}): Promise<Pair[]> {
  const out: Pair[] = [];
  const source = path.split('/').pop() ?? path;
  for await (const { value, line } of readJsonl<PairRecord>(path)) {
    if (!value || typeof value.anchor !== 'string' || typeof value.positive !== 'string') {
      throw new TamsaekError(
        'PARSE_ERROR',
        `${path}:${line}: expected {"anchor": string, "positive": string, "negative"?: string}`,
      );
    }
    if (value.score !== undefined && options.minScore !== undefined && value.score < options.minScore) continue;
    if (value.anchor.trim() === '' || value.positive.trim() === '' || value.anchor === value.positive) continue;
    const p: Pair = {
      anchor: store.add(value.anchor),
      positive: store.add(value.positive),
      group: `t:${value.positive}`,
      source,
    };
    if (typeof value.negative === 'string' && value.negative.trim() !== '' && value.negative !== value.positive)
      p.negative = store.add(value.negative);
    out.push(p);
  }
  return out;
}

export interface CorpusDoc {
  id: string;
  title: string;
  text: string;
  /** title + " " + text: what the dense leg embeds. */
  full: string;
}

export async function readDocs(path: string): Promise<CorpusDoc[]> {
  const docs: CorpusDoc[] = [];
  for await (const d of readCorpus(await resolveCorpusPath(path))) {
    docs.push({ id: d.id, title: d.title ?? '', text: d.text, full: titled(d.title, d.text) });
  }
  return docs;
}

/**
 * The TRAIN split of a BEIR set: (query, relevant document) pairs. Refuses any other split, so that
 * test queries can never leak into training.
 */
export async function readQrelPairs(
  dir: string,
  store: TextStore,
  split = 'train',
): Promise<{ pairs: Pair[]; docs: CorpusDoc[] }> {
  if (split === 'test') throw invalidArgument('training pairs must not come from a test split');
  const ds = await loadBeir(dir, { split });
  const docs = await readDocs(ds.corpusPath);
  const byId = new Map(docs.map((d) => [d.id, d]));
  const pairs: Pair[] = [];
  for (const q of ds.queries) {
    const rel = ds.qrels.get(q.id);
    if (!rel) continue;
    for (const [docId, score] of rel) {
      const d = byId.get(docId);
      if (!d || score <= 0) continue;
      const ref = store.add(d.full);
      store.docIdOf.set(ref, `${ds.name}/${docId}`);
      pairs.push({
        anchor: store.add(q.text),
        positive: ref,
        group: `d:${ds.name}/${docId}`,
        source: `${ds.name}:qrels/${split}`,
      });
    }
  }
  return { pairs, docs };
}

/** Splits a passage into sentence-like units (sentence ends, or line breaks after a sentence ending). */
export function sentences(text: string): string[] {
  const flat = text.replace(/\s*\n\s*/g, '\n');
  const parts = flat.split(/(?<=[.?!。])\s+|\n(?=[^\n]*[.?!。])|\n{2,}/);
  return parts.map((s) => s.replace(/\s+/g, ' ').trim()).filter((s) => s.length >= 12);
}

export interface SelfSupervisedOptions {
  /** Sentences per document (the longest-first order is shuffled by the caller's seed). */
  perDoc?: number;
  /** Title vs body pairs for documents with a title. */
  titles?: boolean;
  /**
   * Probability that an inverse-cloze positive keeps its sentence (ORQA keeps it 10 % of the time):
   * the model then also learns that shared words are evidence, as in queries written from a passage.
   */
  keep?: number;
  random: () => number;
}

/**
 * Inverse-cloze pairs (a sentence → its document without that sentence) and title → body pairs from
 * documents only (no queries, no qrels), grouped by document.
 */
export function selfSupervisedPairs(
  name: string,
  docs: CorpusDoc[],
  store: TextStore,
  options: SelfSupervisedOptions,
): Pair[] {
  const { perDoc = 16, titles = true, keep = 0, random } = options;
  const pairs: Pair[] = [];
  for (const d of docs) {
    const docRef = store.add(d.full);
    store.docIdOf.set(docRef, `${name}/${d.id}`);
    const group = `d:${name}/${d.id}`;
    const sents = [...new Set(sentences(d.text))].filter((s) => s.length < d.full.length * 0.7);
    for (let i = sents.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [sents[i], sents[j]] = [sents[j]!, sents[i]!];
    }
    for (const s of sents.slice(0, perDoc)) {
      const a = store.add(s);
      // random() only when keeping is on, so keep = 0 reproduces the earlier pair stream exactly
      const kept = keep > 0 && random() < keep;
      pairs.push({ anchor: a, positive: kept ? docRef : store.addDiff(docRef, a), group, source: `${name}:ict` });
    }
    if (titles && d.title.trim().length >= 2 && d.text.trim().length > 0) {
      pairs.push({ anchor: store.add(d.title), positive: store.add(d.text), group, source: `${name}:title` });
    }
  }
  return pairs;
}
