/**
 * Bulk NDJSON for the `_bulk` API, streamed: documents come from an async iterator a batch at a time and
 * leave in writes of at most WRITE_CHUNK characters, so memory stays constant whatever the index size.
 * Output is cut into parts of at most `maxBytes` (default 10 MiB; an action line and its source line are
 * never split), each a request body of its own. Every document is an `index` action (it replaces a
 * document of the same id, so a re-run or a later sync overwrites) with the vectors the index stores.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { StoredDocumentView } from '../engine/types.js';
import { invalidArgument } from '../errors.js';
import { type ChunkOptions, chunkText, titled } from '../util/chunker.js';
import { FIELDS } from './mappings.js';
import { type DigestWriter, digestOf } from './sync.js';

export const DEFAULT_PART_BYTES = 10 * 1024 * 1024;
const WRITE_CHUNK = 1 << 20;
const YIELD_MS = 20;

/**
 * A decimal that reads back as exactly the same float32 (vectors are stored as float32: printing the
 * double would spend 17 digits on each value): 8 significant digits when they round-trip, else 9, which
 * always do. The shortest round-tripping form is slightly smaller but takes several tries per value,
 * and printing the vectors is most of an export's time.
 */
export function float32Json(v: number): string {
  if (!Number.isFinite(v)) throw invalidArgument(`a stored vector holds a non-finite value (${v})`);
  const eight = Number(v.toPrecision(8));
  return String(Math.fround(eight) === v ? eight : Number(v.toPrecision(9)));
}

function vectorJson(vector: Float32Array): string {
  let out = '[';
  for (let i = 0; i < vector.length; i++) out += (i === 0 ? '' : ',') + float32Json(vector[i]!);
  return `${out}]`;
}

/** The passages BM25 leg's windows of a document, as that leg cuts and titles them. */
function windowsJson(doc: StoredDocumentView, split: ChunkOptions): string {
  const parts = chunkText(doc.text, split).map(
    (p) => `{"start":${p.start},"end":${p.end},"text":${JSON.stringify(titled(doc.title, p.text))}}`,
  );
  return `${JSON.stringify(FIELDS.windows)}:[${parts.join(',')}]`;
}

/**
 * One document's source line. `layout` says where the vectors of the dense leg named `leg` go (none,
 * `vector`, nested `passages`); `windows`, the passages BM25 leg's split, adds the nested windows.
 */
export function sourceLine(doc: StoredDocumentView, layout: BulkLayout, leg = 'dense', windows?: ChunkOptions): string {
  let line = '{';
  if (doc.title !== undefined) line += `${JSON.stringify(FIELDS.title)}:${JSON.stringify(doc.title)},`;
  line += `${JSON.stringify(FIELDS.text)}:${JSON.stringify(doc.text)}`;
  if (doc.meta !== undefined) line += `,${JSON.stringify(FIELDS.meta)}:${JSON.stringify(doc.meta)}`;
  const units = doc.vectors?.[leg] ?? [];
  if (layout === 'vector') {
    if (units.length !== 1)
      throw invalidArgument(
        `document "${doc.id}" has ${units.length} dense vectors; the export expects one per document`,
      );
    line += `,${JSON.stringify(FIELDS.vector)}:${vectorJson(units[0]!.vector)}`;
  } else if (layout === 'passages') {
    const parts = units.map((u) => `{"start":${u.start},"end":${u.end},"vector":${vectorJson(u.vector)}}`);
    line += `,${JSON.stringify(FIELDS.passages)}:[${parts.join(',')}]`;
  }
  if (windows) line += `,${windowsJson(doc, windows)}`;
  return `${line}}`;
}

export type BulkLayout = 'none' | 'vector' | 'passages';

export interface BulkOptions {
  /** Folder the parts are written to (must exist). */
  dir: string;
  index: string;
  layout: BulkLayout;
  /** The dense leg whose vectors the documents carry (default `dense`). */
  denseLeg?: string;
  /** The passages BM25 leg's split: each document carries its windows' text. */
  windows?: ChunkOptions;
  maxBytes?: number;
  onProgress?: (documents: number) => void;
  /** Where each document's digest goes (documents.tsv, for a later `--since`). */
  digests?: DigestWriter;
  /**
   * The previous export's digests (consumed): only documents that changed or are new are written, and
   * a `delete` action for each id left over.
   */
  previous?: Map<string, string>;
}

export interface BulkReport {
  /** Documents in the index. */
  documents: number;
  /** `index` actions written (all documents, or with `previous` the changed and new ones). */
  written: number;
  unchanged: number;
  deleted: number;
  /** Vectors in the written documents. */
  vectors: number;
  parts: string[];
  bytes: number;
}

class PartWriter {
  private handle: FileHandle | undefined;
  private pending = '';
  private partBytes = 0;
  readonly parts: string[] = [];
  bytes = 0;

  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
  ) {}

  async add(pair: string): Promise<void> {
    const size = Buffer.byteLength(pair);
    if (!this.handle || (this.partBytes > 0 && this.partBytes + size > this.maxBytes)) await this.nextPart();
    this.pending += pair;
    this.partBytes += size;
    this.bytes += size;
    if (this.pending.length >= WRITE_CHUNK) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending === '') return;
    await this.handle!.write(this.pending);
    this.pending = '';
    await yieldToLoop();
  }

  private async nextPart(): Promise<void> {
    await this.close();
    const name = `bulk-${String(this.parts.length + 1).padStart(6, '0')}.ndjson`;
    this.handle = await open(join(this.dir, name), 'wx');
    this.parts.push(name);
    this.partBytes = 0;
  }

  async close(): Promise<void> {
    if (!this.handle) return;
    try {
      await this.flush();
      await this.handle.sync();
    } finally {
      await this.handle.close();
      this.handle = undefined;
    }
  }
}

/** Writes the documents of `docs` (all, or what changed since `previous`) as bulk NDJSON parts under `options.dir`. */
export async function writeBulk(docs: AsyncIterable<StoredDocumentView>, options: BulkOptions): Promise<BulkReport> {
  const maxBytes = options.maxBytes ?? DEFAULT_PART_BYTES;
  if (!(Number.isInteger(maxBytes) && maxBytes >= 1024)) throw invalidArgument('bulk part size must be ≥ 1024 bytes');
  const writer = new PartWriter(options.dir, maxBytes);
  const index = JSON.stringify(options.index);
  const { previous, digests } = options;
  const report = { documents: 0, written: 0, unchanged: 0, deleted: 0, vectors: 0 };
  let turn = performance.now();
  try {
    for await (const doc of docs) {
      // printing vectors is synchronous work: give the host's event loop a turn every YIELD_MS
      if (performance.now() - turn > YIELD_MS) {
        await yieldToLoop();
        turn = performance.now();
      }
      const source = sourceLine(doc, options.layout, options.denseLeg, options.windows);
      report.documents++;
      if (report.documents % 1000 === 0) options.onProgress?.(report.documents);
      const digest = digests || previous ? digestOf(source) : '';
      await digests?.add(doc.id, digest);
      if (previous) {
        const before = previous.get(doc.id);
        previous.delete(doc.id);
        if (before === digest) {
          report.unchanged++;
          continue;
        }
      }
      await writer.add(`{"index":{"_index":${index},"_id":${JSON.stringify(doc.id)}}}\n${source}\n`);
      report.written++;
      report.vectors += options.layout === 'none' ? 0 : (doc.vectors?.[options.denseLeg ?? 'dense']?.length ?? 0);
    }
    for (const id of previous?.keys() ?? []) {
      await writer.add(`{"delete":{"_index":${index},"_id":${JSON.stringify(id)}}}\n`);
      report.deleted++;
    }
  } finally {
    try {
      await writer.close();
    } finally {
      await digests?.close();
    }
  }
  options.onProgress?.(report.documents);
  return { ...report, parts: writer.parts, bytes: writer.bytes };
}
