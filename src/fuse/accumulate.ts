/** Shared accumulation of per-leg contributions into fused hits, and the deterministic top-k cut. */

import { compareFused } from './prepare.js';
import type { FusedHit, LegEvidence } from './types.js';

interface Entry {
  id: string;
  score: number;
  legs: [string, LegEvidence][];
}

export class Accumulator {
  private readonly entries = new Map<string, Entry>();

  /** Adds one leg's evidence for `id`. Legs must be added in input order so sums are reproducible. */
  add(id: string, leg: string, evidence: LegEvidence): void {
    let entry = this.entries.get(id);
    if (entry === undefined) {
      entry = { id, score: 0, legs: [] };
      this.entries.set(id, entry);
    }
    entry.score += evidence.contribution;
    entry.legs.push([leg, evidence]);
  }

  /** Registers `id` with score 0 and no evidence, if not yet present (keeps first-seen order irrelevant: output is sorted). */
  ensure(id: string): void {
    if (!this.entries.has(id)) this.entries.set(id, { id, score: 0, legs: [] });
  }

  /** Adds `amount` to a registered document without leg evidence (cc's value for a leg that missed it). */
  bump(id: string, amount: number): void {
    const entry = this.entries.get(id);
    if (entry !== undefined) entry.score += amount;
  }

  ids(): IterableIterator<string> {
    return this.entries.keys();
  }

  top(k: number): FusedHit[] {
    const all = [...this.entries.values()];
    all.sort(compareFused);
    // Object.fromEntries defines own properties, so a leg named "__proto__" stays an ordinary key.
    return all.slice(0, k).map((e) => ({ id: e.id, score: e.score, legs: Object.fromEntries(e.legs) }));
  }
}
