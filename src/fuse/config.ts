/**
 * Validation of FusionConfig (shape only; cross-checks against the legs of a call live in prepare.ts).
 * Every value must survive a JSON round trip, so non-finite numbers are rejected everywhere.
 */
import { checkOptions, invalidArgument, TamsaekError } from '../errors.js';
import { type CcConfig, type FusionConfig, NORMALIZERS, type Normalizer, type RrfConfig } from './types.js';

const RRF_KEYS = ['method', 'k', 'weights', 'depth'] as const;
const CC_KEYS = ['method', 'normalizer', 'weights', 'theoreticalMin', 'depth', 'missing'] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function checkRecord(
  where: string,
  value: unknown,
  check: (v: unknown) => boolean,
  expected: string,
): asserts value is Record<string, number> {
  if (!isPlainObject(value)) throw invalidArgument(`${where} must be an object of leg name → number`);
  for (const [name, v] of Object.entries(value)) {
    if (name === '') throw invalidArgument(`${where}: leg name must be a non-empty string`);
    if (!check(v)) throw invalidArgument(`${where}["${name}"] must be ${expected}, got ${String(v)}`);
  }
}

export function isPositiveInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
}

function isFiniteNonNegative(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function checkDepth(where: string, depth: unknown): void {
  if (depth === undefined) return;
  if (typeof depth === 'number') {
    if (!isPositiveInteger(depth)) throw invalidArgument(`${where}.depth must be a positive integer, got ${depth}`);
    return;
  }
  checkRecord(`${where}.depth`, depth, isPositiveInteger, 'a positive integer');
}

/**
 * Throws INVALID_ARGUMENT (bad value or shape) or UNKNOWN_OPTION (a key the method does not know) unless
 * `config` is a valid FusionConfig. Returns the config, typed.
 */
export function validateFusionConfig(config: unknown): FusionConfig {
  const where = 'fusion config';
  if (!isPlainObject(config)) throw invalidArgument(`${where} must be an object`);
  const method = config.method;
  if (method === 'rrf') {
    checkOptions(where, config, RRF_KEYS);
    const c = config as unknown as RrfConfig;
    if (c.k !== undefined && !isFiniteNonNegative(c.k)) {
      throw invalidArgument(`${where}.k (the RRF constant) must be a finite number ≥ 0, got ${String(c.k)}`);
    }
    if (c.weights !== undefined) checkRecord(`${where}.weights`, c.weights, isFiniteNonNegative, 'a finite number ≥ 0');
    checkDepth(where, c.depth);
    return c;
  }
  if (method === 'cc') {
    checkOptions(where, config, CC_KEYS);
    const c = config as unknown as CcConfig;
    if (c.normalizer === undefined) {
      throw invalidArgument(`${where}.normalizer is required for method "cc" (one of ${NORMALIZERS.join(', ')})`);
    }
    if (!NORMALIZERS.includes(c.normalizer as Normalizer)) {
      throw invalidArgument(
        `${where}.normalizer must be one of ${NORMALIZERS.join(', ')}, got "${String(c.normalizer)}"`,
      );
    }
    if (c.weights !== undefined) checkRecord(`${where}.weights`, c.weights, isFiniteNonNegative, 'a finite number ≥ 0');
    if (c.theoreticalMin !== undefined) {
      checkRecord(`${where}.theoreticalMin`, c.theoreticalMin, isFiniteNumber, 'a finite number');
    }
    if (c.missing !== undefined && c.missing !== 'zero' && c.missing !== 'min') {
      throw invalidArgument(`${where}.missing must be "zero" or "min", got "${String(c.missing)}"`);
    }
    checkDepth(where, c.depth);
    return c;
  }
  if (method === undefined) throw invalidArgument(`${where}.method is required ("rrf" or "cc")`);
  throw new TamsaekError('INVALID_ARGUMENT', `${where}.method must be "rrf" or "cc", got "${String(method)}"`);
}
