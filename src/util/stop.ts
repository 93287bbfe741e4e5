/** Stopping work that a caller no longer wants: an AbortSignal, a deadline on performance.now(). */
import { TamsaekError } from '../errors.js';

export function throwIfStopped(signal: AbortSignal | undefined, deadline = Infinity): void {
  if (signal?.aborted) throw new TamsaekError('ABORTED', 'search aborted', { cause: signal.reason });
  if (performance.now() > deadline) throw new TamsaekError('TIMEOUT', 'search timed out');
}

/** Resolves with `work`, or rejects as soon as the signal fires or the deadline passes. */
export function raceStop<T>(work: Promise<T>, signal: AbortSignal | undefined, deadline = Infinity): Promise<T> {
  if (!signal && deadline === Infinity) return work;
  return new Promise<T>((resolvePromise, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () =>
      finish(() => reject(new TamsaekError('ABORTED', 'search aborted', { cause: signal?.reason })));
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
