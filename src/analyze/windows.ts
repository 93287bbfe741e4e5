/**
 * Long texts cut into windows at natural boundaries (a line end, else a sentence end, else a space, in
 * the window's second half), so that no single analysis call takes long: ko-morph hands lindera at
 * most 8 K characters at once, and `analyzeAll` analyses a long document one window per call with
 * event-loop turns between them.
 */

/** Cuts text into pieces of at most `max` chars, preferring line ends, then sentence ends, then spaces. */
export function cutText(text: string, max: number): string[] {
  if (text.length <= max) return [text];
  const out: string[] = [];
  let start = 0;
  const n = text.length;
  while (n - start > max) {
    const cut = cutPoint(text, start, max);
    out.push(text.slice(start, cut));
    start = cut;
  }
  if (start < n) out.push(text.slice(start));
  return out;
}

function cutPoint(text: string, start: number, max: number): number {
  const limit = start + max;
  const base = start + (max >> 1);
  const window = text.slice(base, limit);
  let p = window.lastIndexOf('\n');
  if (p >= 0) return base + p + 1;
  p = Math.max(window.lastIndexOf('. '), window.lastIndexOf('? '), window.lastIndexOf('! '));
  if (p >= 0) return base + p + 2;
  p = Math.max(window.lastIndexOf(' '), window.lastIndexOf('\t'), window.lastIndexOf('\u3000'));
  if (p >= 0) return base + p + 1;
  const c = text.charCodeAt(limit - 1);
  return c >= 0xd800 && c <= 0xdbff ? limit - 1 : limit; // never split a surrogate pair
}
