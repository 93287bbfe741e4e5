/**
 * Analysis of many texts that keeps the host's event loop turning: an analyzer with an off-thread
 * batch path (`analyzeAsync`) gets the texts in batches; any other is called in slices of a few
 * milliseconds with a macrotask turn between them, so timers and I/O run while a corpus is indexed.
 */
import { TamsaekError } from '../errors.js';
import type { Analyzer } from './types.js';

/** Longest stretch of synchronous analysis between two event-loop turns. */
const SLICE_MS = 8;
const ASYNC_BATCH = 256;

export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface AnalyzeAllOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export async function analyzeAll(
  analyzer: Analyzer,
  texts: readonly string[],
  options: AnalyzeAllOptions = {},
): Promise<string[][]> {
  const { signal, onProgress } = options;
  const out: string[][] = new Array(texts.length);
  if (analyzer.analyzeAsync) {
    for (let start = 0; start < texts.length; start += ASYNC_BATCH) {
      throwIfAborted(signal);
      const part = await analyzer.analyzeAsync(texts.slice(start, start + ASYNC_BATCH));
      for (let j = 0; j < part.length; j++) out[start + j] = part[j];
      onProgress?.(Math.min(texts.length, start + ASYNC_BATCH), texts.length);
    }
    return out;
  }
  let sliceStart = performance.now();
  for (let i = 0; i < texts.length; i++) {
    out[i] = analyzer.analyze(texts[i]);
    if (performance.now() - sliceStart > SLICE_MS) {
      onProgress?.(i + 1, texts.length);
      await yieldToLoop();
      throwIfAborted(signal);
      sliceStart = performance.now();
    }
  }
  onProgress?.(texts.length, texts.length);
  return out;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new TamsaekError('ABORTED', 'aborted', { cause: signal.reason });
}
