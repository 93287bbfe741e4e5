/**
 * The whole state of a Bm25Index built from a snapshot (open, compaction) and a snapshot of its live
 * documents (save, compaction), both as steps (generators that yield every few hundred microseconds
 * of work) so that large indexes are opened, saved and compacted in slices that let the event loop
 * turn (util/slices.ts). A snapshot reads only what it captured when it started (copies of the
 * mutable per-document arrays and the immutable segments), so it reflects that moment whatever
 * happens while it runs.
 */
import { TamsaekError } from '../../errors.js';
import { GrowableFloat32 } from '../../util/growable.js';
import { TermDictionary } from '../../util/term-dictionary.js';
import type { Metadata } from '../types.js';
import { type IndexSnapshot, mergeForwardSteps, Segment } from './segment.js';

/** Every field of a Bm25Index that a snapshot replaces. */
export interface IndexState {
  vocab: TermDictionary;
  df: Int32Array;
  liveDocs: number;
  totalLength: number;
  ids: string[];
  metas: (Metadata | undefined)[];
  lengths: GrowableFloat32;
  deleted: Uint8Array;
  ordinalOf: Map<string, number>;
  segments: Segment[];
}

/** What a snapshot reads, captured at one moment (pending documents sealed into segments first). */
export interface LiveView {
  /** Ordinals [0, end) are covered by `segments`. */
  end: number;
  deleted: Uint8Array;
  deletedCount: number;
  metas: readonly (Metadata | undefined)[];
  /** Append-only until the next install: entries below `end` are stable. */
  ids: readonly string[];
  terms: readonly string[];
  vocabSize: number;
  df: Int32Array;
  segments: readonly Segment[];
}

const STEP = 1 << 16;

function corrupt(message: string): TamsaekError {
  return new TamsaekError('CORRUPT_INDEX', message);
}

/** Live documents in ordinal order with forward lists over a dense vocabulary (what a save writes). */
export function* snapshotSteps(view: LiveView): Generator<void, IndexSnapshot> {
  const { end, deleted, segments, vocabSize } = view;
  if (view.deletedCount === 0) {
    // every ordinal is live and every term occurs: the segments' forward lists as they are
    const forward =
      segments.length === 1
        ? segments[0].forward
        : segments.length === 0
          ? {
              docStart: new Int32Array(1),
              terms: new Int32Array(0),
              tfs: new Float32Array(0),
              lengths: new Float32Array(0),
            }
          : yield* mergeForwardSteps(segments);
    return {
      termStrings: view.terms.slice(0, vocabSize),
      df: view.df.slice(0, vocabSize),
      ids: view.ids.slice(0, end),
      metas: view.metas.slice(0, end),
      forward,
    };
  }
  const counted = new Int32Array(vocabSize);
  let liveCount = 0;
  let entries = 0;
  for (const s of segments) {
    const { docStart, terms } = s.forward;
    for (let i = 0; i < s.docCount; i++) {
      if (deleted[s.base + i] === 1) continue;
      liveCount++;
      for (let e = docStart[i]; e < docStart[i + 1]; e++) counted[terms[e]]++;
      entries += docStart[i + 1] - docStart[i];
    }
    yield;
  }
  const termMap = new Int32Array(vocabSize).fill(-1);
  const termStrings: string[] = [];
  const df: number[] = [];
  for (let t = 0; t < vocabSize; t++) {
    if (counted[t] > 0) {
      termMap[t] = termStrings.length;
      termStrings.push(view.terms[t]);
      df.push(counted[t]);
    }
  }
  yield;
  return {
    termStrings,
    df: Int32Array.from(df),
    ...(yield* liveForward(view, termMap, liveCount, entries)),
  };
}

/** The live documents' ids, metadata and forward lists, terms renumbered by `termMap`. */
function* liveForward(
  view: LiveView,
  termMap: Int32Array,
  liveCount: number,
  entries: number,
): Generator<void, Pick<IndexSnapshot, 'ids' | 'metas' | 'forward'>> {
  const docStart = new Int32Array(liveCount + 1);
  const terms = new Int32Array(entries);
  const tfs = new Float32Array(entries);
  const lengths = new Float32Array(liveCount);
  const ids: string[] = [];
  const metas: (Metadata | undefined)[] = [];
  let d = 0;
  let e = 0;
  let sinceYield = 0;
  for (const s of view.segments) {
    const f = s.forward;
    for (let i = 0; i < s.docCount; i++) {
      const ord = s.base + i;
      if (view.deleted[ord] === 1) continue;
      for (let j = f.docStart[i]; j < f.docStart[i + 1]; j++, e++) {
        terms[e] = termMap[f.terms[j]];
        tfs[e] = f.tfs[j];
      }
      lengths[d] = f.lengths[i];
      ids.push(view.ids[ord]);
      metas.push(view.metas[ord]);
      docStart[++d] = e;
      sinceYield += f.docStart[i + 1] - f.docStart[i];
      if (sinceYield >= STEP) {
        sinceYield = 0;
        yield;
      }
    }
  }
  return { ids, metas, forward: { docStart, terms, tfs, lengths } };
}

/**
 * The state a snapshot describes (all documents live). `validate`: check every section and posting
 * (a snapshot read from disk); a snapshot the index made itself is trusted.
 */
export function* restoreSteps(snapshot: IndexSnapshot, validate: boolean): Generator<void, IndexState> {
  const { termStrings, df, ids, metas, forward } = snapshot;
  const docs = ids.length;
  const V = termStrings.length;
  const { docStart, terms, tfs, lengths } = forward;
  if (lengths.length !== docs || docStart.length !== docs + 1 || metas.length !== docs || df.length !== V)
    throw corrupt('index sections disagree on document or term counts');
  if (docStart[0] !== 0 || docStart[docs] !== terms.length || tfs.length !== terms.length)
    throw corrupt('index forward lists are inconsistent');
  const vocab = new TermDictionary(V);
  for (let t = 0; t < V; t++) {
    if (typeof termStrings[t] !== 'string' || vocab.intern(termStrings[t]) !== t)
      throw corrupt('index vocabulary is invalid');
    if ((t & (STEP - 1)) === STEP - 1) yield;
  }
  const ordinalOf = new Map<string, number>();
  for (let d = 0; d < docs; d++) {
    const id = ids[d];
    if (typeof id !== 'string' || id.length === 0 || ordinalOf.has(id)) throw corrupt('index document ids are invalid');
    ordinalOf.set(id, d);
    if ((d & (STEP - 1)) === STEP - 1) yield;
  }
  const countedDf = new Int32Array(Math.max(V, 1024));
  let totalLength = 0;
  if (validate) totalLength = yield* validateForward(forward, V, countedDf);
  else {
    countedDf.set(df);
    for (let d = 0; d < docs; d++) totalLength += lengths[d];
  }
  if (validate)
    for (let t = 0; t < V; t++)
      if (countedDf[t] !== df[t]) throw corrupt('index document frequencies are inconsistent');
  const segments = docs > 0 ? [yield* Segment.steps(0, forward, V)] : [];
  const lengthsGrowable = new GrowableFloat32(docs + 1024);
  lengthsGrowable.data.set(lengths);
  lengthsGrowable.length = docs;
  return {
    vocab,
    df: countedDf,
    liveDocs: docs,
    totalLength,
    ids: ids.slice(),
    metas: metas.slice(),
    lengths: lengthsGrowable,
    deleted: new Uint8Array(docs + 1024),
    ordinalOf,
    segments,
  };
}

/** Checks every document's entries (term ids in range, positive finite tfs, lengths); counts df; returns Σ lengths. */
function* validateForward(
  forward: IndexSnapshot['forward'],
  V: number,
  countedDf: Int32Array,
): Generator<void, number> {
  const { docStart, terms, tfs, lengths } = forward;
  let totalLength = 0;
  let sinceYield = 0;
  for (let d = 0; d < lengths.length; d++) {
    if (docStart[d + 1] < docStart[d]) throw corrupt('index forward lists are inconsistent');
    if (!(lengths[d] >= 0 && Number.isFinite(lengths[d]))) throw corrupt('index document length is invalid');
    totalLength += lengths[d];
    for (let e = docStart[d]; e < docStart[d + 1]; e++) {
      const t = terms[e];
      if (!(t >= 0 && t < V) || !(tfs[e] > 0 && Number.isFinite(tfs[e]))) throw corrupt('index postings are invalid');
      countedDf[t]++;
    }
    sinceYield += docStart[d + 1] - docStart[d];
    if (sinceYield >= STEP) {
      sinceYield = 0;
      yield;
    }
  }
  return totalLength;
}
