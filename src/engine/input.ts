/** Documents and vectors from callers, checked at the engine's boundary (typed errors, nothing stored yet). */
import { checkOptions, invalidArgument, TamsaekError } from '../errors.js';
import type { LegDocument } from '../legs/types.js';
import { UNIT_SEPARATOR } from '../util/chunker.js';
import type { NamedLeg } from './pipeline.js';
import type { EngineDocument } from './types.js';

export function checkDocuments(documents: readonly EngineDocument[], legs: readonly NamedLeg[]): LegDocument[] {
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
    if (d.meta !== undefined && (d.meta === null || typeof d.meta !== 'object' || Array.isArray(d.meta)))
      throw invalidArgument(`document "${d.id}": meta must be an object`);
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
