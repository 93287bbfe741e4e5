/**
 * Fusion over N ranked lists. Pure, deterministic functions on `{ id, score, rank? }[]` per named leg;
 * nothing here knows what a leg is. See docs/fusion.md for formulas and choices.
 */
import { ccChecked } from './cc.js';
import { validateFusionConfig } from './config.js';
import { rrfChecked } from './rrf.js';
import type { FusedHit, FusionConfig, FusionLeg } from './types.js';

export { type AutoRagLegNames, type AutoRagModule, fromAutoRAG } from './autorag.js';
export { fuseCc } from './cc.js';
export { validateFusionConfig } from './config.js';
export {
  type NormalizeOptions,
  normalizeDbsf,
  normalizeL2,
  normalizeMinMax,
  normalizeRank,
  normalizeScores,
  normalizeTheoreticalMinMax,
  normalizeZ,
} from './normalize.js';
export { fuseRrf } from './rrf.js';
export * from './types.js';

/**
 * Fuses `legs` (each best-first) with `config` and returns the top `k` documents, best first; equal fused
 * scores are ordered by id ascending (plain `<`). Throws TamsaekError INVALID_ARGUMENT / UNKNOWN_OPTION.
 */
export function fuse(legs: readonly FusionLeg[], config: FusionConfig, k: number): FusedHit[] {
  return fuseValidated(legs, validateFusionConfig(config), k);
}

/** `fuse` for a config that validateFusionConfig already accepted (no second check on a search's hot path). */
export function fuseValidated(legs: readonly FusionLeg[], config: FusionConfig, k: number): FusedHit[] {
  return config.method === 'rrf' ? rrfChecked(legs, config, k) : ccChecked(legs, config, k);
}
