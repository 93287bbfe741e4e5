// Small statistics and timing helpers for the benches (medians, percentiles, forced GC).

export function median(values) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function mean(values) {
  if (values.length === 0) return NaN;
  let acc = 0;
  for (const v of values) acc += v;
  return acc / values.length;
}

/** Nearest-rank percentile, p in [0, 100]. */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank];
}

/** Milliseconds from a high-resolution clock. */
export function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Runs a full GC when node was started with --expose-gc (the runner does that); otherwise no-op. */
export function gc() {
  if (typeof globalThis.gc === 'function') globalThis.gc();
}

/** Rounds to `digits` significant digits (keeps integers ≥ 10^digits whole). */
export function sig(value, digits = 4) {
  if (!Number.isFinite(value) || value === 0) return value;
  const mag = Math.floor(Math.log10(Math.abs(value)));
  if (mag >= digits - 1) return Math.round(value);
  const f = 10 ** (digits - 1 - mag);
  return Math.round(value * f) / f;
}
