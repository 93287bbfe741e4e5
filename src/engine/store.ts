/**
 * The engine's documents: text, title and metadata by id, the one copy every leg, snippet and
 * reranker reads from. Saved as `docs.jsonl` in each generation.
 */
import { open as openFile, readFile } from 'node:fs/promises';
import { TamsaekError } from '../errors.js';
import type { LegDocument, Metadata } from '../legs/types.js';
import { Slicer } from '../util/slices.js';

export interface StoredDocument {
  text: string;
  title?: string;
  meta?: Metadata;
}

export const DOCS_FILE = 'docs.jsonl';

export class DocumentStore {
  private readonly docs = new Map<string, StoredDocument>();

  get size(): number {
    return this.docs.size;
  }

  has(id: string): boolean {
    return this.docs.has(id);
  }

  get(id: string): StoredDocument | undefined {
    return this.docs.get(id);
  }

  /** A stored document as legs receive it (undefined for an unknown id). */
  legDocument(id: string): LegDocument | undefined {
    const doc = this.docs.get(id);
    return doc && { id, ...doc };
  }

  set(id: string, doc: StoredDocument): void {
    const stored: StoredDocument = { text: doc.text };
    if (doc.title !== undefined) stored.title = doc.title;
    if (doc.meta !== undefined) stored.meta = doc.meta;
    this.docs.set(id, stored);
  }

  delete(id: string): void {
    this.docs.delete(id);
  }

  ids(): IterableIterator<string> {
    return this.docs.keys();
  }

  /** Writes every document as one JSON line, in chunks, and fsyncs. */
  async save(path: string): Promise<void> {
    const handle = await openFile(path, 'w');
    try {
      let chunk = '';
      for (const [id, doc] of this.docs) {
        chunk += `${JSON.stringify({ id, ...doc })}\n`;
        if (chunk.length > 1 << 20) {
          await handle.write(chunk);
          chunk = '';
        }
      }
      await handle.write(chunk);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /**
   * Reads `docs.jsonl` in slices that let the event loop turn; `onRow` sees every raw row (an older
   * index keeps passage offsets there).
   */
  static async load(path: string, onRow?: (row: Record<string, unknown>) => void): Promise<DocumentStore> {
    const store = new DocumentStore();
    const lines = (await readFile(path, 'utf8')).split('\n');
    const slicer = new Slicer({ what: 'open' });
    for (let i = 0; i < lines.length; i++) {
      await slicer.pause();
      if (lines[i] === '') continue;
      let row: { id: string } & StoredDocument;
      try {
        row = JSON.parse(lines[i]) as typeof row;
      } catch {
        throw new TamsaekError('CORRUPT_INDEX', `${path}:${i + 1}: invalid JSON`);
      }
      if (typeof row?.id !== 'string' || typeof row.text !== 'string')
        throw new TamsaekError('CORRUPT_INDEX', `${path}:${i + 1}: a document row needs an id and a text`);
      store.set(row.id, row);
      onRow?.(row as unknown as Record<string, unknown>);
    }
    return store;
  }
}
