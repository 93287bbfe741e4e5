/**
 * Splits long documents into passages so each leg sees text of a useful size; hits on passages are
 * mapped back to their documents (best passage wins) by the engine.
 */
import { checkOptions, invalidArgument } from '../errors.js';

export interface ChunkOptions {
  /** `chars`: windows of `size` characters; `sentences`: windows of `size` sentences. */
  by: 'chars' | 'sentences';
  size: number;
  /** Characters (or sentences) shared by consecutive passages. */
  overlap?: number;
}

/** Passage unit ids are `<document id>\u0000<passage number>` (document ids may not contain NUL). */
export const UNIT_SEPARATOR = '\u0000';

export function passageUnit(documentId: string, n: number): string {
  return `${documentId}${UNIT_SEPARATOR}${n}`;
}

/** The document id and passage number of a unit id (no number: the unit is the whole document). */
export function splitUnit(unit: string): { documentId: string; n?: number } {
  const cut = unit.indexOf(UNIT_SEPARATOR);
  return cut < 0 ? { documentId: unit } : { documentId: unit.slice(0, cut), n: Number(unit.slice(cut + 1)) };
}

/** The text a dense model embeds for a document or one of its passages: `title text`. */
export function titled(title: string | undefined, text: string): string {
  return title ? `${title} ${text}` : text;
}

/**
 * The texts a dense model embeds for one document: the titled whole document, or — with a passage
 * split — each passage with the document's title in front (the title names what a passage is about).
 * The dense-only evaluation and the trainer's quick eval embed these; the engine's dense leg embeds
 * the same texts but cuts them itself, since it keeps each passage's offsets.
 */
export function denseUnitTexts(doc: { title?: string; text: string }, split: ChunkOptions | undefined): string[] {
  if (!split) return [titled(doc.title, doc.text)];
  return chunkText(doc.text, split).map((p) => titled(doc.title, p.text));
}

export interface Passage {
  /** Character offsets of the passage in the document text. */
  start: number;
  end: number;
  text: string;
}

export function checkChunkOptions(options: ChunkOptions): ChunkOptions {
  checkOptions('chunk', options, ['by', 'size', 'overlap']);
  const { by, size, overlap = 0 } = options;
  if (by !== 'chars' && by !== 'sentences')
    throw invalidArgument(`chunk.by must be "chars" or "sentences", got ${JSON.stringify(by)}`);
  if (!Number.isInteger(size) || size < 1) throw invalidArgument(`chunk.size must be a positive integer, got ${size}`);
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= size)
    throw invalidArgument(`chunk.overlap must be an integer in 0..size-1, got ${overlap}`);
  return { by, size, overlap };
}

const SENTENCE_END = /[.!?。！？](?=\s)|\n+/g;

/** Sentence spans [start, end) covering the text (trailing whitespace belongs to the sentence). */
function sentenceSpans(text: string): [number, number][] {
  const spans: [number, number][] = [];
  let start = 0;
  SENTENCE_END.lastIndex = 0;
  for (let m = SENTENCE_END.exec(text); m; m = SENTENCE_END.exec(text)) {
    let end = m.index + m[0].length;
    while (end < text.length && /\s/.test(text[end])) end++;
    if (end > start) spans.push([start, end]);
    start = end;
  }
  if (start < text.length) spans.push([start, text.length]);
  return spans;
}

export function chunkText(text: string, options: ChunkOptions): Passage[] {
  const { by, size, overlap = 0 } = options;
  if (text.length === 0) return [{ start: 0, end: 0, text: '' }];
  const passages: Passage[] = [];
  if (by === 'sentences') {
    const spans = sentenceSpans(text);
    for (let i = 0; i < spans.length; i += size - overlap) {
      const last = Math.min(i + size, spans.length) - 1;
      passages.push({ start: spans[i][0], end: spans[last][1], text: text.slice(spans[i][0], spans[last][1]) });
      if (last === spans.length - 1) break;
    }
    return passages;
  }
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + size, text.length);
    if (end < text.length) {
      // prefer to cut at whitespace in the last fifth of the window
      const cut = text.lastIndexOf(' ', end);
      if (cut > start + Math.floor(size * 0.8)) end = cut + 1;
    }
    passages.push({ start, end, text: text.slice(start, end) });
    if (end >= text.length) break;
    start = Math.max(end - overlap, start + 1);
  }
  return passages;
}
