/**
 * Keeping a cluster in sync with a tamsaek index that keeps changing: every export writes
 * `documents.tsv`, one line per document (`<digest>\t<id as JSON>`, the digest a SHA-256 prefix of the
 * document's bulk source line). `--since <previous export>` then writes only the documents whose digest
 * changed or that are new (`index` actions) and a `delete` action for every id the previous export had
 * and the index no longer has: the bulk of changes since that export's generation.
 *
 * The previous export's digests are held in memory while the index streams (an id and 32 hex characters
 * per document); the documents themselves still stream in constant memory.
 */
import { createHash } from 'node:crypto';
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readLines, requireFile } from '../data/lines.js';
import { TamsaekError } from '../errors.js';

export const DIGESTS_FILE = 'documents.tsv';
const FLUSH_CHARS = 1 << 20;

export function digestOf(sourceLine: string): string {
  return createHash('sha256').update(sourceLine).digest('hex').slice(0, 32);
}

/** Buffered writer of documents.tsv. */
export class DigestWriter {
  private pending = '';
  private constructor(private readonly handle: FileHandle) {}

  static async create(dir: string): Promise<DigestWriter> {
    return new DigestWriter(await open(join(dir, DIGESTS_FILE), 'wx'));
  }

  async add(id: string, digest: string): Promise<void> {
    this.pending += `${digest}\t${JSON.stringify(id)}\n`;
    if (this.pending.length >= FLUSH_CHARS) await this.flush();
  }

  private async flush(): Promise<void> {
    await this.handle.write(this.pending);
    this.pending = '';
  }

  async close(): Promise<void> {
    try {
      await this.flush();
      await this.handle.sync();
    } finally {
      await this.handle.close();
    }
  }
}

export interface PreviousExport {
  dir: string;
  target: string;
  targetVersion: string;
  index: string;
  generation: number;
  /** id → digest of the document as that export wrote it. */
  digests: Map<string, string>;
}

/** Reads a previous export's export.json and documents.tsv. NOT_FOUND / PARSE_ERROR name the file. */
export async function readPreviousExport(dir: string): Promise<PreviousExport> {
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(await readFile(join(dir, 'export.json'), 'utf8')) as Record<string, unknown>;
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new TamsaekError(
      missing ? 'NOT_FOUND' : 'PARSE_ERROR',
      `${join(dir, 'export.json')}: ${missing ? 'not an export (no export.json)' : 'not valid JSON'}`,
    );
  }
  if (meta.format !== 'tamsaek-export')
    throw new TamsaekError('FOREIGN_FILE', `${join(dir, 'export.json')} is not a tamsaek export`);
  const digests = new Map<string, string>();
  const path = join(dir, DIGESTS_FILE);
  await requireFile(path).catch((error) => {
    if (error instanceof TamsaekError && error.code === 'NOT_FOUND')
      throw new TamsaekError('NOT_FOUND', `${path} is missing (exports before --since support cannot be a base)`);
    throw error;
  });
  for await (const { text: line, line: n } of readLines(path)) {
    if (line === '') continue;
    const tab = line.indexOf('\t');
    let id: unknown;
    try {
      id = JSON.parse(line.slice(tab + 1));
    } catch {
      id = undefined;
    }
    if (tab !== 32 || typeof id !== 'string')
      throw new TamsaekError('PARSE_ERROR', `${path}:${n}: expected <digest>\\t<id>`);
    digests.set(id, line.slice(0, tab));
  }
  const source = meta.source as { generation?: number } | undefined;
  return {
    dir,
    target: String(meta.target),
    targetVersion: String(meta.targetVersion),
    index: String(meta.index),
    generation: Number(source?.generation ?? 0),
    digests,
  };
}
