// Event-loop gaps measured the way a host feels them: the time between ticks of a 5 ms setInterval
// (perf_hooks.monitorEventLoopDelay under-reports one long synchronous block). Gaps are attributed
// to the phase that was running when the late tick fired.

export function gapMeter(intervalMs = 5) {
  let phase = 'idle';
  let last = performance.now();
  const perPhase = new Map();
  const gaps = [];
  const timer = setInterval(() => {
    const now = performance.now();
    const gap = now - last;
    last = now;
    gaps.push(gap);
    perPhase.set(phase, Math.max(perPhase.get(phase) ?? 0, gap));
  }, intervalMs);
  return {
    /** Gaps from now on count for `name`. */
    phase(name) {
      phase = name;
    },
    maxOf(name) {
      return perPhase.get(name) ?? 0;
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
