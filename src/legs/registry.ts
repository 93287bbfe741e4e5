/**
 * Leg kinds by name: the engine creates a leg from `{ name, kind, options }` and reopens a saved one
 * from the kind its manifest records. The built-in kinds are registered here; a user's own kind is
 * one `registerLeg` call.
 */
import { invalidArgument, TamsaekError } from '../errors.js';
import { bm25Leg } from './bm25/leg.js';
import { denseLeg } from './dense/leg.js';
import type { LegFactory } from './types.js';

const factories = new Map<string, LegFactory>([
  ['bm25', bm25Leg as LegFactory],
  ['dense', denseLeg as LegFactory],
]);

/** Registers a leg kind (process-wide). Re-registering a built-in kind is refused. */
export function registerLeg<Options>(kind: string, factory: LegFactory<Options>): void {
  if (typeof kind !== 'string' || !/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(kind))
    throw invalidArgument(`registerLeg: kind must be a short name of letters, digits, _ . - (got ${String(kind)})`);
  if (kind === 'bm25' || kind === 'dense') throw invalidArgument(`registerLeg: "${kind}" is a built-in leg kind`);
  if (!factory || typeof factory.create !== 'function' || typeof factory.open !== 'function')
    throw invalidArgument('registerLeg: factory must have create() and open()');
  factories.set(kind, factory as LegFactory);
}

export function legFactory(kind: string): LegFactory {
  const factory = factories.get(kind);
  if (!factory)
    throw new TamsaekError(
      'NOT_FOUND',
      `unknown leg kind "${kind}" (registered: ${[...factories.keys()].join(', ')}); register it with registerLeg() before creating or opening the engine`,
    );
  return factory;
}
