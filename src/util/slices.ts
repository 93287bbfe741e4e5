/**
 * Cooperative time slicing: long CPU work on the JS thread runs in slices of a few milliseconds with
 * a macrotask turn between them, so the host's timers, sockets and searches keep running. Work is
 * written once as a generator that `yield`s between small steps; `runSliced` drives it with turns,
 * `runNow` drives it to the end at once (the synchronous APIs).
 */
import { invalidArgument, TamsaekError } from '../errors.js';

/** Longest stretch of synchronous work between two event-loop turns. */
export const SLICE_MS = 8;

/** A macrotask turn: timers and I/O that are due run before the promise resolves. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Throws ABORTED when the signal fired, TIMEOUT past the deadline (performance.now()). */
export function checkStop(signal: AbortSignal | undefined, deadline = Infinity, what = 'operation'): void {
  if (signal?.aborted) {
    // a signal that a timeout fired carries its TIMEOUT error (util/stop.ts stopSignal)
    if (signal.reason instanceof TamsaekError && signal.reason.code === 'TIMEOUT') throw signal.reason;
    throw new TamsaekError('ABORTED', `${what} aborted`, { cause: signal.reason });
  }
  if (deadline !== Infinity && performance.now() > deadline) throw new TamsaekError('TIMEOUT', `${what} timed out`);
}

/** INVALID_ARGUMENT unless `signal` is undefined or an AbortSignal. */
export function checkSignal(where: string, signal: unknown): asserts signal is AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw invalidArgument(`${where}: signal must be an AbortSignal, got ${signal === null ? 'null' : typeof signal}`);
}

export interface SliceOptions {
  signal?: AbortSignal;
  /** performance.now() past which the work stops with TIMEOUT. */
  deadline?: number;
  /** What the errors call the work ("search", "save" …). */
  what?: string;
  sliceMs?: number;
}

/** Tracks the current slice; `pause()` gives the event loop a turn when the slice is used up. */
export class Slicer {
  private start = performance.now();
  constructor(private readonly options: SliceOptions = {}) {}

  /** True when this slice has run its time. */
  get due(): boolean {
    return performance.now() - this.start > (this.options.sliceMs ?? SLICE_MS);
  }

  /** A turn now, then a check of the signal and deadline; a new slice starts. */
  async turn(): Promise<void> {
    await yieldToLoop();
    const { signal, deadline, what } = this.options;
    checkStop(signal, deadline, what);
    this.start = performance.now();
  }

  /** A turn if the slice is used up. */
  async pause(): Promise<void> {
    if (this.due) await this.turn();
  }
}

/** Runs a generator of small steps, with an event-loop turn whenever a slice is used up. */
export async function runSliced<T>(steps: Generator<unknown, T>, slicer: Slicer = new Slicer()): Promise<T> {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (slicer.due) await slicer.turn();
  }
}

/** Runs a generator of small steps to the end, synchronously. */
export function runNow<T>(steps: Generator<unknown, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}
