/**
 * Compiling ko-mecab user words for the lattice. A MeCab entry needs a left and a right context id;
 * mecab-ko-dic derives them from the entry's feature with rewrite.def (its [left rewrite] and [right
 * rewrite] rules map a feature to the string that left-id.def / right-id.def number), the way its
 * dictionary compiler does. The tables are read once per process from the dictionary directory.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { invalidArgument, TamsaekError } from '../errors.js';
import type { CompiledUserWords } from '../native/analyze.js';
import type { UserWord } from './types.js';

/** Word cost of a user word without one: low enough that it wins wherever it occurs. */
export const DEFAULT_USER_COST = -20000;

type FieldPattern = null | string | Set<string>; // null: "*" (anything); Set: "(A|B|C)"

interface RewriteRule {
  pattern: FieldPattern[];
  output: string;
}

interface IdTable {
  ids: Map<string, number>;
  /** The same entries keyed with the reading (field 4) as "*": [reading, id] lists. */
  byClass: Map<string, Array<[string, number]>>;
}

interface IdTables {
  left: RewriteRule[];
  right: RewriteRule[];
  leftIds: IdTable;
  rightIds: IdTable;
}

const tables = new Map<string, IdTables>();

function parsePattern(field: string): FieldPattern {
  if (field === '*') return null;
  if (field.startsWith('(') && field.endsWith(')')) return new Set(field.slice(1, -1).split('|'));
  return field;
}

/** The [left rewrite] and [right rewrite] sections of rewrite.def. */
export function parseRewriteDef(text: string): { left: RewriteRule[]; right: RewriteRule[] } {
  const out = { left: [] as RewriteRule[], right: [] as RewriteRule[] };
  let section: RewriteRule[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      section = line === '[left rewrite]' ? out.left : line === '[right rewrite]' ? out.right : undefined;
      continue;
    }
    const m = /^(\S+)\s+(\S+)$/.exec(line);
    if (section !== undefined && m !== null)
      section.push({ pattern: m[1]!.split(',').map(parsePattern), output: m[2]! });
  }
  return out;
}

/** Applies the first rule whose pattern matches the feature's fields ($n = field n). */
export function rewrite(rules: readonly RewriteRule[], fields: readonly string[]): string | undefined {
  for (const r of rules) {
    if (r.pattern.length > fields.length) continue;
    const match = r.pattern.every(
      (p, i) => p === null || (typeof p === 'string' ? p === fields[i] : p.has(fields[i]!)),
    );
    if (match) return r.output.replace(/\$(\d+)/g, (_, n: string) => fields[Number(n) - 1] ?? '');
  }
  return undefined;
}

function withoutReading(feature: string): [string, string] {
  const f = feature.split(',');
  const reading = f[3] ?? '*';
  if (f.length > 3) f[3] = '*';
  return [f.join(','), reading];
}

function parseIdDef(text: string): IdTable {
  const ids = new Map<string, number>();
  const byClass = new Map<string, Array<[string, number]>>();
  for (const line of text.split('\n')) {
    const m = /^(\d+) (\S+)$/.exec(line.trim());
    if (m === null) continue;
    ids.set(m[2]!, Number(m[1]));
    const [key, reading] = withoutReading(m[2]!);
    let list = byClass.get(key);
    if (list === undefined) byClass.set(key, (list = []));
    list.push([reading, Number(m[1])]);
  }
  return { ids, byClass };
}

function commonSuffix(a: string, b: string): number {
  let n = 0;
  while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
  return n;
}

/**
 * The id of a rewritten feature. Particles, endings and a few other classes have ids per reading
 * (가, 이, 께서 …): a new reading takes the id of the known reading of its class that shares the
 * longest ending with it (the first such in the table on a tie).
 */
function lookupId(table: IdTable, feature: string): number | undefined {
  const id = table.ids.get(feature);
  if (id !== undefined) return id;
  const [key, reading] = withoutReading(feature);
  let best: [string, number] | undefined;
  let bestLen = -1;
  for (const entry of table.byClass.get(key) ?? []) {
    const n = commonSuffix(entry[0], reading);
    if (n > bestLen) [best, bestLen] = [entry, n];
  }
  return best?.[1];
}

function idTables(dir: string): IdTables {
  let t = tables.get(dir);
  if (t !== undefined) return t;
  try {
    const rules = parseRewriteDef(readFileSync(path.join(dir, 'rewrite.def'), 'utf8'));
    t = {
      ...rules,
      leftIds: parseIdDef(readFileSync(path.join(dir, 'left-id.def'), 'utf8')),
      rightIds: parseIdDef(readFileSync(path.join(dir, 'right-id.def'), 'utf8')),
    };
  } catch (cause) {
    throw new TamsaekError('ANALYZER_ERROR', `ko-mecab: cannot read the id tables of ${dir}: ${String(cause)}`, {
      cause,
    });
  }
  tables.set(dir, t);
  return t;
}

function finalConsonant(word: string): string {
  const c = word.charCodeAt(word.length - 1);
  if (c >= 0xac00 && c <= 0xd7a3) return (c - 0xac00) % 28 === 0 ? 'F' : 'T';
  return '*';
}

/** The feature CSV of a user word; parts make it a Compound whose expression lists them. */
export function userFeature(w: UserWord, jong: string): string[] {
  const pos = w.pos ?? 'NNP';
  const reading = /[,"]/.test(w.word) ? '*' : w.word;
  if (w.parts === undefined) return [pos, '*', jong, reading, '*', '*', '*', '*'];
  const expression = w.parts.map((p) => `${p}/${pos}/*`).join('+');
  return [pos, '*', jong, reading, 'Compound', pos, pos, expression];
}

function contextIds(t: IdTables, fields: string[]): [number, number] | undefined {
  const l = rewrite(t.left, fields);
  const r = rewrite(t.right, fields);
  const left = l === undefined ? undefined : lookupId(t.leftIds, l);
  const right = r === undefined ? undefined : lookupId(t.rightIds, r);
  return left === undefined || right === undefined ? undefined : [left, right];
}

/** Context ids, cost and feature of every user word; INVALID_ARGUMENT for a POS the dictionary cannot place. */
export function compileUserWords(dir: string, words: readonly UserWord[]): CompiledUserWords {
  const t = idTables(dir);
  const n = words.length;
  const out: CompiledUserWords = {
    surfaces: [],
    features: [],
    leftIds: new Int32Array(n),
    rightIds: new Int32Array(n),
    costs: new Int32Array(n),
  };
  words.forEach((w, i) => {
    // the final-consonant field (T/F, "*" for symbols and words not ending in Hangul) picks the ids:
    // the word's own first, then the others the dictionary may know the class by
    let fields: string[] = [];
    let ids: [number, number] | undefined;
    for (const jong of new Set([finalConsonant(w.word), '*', 'F', 'T'])) {
      fields = userFeature(w, jong);
      ids = contextIds(t, fields);
      if (ids !== undefined) break;
    }
    if (ids === undefined)
      throw invalidArgument(`ko-mecab: user word "${w.word}": mecab-ko-dic has no context id for pos ${w.pos}`);
    out.surfaces.push(w.word);
    out.features.push(fields.join(','));
    out.leftIds[i] = ids[0];
    out.rightIds[i] = ids[1];
    out.costs[i] = w.cost ?? DEFAULT_USER_COST;
  });
  return out;
}
