/**
 * A bounded loopback load generator for the search endpoint: N keep-alive clients, each sending one
 * request at a time, until a duration or a request count is reached (whichever comes first).
 */
import http from 'node:http';
import { TamsaekError } from '../errors.js';

export interface ServeBenchOptions {
  /** Base URL of the server, e.g. http://127.0.0.1:8780 (loopback is the intended use). */
  url: string;
  /** Concurrent keep-alive clients (default 8). */
  concurrency?: number;
  /** Stop after this long (default 5000 ms when `requests` is not given). */
  durationMs?: number;
  /** Stop after this many requests. */
  requests?: number;
  /** Queries sent round-robin with POST /search (default a single Korean query). */
  queries?: readonly string[];
  /** k sent with every search (default 10). */
  k?: number;
  /** Requests sent before measuring (default 0), not counted. */
  warmup?: number;
}

export interface ServeBenchResult {
  requests: number;
  errors: number;
  concurrency: number;
  seconds: number;
  qps: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
}

/** Hard ceiling on a run, whatever the options say. */
const MAX_DURATION_MS = 10 * 60 * 1000;

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return Number(sorted[rank].toFixed(3));
}

function post(agent: http.Agent, url: URL, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

export async function serveBench(options: ServeBenchOptions): Promise<ServeBenchResult> {
  const { url, concurrency = 8, requests, queries = ['청년 월세 지원'], k = 10, warmup = 0 } = options;
  const durationMs = options.durationMs ?? (requests === undefined ? 5000 : MAX_DURATION_MS);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1024)
    throw new TamsaekError('INVALID_ARGUMENT', 'serveBench: concurrency must be an integer in 1..1024');
  if (!(Number.isFinite(durationMs) && durationMs > 0 && durationMs <= MAX_DURATION_MS))
    throw new TamsaekError('INVALID_ARGUMENT', `serveBench: durationMs must be in (0, ${MAX_DURATION_MS}]`);
  if (requests !== undefined && !(Number.isInteger(requests) && requests > 0))
    throw new TamsaekError('INVALID_ARGUMENT', 'serveBench: requests must be a positive integer');
  if (!Number.isInteger(warmup) || warmup < 0)
    throw new TamsaekError('INVALID_ARGUMENT', 'serveBench: warmup must be a non-negative integer');
  if (queries.length === 0) throw new TamsaekError('INVALID_ARGUMENT', 'serveBench: give at least one query');
  const target = new URL('/search', url);
  if (target.protocol !== 'http:') throw new TamsaekError('INVALID_ARGUMENT', 'serveBench: url must be http://');
  const bodies = queries.map((query) => JSON.stringify({ query, k }));
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    for (let i = 0; i < warmup; i++) await post(agent, target, bodies[i % bodies.length]);
    const latencies: number[] = [];
    let issued = 0;
    let errors = 0;
    const started = performance.now();
    const deadline = started + durationMs;
    const client = async () => {
      while (performance.now() < deadline && (requests === undefined || issued < requests)) {
        const body = bodies[issued++ % bodies.length];
        const t0 = performance.now();
        try {
          const status = await post(agent, target, body);
          if (status !== 200) errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, client));
    const seconds = (performance.now() - started) / 1000;
    const sorted = Float64Array.from(latencies).sort();
    return {
      requests: latencies.length,
      errors,
      concurrency,
      seconds: Number(seconds.toFixed(3)),
      qps: Number((latencies.length / seconds).toFixed(1)),
      p50_ms: percentile(sorted, 0.5),
      p95_ms: percentile(sorted, 0.95),
      p99_ms: percentile(sorted, 0.99),
    };
  } finally {
    agent.destroy();
  }
}
