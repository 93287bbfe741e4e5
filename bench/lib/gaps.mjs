// Event-loop gaps measured the way a host feels them: the time between ticks of a 5 ms setInterval
// (perf_hooks.monitorEventLoopDelay under-reports one long synchronous block). Gaps are attributed
// to the phase that was running when the late tick fired.
//
// On a shared machine a gap is also the time the thread waited for a core. Where Linux exposes the
// main thread's scheduler statistics (/proc/self/task/<pid>/schedstat: ns on a CPU, ns waiting to
// run), each gap's on-CPU part is recorded too: the largest on-CPU gap is the longest the code itself
// held the thread, whatever else the machine was running.
import { readFileSync } from 'node:fs';

const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;

/** The main thread's nanoseconds on a CPU so far, or undefined where the kernel does not say. */
function onCpuNs() {
  try {
    return Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[0]);
  } catch {
    return undefined;
  }
}

export function gapMeter(intervalMs = 5) {
  let phase = 'idle';
  let last = performance.now();
  let lastCpu = onCpuNs();
  const perPhase = new Map();
  const cpuPerPhase = new Map();
  const gaps = [];
  const timer = setInterval(() => {
    const now = performance.now();
    const cpu = lastCpu === undefined ? undefined : onCpuNs();
    const gap = now - last;
    last = now;
    gaps.push(gap);
    perPhase.set(phase, Math.max(perPhase.get(phase) ?? 0, gap));
    if (cpu !== undefined) {
      cpuPerPhase.set(phase, Math.max(cpuPerPhase.get(phase) ?? 0, (cpu - lastCpu) / 1e6));
      lastCpu = cpu;
    }
  }, intervalMs);
  return {
    /** Gaps from now on count for `name`. */
    phase(name) {
      phase = name;
    },
    maxOf(name) {
      return perPhase.get(name) ?? 0;
    },
    /** The largest on-CPU part of a gap in phase `name` (undefined without schedstat). */
    maxCpuOf(name) {
      return lastCpu === undefined ? undefined : (cpuPerPhase.get(name) ?? 0);
    },
    max() {
      return Math.max(0, ...perPhase.values());
    },
    /** How many gaps exceeded `ms`. */
    over(ms) {
      return gaps.filter((g) => g > ms).length;
    },
    stop() {
      clearInterval(timer);
      return Object.fromEntries(perPhase);
    },
  };
}

/**
 * Issues `search()` every `everyMs` while running; records each one's latency (issue → settle) and
 * its error code. `stop()` waits for the ones in flight.
 */
export function searchTicker(search, everyMs = 10) {
  const latencies = [];
  const errors = new Map();
  const pending = new Set();
  let issued = 0;
  const timer = setInterval(() => {
    issued++;
    const t0 = performance.now();
    const p = Promise.resolve()
      .then(search)
      .then(
        () => latencies.push(performance.now() - t0),
        (error) => errors.set(error?.code ?? 'UNTYPED', (errors.get(error?.code ?? 'UNTYPED') ?? 0) + 1),
      )
      .finally(() => pending.delete(p));
    pending.add(p);
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all([...pending]);
      return { issued, completed: latencies.length, latencies, errors: Object.fromEntries(errors) };
    },
  };
}
