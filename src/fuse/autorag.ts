/**
 * Mapping from AutoRAG's hybrid retrieval modules (Marker-Inc-Korea/AutoRAG, autorag/nodes/hybridretrieval)
 * to FusionConfig, so a tuned AutoRAG YAML node can be reproduced here. AutoRAG fuses exactly two lists,
 * "semantic" (first) and "lexical" (second); `legs` names the tamsaek legs they correspond to.
 *
 * - hybrid_cc  { weight, normalize_method = 'mm', semantic_theoretical_min_value = -1, lexical_theoretical_min_value = 0 }
 *   → { method: 'cc', normalizer, weights: { semantic: weight, lexical: 1 − weight }, theoreticalMin (tmm only) }
 *   AutoRAG's `weight` is the SEMANTIC share, in [0, 1].
 * - hybrid_rrf { weight = 60, rrf_k = -1 }
 *   → { method: 'rrf', k: trunc(rrf_k ≠ −1 ? rrf_k : weight) }   AutoRAG's `weight` IS the RRF constant k
 *   (the deprecated `rrf_k` wins when set); both legs get weight 1 — AutoRAG has no per-leg RRF weights.
 */
import { checkOptions, invalidArgument } from '../errors.js';
import { validateFusionConfig } from './config.js';
import type { CcConfig, FusionConfig, Normalizer, RrfConfig } from './types.js';

export interface AutoRagLegNames {
  /** tamsaek leg playing AutoRAG's "semantic" role. Default 'dense'. */
  semantic?: string;
  /** tamsaek leg playing AutoRAG's "lexical" role. Default 'bm25'. */
  lexical?: string;
}

export type AutoRagModule =
  | {
      module_type: 'hybrid_cc';
      weight: number;
      normalize_method?: 'mm' | 'tmm' | 'z' | 'dbsf';
      semantic_theoretical_min_value?: number;
      lexical_theoretical_min_value?: number;
    }
  | { module_type: 'hybrid_rrf'; weight?: number; rrf_k?: number };

const AUTORAG_NORMALIZERS = ['mm', 'tmm', 'z', 'dbsf'];

export function fromAutoRAG(module: AutoRagModule, legs: AutoRagLegNames = {}): FusionConfig {
  checkOptions('fromAutoRAG: legs', legs, ['semantic', 'lexical']);
  const semantic = legs.semantic ?? 'dense';
  const lexical = legs.lexical ?? 'bm25';
  if (semantic === lexical) throw invalidArgument('fromAutoRAG: semantic and lexical legs must differ');
  if (typeof module !== 'object' || module === null) throw invalidArgument('fromAutoRAG: module must be an object');
  if (module.module_type === 'hybrid_cc') {
    checkOptions('fromAutoRAG(hybrid_cc)', module, [
      'module_type',
      'weight',
      'normalize_method',
      'semantic_theoretical_min_value',
      'lexical_theoretical_min_value',
    ]);
    const w = module.weight;
    if (typeof w !== 'number' || !(w >= 0 && w <= 1)) {
      throw invalidArgument(`fromAutoRAG(hybrid_cc): weight must be in [0, 1], got ${String(w)}`);
    }
    const normalizer = module.normalize_method ?? 'mm';
    if (!AUTORAG_NORMALIZERS.includes(normalizer)) {
      throw invalidArgument(
        `fromAutoRAG(hybrid_cc): normalize_method must be one of ${AUTORAG_NORMALIZERS.join(', ')}, got "${String(normalizer)}"`,
      );
    }
    const config: CcConfig = {
      method: 'cc',
      normalizer: normalizer as Normalizer,
      weights: { [semantic]: w, [lexical]: 1 - w },
    };
    if (normalizer === 'tmm') {
      config.theoreticalMin = {
        [semantic]: module.semantic_theoretical_min_value ?? -1,
        [lexical]: module.lexical_theoretical_min_value ?? 0,
      };
    }
    return validateFusionConfig(config);
  }
  if (module.module_type === 'hybrid_rrf') {
    checkOptions('fromAutoRAG(hybrid_rrf)', module, ['module_type', 'weight', 'rrf_k']);
    const raw = module.rrf_k !== undefined && module.rrf_k !== -1 ? module.rrf_k : (module.weight ?? 60);
    if (typeof raw !== 'number' || !Number.isFinite(raw) || !(raw > 0)) {
      throw invalidArgument(`fromAutoRAG(hybrid_rrf): weight (the RRF k) must be a number > 0, got ${String(raw)}`);
    }
    const config: RrfConfig = { method: 'rrf', k: Math.trunc(raw) };
    return validateFusionConfig(config);
  }
  throw invalidArgument(
    `fromAutoRAG: module_type must be "hybrid_cc" or "hybrid_rrf", got "${String((module as { module_type?: unknown }).module_type)}"`,
  );
}
