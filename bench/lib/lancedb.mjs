// LanceDB (@lancedb/lancedb) as a bench peer. It is installed only for the bench, in its own package
// folder with a lockfile (bench/peers/lancedb: `npm install --prefix bench/peers/lancedb`), so tamsaek's own
// `npm install` stays lean; without it the suites skip the LanceDB rows and say why.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PEER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'peers', 'lancedb');
// `npm install`, not `npm ci`: the lockfile (pinning 0.39.0) that npm writes here has no entries for LanceDB's
// other-platform packages (darwin, win32, linux-arm64), and `npm ci` refuses it as out of sync; `npm install`
// installs from it unchanged.
export const LANCEDB_INSTALL = 'npm install --prefix bench/peers/lancedb';

/** { lancedb, version } or { unavailable: reason }. */
export async function loadLanceDb() {
  const pkg = path.join(PEER, 'node_modules', '@lancedb', 'lancedb', 'package.json');
  if (!existsSync(pkg)) return { unavailable: `the LanceDB bench peer is not installed (${LANCEDB_INSTALL})` };
  // LanceDB logs a deprecation warning per vector / hybrid query otherwise
  process.env.LANCEDB_LOG ??= 'error';
  try {
    const require = createRequire(path.join(PEER, 'package.json'));
    const lancedb = await import(pathToFileURL(require.resolve('@lancedb/lancedb')).href);
    return { lancedb, version: JSON.parse(readFileSync(pkg, 'utf8')).version };
  } catch (error) {
    return {
      unavailable: `@lancedb/lancedb failed to load (${error.message.split('\n')[0]}); reinstall: ${LANCEDB_INSTALL}`,
    };
  }
}

/** A LanceDB database in a fresh temporary directory; `dispose()` removes it. */
export async function tempDatabase(lancedb) {
  const dir = mkdtempSync(path.join(tmpdir(), 'tamsaek-lancedb-'));
  const db = await lancedb.connect(dir);
  return {
    db,
    dispose: async () => {
      db.close?.();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A table of `rows` ({ id, text[, vector] }) with a full-text index on `text` (no positions: LanceDB's
 * default; phrase queries are not used). `tokenizer`: LanceDB's baseTokenizer ("ngram", "simple", …).
 */
export async function ftsTable(lancedb, db, name, rows, tokenizer) {
  const table = await db.createTable(name, rows, { mode: 'overwrite' });
  await table.createIndex('text', { config: lancedb.Index.fts({ baseTokenizer: tokenizer, withPosition: false }) });
  return table;
}

const ids = (rows, scoreField) => rows.map((r) => ({ id: String(r.id), score: r[scoreField] }));

/** Full-text search: a MatchQuery (OR of the query's tokens; a plain string would parse quotes as phrases). */
export async function ftsSearch(lancedb, table, text, k) {
  const rows = await table
    .query()
    .fullTextSearch(new lancedb.MatchQuery(text, 'text'))
    .select(['id'])
    .limit(k)
    .toArray();
  return ids(rows, '_score');
}

/** Vector search (no vector index: LanceDB scans every vector, exact), cosine distance → score 1 − d. */
export async function vectorSearch(table, vector, k) {
  const rows = await table.query().nearestTo(vector).distanceType('cosine').select(['id']).limit(k).toArray();
  return rows.map((r) => ({ id: String(r.id), score: 1 - r._distance }));
}

/** Hybrid: the full-text and vector searches fused by LanceDB's RRF reranker (k = 60). */
export async function hybridSearch(lancedb, table, reranker, text, vector, k) {
  const rows = await table
    .query()
    .fullTextSearch(new lancedb.MatchQuery(text, 'text'))
    .nearestTo(vector)
    .distanceType('cosine')
    .rerank(reranker)
    .select(['id'])
    .limit(k)
    .toArray();
  return ids(rows, '_relevance_score');
}

/**
 * The bm25 suite's LanceDB side: documents (space-joined tokens) into a table with a full-text index
 * under its "whitespace" tokenizer (the tokens tamsaek's whitespace analyzer makes), then every query
 * once, sequentially, after `warmup` unrecorded ones. Returns the build time and per-query times and hits.
 */
export async function lancedbBm25Bench({ lancedb }, docs, queries, { k, warmup = 20, log = () => {} }) {
  const { db, dispose } = await tempDatabase(lancedb);
  try {
    const t0 = performance.now();
    const table = await ftsTable(
      lancedb,
      db,
      'zipf',
      docs.map((text, i) => ({ id: String(i), text })),
      'whitespace',
    );
    const indexMs = performance.now() - t0;
    log(`LanceDB table + full-text index over ${docs.length} docs in ${(indexMs / 1000).toFixed(1)} s`);
    for (const q of queries.slice(0, warmup)) await ftsSearch(lancedb, table, q, k);
    const perQuery = [];
    const hits = [];
    for (const q of queries) {
      const t = performance.now();
      const h = await ftsSearch(lancedb, table, q, k);
      perQuery.push(performance.now() - t);
      hits.push(h);
    }
    return { indexMs, perQuery, hits };
  } finally {
    await dispose();
  }
}
