/** Stopping work that a caller no longer wants: an AbortSignal, a deadline on performance.now(). */
import { TamsaekError } from '../errors.js';
import { checkStop } from './slices.js';

export function throwIfStopped(signal: AbortSignal | undefined, deadline = Infinity): void {
  checkStop(signal, deadline, 'search');
}

/** Resolves with `work`, or rejects as soon as the signal fires or the deadline passes. */
export function raceStop<T>(work: Promise<T>, signal: AbortSignal | undefined, deadline = Infinity): Promise<T> {
  if (!signal && deadline === Infinity) return work;
  return new Promise<T>((resolvePromise, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () =>
      finish(() => {
        try {
          checkStop(signal, Infinity, 'search');
        } catch (error) {
          reject(error);
        }
      });
    const finish = (then: () => void) => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      then();
    };
    if (deadline !== Infinity)
      timer = setTimeout(
        () => finish(() => reject(new TamsaekError('TIMEOUT', 'search timed out'))),
        Math.max(0, deadline - performance.now()),
      );
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => finish(() => resolvePromise(value)),
      (error) => finish(() => reject(error)),
    );
  });
}

/**
 * One AbortSignal that fires when the caller's signal fires or the deadline passes (its reason then is
 * a TIMEOUT TamsaekError), for work that takes only a signal (a reranker, an embedder). `dispose()`
 * clears the timer and the listener once the work is over.
 */
export function stopSignal(
  signal: AbortSignal | undefined,
  deadline = Infinity,
): { signal: AbortSignal | undefined; dispose: () => void } {
  if (deadline === Infinity) return { signal, dispose: () => {} };
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(
    () => controller.abort(new TamsaekError('TIMEOUT', 'search timed out')),
    Math.max(0, deadline - performance.now()),
  );
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}
