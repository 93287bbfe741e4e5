/**
 * Analysis of many texts that keeps the host's event loop turning: an analyzer with an off-thread
 * batch path (`analyzeAsync`) gets the texts in batches; any other is called in slices of a few
 * milliseconds with a macrotask turn between them, so timers and I/O run while a corpus is indexed.
 * A text longer than WINDOW_CHARS is analysed in windows cut at a line end, a sentence end or a
 * space (windows.ts), one call per window, its terms concatenated in order: a 10 MB document never
 * holds the thread for one long call. Terms can differ from one whole-text call only where a window
 * starts or ends (ko-morph already analyses in 8 K chunks cut the same way).
 */
import { checkStop, type SliceOptions, Slicer, yieldToLoop } from '../util/slices.js';
import type { Analyzer } from './types.js';
import { cutText } from './windows.js';

export { yieldToLoop };

/** Texts longer than this are analysed window by window (ko-morph: about 20 ms per window on a busy 2-core box). */
export const WINDOW_CHARS = 2048;
const ASYNC_BATCH = 256;

export interface AnalyzeAllOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** The windows of every text, and where each text's windows start (texts that are not strings pass through). */
function windowsOf(texts: readonly string[]): { pieces: string[]; starts: Int32Array } {
  const pieces: string[] = [];
  const starts = new Int32Array(texts.length + 1);
  for (let i = 0; i < texts.length; i++) {
    const t = texts[i];
    if (typeof t === 'string' && t.length > WINDOW_CHARS) for (const w of cutText(t, WINDOW_CHARS)) pieces.push(w);
    else pieces.push(t);
    starts[i + 1] = pieces.length;
  }
  return { pieces, starts };
}

export async function analyzeAll(
  analyzer: Analyzer,
  texts: readonly string[],
  options: AnalyzeAllOptions = {},
): Promise<string[][]> {
  const { signal, onProgress } = options;
  const { pieces, starts } = windowsOf(texts);
  const slicer = new Slicer({ signal, what: 'analysis' });
  let reported = 0;
  const progress = (piecesDone: number) => {
    while (reported < texts.length && starts[reported + 1] <= piecesDone) reported++;
    onProgress?.(reported, texts.length);
  };
  const terms = analyzer.analyzeAsync
    ? await analyzeOffThread(analyzer, pieces, signal, progress)
    : await analyzeSliced(analyzer, pieces, slicer, progress);
  if (pieces.length === texts.length) return terms;
  const out: string[][] = new Array(texts.length);
  for (let i = 0; i < texts.length; i++) {
    const from = starts[i];
    const to = starts[i + 1];
    out[i] = to - from === 1 ? terms[from] : ([] as string[]).concat(...terms.slice(from, to));
    await slicer.pause();
  }
  return out;
}

async function analyzeOffThread(
  analyzer: Analyzer,
  pieces: readonly string[],
  signal: AbortSignal | undefined,
  progress: (done: number) => void,
): Promise<string[][]> {
  const out: string[][] = new Array(pieces.length);
  for (let start = 0; start < pieces.length; start += ASYNC_BATCH) {
    checkStop(signal, Infinity, 'analysis');
    const part = await analyzer.analyzeAsync!(pieces.slice(start, start + ASYNC_BATCH));
    for (let j = 0; j < part.length; j++) out[start + j] = part[j];
    progress(Math.min(pieces.length, start + ASYNC_BATCH));
  }
  if (pieces.length === 0) progress(0);
  return out;
}

async function analyzeSliced(
  analyzer: Analyzer,
  pieces: readonly string[],
  slicer: Slicer,
  progress: (done: number) => void,
): Promise<string[][]> {
  const out: string[][] = new Array(pieces.length);
  for (let i = 0; i < pieces.length; i++) {
    out[i] = analyzer.analyze(pieces[i]);
    if (slicer.due) {
      progress(i + 1);
      await slicer.turn();
    }
  }
  progress(pieces.length);
  return out;
}

/** The terms of one text, window by window with turns between them (a long query, a huge document). */
export async function analyzeText(analyzer: Analyzer, text: string, options: SliceOptions = {}): Promise<string[]> {
  if (text.length <= WINDOW_CHARS) return analyzer.analyze(text);
  const slicer = new Slicer(options);
  const out: string[] = [];
  for (const window of cutText(text, WINDOW_CHARS)) {
    for (const t of analyzer.analyze(window)) out.push(t);
    await slicer.pause();
  }
  return out;
}
