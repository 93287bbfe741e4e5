/**
 * Snippets with character offsets: finds the query's analyzed terms in the original text and
 * returns the window that covers the most distinct terms, with every match's offsets.
 */
import { isCompoundTerm } from '../analyze/index.js';

export interface Snippet {
  /** Offsets of the snippet in the text it was cut from. */
  start: number;
  end: number;
  text: string;
  /** Matches inside the snippet, as offsets in the same (full) text. */
  highlights: { start: number; end: number }[];
}

/** A term as written in text: a compound term (ko-mecab's 진로+도서) is found as its parts joined, 진로도서. */
function needlesOf(term: string): string[] {
  return isCompoundTerm(term) ? [term, term.replaceAll('+', '')] : [term];
}

export function highlight(text: string, terms: readonly string[], maxChars = 160): Snippet {
  const lower = text.toLowerCase();
  const matches: { start: number; end: number; term: number }[] = [];
  const unique = [...new Set(terms.filter((t) => t.length > 0))];
  unique.forEach((term, t) => {
    for (const needle of needlesOf(term.toLowerCase()))
      for (
        let at = lower.indexOf(needle);
        at >= 0 && lower.length === text.length;
        at = lower.indexOf(needle, at + needle.length)
      ) {
        matches.push({ start: at, end: at + needle.length, term: t });
      }
  });
  matches.sort((a, b) => a.start - b.start || b.end - a.end);
  // drop matches nested in an earlier one (a term inside a longer term)
  const kept: typeof matches = [];
  for (const m of matches) if (kept.length === 0 || m.start >= kept[kept.length - 1].end) kept.push(m);
  if (kept.length === 0) {
    const end = Math.min(text.length, maxChars);
    return { start: 0, end, text: text.slice(0, end), highlights: [] };
  }
  // sliding window over matches: most distinct terms, then most matches
  let best = { from: 0, to: 0, distinct: 0, count: 0 };
  const counts = new Map<number, number>();
  let from = 0;
  for (let to = 0; to < kept.length; to++) {
    counts.set(kept[to].term, (counts.get(kept[to].term) ?? 0) + 1);
    while (kept[to].end - kept[from].start > maxChars && from < to) {
      const c = counts.get(kept[from].term)! - 1;
      if (c === 0) counts.delete(kept[from].term);
      else counts.set(kept[from].term, c);
      from++;
    }
    const distinct = counts.size;
    const count = to - from + 1;
    if (distinct > best.distinct || (distinct === best.distinct && count > best.count))
      best = { from, to, distinct, count };
  }
  const first = kept[best.from];
  const lastMatch = kept[best.to];
  const span = lastMatch.end - first.start;
  const pad = Math.max(0, Math.floor((maxChars - span) / 2));
  let start = Math.max(0, first.start - pad);
  const end = Math.min(text.length, Math.max(lastMatch.end, start + maxChars));
  start = Math.max(0, Math.min(start, end - maxChars));
  return {
    start,
    end,
    text: text.slice(start, end),
    highlights: kept
      .slice(best.from, best.to + 1)
      .filter((m) => m.start >= start && m.end <= end)
      .map(({ start: s, end: e }) => ({ start: s, end: e })),
  };
}
