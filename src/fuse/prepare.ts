/**
 * Validation of the legs of one fuse() call against its (already validated) config, and the per-leg view
 * every method works on: effective weight, hits cut to depth, ranks resolved.
 */
import { checkOptions, invalidArgument } from '../errors.js';
import type { FusionConfig, FusionLeg } from './types.js';

export interface PreparedHit {
  id: string;
  score: number;
  rank: number;
}

export interface PreparedLeg {
  name: string;
  weight: number;
  /** The leg's top-`depth` hits, ranks resolved. */
  hits: PreparedHit[];
}

const LEG_KEYS = ['name', 'hits', 'weight'];

function own(record: Record<string, number> | undefined, key: string): number | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

function checkNamesExist(where: string, record: Record<string, number> | undefined, names: Set<string>): void {
  if (record === undefined) return;
  for (const key of Object.keys(record)) {
    if (!names.has(key)) {
      throw invalidArgument(`${where} names leg "${key}", which is not among the legs (${[...names].join(', ')})`);
    }
  }
}

export function checkTopK(k: unknown): number {
  if (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 1) {
    throw invalidArgument(`fuse: k (results to return) must be a positive integer, got ${String(k)}`);
  }
  return k;
}

export function prepareLegs(legs: readonly FusionLeg[], config: FusionConfig): PreparedLeg[] {
  if (!Array.isArray(legs)) throw invalidArgument('fuse: legs must be an array');
  if (legs.length === 0) throw invalidArgument('fuse: at least one leg is required');
  const names = new Set<string>();
  for (const leg of legs) {
    if (typeof leg !== 'object' || leg === null) throw invalidArgument('fuse: every leg must be an object');
    checkOptions('fuse: leg', leg, LEG_KEYS);
    if (typeof leg.name !== 'string' || leg.name === '')
      throw invalidArgument('fuse: leg name must be a non-empty string');
    if (names.has(leg.name)) throw invalidArgument(`fuse: duplicate leg name "${leg.name}"`);
    names.add(leg.name);
  }
  checkNamesExist('fusion config.weights', config.weights, names);
  if (typeof config.depth === 'object') checkNamesExist('fusion config.depth', config.depth, names);
  if (config.method === 'cc') checkNamesExist('fusion config.theoreticalMin', config.theoreticalMin, names);

  const prepared: PreparedLeg[] = [];
  let anyWeight = false;
  for (const leg of legs) {
    const where = `fuse: leg "${leg.name}"`;
    const configured = own(config.weights, leg.name);
    if (configured === undefined && leg.weight !== undefined) {
      if (typeof leg.weight !== 'number' || !Number.isFinite(leg.weight) || leg.weight < 0) {
        throw invalidArgument(`${where}: weight must be a finite number ≥ 0, got ${String(leg.weight)}`);
      }
    }
    const weight: number = configured ?? leg.weight ?? 1;
    if (weight > 0) anyWeight = true;

    if (!Array.isArray(leg.hits)) throw invalidArgument(`${where}: hits must be an array`);
    const seen = new Set<string>();
    let previousRank = 0;
    const resolved: PreparedHit[] = [];
    for (let i = 0; i < leg.hits.length; i++) {
      const hit = leg.hits[i];
      if (typeof hit !== 'object' || hit === null) throw invalidArgument(`${where}: hit ${i} must be an object`);
      const { id, score } = hit;
      if (typeof id !== 'string' || id === '')
        throw invalidArgument(`${where}: hit ${i} id must be a non-empty string`);
      if (seen.has(id)) throw invalidArgument(`${where}: duplicate id "${id}"`);
      seen.add(id);
      if (typeof score !== 'number' || !Number.isFinite(score)) {
        throw invalidArgument(`${where}: hit "${id}" score must be a finite number, got ${String(score)}`);
      }
      let rank = i + 1;
      if (hit.rank !== undefined) {
        if (typeof hit.rank !== 'number' || !Number.isSafeInteger(hit.rank) || hit.rank < 1) {
          throw invalidArgument(`${where}: hit "${id}" rank must be a positive integer, got ${String(hit.rank)}`);
        }
        rank = hit.rank;
      }
      if (rank < previousRank) {
        throw invalidArgument(
          `${where}: hits must be best-first, but rank ${rank} of "${id}" follows rank ${previousRank}`,
        );
      }
      previousRank = rank;
      resolved.push({ id, score, rank });
    }
    const depth = typeof config.depth === 'number' ? config.depth : own(config.depth, leg.name);
    prepared.push({ name: leg.name, weight, hits: depth === undefined ? resolved : resolved.slice(0, depth) });
  }
  if (!anyWeight) throw invalidArgument('fuse: all leg weights are 0; at least one must be positive');
  return prepared;
}

/** Best first; equal fused scores by id ascending (plain `<` on the strings, i.e. UTF-16 code units). */
export function compareFused(a: { id: string; score: number }, b: { id: string; score: number }): number {
  if (a.score !== b.score) return b.score - a.score;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
