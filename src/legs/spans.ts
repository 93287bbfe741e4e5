/**
 * Passage bookkeeping shared by legs that split documents: each split document's passage offsets,
 * its unit ids (`<document>\0<n>`), and a compact file for saving them with the leg.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { TamsaekError } from '../errors.js';
import { passageUnit, splitUnit } from '../util/chunker.js';

export interface Span {
  start: number;
  end: number;
}

export class PassageSpans {
  private readonly byDocument = new Map<string, readonly Span[]>();

  get size(): number {
    return this.byDocument.size;
  }

  set(id: string, spans: readonly Span[]): void {
    this.byDocument.set(
      id,
      spans.map(({ start, end }) => ({ start, end })),
    );
  }

  get(id: string): readonly Span[] | undefined {
    return this.byDocument.get(id);
  }

  delete(id: string): void {
    this.byDocument.delete(id);
  }

  /** The unit ids a document occupies: its passages', or the document id itself when it is not split. */
  units(id: string): string[] {
    const spans = this.byDocument.get(id);
    return spans ? spans.map((_, n) => passageUnit(id, n)) : [id];
  }

  /** Offsets of a passage unit; undefined for a whole-document unit. */
  spanOf(unit: string): Span | undefined {
    const { documentId, n } = splitUnit(unit);
    return n === undefined ? undefined : this.byDocument.get(documentId)?.[n];
  }

  async save(path: string): Promise<void> {
    const rows: string[] = [];
    for (const [id, spans] of this.byDocument) rows.push(JSON.stringify([id, spans.flatMap((s) => [s.start, s.end])]));
    await writeFile(path, `[${rows.join(',\n')}]\n`);
  }

  static async load(path: string): Promise<PassageSpans> {
    let rows: unknown;
    try {
      rows = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new TamsaekError('CORRUPT_INDEX', `${path}: passage offsets are unreadable`, { cause: error });
    }
    const out = new PassageSpans();
    if (!Array.isArray(rows)) throw new TamsaekError('CORRUPT_INDEX', `${path}: passage offsets are not a list`);
    for (const row of rows) {
      const [id, flat] = Array.isArray(row) ? row : [];
      if (typeof id !== 'string' || !Array.isArray(flat) || flat.length % 2 !== 0)
        throw new TamsaekError('CORRUPT_INDEX', `${path}: a passage offset row is malformed`);
      const spans: Span[] = [];
      for (let i = 0; i < flat.length; i += 2) spans.push({ start: Number(flat[i]), end: Number(flat[i + 1]) });
      out.byDocument.set(id, spans);
    }
    return out;
  }
}
