import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { TamsaekError } from '../errors.js';

/** One physical line of a text file: its text (without `\n` / `\r\n`) and 1-based line number. */
export interface Line {
  text: string;
  line: number;
}

/** Throws NOT_FOUND (naming `path` and `what`) unless `path` is an existing regular file. */
export async function requireFile(path: string, what = 'file'): Promise<void> {
  let isFile = false;
  try {
    isFile = (await stat(path)).isFile();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      throw new TamsaekError('IO_ERROR', `cannot read ${what} ${path}: ${(err as Error).message}`, { cause: err });
    }
  }
  if (!isFile) throw new TamsaekError('NOT_FOUND', `${what} not found: ${path}`);
}

/**
 * Streams a UTF-8 text file line by line without reading it whole. Handles `\n` and `\r\n`, strips a
 * leading byte-order mark, and yields a final line without a trailing newline. Invalid UTF-8 is a
 * PARSE_ERROR naming the file and (approximately, the line being read) the line number.
 */
export async function* readLines(path: string): AsyncGenerator<Line> {
  await requireFile(path);
  // TextDecoder strips a leading BOM by default (ignoreBOM: false).
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  let pending = '';
  let scanned = 0; // pending[0, scanned) is known to hold no '\n' (avoids rescanning a long line per chunk)
  let lineNo = 0;
  const decode = (chunk?: Buffer): string => {
    try {
      return chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true });
    } catch (err) {
      throw new TamsaekError('PARSE_ERROR', `${path}:${lineNo + 1}: invalid UTF-8`, { cause: err });
    }
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      pending += decode(chunk);
      let start = 0;
      let nl: number;
      let from = scanned;
      while ((nl = pending.indexOf('\n', from)) !== -1) {
        let end = nl;
        if (end > start && pending.charCodeAt(end - 1) === 13) end--;
        lineNo++;
        yield { text: pending.slice(start, end), line: lineNo };
        start = nl + 1;
        from = start;
      }
      pending = start === 0 ? pending : pending.slice(start);
      scanned = pending.length;
    }
  } catch (err) {
    if (err instanceof TamsaekError) throw err;
    throw new TamsaekError('IO_ERROR', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  } finally {
    stream.destroy();
  }
  pending += decode();
  if (pending.length > 0) {
    if (pending.charCodeAt(pending.length - 1) === 13) pending = pending.slice(0, -1);
    lineNo++;
    yield { text: pending, line: lineNo };
  }
}

/** True when a line holds only whitespace (such lines are skipped by the JSONL and TSV readers). */
export function isBlank(text: string): boolean {
  return text.trim().length === 0;
}
