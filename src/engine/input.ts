/** Documents and vectors from callers, checked at the engine's boundary (typed errors, nothing stored yet). */
import { checkOptions, invalidArgument, TamsaekError } from '../errors.js';
import type { LegDocument } from '../legs/types.js';
import { UNIT_SEPARATOR } from '../util/chunker.js';
import type { NamedLeg } from './pipeline.js';
import type { EngineDocument } from './types.js';

/** Deepest nesting of `meta` accepted (a deeper value is refused, never a stack overflow). */
const MAX_META_DEPTH = 32;

/**
 * `meta` must be JSON data that survives a save and reopen unchanged: plain objects and arrays of
 * strings, finite numbers, booleans and null. Refused with INVALID_ARGUMENT naming the field: BigInt,
 * functions, symbols, undefined (JSON drops it), NaN and ±Infinity (JSON makes them null), Dates (JSON
 * makes them strings: store `date.toISOString()` or `date.getTime()`), class instances, Maps, Sets,
 * typed arrays, cycles, nesting deeper than MAX_META_DEPTH. Returns the characters of its keys and strings.
 */
export function checkMeta(meta: unknown, where: string): number {
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta))
    throw invalidArgument(`${where}: meta must be a plain object`);
  return checkJsonValue(meta, `${where}: meta`, new Set(), 0);
}

function checkJsonValue(value: unknown, path: string, open: Set<object>, depth: number): number {
  switch (typeof value) {
    case 'string':
      return value.length;
    case 'boolean':
      return 0;
    case 'number':
      if (!Number.isFinite(value)) throw invalidArgument(`${path} is ${value}: JSON cannot store it`);
      return 0;
    case 'object':
      break;
    default:
      throw invalidArgument(`${path} is a ${typeof value}: meta holds JSON data only`);
  }
  if (value === null) return 0;
  if (value instanceof Date)
    throw invalidArgument(`${path} is a Date: store date.toISOString() or date.getTime() (JSON keeps no Date)`);
  if (open.has(value)) throw invalidArgument(`${path} refers back to itself (a cycle)`);
  if (depth >= MAX_META_DEPTH) throw invalidArgument(`${path} is nested deeper than ${MAX_META_DEPTH} levels`);
  open.add(value);
  let chars = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) chars += checkJsonValue(value[i], `${path}[${i}]`, open, depth + 1);
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null)
      throw invalidArgument(
        `${path} is a ${proto?.constructor?.name ?? 'non-plain'} object: meta holds plain data only`,
      );
    for (const key of Object.keys(value)) {
      chars += key.length;
      chars += checkJsonValue((value as Record<string, unknown>)[key], `${path}.${key}`, open, depth + 1);
    }
    if (Object.getOwnPropertySymbols(value).length > 0) throw invalidArgument(`${path} has symbol keys`);
  }
  open.delete(value);
  return chars;
}

/** The options of `add` / `upsert`: only `onProgress`, a function. */
export function checkWriteOptions(where: string, options: unknown): void {
  checkOptions(where, options as object | undefined, ['onProgress']);
  const onProgress = (options as { onProgress?: unknown } | undefined)?.onProgress;
  if (onProgress !== undefined && typeof onProgress !== 'function')
    throw invalidArgument(`${where}: onProgress must be a function`);
}

export function checkDocuments(
  documents: readonly EngineDocument[],
  legs: readonly NamedLeg[],
  maxDocumentChars = Infinity,
): LegDocument[] {
  if (!Array.isArray(documents)) throw invalidArgument('documents must be an array of { id, text, title?, meta? }');
  const seen = new Set<string>();
  return documents.map((d, i) => {
    if (d === null || typeof d !== 'object') throw invalidArgument(`document ${i} must be an object`);
    checkOptions(`document ${i}`, d, ['id', 'text', 'title', 'meta', 'vector']);
    if (typeof d.id !== 'string' || d.id.length === 0 || d.id.includes(UNIT_SEPARATOR))
      throw invalidArgument(`document ${i}: id must be a non-empty string without NUL`);
    if (typeof d.text !== 'string') throw invalidArgument(`document "${d.id}": text must be a string`);
    if (d.title !== undefined && typeof d.title !== 'string')
      throw invalidArgument(`document "${d.id}": title must be a string`);
    const metaChars = d.meta === undefined ? 0 : checkMeta(d.meta, `document "${d.id}"`);
    const chars = d.id.length + d.text.length + (d.title?.length ?? 0) + metaChars;
    if (chars > maxDocumentChars)
      throw new TamsaekError(
        'LIMIT_EXCEEDED',
        `document "${d.id.slice(0, 80)}" has ${chars} characters (id, text, title and meta), more than maxDocumentChars ${maxDocumentChars}`,
      );
    if (seen.has(d.id)) throw new TamsaekError('DUPLICATE_ID', `document id "${d.id}" appears twice in one call`);
    seen.add(d.id);
    const { vector, ...rest } = d;
    return vector === undefined ? rest : { ...rest, vector: checkVector(vector, `document "${d.id}": vector`, legs) };
  });
}

/** A caller's precomputed vector as a Float32Array of the dense legs' dimension, all finite. */
export function checkVector(vector: unknown, where: string, legs: readonly NamedLeg[]): Float32Array {
  const dim = legs.find(({ leg }) => leg.vectorDim !== undefined)?.leg.vectorDim;
  if (dim === undefined) throw invalidArgument(`${where}: the engine has no dense leg`);
  const ok = vector instanceof Float32Array || (Array.isArray(vector) && vector.every((v) => typeof v === 'number'));
  if (!ok) throw invalidArgument(`${where} must be a Float32Array or an array of numbers`);
  const values = Float32Array.from(vector as ArrayLike<number>);
  if (values.length !== dim)
    throw new TamsaekError(
      'DIMENSION_MISMATCH',
      `${where} has ${values.length} values, the dense leg's model makes ${dim}`,
    );
  for (const v of values) if (!Number.isFinite(v)) throw invalidArgument(`${where} holds a non-finite value`);
  return values;
}
