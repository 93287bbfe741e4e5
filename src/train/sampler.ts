/**
 * Batch sampler for in-batch-negative losses: a seeded shuffle, then greedy filling where an item
 * whose anchor or positive text, or whose group (the positive's document), is already in the batch is
 * deferred to a later batch — so no batch holds a duplicate text or two views of one document (which
 * would turn a positive into an in-batch "negative").
 */
import { shuffleInPlace } from '../util/random.js';
import type { Pair } from './data.js';

export function* batchSampler(
  pairs: readonly Pair[],
  batchSize: number,
  random: () => number,
  dropLast = false,
): Generator<Pair[]> {
  const order = shuffleInPlace(Array.from(pairs.keys()), random);
  let deferred: number[] = [];
  let queue = order;
  while (queue.length > 0) {
    const texts = new Set<number>();
    const groups = new Set<string>();
    const batch: Pair[] = [];
    const rest: number[] = [];
    for (const i of queue) {
      const p = pairs[i]!;
      if (batch.length < batchSize && !texts.has(p.anchor) && !texts.has(p.positive) && !groups.has(p.group)) {
        batch.push(p);
        texts.add(p.anchor);
        texts.add(p.positive);
        groups.add(p.group);
      } else rest.push(i);
    }
    deferred = rest;
    queue = deferred;
    if (batch.length === 0) break;
    if (batch.length < batchSize && dropLast) break;
    // a batch far below size only happens at the end of an epoch: stop when it would be tiny
    if (batch.length < Math.min(batchSize, 8)) break;
    yield batch;
  }
}
