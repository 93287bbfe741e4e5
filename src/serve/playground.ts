/**
 * The search playground of `tamsaek serve`: a page at `/` (static files from ./playground/, copied
 * into dist at build; no build step, no CDN) and the JSON it reads besides /search:
 *
 *   GET /               → the page (index.html, app.js, style.css under /playground/)
 *   GET /describe       → engine.describe(): analyzer, documents, legs with their stats, fusion, depth, rerank
 *   GET /analyze?q=     → the analyzer's terms for q, and its tokens (surface, POS, offsets, morphemes) where it has them
 *   GET /lib/fuse/*.js, /lib/errors.js → the engine's own fusion modules (dist/fuse), so the page re-fuses
 *                         the legs' lists with the very code the engine runs (fuse/ imports only errors,
 *                         an architecture rule checked by Biome, so it runs in a browser unchanged)
 *
 * and `explainSearch`, what `POST /search` adds under `explain` when asked: each leg's own list
 * (id, score, rank) at the engine's depth, the fusion config in force, and the documents' titles.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Engine } from '../engine/engine.js';
import type { EngineSearchOptions } from '../engine/types.js';
import { badRequest, HttpError } from './http.js';

/** A non-JSON response body (the page and its assets). */
export class RawBody {
  constructor(
    readonly type: string,
    readonly bytes: Buffer,
  ) {}
}

const dist = join(dirname(fileURLToPath(import.meta.url)), '..');
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};
const MODULE_NAME = /^[a-z0-9-]+\.js$/;

/** Maps a request path to a file this route serves, or undefined. */
function staticFile(path: string): string | undefined {
  if (path === '/' || path === '/index.html') return join(dist, 'serve', 'playground', 'index.html');
  if (path === '/playground/app.js' || path === '/playground/style.css')
    return join(dist, 'serve', 'playground', path.slice('/playground/'.length));
  if (path === '/lib/errors.js') return join(dist, 'errors.js');
  const module = path.startsWith('/lib/fuse/') ? path.slice('/lib/fuse/'.length) : undefined;
  if (module !== undefined && MODULE_NAME.test(module)) return join(dist, 'fuse', module);
  return undefined;
}

async function serveFile(file: string): Promise<[number, RawBody]> {
  try {
    const ext = file.slice(file.lastIndexOf('.'));
    return [200, new RawBody(TYPES[ext] ?? 'application/octet-stream', await readFile(file))];
  } catch {
    throw new HttpError(404, 'NOT_FOUND', `no file for ${file.slice(dist.length)}`);
  }
}

function analyzeQuery(engine: Engine, url: URL): [number, unknown] {
  for (const key of url.searchParams.keys())
    if (key !== 'q') throw badRequest(`analyze: unknown parameter "${key}" (known: q)`, 'UNKNOWN_OPTION');
  const q = url.searchParams.get('q');
  if (q === null) throw badRequest('analyze: the "q" parameter is required');
  if (q.length > 10_000) throw badRequest('analyze: "q" is longer than 10,000 characters');
  const analyzer = engine.analyzer;
  const tokens = analyzer.tokens?.(q).map((t) => ({
    surface: t.surface,
    pos: t.pos,
    start: t.start,
    end: t.end,
    morphemes: t.morphemes.map((m) => ({ surface: m.surface, pos: m.pos, term: m.term })),
  }));
  return [200, { analyzer: analyzer.name, query: q, terms: analyzer.analyze(q), ...(tokens ? { tokens } : {}) }];
}

/** The playground's routes; undefined when `path` is not one of them. */
export async function playgroundRoute(
  engine: Engine,
  path: string,
  method: string,
  url: URL,
): Promise<[number, unknown] | undefined> {
  const file = staticFile(path);
  const known = file !== undefined || path === '/analyze' || path === '/describe';
  if (!known) return undefined;
  if (method !== 'GET' && method !== 'HEAD')
    throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${path} (allowed: GET)`, {
      allow: 'GET',
    });
  if (file) return serveFile(file);
  if (path === '/analyze') return analyzeQuery(engine, url);
  return [200, engine.describe()];
}

export interface SearchExplanation {
  /** Each leg's documents at `depth`, best first, as the engine fuses them. */
  legs: { name: string; hits: { id: string; score: number; rank: number }[] }[];
  depth: number;
  fusion: ReturnType<Engine['describe']>['fusion'];
  /** Titles (or null) of every document in the legs' lists. */
  titles: Record<string, string | null>;
  /** Time the legs took for this (second) retrieval. */
  retrieve_ms: number;
}

/**
 * The legs' own lists for a query, retrieved once more after the search (`engine.tunable()`, the
 * surface tuning uses): the page fuses them again under other weights without running the legs.
 */
export async function explainSearch(
  engine: Engine,
  query: string,
  options: EngineSearchOptions,
): Promise<SearchExplanation> {
  const { depth, fusion } = engine.describe();
  const started = performance.now();
  const vector = options.vector ? Float32Array.from(options.vector) : undefined;
  const results = await engine.tunable().retrieve(query, { depth, vector });
  const retrieve_ms = Number((performance.now() - started).toFixed(3));
  const chosen = options.legs ? results.filter((r) => options.legs!.includes(r.name)) : results;
  const titles = new Map<string, string | null>();
  const legs = chosen.map(({ name, hits }) => ({
    name,
    hits: hits.map((h, i) => {
      if (!titles.has(h.id)) titles.set(h.id, engine.get(h.id)?.title ?? null);
      return { id: h.id, score: h.score, rank: i + 1 };
    }),
  }));
  // Object.fromEntries defines own properties: an id "__proto__" stays an ordinary key
  return { legs, depth, fusion, titles: Object.fromEntries(titles), retrieve_ms };
}
