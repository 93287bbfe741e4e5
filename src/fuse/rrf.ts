/**
 * Weighted reciprocal rank fusion: score(d) = Σ_leg w_leg / (k + rank_leg(d)), summed over the legs whose
 * top-`depth` hits contain d (a leg that did not return d adds 0). Weights are used as given (not renormalised),
 * so with all weights 1 this is plain RRF (Cormack et al., 2009).
 */

import { invalidArgument } from '../errors.js';
import { Accumulator } from './accumulate.js';
import { validateFusionConfig } from './config.js';
import { checkTopK, prepareLegs } from './prepare.js';
import { DEFAULT_RRF_K, type FusedHit, type FusionLeg, type RrfConfig } from './types.js';

export function fuseRrf(legs: readonly FusionLeg[], config: RrfConfig, k: number): FusedHit[] {
  const c = validateFusionConfig(config);
  if (c.method !== 'rrf') throw invalidArgument(`fuseRrf: config.method must be "rrf", got "${c.method}"`);
  return rrfChecked(legs, c, k);
}

/** fuseRrf for a config validateFusionConfig accepted (the engine's hot path validates once). */
export function rrfChecked(legs: readonly FusionLeg[], c: RrfConfig, k: number): FusedHit[] {
  checkTopK(k);
  const rrfK = c.k ?? DEFAULT_RRF_K;
  const acc = new Accumulator();
  for (const leg of prepareLegs(legs, c)) {
    for (const hit of leg.hits) {
      acc.add(hit.id, leg.name, { score: hit.score, rank: hit.rank, contribution: leg.weight / (rrfK + hit.rank) });
    }
  }
  return acc.top(k);
}
