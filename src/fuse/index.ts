/**
 * Fusion over N ranked lists. Pure, deterministic functions on `{ id, score, rank? }[]` per named leg;
 * nothing here knows what a leg is. See docs/fusion.md for formulas and choices.
 */
import { validateFusionConfig } from './config.js';
import { fuseCc } from './cc.js';
import { fuseRrf } from './rrf.js';
import type { FusedHit, FusionConfig, FusionLeg } from './types.js';

export * from './types.js';
export { validateFusionConfig } from './config.js';
export { fuseRrf } from './rrf.js';
export { fuseCc } from './cc.js';
export {
  normalizeScores,
  normalizeMinMax,
  normalizeTheoreticalMinMax,
  normalizeZ,
  normalizeDbsf,
  normalizeL2,
  normalizeRank,
  type NormalizeOptions,
} from './normalize.js';
export { fromAutoRAG, type AutoRagModule, type AutoRagLegNames } from './autorag.js';

/**
 * Fuses `legs` (each best-first) with `config` and returns the top `k` documents, best first; equal fused
 * scores are ordered by id ascending (plain `<`). Throws TamsaekError INVALID_ARGUMENT / UNKNOWN_OPTION.
 */
export function fuse(legs: readonly FusionLeg[], config: FusionConfig, k: number): FusedHit[] {
  const c = validateFusionConfig(config);
  return c.method === 'rrf' ? fuseRrf(legs, c, k) : fuseCc(legs, c, k);
}
