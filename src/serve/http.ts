/** The HTTP layer's own pieces: typed HTTP errors, status mapping, size parsing, JSON bodies. */
import type http from 'node:http';
import { TamsaekError } from '../errors.js';

/** An error with an HTTP status, raised by the request layer itself (routing, body, validation). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string, code = 'INVALID_ARGUMENT') => new HttpError(400, code, message);

/** HTTP status for an engine error code (anything unlisted is a 500). */
export function statusFor(code: string): number {
  switch (code) {
    case 'INVALID_ARGUMENT':
    case 'UNKNOWN_OPTION':
    case 'PARSE_ERROR':
    case 'DIMENSION_MISMATCH': // a request's vector of the wrong size
      return 400;
    case 'NOT_FOUND':
      return 404;
    case 'DUPLICATE_ID':
      return 409;
    case 'READ_ONLY':
      return 403;
    case 'ABORTED':
    case 'LOCKED':
    case 'CLOSED':
      return 503;
    case 'TIMEOUT':
      return 504;
    case 'LIMIT_EXCEEDED': // a query or document over the server's limits
      return 413;
    case 'NOT_SUPPORTED':
      return 501;
    default:
      return 500;
  }
}

/** '1mb', '512kb', '2048', '1.5m' → bytes (binary multiples). */
export function parseByteSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?\s*$/i.exec(text);
  if (!m) throw new TamsaekError('INVALID_ARGUMENT', `invalid size "${text}" (e.g. 1mb, 512kb, 65536)`);
  const unit = (m[2] ?? 'b').toLowerCase()[0];
  const bytes = Math.floor(
    Number(m[1]) * (unit === 'g' ? 1 << 30 : unit === 'm' ? 1 << 20 : unit === 'k' ? 1 << 10 : 1),
  );
  if (!Number.isSafeInteger(bytes) || bytes < 1)
    throw new TamsaekError('INVALID_ARGUMENT', `size must be at least 1 byte, got "${text}"`);
  return bytes;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function checkFields(where: string, body: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (!known.includes(key))
      throw badRequest(`${where}: unknown field "${key}" (known: ${known.join(', ')})`, 'UNKNOWN_OPTION');
  }
}

function isJsonType(header: string | undefined): boolean {
  if (!header) return false;
  const type = header.split(';')[0].trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** Reads and parses a JSON object body: 415 for other types, 413 past the limit, 400 for bad JSON. */
export function readJsonObject(req: http.IncomingMessage, maxBytes: number): Promise<Record<string, unknown>> {
  if (!isJsonType(req.headers['content-type'])) {
    return Promise.reject(
      new HttpError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `request body must be JSON (Content-Type: application/json), got ${JSON.stringify(req.headers['content-type'] ?? null)}`,
      ),
    );
  }
  const tooLarge = () =>
    new HttpError(413, 'PAYLOAD_TOO_LARGE', `request body exceeds ${maxBytes} bytes`, { connection: 'close' });
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const fail = (error: Error) => {
      if (done) return;
      done = true;
      req.removeListener('data', onData);
      req.resume(); // drain (bounded by the connection being closed after the error response)
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) fail(tooLarge());
      else chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('error', fail);
    req.once('aborted', () => fail(new TamsaekError('ABORTED', 'client disconnected')));
    req.once('end', () => {
      if (done) return;
      done = true;
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks, size));
      } catch {
        return reject(badRequest('request body is not valid UTF-8', 'PARSE_ERROR'));
      }
      if (text.trim() === '') return reject(badRequest('request body is empty: expected a JSON object', 'PARSE_ERROR'));
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        return reject(badRequest(`invalid JSON: ${(error as Error).message}`, 'PARSE_ERROR'));
      }
      if (!isPlainObject(value)) return reject(badRequest('request body must be a JSON object', 'INVALID_ARGUMENT'));
      resolve(value);
    });
  });
}
