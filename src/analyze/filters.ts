import { invalidArgument } from '../errors.js';
import { normalizeTerm } from './normalize.js';
import type { TermFilterOptions } from './types.js';

interface SynonymRule {
  seq: string[];
  canon: string[];
}

/**
 * Stopwords and synonym groups, applied to the terms of a base analyzer. Synonyms map every member
 * of a group to the group's first member (canonical form). For BM25 this is the correct treatment:
 * a group then behaves as ONE term — its df is the union of documents, tf counts any member once,
 * document length is unchanged and a query naming one member gets one query term. Expanding
 * (emitting all members) would instead inflate document length and tf, and multiply the weight of
 * the query term by the group size.
 */
export class TermFilter {
  private readonly stop: Set<string> | undefined;
  private readonly rules: Map<string, SynonymRule[]> | undefined;

  private constructor(stop: Set<string> | undefined, rules: Map<string, SynonymRule[]> | undefined) {
    this.stop = stop;
    this.rules = rules;
  }

  /** Undefined when there is nothing to filter (the analyzer then skips the pass). */
  static create(
    where: string,
    opts: TermFilterOptions,
    analyzeRaw: (text: string) => string[],
  ): TermFilter | undefined {
    let stop: Set<string> | undefined;
    let rules: Map<string, SynonymRule[]> | undefined;
    if (opts.stopwords !== undefined) {
      if (!Array.isArray(opts.stopwords)) throw invalidArgument(`${where}: stopwords must be an array of strings`);
      stop = new Set();
      for (const w of opts.stopwords) {
        if (typeof w !== 'string') throw invalidArgument(`${where}: stopwords must be strings`);
        const t = normalizeTerm(w);
        if (t !== '') stop.add(t);
      }
      if (stop.size === 0) stop = undefined;
    }
    if (opts.synonyms !== undefined) {
      if (!Array.isArray(opts.synonyms)) throw invalidArgument(`${where}: synonyms must be an array of string arrays`);
      rules = new Map();
      for (const group of opts.synonyms) {
        if (!Array.isArray(group) || group.some((m) => typeof m !== 'string')) {
          throw invalidArgument(`${where}: each synonym group must be an array of strings`);
        }
        const seqs = group.map((m) => analyzeRaw(m)).filter((s) => s.length > 0);
        if (seqs.length < 2) continue;
        const canon = seqs[0]!;
        for (const seq of seqs.slice(1)) {
          if (seq.length === canon.length && seq.every((t, i) => t === canon[i])) continue;
          const first = seq[0]!;
          let list = rules.get(first);
          if (list === undefined) rules.set(first, (list = []));
          // First group wins for an identical sequence; longer sequences are tried first.
          if (list.some((r) => r.seq.length === seq.length && r.seq.every((t, i) => t === seq[i]))) continue;
          list.push({ seq, canon });
          list.sort((a, b) => b.seq.length - a.seq.length);
        }
      }
      if (rules.size === 0) rules = undefined;
    }
    return stop === undefined && rules === undefined ? undefined : new TermFilter(stop, rules);
  }

  apply(terms: string[]): string[] {
    const { stop, rules } = this;
    const out: string[] = [];
    const n = terms.length;
    for (let i = 0; i < n; ) {
      const t = terms[i]!;
      const cands = rules?.get(t);
      if (cands !== undefined) {
        let matched: SynonymRule | undefined;
        for (const r of cands) {
          const m = r.seq.length;
          if (i + m > n) continue;
          let ok = true;
          for (let k = 1; k < m; k++) {
            if (terms[i + k] !== r.seq[k]) {
              ok = false;
              break;
            }
          }
          if (ok) {
            matched = r;
            break;
          }
        }
        if (matched !== undefined) {
          for (const c of matched.canon) if (stop === undefined || !stop.has(c)) out.push(c);
          i += matched.seq.length;
          continue;
        }
      }
      if (stop === undefined || !stop.has(t)) out.push(t);
      i++;
    }
    return out;
  }
}
