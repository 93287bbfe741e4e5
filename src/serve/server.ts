/**
 * The HTTP server over one Engine: routing, tracked writes (so shutdown waits for them), bounded
 * graceful shutdown. createServer (./index.ts) checks the options and builds one.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Engine } from '../engine/engine.js';
import type { EngineDocument } from '../engine/types.js';
import { TamsaekError } from '../errors.js';
import type { QueryLimits } from '../util/limits.js';
import {
  badRequest,
  checkFields,
  deferContinue,
  HttpError,
  MAX_HEADER_BYTES,
  readJsonObject,
  replyToClientError,
  statusFor,
} from './http.js';
import type { Persister } from './persister.js';
import { explainSearch, playgroundRoute, RawBody } from './playground.js';
import { searchOptionsFromBody, searchOptionsFromQuery } from './request.js';

export const DEFAULT_PORT = 8780;
export const DEFAULT_HOST = '127.0.0.1';
const DOCUMENTS_FIELDS = ['documents', 'mode'];
const DELETE_FIELDS = ['ids'];
/** Room in a search body beyond its query: options, a query vector, a filter (see searchBodyCap). */
const SEARCH_BODY_SLACK = 256 * 1024;

export interface ServerSettings {
  maxBody: number;
  timeoutMs: number;
  maxK: number;
  shutdownTimeoutMs: number;
  readOnly: boolean;
  onError: (error: unknown) => void;
  /** POST /search's body cap (undefined: derived from maxQueryChars, see searchBodyCap). */
  maxSearchBody?: number;
  /** Query limits over the engine's (undefined: the engine's). */
  limits?: QueryLimits;
}

type Reply = [number, unknown];

export class EngineHttpServer {
  readonly server: http.Server;
  private readonly inflight = new Set<Promise<void>>();
  private readonly controllers = new Set<AbortController>();
  private readonly writes = new Set<Promise<unknown>>();
  private closing = false;
  private closed: Promise<void> | undefined;
  private cutShort: (() => void) | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly settings: ServerSettings,
    private readonly persister: Persister,
  ) {
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const done = this.handle(req, res).catch(settings.onError);
      this.inflight.add(done);
      done.then(() => this.inflight.delete(done));
    };
    this.server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, onRequest);
    // node would answer `Expect: 100-continue` at once; readJsonObject sends the 100 only once it wants
    // the body, so a client that waits for it never sends a body refused from its headers
    this.server.on('checkContinue', (req, res) => {
      deferContinue(req, res);
      onRequest(req, res);
    });
    this.server.on('clientError', replyToClientError);
  }

  /** An engine write and the save that follows it, as one tracked unit (close() waits for both). */
  private async write(work: () => Promise<number>): Promise<{ count: number; persisted: boolean }> {
    let saving = false;
    const unit = (async () => {
      const count = await work();
      saving = true;
      const persisted = count > 0 ? await this.persister.afterWrite() : false;
      return { count, persisted };
    })();
    this.writes.add(unit);
    const forget = () => this.writes.delete(unit);
    unit.then(forget, forget);
    try {
      return await unit;
    } catch (error) {
      if (!saving) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new HttpError(500, 'IO_ERROR', `the change was applied in memory but saving the index failed: ${message}`);
    }
  }

  private refuseWrites(): void {
    if (this.settings.readOnly) throw new HttpError(403, 'READ_ONLY', 'this server is read-only');
  }

  private async route(req: http.IncomingMessage, url: URL, signal: AbortSignal): Promise<Reply> {
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
      return [200, { status: 'ok', documents: this.engine.size, legs: this.engine.legs }];
    }
    if (path === '/search') {
      allow('GET', 'POST');
      return this.search(req, url, method, signal);
    }
    if (path === '/documents') {
      allow('POST', 'DELETE');
      this.refuseWrites();
      const body = await readJsonObject(req, this.settings.maxBody);
      return method === 'POST' ? this.putDocuments(body) : this.deleteDocuments(body);
    }
    if (path.startsWith('/documents/')) {
      allow('GET', 'DELETE');
      return this.document(path, method);
    }
    const playground = await playgroundRoute(this.engine, path, method, url);
    if (playground) return playground;
    throw new HttpError(404, 'NOT_FOUND', `no route ${path}`);
  }

  private async search(req: http.IncomingMessage, url: URL, method: string, signal: AbortSignal): Promise<Reply> {
    const { maxK, maxBody, timeoutMs } = this.settings;
    const { limits } = this.settings;
    const { query, options, explain } =
      method === 'GET'
        ? { ...searchOptionsFromQuery(url.searchParams, maxK), explain: false }
        : searchOptionsFromBody(await readJsonObject(req, maxBody, this.searchBodyCap()), maxK);
    const started = performance.now();
    const hits = await this.engine.search(query, { ...options, signal, timeoutMs, ...(limits ? { limits } : {}) });
    const took_ms = Number((performance.now() - started).toFixed(3));
    return [200, { hits, took_ms, ...(explain ? { explain: await explainSearch(this.engine, query, options) } : {}) }];
  }

  /**
   * POST /search's own body cap, far below the documents route's --max-body: `maxSearchBody` when given,
   * else a body that can hold a query of maxQueryChars (each UTF-16 unit at most 6 bytes of JSON,
   * `\uXXXX`) plus SEARCH_BODY_SLACK for the options, a vector and a filter. A larger body cannot be an
   * acceptable search: it is refused with LIMIT_EXCEEDED before it is read (readJsonObject).
   */
  private searchBodyCap(): { bytes: number; error: () => HttpError } | undefined {
    const maxChars = this.settings.limits?.maxQueryChars ?? this.engine.limits.maxQueryChars;
    const explicit = this.settings.maxSearchBody;
    if (explicit === undefined && maxChars === Infinity) return undefined;
    const bytes = explicit ?? maxChars * 6 + SEARCH_BODY_SLACK;
    const message =
      explicit === undefined
        ? `search: a body over ${bytes} bytes cannot hold a query within maxQueryChars ${maxChars} (plus ${SEARCH_BODY_SLACK} bytes of options, vector and filter)`
        : `search: the body is larger than maxSearchBodyBytes (${bytes} bytes)`;
    const error = () => new HttpError(413, 'LIMIT_EXCEEDED', message, { connection: 'close' });
    return { bytes, error };
  }

  private async putDocuments(body: Record<string, unknown>): Promise<Reply> {
    checkFields('documents', body, DOCUMENTS_FIELDS);
    const mode = body.mode ?? 'upsert';
    if (mode !== 'upsert' && mode !== 'add')
      throw badRequest(`documents: "mode" must be "upsert" or "add", got ${JSON.stringify(mode)}`);
    if (!Array.isArray(body.documents))
      throw badRequest('documents: "documents" must be an array of { id, text, title?, meta? }');
    const docs = body.documents as EngineDocument[];
    const engine = this.engine;
    const { count, persisted } = await this.write(() => (mode === 'add' ? engine.add(docs) : engine.upsert(docs)));
    return [200, { indexed: count, mode, documents: engine.size, persisted }];
  }

  private async deleteDocuments(body: Record<string, unknown>): Promise<Reply> {
    checkFields('delete', body, DELETE_FIELDS);
    if (!Array.isArray(body.ids) || body.ids.some((id) => typeof id !== 'string'))
      throw badRequest('delete: "ids" must be an array of strings');
    const { count, persisted } = await this.write(() => this.engine.delete(body.ids as string[]));
    return [200, { deleted: count, documents: this.engine.size, persisted }];
  }

  private async document(path: string, method: string): Promise<Reply> {
    let id: string;
    try {
      id = decodeURIComponent(path.slice('/documents/'.length));
    } catch {
      throw badRequest('invalid percent-encoding in the document id');
    }
    if (id === '') throw badRequest('empty document id');
    if (method === 'GET') {
      const doc = this.engine.get(id);
      if (!doc) throw new HttpError(404, 'NOT_FOUND', `no document "${id}"`);
      return [200, doc];
    }
    this.refuseWrites();
    const { count, persisted } = await this.write(() => this.engine.delete([id]));
    if (count === 0) throw new HttpError(404, 'NOT_FOUND', `no document "${id}"`);
    return [200, { deleted: count, documents: this.engine.size, persisted }];
  }

  private send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return;
    const text = body instanceof RawBody ? body.bytes : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': body instanceof RawBody ? body.type : 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      ...(this.closing ? { connection: 'close' } : {}),
      ...headers,
    });
    res.end(text);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const controller = new AbortController();
    this.controllers.add(controller);
    res.once('close', () => {
      if (!res.writableEnded) controller.abort(new Error('client disconnected'));
    });
    try {
      if (this.closing)
        throw new HttpError(503, 'SHUTTING_DOWN', 'the server is shutting down', { connection: 'close' });
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://localhost');
      } catch {
        throw badRequest('invalid request URL');
      }
      const [status, body] = await this.route(req, url, controller.signal);
      this.send(res, status, body);
    } catch (error) {
      if (error instanceof HttpError) {
        this.send(res, error.status, { error: { code: error.code, message: error.message } }, error.headers);
      } else if (error instanceof TamsaekError) {
        this.send(res, statusFor(error.code), { error: { code: error.code, message: error.message } });
      } else {
        this.settings.onError(error);
        this.send(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
      }
    } finally {
      this.controllers.delete(controller);
    }
  }

  listen(port = DEFAULT_PORT, host = DEFAULT_HOST): Promise<{ port: number; host: string }> {
    const server = this.server;
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

  private async shutdown(timeout: number): Promise<void> {
    this.closing = true;
    const server = this.server;
    const stopped = new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
    server.closeIdleConnections();
    // bounded wait for in-flight requests, then abort their searches and drop the connections
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inflight]),
      new Promise<void>((resolve) => {
        this.cutShort = resolve;
        timer = setTimeout(resolve, timeout);
      }),
    ]);
    clearTimeout(timer);
    for (const controller of this.controllers) controller.abort(new Error('server shutting down'));
    server.closeAllConnections();
    await stopped;
    // writes cannot be interrupted: wait for every one, then for the last save
    while (this.writes.size > 0) await Promise.allSettled([...this.writes]);
    await this.persister.flush();
  }

  close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closed) {
      if (options.timeoutMs === 0) this.cutShort?.();
      return this.closed;
    }
    this.closed = this.shutdown(options.timeoutMs ?? this.settings.shutdownTimeoutMs);
    return this.closed;
  }
}
