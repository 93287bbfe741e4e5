/**
 * Convex combination: score(d) = Σ_leg ŵ_leg · norm_leg(score_leg(d)), ŵ = w / Σw (weights renormalised to sum 1).
 * norm_leg is computed over the leg's top-`depth` hits only. A leg that did not return d contributes its
 * `missing` value: 0 (default; AutoRAG's hybrid_cc fills missing normalised scores with 0) or the lowest
 * normalised score of that leg.
 */

import { invalidArgument } from '../errors.js';
import { Accumulator } from './accumulate.js';
import { validateFusionConfig } from './config.js';
import { normalizeScores } from './normalize.js';
import { checkTopK, prepareLegs } from './prepare.js';
import type { CcConfig, FusedHit, FusionLeg } from './types.js';

export function fuseCc(legs: readonly FusionLeg[], config: CcConfig, k: number): FusedHit[] {
  const c = validateFusionConfig(config);
  if (c.method !== 'cc') throw invalidArgument(`fuseCc: config.method must be "cc", got "${c.method}"`);
  return ccChecked(legs, c, k);
}

/** fuseCc for a config validateFusionConfig accepted (the engine's hot path validates once). */
export function ccChecked(legs: readonly FusionLeg[], c: CcConfig, k: number): FusedHit[] {
  checkTopK(k);
  const prepared = prepareLegs(legs, c);
  let total = 0;
  for (const leg of prepared) total += leg.weight;

  const normalized: number[][] = [];
  for (const leg of prepared) {
    let theoreticalMin: number | undefined;
    if (c.normalizer === 'tmm') {
      if (c.theoreticalMin === undefined || !Object.hasOwn(c.theoreticalMin, leg.name)) {
        throw invalidArgument(
          `fuse: normalizer "tmm" needs theoreticalMin for leg "${leg.name}" (e.g. 0 for BM25, -1 for cosine)`,
        );
      }
      theoreticalMin = c.theoreticalMin[leg.name];
    }
    normalized.push(
      normalizeScores(
        c.normalizer,
        leg.hits.map((h) => h.score),
        { theoreticalMin, ranks: leg.hits.map((h) => h.rank) },
      ),
    );
  }

  // Register every candidate first, then add leg by leg in input order (present: w·norm, absent: w·missing),
  // so each fused score is the same left-to-right sum whatever mode is used.
  const acc = new Accumulator();
  for (const leg of prepared) for (const hit of leg.hits) acc.ensure(hit.id);
  const candidates = [...acc.ids()];
  prepared.forEach((leg, i) => {
    const w = leg.weight / total;
    const norms = normalized[i];
    leg.hits.forEach((hit, j) => {
      acc.add(hit.id, leg.name, { score: hit.score, rank: hit.rank, contribution: w * norms[j] });
    });
    if (c.missing === 'min' && norms.length > 0) {
      let floor = Infinity;
      for (const v of norms) if (v < floor) floor = v;
      const fill = w * floor;
      if (fill !== 0) {
        const present = new Set(leg.hits.map((h) => h.id));
        for (const id of candidates) if (!present.has(id)) acc.bump(id, fill);
      }
    }
  });
  return acc.top(k);
}
