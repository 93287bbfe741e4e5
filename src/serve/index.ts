/**
 * HTTP JSON server over an Engine (node:http, no framework). The library never prints: listening
 * addresses and save failures are reported to the caller (`listen()` resolves with the address,
 * `onError` receives background failures).
 *
 *   GET    /health            → { status, documents, legs }
 *   GET    /                  → the search playground (./playground.ts; also /describe, /analyze?q=)
 *   POST   /search            → { hits, took_ms, explain? } body { query, k?, filter?, weights?, legs?, rerank?, highlight?, fusion?, vector?, explain? }
 *   GET    /search?q=&k=      → { hits, took_ms }       (also legs=bm25,dense and highlight=true)
 *   POST   /documents         → { indexed, mode, documents, persisted }   body { documents: [...], mode?: 'upsert' | 'add' }
 *   DELETE /documents         → { deleted, documents, persisted }         body { ids: [...] }
 *   GET    /documents/:id     → the stored document
 *   DELETE /documents/:id     → { deleted: 1, documents, persisted } (404 when absent)
 *
 * Errors are `{ error: { code, message } }`; engine error codes map to HTTP statuses in `statusFor`.
 */
import type http from 'node:http';
import type { Engine } from '../engine/engine.js';
import { TamsaekError } from '../errors.js';
import { DEFAULT_LIMITS, type QueryLimits, resolveLimits } from '../util/limits.js';
import { Persister } from './persister.js';
import { EngineHttpServer } from './server.js';

export { type ServeBenchOptions, type ServeBenchResult, serveBench } from './bench.js';
export { parseByteSize, statusFor } from './http.js';
export { DEFAULT_HOST, DEFAULT_PORT } from './server.js';

export interface ServeOptions {
  /** Largest accepted request body in bytes (default 1 MiB) → 413 beyond. */
  maxBodyBytes?: number;
  /**
   * Largest `POST /search` body in bytes → 413 LIMIT_EXCEEDED, refused from its Content-Length before
   * it is read (default: `6 × maxQueryChars + 256 KiB`, 280 KiB with the default query limit: room for
   * the longest query, JSON-escaped, plus options, a query vector and a filter; no cap of its own when
   * maxQueryChars is Infinity). `maxBodyBytes` still applies above it.
   */
  maxSearchBodyBytes?: number;
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
  /**
   * Query limits per search (`maxQueryChars`, `maxQueryTerms`) over the engine's own (default 4,096
   * characters / 1,024 terms) → 413 LIMIT_EXCEEDED before any work.
   */
  limits?: QueryLimits;
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
  'maxSearchBodyBytes',
  'timeoutMs',
  'readOnly',
  'persist',
  'saveDelayMs',
  'maxK',
  'limits',
  'shutdownTimeoutMs',
  'onError',
];
export const DEFAULT_MAX_BODY_BYTES = 1 << 20;

export function createServer(engine: Engine, options: ServeOptions = {}): TamsaekServer {
  for (const key of Object.keys(options)) {
    if (!SERVE_OPTIONS.includes(key))
      throw new TamsaekError(
        'UNKNOWN_OPTION',
        `createServer: unknown option "${key}" (known: ${SERVE_OPTIONS.join(', ')})`,
      );
  }
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxSearchBody = options.maxSearchBodyBytes;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxK = options.maxK ?? 1000;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
  const persist = options.persist ?? 'sync';
  const saveDelayMs = options.saveDelayMs ?? 1000;
  const readOnly = options.readOnly === true;
  const onError = options.onError ?? (() => {});
  if (!Number.isSafeInteger(maxBody) || maxBody < 1)
    throw new TamsaekError('INVALID_ARGUMENT', 'createServer: maxBodyBytes must be a positive integer');
  if (maxSearchBody !== undefined && !(Number.isSafeInteger(maxSearchBody) && maxSearchBody >= 1))
    throw new TamsaekError('INVALID_ARGUMENT', 'createServer: maxSearchBodyBytes must be a positive integer');
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

  const limits =
    options.limits === undefined
      ? undefined
      : resolveLimits('createServer', options.limits, DEFAULT_LIMITS, ['maxQueryChars', 'maxQueryTerms']);
  const persister = new Persister(engine, readOnly ? 'off' : persist, saveDelayMs, onError);
  const http = new EngineHttpServer(
    engine,
    {
      maxBody,
      ...(maxSearchBody === undefined ? {} : { maxSearchBody }),
      timeoutMs,
      maxK,
      shutdownTimeoutMs,
      readOnly,
      onError,
      ...(limits ? { limits: { maxQueryChars: limits.maxQueryChars, maxQueryTerms: limits.maxQueryTerms } } : {}),
    },
    persister,
  );
  return { server: http.server, listen: (port, host) => http.listen(port, host), close: (o) => http.close(o) };
}
