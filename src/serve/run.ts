/**
 * `tamsaek serve`: opens an index, serves it until SIGINT/SIGTERM, then shuts down gracefully
 * (in-flight requests finish within the grace period, pending writes and the last save complete,
 * the write lock is released). A second signal cuts the grace period short; writes still finish.
 */
import { Engine } from '../engine/engine.js';
import type { Limits } from '../util/limits.js';
import { createServer, type ServeOptions } from './index.js';
import { watchParent } from './parent.js';

export interface RunServeOptions extends Omit<ServeOptions, 'onError' | 'limits'> {
  dir: string;
  /** The engine's limits (query and document sizes). */
  limits?: Limits;
  /** Shut down when the parent process exits (parent.ts; the CLI turns it on under npx / npm exec). */
  exitWithParent?: boolean;
  host?: string;
  port?: number;
  /** Progress lines (listening address, shutdown): the CLI sends them to stderr. */
  log: (line: string) => void;
  /** Resolves when the server should stop (default: the first SIGINT or SIGTERM). */
  stop?: Promise<unknown>;
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function runServe(options: RunServeOptions): Promise<void> {
  const { dir, host, port, log, stop, limits, exitWithParent, ...serveOptions } = options;
  const engine = await Engine.open(dir, { readOnly: serveOptions.readOnly === true, ...(limits ? { limits } : {}) });
  // the analyzer's dictionary loads on first use (ko-morph: 0.4-0.8 s in one block): before the first request
  engine.analyzer.analyze('준비');
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  let onSignal: ((signal: NodeJS.Signals) => void) | undefined;
  let unwatch: (() => void) | undefined;
  try {
    const server = createServer(engine, {
      ...serveOptions,
      onError: (error) => log(`error: ${error instanceof Error ? error.message : String(error)}`),
    });
    const address = await server.listen(port, host);
    const stopped = new Promise<string>((resolve) => {
      onSignal = (signal) => {
        if (server.server.listening) {
          log(`${signal}: shutting down (waiting for in-flight requests and writes)`);
          resolve(signal);
        } else {
          log(`${signal}: not waiting for in-flight requests (pending writes still finish)`);
          void server.close({ timeoutMs: 0 });
        }
      };
      for (const s of signals) process.on(s, onSignal);
      stop?.then(() => resolve('stop'));
      if (exitWithParent)
        unwatch = watchParent((why) => {
          log(`${why}: shutting down (waiting for in-flight requests and writes)`);
          resolve('parent');
        });
    });
    log(
      `listening on http://${formatHost(address.host)}:${address.port} (${engine.size} documents, legs ${engine.legs.join('+')}${serveOptions.readOnly ? ', read-only' : ''})`,
    );
    await stopped;
    await server.close();
  } finally {
    await engine.close();
    unwatch?.();
    if (onSignal) for (const s of signals) process.removeListener(s, onSignal);
  }
  log('stopped');
}
export { parseByteSize } from './index.js';
export { underNpmExec } from './parent.js';
