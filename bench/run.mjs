#!/usr/bin/env node
// Bench runner: `node bench/run.mjs [suite…] [--out f.json] [--tiny]` (npm run bench -- bm25 --out f.json).
//
// A suite is a module bench/<suite>.mjs exporting
//   async function run(options) → { results: [{name, value, unit}], notes?: string[], table?: string }
// and optionally `available()` → true | false | string (reason) when it may be unavailable (e.g. no native
// addon). A suite can also report itself unavailable by returning { unavailable: 'reason' } from run(), or by
// throwing an error with code 'SUITE_UNAVAILABLE'. Unavailable suites are skipped with a message.
//
// Results go to stdout as a markdown table (name | value | unit), progress/logs to stderr; `--out f.json`
// also writes {suite, date, machine, results[, notes]}. The runner re-spawns itself once with a larger heap
// and --expose-gc (the bm25 suite holds wink-bm25-text-search's 100k-document index).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import { resultDocument, resultsTable } from './lib/format.mjs';
import { machineInfo } from './lib/machine.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
/** Suites in the order `npm run bench` runs them; any other bench/<name>.mjs runs after these, by name. */
export const SUITE_ORDER = ['bm25', 'native', 'dense', 'hybrid', 'train', 'cuda', 'models'];
const NOT_SUITES = new Set(['run']);
const HEAP_MB = 12288;

export function listSuites(dir = BENCH_DIR) {
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.mjs'))
    .map((f) => f.slice(0, -4))
    .filter((n) => !NOT_SUITES.has(n));
  const rank = (n) => (SUITE_ORDER.includes(n) ? SUITE_ORDER.indexOf(n) : SUITE_ORDER.length);
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Options passed through to the suites (each suite reads the ones it knows). */
const SUITE_OPTIONS = { '--docs': 'number', '--model': 'string', '--reranker': 'string' };

export function parseArgs(argv) {
  const opts = { suites: [], out: undefined, tiny: false, help: false, suiteOptions: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out' || a === '-o') {
      if (i + 1 >= argv.length) throw usageError('--out needs a file name');
      opts.out = argv[++i];
    } else if (a.startsWith('--out=')) opts.out = a.slice(6);
    else if (a === '--tiny') opts.tiny = true;
    else if (a === '--help' || a === '-h') opts.help = true;
    else if (SUITE_OPTIONS[a]) {
      if (i + 1 >= argv.length) throw usageError(`${a} needs a value`);
      const value = argv[++i];
      if (SUITE_OPTIONS[a] === 'number' && !(Number.isInteger(Number(value)) && Number(value) > 0))
        throw usageError(`${a} must be a positive integer`);
      opts.suiteOptions[a.slice(2)] = SUITE_OPTIONS[a] === 'number' ? Number(value) : value;
    } else if (a.startsWith('-')) throw usageError(`unknown option ${a}`);
    else opts.suites.push(a);
  }
  return opts;
}

function usageError(message) {
  const err = new Error(message);
  err.code = 'USAGE';
  return err;
}

const log = (...args) => console.error('[bench]', ...args);

async function loadSuite(name, dir) {
  return import(pathToFileURL(path.join(dir, `${name}.mjs`)).href);
}

/** Runs one suite; returns {status: 'ok'|'skipped', results, notes, table, reason}. */
export async function runSuite(name, options = {}, dir = BENCH_DIR) {
  const mod = await loadSuite(name, dir);
  if (typeof mod.run !== 'function') throw new Error(`bench/${name}.mjs does not export run(options)`);
  if (typeof mod.available === 'function') {
    const a = await mod.available(options);
    if (a !== true && a !== undefined)
      return { status: 'skipped', reason: typeof a === 'string' ? a : 'reported unavailable' };
  }
  let out;
  try {
    out = await mod.run({ log: (...a) => console.error(`[${name}]`, ...a), ...options });
  } catch (err) {
    if (err && err.code === 'SUITE_UNAVAILABLE') return { status: 'skipped', reason: err.message };
    throw err;
  }
  if (out?.unavailable) return { status: 'skipped', reason: String(out.unavailable) };
  if (!out || !Array.isArray(out.results)) throw new Error(`suite ${name}: run() must return { results: [...] }`);
  return { status: 'ok', results: out.results, notes: out.notes ?? [], table: out.table };
}

function printSuite(name, { results, notes, table }) {
  const lines = [`## ${name}`, '', resultsTable(results), ''];
  if (notes?.length) lines.push(...notes.map((n) => `- ${n}`), '');
  if (table) lines.push(table, '');
  process.stdout.write(`${lines.join('\n')}\n`);
}

function writeOut(file, doc) {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
  log(`wrote ${file}`);
}

export async function main(argv = process.argv.slice(2)) {
  const opts = parseArgs(argv);
  const all = listSuites();
  if (opts.help) {
    console.error(
      `usage: npm run bench -- [suite…] [--out f.json] [--tiny] [--docs N] [--model dir] [--reranker dir]\nsuites: ${all.join(', ')}`,
    );
    return 0;
  }
  const unknown = opts.suites.filter((s) => !all.includes(s));
  if (unknown.length) {
    console.error(
      `[bench] unknown suite${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (available: ${all.join(', ')})`,
    );
    return 2;
  }
  const suites = opts.suites.length ? [...new Set(opts.suites)] : all;
  const machine = machineInfo();
  const date = new Date();
  log(
    `${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, node ${machine.node}, load ${machine.loadavg.join(' ')}`,
  );
  const done = [];
  let failed = 0;
  for (const name of suites) {
    log(`suite ${name}${opts.tiny ? ' (tiny)' : ''}`);
    const t0 = performance.now();
    let r;
    try {
      r = await runSuite(name, { tiny: opts.tiny, ...opts.suiteOptions });
    } catch (err) {
      failed++;
      console.error(`[bench] suite ${name} FAILED: ${err?.stack ? err.stack : err}`);
      if (err && Array.isArray(err.results)) printSuite(`${name} (FAILED)`, { results: err.results, notes: err.notes });
      continue;
    }
    if (r.status === 'skipped') {
      log(`suite ${name} skipped: ${r.reason}`);
      continue;
    }
    log(`suite ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    printSuite(name, r);
    done.push({ name, ...r });
  }
  if (opts.out && !failed) {
    if (done.length === 1) {
      writeOut(opts.out, resultDocument(done[0].name, date, machine, done[0].results, done[0].notes));
    } else if (done.length > 1) {
      // several suites in one file: suite "all", result names prefixed "<suite>."
      const results = done.flatMap((s) => s.results.map((r) => ({ ...r, name: `${s.name}.${r.name}` })));
      const notes = done.flatMap((s) => s.notes.map((n) => `${s.name}: ${n}`));
      writeOut(opts.out, { ...resultDocument('all', date, machine, results, notes), suites: done.map((s) => s.name) });
    } else log('no suite produced results; nothing written');
  } else if (opts.out) log(`not writing ${opts.out}: ${failed} suite(s) failed`);
  return failed ? 1 : 0;
}

function needsRespawn() {
  if (process.env.TAMSAEK_BENCH_CHILD) return false;
  const heapMb = v8.getHeapStatistics().heap_size_limit / 2 ** 20;
  return heapMb < HEAP_MB * 0.9 || typeof globalThis.gc !== 'function';
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (needsRespawn()) {
    const args = [
      `--max-old-space-size=${HEAP_MB}`,
      '--expose-gc',
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      ...process.argv.slice(2),
    ];
    const r = spawnSync(process.execPath, args, {
      stdio: 'inherit',
      env: { ...process.env, TAMSAEK_BENCH_CHILD: '1' },
    });
    process.exitCode = r.status ?? 1;
  } else {
    main().then(
      (code) => {
        process.exitCode = code;
      },
      (err) => {
        console.error(`[bench] ${err.code === 'USAGE' ? err.message : err.stack}`);
        process.exitCode = 2;
      },
    );
  }
}
