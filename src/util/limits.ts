/**
 * Bounded work per request: the largest query (characters, then analysed terms) and the largest
 * document (characters) the library accepts. Past a limit a call fails at once with a typed
 * LIMIT_EXCEEDED, before any analysis: a 1 MB query is refused in microseconds instead of holding the
 * thread. Every limit is a positive integer, or Infinity to lift it.
 */
import { checkOptions, invalidArgument, TamsaekError } from '../errors.js';

export interface QueryLimits {
  /** Longest query in UTF-16 code units (default 4,096). */
  maxQueryChars?: number;
  /** Most terms a query may analyse to, duplicates included (default 1,024, Lucene's classic clause limit). */
  maxQueryTerms?: number;
}

export interface Limits extends QueryLimits {
  /** Longest document text (+ title) in UTF-16 code units (default 10 Mi = 10,485,760: a 10 MB document fits). */
  maxDocumentChars?: number;
}

export const DEFAULT_LIMITS: Readonly<Required<Limits>> = Object.freeze({
  maxQueryChars: 4096,
  maxQueryTerms: 1024,
  maxDocumentChars: 10 * 1024 * 1024,
});

const LIMIT_KEYS = ['maxQueryChars', 'maxQueryTerms', 'maxDocumentChars'] as const;

/** `given` over `base` (default DEFAULT_LIMITS), each value checked; `keys` restricts which may be given. */
export function resolveLimits(
  where: string,
  given: Limits | undefined,
  base: Readonly<Required<Limits>> = DEFAULT_LIMITS,
  keys: readonly string[] = LIMIT_KEYS,
): Required<Limits> {
  if (given === undefined) return { ...base };
  if (given === null || typeof given !== 'object' || Array.isArray(given))
    throw invalidArgument(`${where}: limits must be an object of ${keys.join(', ')}`);
  checkOptions(`${where} limits`, given, keys);
  const out = { ...base };
  for (const key of LIMIT_KEYS) {
    const value = given[key];
    if (value === undefined) continue;
    if (!(value === Infinity || (Number.isSafeInteger(value) && value >= 1)))
      throw invalidArgument(`${where}: limits.${key} must be a positive integer or Infinity, got ${String(value)}`);
    out[key] = value;
  }
  return out;
}

export function checkQueryChars(where: string, query: string, max: number): void {
  if (query.length > max)
    throw new TamsaekError(
      'LIMIT_EXCEEDED',
      `${where}: the query has ${query.length} characters, more than maxQueryChars ${max}`,
    );
}

export function checkQueryTerms(where: string, terms: number, max: number): void {
  if (terms > max)
    throw new TamsaekError(
      'LIMIT_EXCEEDED',
      `${where}: the query analyses to ${terms} terms, more than maxQueryTerms ${max}`,
    );
}
