/**
 * HTTP JSON server over an Engine (node:http, no framework). The library never prints: listening
 * addresses and save failures are reported to the caller (`listen()` resolves with the address,
 * `onError` receives background failures).
 *
 *   GET    /health            → { status, documents, legs }
 *   POST   /search            → { hits, took_ms }       body { query, k?, filter?, weights?, legs?, rerank?, highlight?, fusion?, vector? }
 *   GET    /search?q=&k=      → { hits, took_ms }       (also legs=bm25,dense and highlight=true)
 *   POST   /documents         → { indexed, mode, documents, persisted }   body { documents: [...], mode?: 'upsert' | 'add' }
 *   DELETE /documents         → { deleted, documents, persisted }         body { ids: [...] }
 *   GET    /documents/:id     → the stored document
 *   DELETE /documents/:id     → { deleted: 1, documents, persisted } (404 when absent)
 *
 * Errors are `{ error: { code, message } }`; engine error codes map to HTTP statuses in `statusFor`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Engine } from '../engine/engine.js';
import type { EngineDocument, EngineSearchOptions } from '../engine/types.js';
import { TamsaekError } from '../errors.js';

export { type ServeBenchOptions, type ServeBenchResult, serveBench } from './bench.js';

export interface ServeOptions {
  /** Largest accepted request body in bytes (default 1 MiB) → 413 beyond. */
  maxBodyBytes?: number;
  /** Per-search timeout in milliseconds (default 30 000) → 504 when exceeded. */
  timeoutMs?: number;
  /** Refuse writes with 403 READ_ONLY (use with an engine opened `readOnly`). */
  readOnly?: boolean;
  /**
   * When writes reach disk through `engine.save()` (atomic: a new generation, then the manifest):
   * - 'sync' (default): the response is sent after a save that includes the write has committed;
   *   concurrent writers share one save (group commit).
   * - 'async': respond at once, save after `saveDelayMs` without further writes (and on close).
   * - 'off': never save (in-memory engines; the caller saves).
   */
  persist?: 'sync' | 'async' | 'off';
  /** Quiet period before an 'async' save (default 1000 ms). */
  saveDelayMs?: number;
  /** Largest `k` a request may ask for (default 1000). */
  maxK?: number;
  /** How long `close()` waits for in-flight requests before aborting them (default 10 000 ms). */
  shutdownTimeoutMs?: number;
  /** Failures that no response reports (a background save, an unexpected handler error). */
  onError?: (error: unknown) => void;
}

export interface TamsaekServer {
  server: http.Server;
  /** Binds (default 127.0.0.1:8780); resolves with the bound address (port 0 picks a free one). */
  listen(port?: number, host?: string): Promise<{ port: number; host: string }>;
  /**
   * Graceful stop: refuse new connections, let in-flight requests finish (bounded by
   * `shutdownTimeoutMs`, then their searches are aborted and connections closed), wait for every
   * pending write and the last save. Does not close the engine (its owner does). Idempotent; a
   * second call with `{ timeoutMs: 0 }` cuts the wait short.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

const SERVE_OPTIONS = [
  'maxBodyBytes',
  'timeoutMs',
  'readOnly',
  'persist',
  'saveDelayMs',
  'maxK',
  'shutdownTimeoutMs',
  'onError',
];
const SEARCH_FIELDS = ['query', 'k', 'filter', 'weights', 'legs', 'rerank', 'highlight', 'fusion', 'vector'];
const SEARCH_PARAMS = ['q', 'k', 'legs', 'highlight'];
const DOCUMENTS_FIELDS = ['documents', 'mode'];
const DELETE_FIELDS = ['ids'];
export const DEFAULT_MAX_BODY_BYTES = 1 << 20;
export const DEFAULT_PORT = 8780;
export const DEFAULT_HOST = '127.0.0.1';

/** An error with an HTTP status, raised by the request layer itself (routing, body, validation). */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const badRequest = (message: string, code = 'INVALID_ARGUMENT') => new HttpError(400, code, message);

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

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkFields(where: string, body: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (!known.includes(key))
      throw badRequest(`${where}: unknown field "${key}" (known: ${known.join(', ')})`, 'UNKNOWN_OPTION');
  }
}

function checkK(k: unknown, maxK: number): number | undefined {
  if (k === undefined) return undefined;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > maxK)
    throw badRequest(`k must be an integer in 1..${maxK}, got ${JSON.stringify(k)}`);
  return k;
}

function checkLegs(legs: unknown): string[] | undefined {
  if (legs === undefined) return undefined;
  if (!Array.isArray(legs) || legs.length === 0 || legs.some((l) => typeof l !== 'string'))
    throw badRequest('legs must be a non-empty array of leg names');
  return legs as string[];
}

function searchOptionsFromBody(
  body: Record<string, unknown>,
  maxK: number,
): { query: string; options: EngineSearchOptions } {
  checkFields('search', body, SEARCH_FIELDS);
  const { query, filter, weights, rerank, highlight, fusion } = body;
  if (typeof query !== 'string') throw badRequest('search: "query" must be a string');
  const options: EngineSearchOptions = {};
  const k = checkK(body.k, maxK);
  if (k !== undefined) options.k = k;
  if (filter !== undefined) {
    if (!isPlainObject(filter))
      throw badRequest(
        'search: "filter" must be an object of field values (e.g. {"area": "finance"} or {"area": ["a", "b"]})',
      );
    for (const [key, value] of Object.entries(filter)) {
      const ok = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
      if (!(ok(value) || (Array.isArray(value) && value.every(ok))))
        throw badRequest(`search: filter "${key}" must be a scalar or an array of scalars`);
    }
    options.filter = filter;
  }
  if (weights !== undefined) {
    if (!isPlainObject(weights) || Object.values(weights).some((w) => typeof w !== 'number' || !Number.isFinite(w)))
      throw badRequest('search: "weights" must map leg names to finite numbers');
    options.weights = weights as Record<string, number>;
  }
  const legs = checkLegs(body.legs);
  if (legs) options.legs = legs;
  if (rerank !== undefined) {
    if (
      typeof rerank !== 'boolean' &&
      !(typeof rerank === 'number' && Number.isInteger(rerank) && rerank >= 0 && rerank <= 1000)
    )
      throw badRequest('search: "rerank" must be a boolean or an integer in 0..1000');
    options.rerank = rerank;
  }
  if (highlight !== undefined) {
    if (typeof highlight !== 'boolean' && !isPlainObject(highlight))
      throw badRequest('search: "highlight" must be a boolean or { maxChars }');
    if (isPlainObject(highlight)) checkFields('search highlight', highlight, ['maxChars']);
    options.highlight = highlight as EngineSearchOptions['highlight'];
  }
  if (fusion !== undefined) {
    if (!isPlainObject(fusion)) throw badRequest('search: "fusion" must be an object');
    options.fusion = fusion as unknown as EngineSearchOptions['fusion'];
  }
  if (body.vector !== undefined) {
    if (!Array.isArray(body.vector) || body.vector.some((v) => typeof v !== 'number'))
      throw badRequest('search: "vector" must be an array of numbers');
    options.vector = body.vector as number[];
  }
  return { query, options };
}

function searchOptionsFromQuery(
  params: URLSearchParams,
  maxK: number,
): { query: string; options: EngineSearchOptions } {
  for (const key of params.keys()) {
    if (!SEARCH_PARAMS.includes(key))
      throw badRequest(`search: unknown parameter "${key}" (known: ${SEARCH_PARAMS.join(', ')})`, 'UNKNOWN_OPTION');
  }
  const query = params.get('q');
  if (query === null) throw badRequest('search: the "q" parameter is required');
  const options: EngineSearchOptions = {};
  const kText = params.get('k');
  if (kText !== null) options.k = checkK(/^\d+$/.test(kText) ? Number(kText) : kText, maxK);
  const legs = params.get('legs');
  if (legs !== null) options.legs = checkLegs(legs.split(',').filter(Boolean));
  const hl = params.get('highlight');
  if (hl !== null) {
    if (!['true', 'false', '1', '0', ''].includes(hl)) throw badRequest('search: "highlight" must be true or false');
    options.highlight = hl === 'true' || hl === '1' || hl === '';
  }
  return { query, options };
}

function isJsonType(header: string | undefined): boolean {
  if (!header) return false;
  const type = header.split(';')[0].trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** Reads and parses a JSON object body: 415 for other types, 413 past the limit, 400 for bad JSON. */
function readJsonObject(req: http.IncomingMessage, maxBytes: number): Promise<Record<string, unknown>> {
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

/** Coalesces saves: every caller waits for a save that *started* after it asked (group commit). */
class Persister {
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;

  constructor(
    private readonly engine: Engine,
    private readonly mode: 'sync' | 'async' | 'off',
    private readonly delayMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** After a write: 'sync' resolves once it is on disk (true); otherwise resolves false at once. */
  async afterWrite(): Promise<boolean> {
    if (this.mode === 'off') return false;
    this.dirty = true;
    if (this.mode === 'sync') {
      await this.save();
      return true;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.save().catch(this.onError);
    }, this.delayMs);
    return false;
  }

  /** Saves now if anything is unsaved, and waits for saves in flight. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => {});
    await this.queued?.catch(() => {});
    if (this.dirty && this.mode !== 'off') await this.save();
  }

  private save(): Promise<void> {
    if (this.queued) return this.queued;
    const start = (): Promise<void> => {
      this.queued = undefined;
      this.dirty = false;
      const run = this.engine.save().catch((error: unknown) => {
        this.dirty = true; // retried by the next write or by close()
        throw error;
      });
      this.running = run;
      run.then(
        () => {
          if (this.running === run) this.running = undefined;
        },
        () => {
          if (this.running === run) this.running = undefined;
        },
      );
      return run;
    };
    if (!this.running) return start();
    this.queued = this.running.catch(() => {}).then(start);
    return this.queued;
  }
}

export function createServer(engine: Engine, options: ServeOptions = {}): TamsaekServer {
  for (const key of Object.keys(options)) {
    if (!SERVE_OPTIONS.includes(key))
      throw new TamsaekError(
        'UNKNOWN_OPTION',
        `createServer: unknown option "${key}" (known: ${SERVE_OPTIONS.join(', ')})`,
      );
  }
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxK = options.maxK ?? 1000;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
  const persist = options.persist ?? 'sync';
  const saveDelayMs = options.saveDelayMs ?? 1000;
  const readOnly = options.readOnly === true;
  const onError = options.onError ?? (() => {});
  if (!Number.isSafeInteger(maxBody) || maxBody < 1)
    throw new TamsaekError('INVALID_ARGUMENT', 'createServer: maxBodyBytes must be a positive integer');
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0))
    throw new TamsaekError('INVALID_ARGUMENT', 'createServer: timeoutMs must be a positive number');
  if (!Number.isInteger(maxK) || maxK < 1 || maxK > 10_000)
    throw new TamsaekError('INVALID_ARGUMENT', 'createServer: maxK must be an integer in 1..10000');
  if (!(Number.isFinite(shutdownTimeoutMs) && shutdownTimeoutMs >= 0))
    throw new TamsaekError('INVALID_ARGUMENT', 'createServer: shutdownTimeoutMs must be >= 0');
  if (!['sync', 'async', 'off'].includes(persist))
    throw new TamsaekError(
      'INVALID_ARGUMENT',
      `createServer: persist must be sync, async or off, got ${JSON.stringify(persist)}`,
    );
  if (!(Number.isFinite(saveDelayMs) && saveDelayMs >= 0))
    throw new TamsaekError('INVALID_ARGUMENT', 'createServer: saveDelayMs must be >= 0');

  const persister = new Persister(engine, readOnly ? 'off' : persist, saveDelayMs, onError);
  const inflight = new Set<Promise<void>>();
  const controllers = new Set<AbortController>();
  const writes = new Set<Promise<unknown>>();
  let closing = false;
  let closed: Promise<void> | undefined;
  let cutShort: (() => void) | undefined;

  /** Runs an engine write, tracked so close() can wait for it even if its client is gone. */
  function tracked<T>(work: Promise<T>): Promise<T> {
    writes.add(work);
    const forget = () => writes.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** An engine write and the save that follows it, as one tracked unit (close() waits for both). */
  async function write(work: () => Promise<number>): Promise<{ count: number; persisted: boolean }> {
    let saving = false;
    try {
      return await tracked(
        (async () => {
          const count = await work();
          saving = true;
          const persisted = count > 0 ? await persister.afterWrite() : false;
          return { count, persisted };
        })(),
      );
    } catch (error) {
      if (!saving) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new HttpError(500, 'IO_ERROR', `the change was applied in memory but saving the index failed: ${message}`);
    }
  }

  function refuseWrites(): void {
    if (readOnly) throw new HttpError(403, 'READ_ONLY', 'this server is read-only');
  }

  async function route(req: http.IncomingMessage, url: URL, signal: AbortSignal): Promise<[number, unknown]> {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const allow = (...methods: string[]) => {
      if (!methods.includes(method))
        throw new HttpError(
          405,
          'METHOD_NOT_ALLOWED',
          `${method} is not allowed on ${path} (allowed: ${methods.join(', ')})`,
          { allow: methods.join(', ') },
        );
    };
    if (path === '/health') {
      allow('GET');
      return [200, { status: 'ok', documents: engine.size, legs: engine.legs }];
    }
    if (path === '/search') {
      allow('GET', 'POST');
      const { query, options } =
        method === 'GET'
          ? searchOptionsFromQuery(url.searchParams, maxK)
          : searchOptionsFromBody(await readJsonObject(req, maxBody), maxK);
      const started = performance.now();
      const hits = await engine.search(query, { ...options, signal, timeoutMs });
      return [200, { hits, took_ms: Number((performance.now() - started).toFixed(3)) }];
    }
    if (path === '/documents') {
      allow('POST', 'DELETE');
      refuseWrites();
      const body = await readJsonObject(req, maxBody);
      if (method === 'POST') {
        checkFields('documents', body, DOCUMENTS_FIELDS);
        const mode = body.mode ?? 'upsert';
        if (mode !== 'upsert' && mode !== 'add')
          throw badRequest(`documents: "mode" must be "upsert" or "add", got ${JSON.stringify(mode)}`);
        if (!Array.isArray(body.documents))
          throw badRequest('documents: "documents" must be an array of { id, text, title?, meta? }');
        const docs = body.documents as EngineDocument[];
        const { count, persisted } = await write(() => (mode === 'add' ? engine.add(docs) : engine.upsert(docs)));
        return [200, { indexed: count, mode, documents: engine.size, persisted }];
      }
      checkFields('delete', body, DELETE_FIELDS);
      if (!Array.isArray(body.ids) || body.ids.some((id) => typeof id !== 'string'))
        throw badRequest('delete: "ids" must be an array of strings');
      const { count, persisted } = await write(() => engine.delete(body.ids as string[]));
      return [200, { deleted: count, documents: engine.size, persisted }];
    }
    if (path.startsWith('/documents/')) {
      allow('GET', 'DELETE');
      let id: string;
      try {
        id = decodeURIComponent(path.slice('/documents/'.length));
      } catch {
        throw badRequest('invalid percent-encoding in the document id');
      }
      if (id === '') throw badRequest('empty document id');
      if (method === 'GET') {
        const doc = engine.get(id);
        if (!doc) throw new HttpError(404, 'NOT_FOUND', `no document "${id}"`);
        return [200, doc];
      }
      refuseWrites();
      const { count, persisted } = await write(() => engine.delete([id]));
      if (count === 0) throw new HttpError(404, 'NOT_FOUND', `no document "${id}"`);
      return [200, { deleted: count, documents: engine.size, persisted }];
    }
    throw new HttpError(404, 'NOT_FOUND', `no route ${path}`);
  }

  function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      ...(closing ? { connection: 'close' } : {}),
      ...headers,
    });
    res.end(text);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const controller = new AbortController();
    controllers.add(controller);
    res.once('close', () => {
      if (!res.writableEnded) controller.abort(new Error('client disconnected'));
    });
    try {
      if (closing) throw new HttpError(503, 'SHUTTING_DOWN', 'the server is shutting down', { connection: 'close' });
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://localhost');
      } catch {
        throw badRequest('invalid request URL');
      }
      const [status, body] = await route(req, url, controller.signal);
      send(res, status, body);
    } catch (error) {
      if (error instanceof HttpError) {
        send(res, error.status, { error: { code: error.code, message: error.message } }, error.headers);
      } else if (error instanceof TamsaekError) {
        send(res, statusFor(error.code), { error: { code: error.code, message: error.message } });
      } else {
        onError(error);
        send(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
      }
    } finally {
      controllers.delete(controller);
    }
  }

  const server = http.createServer((req, res) => {
    const done = handle(req, res).catch(onError);
    inflight.add(done);
    done.then(() => inflight.delete(done));
  });

  function listen(port = DEFAULT_PORT, host = DEFAULT_HOST): Promise<{ port: number; host: string }> {
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        server.removeListener('listening', onListening);
        reject(
          new TamsaekError('IO_ERROR', `cannot listen on ${host}:${port}: ${error.code ?? error.message}`, {
            cause: error,
          }),
        );
      };
      const onListening = () => {
        server.removeListener('error', onError);
        const address = server.address() as AddressInfo;
        resolve({ port: address.port, host: address.address });
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(port, host);
    });
  }

  async function shutdown(timeout: number): Promise<void> {
    closing = true;
    const stopped = new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
    server.closeIdleConnections();
    // bounded wait for in-flight requests, then abort their searches and drop the connections
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...inflight]),
      new Promise<void>((resolve) => {
        cutShort = resolve;
        timer = setTimeout(resolve, timeout);
      }),
    ]);
    clearTimeout(timer);
    for (const controller of controllers) controller.abort(new Error('server shutting down'));
    server.closeAllConnections();
    await stopped;
    // writes cannot be interrupted: wait for every one, then for the last save
    while (writes.size > 0) await Promise.allSettled([...writes]);
    await persister.flush();
  }

  function close(closeOptions: { timeoutMs?: number } = {}): Promise<void> {
    if (closed) {
      if (closeOptions.timeoutMs === 0) cutShort?.();
      return closed;
    }
    closed = shutdown(closeOptions.timeoutMs ?? shutdownTimeoutMs);
    return closed;
  }

  return { server, listen, close };
}
