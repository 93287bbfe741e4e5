/**
 * Tiny seeded pseudo-random generators. Deterministic across platforms and Node versions (pure 32-bit
 * integer arithmetic), so that significance tests, samplers and shuffles are reproducible from a seed.
 * Not for cryptography.
 */

/** Returns a function producing uniformly distributed unsigned 32-bit integers (mulberry32). */
export function mulberry32Uint32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/**
 * mulberry32: returns a function producing floats in [0, 1) with 32 bits of randomness.
 * The same generator (seed 42) made the welfare-ssis test/train split.
 */
export function mulberry32(seed: number): () => number {
  const next = mulberry32Uint32(seed);
  return () => next() / 4294967296;
}

/** Uniform integer in [0, n) from a [0, 1) generator. `n` must be a positive integer ≤ 2^32. */
export function randomInt(random: () => number, n: number): number {
  return Math.floor(random() * n);
}

/** In-place Fisher–Yates shuffle driven by a [0, 1) generator; returns the same array. */
export function shuffleInPlace<T>(array: T[], random: () => number): T[] {
  for (let i = array.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = array[i]!;
    array[i] = array[j]!;
    array[j] = tmp;
  }
  return array;
}
