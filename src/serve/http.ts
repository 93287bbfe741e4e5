/** The HTTP layer's own pieces: typed HTTP errors, status mapping, size parsing, JSON bodies. */

import type http from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { TamsaekError } from '../errors.js';

/**
 * Largest request line + headers the server parses (node's default is 16 KiB): a GET /search whose
 * `q` holds the longest default query (4,096 Hangul syllables, 9 bytes each percent-encoded) fits.
 */
export const MAX_HEADER_BYTES = 64 * 1024;

/**
 * The answer to a request node's parser refused before any handler ran (headers over
 * MAX_HEADER_BYTES, a malformed request line): a typed JSON error like every other, then the
 * connection closes. A socket that is already gone is only destroyed.
 */
export function replyToClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const overflow = error.code === 'HPE_HEADER_OVERFLOW';
  const status = overflow ? 431 : 400;
  const body = JSON.stringify({
    error: overflow
      ? {
          code: 'LIMIT_EXCEEDED',
          message: `the request line and headers are over ${MAX_HEADER_BYTES} bytes: send a long query with POST /search`,
        }
      : { code: 'PARSE_ERROR', message: `malformed HTTP request (${error.code ?? error.message})` },
  });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

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

/** Requests that sent `Expect: 100-continue` and have not been told to go on (deferContinue). */
const awaitingContinue = new WeakMap<http.IncomingMessage, http.ServerResponse>();

/** Holds back the `100 Continue` of `req` until readJsonObject accepts its declared body. */
export function deferContinue(req: http.IncomingMessage, res: http.ServerResponse): void {
  awaitingContinue.set(req, res);
}

/**
 * The body as a JSON object: 415 for other types, 400 for bad JSON. A body over `maxBytes`
 * (413 PAYLOAD_TOO_LARGE), or over `cap.bytes` (a route's own smaller cap, refused with `cap.error()`),
 * is refused from its Content-Length before any of it is read, or as soon as a chunked body grows past
 * it; the response closes the connection, so the client stops sending what would only be thrown away
 * (a client still writing may see the connection reset before it reads the 413: reading the rest to
 * answer it reliably would cost what refusing early saves).
 */
export function readJsonObject(
  req: http.IncomingMessage,
  maxBytes: number,
  cap?: { bytes: number; error: () => HttpError },
): Promise<Record<string, unknown>> {
  if (!isJsonType(req.headers['content-type'])) {
    return Promise.reject(
      new HttpError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `request body must be JSON (Content-Type: application/json), got ${JSON.stringify(req.headers['content-type'] ?? null)}`,
      ),
    );
  }
  const over = (size: number): HttpError | undefined => {
    if (size > maxBytes)
      return new HttpError(413, 'PAYLOAD_TOO_LARGE', `request body exceeds ${maxBytes} bytes`, { connection: 'close' });
    return cap && size > cap.bytes ? cap.error() : undefined;
  };
  const declared = req.headers['content-length'];
  const refused = declared === undefined ? undefined : over(Number(declared));
  if (refused) return Promise.reject(refused);
  awaitingContinue.get(req)?.writeContinue();
  awaitingContinue.delete(req);
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
      const error = over(size);
      if (error) fail(error);
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
