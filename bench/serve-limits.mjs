// serve-limits suite (issue 19): the HTTP server with `tamsaek serve`'s default settings (read-only), in its
// own process with an event-loop gap meter (lib/gap-server.mjs), over an
// autorag-ko index. (1) a 1 MB query: time from sending it to the typed error; (2) GET /health latency
// every 10 ms, first alone, then while 1 MB queries arrive back to back from several clients (the
// ratio to the idle p99 is the machine-independent figure).
//
//   node bench/serve-limits.mjs [--docs 1000] [--senders 4] [--seconds 10] [--out f.json]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../dist/index.js';
import { pages } from './eventloop.mjs';
import { isMain, parseSuiteCli, runStandalone } from './lib/standalone.mjs';
import { percentile, sig } from './lib/stats.mjs';

const GAP_SERVER = fileURLToPath(new URL('./lib/gap-server.mjs', import.meta.url));
const FLOOD = fileURLToPath(new URL('./lib/flood.mjs', import.meta.url));
/** 1,000,000 bytes of JSON body: a query of Hangul and spaces (3 bytes a syllable) under the 1 MiB body limit. */
const QUERY_1MB = '기초연금 신청 방법 '.repeat(Math.floor((1_000_000 - 16) / 26));
const BODY_1MB = Buffer.from(JSON.stringify({ query: QUERY_1MB }));

/** The server with its defaults and a gap meter, in its own process (lib/gap-server.mjs). */
async function serve(dir) {
  const child = spawn(process.execPath, [GAP_SERVER, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = [];
  let waiting;
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (c) => {
    buffered += c;
    const parts = buffered.split('\n');
    buffered = parts.pop();
    for (const p of parts) {
      lines.push(JSON.parse(p));
      waiting?.();
    }
  });
  const next = async () => {
    while (lines.length === 0) await new Promise((resolve) => (waiting = resolve));
    return lines.shift();
  };
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const { port } = await next();
  return {
    base: `http://127.0.0.1:${port}`,
    phase: (name) => child.stdin.write(`phase ${name}\n`),
    async report() {
      child.stdin.write('report\n');
      return (await next()).phases;
    },
    async stop() {
      child.stdin.end();
      await exited;
    },
  };
}

async function oversized(base) {
  const t0 = performance.now();
  const res = await fetch(`${base}/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: BODY_1MB,
  });
  const json = await res.json();
  return { ms: performance.now() - t0, status: res.status, code: json.error?.code };
}

/** GET /health every 10 ms for `ms`; latencies. */
async function healthSeries(base, ms) {
  const latencies = [];
  const pending = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t0 = performance.now();
    pending.push(fetch(`${base}/health`).then(async (r) => (await r.json(), latencies.push(performance.now() - t0))));
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await Promise.all(pending);
  return latencies;
}

export async function run(options = {}) {
  const log = options.log ?? ((...a) => console.error('[serve-limits]', ...a));
  const seconds = options.seconds ?? (options.tiny ? 2 : 10);
  const dir = mkdtempSync(path.join(tmpdir(), 'tamsaek-serve-limits-'));
  const engine = await Engine.create();
  await engine.add(pages(options.docs ?? (options.tiny ? 100 : 1000)));
  await engine.save(dir);
  await engine.close();
  const server = await serve(dir);
  const results = [];
  try {
    const single = [];
    for (let i = 0; i < 20; i++) single.push(await oversized(server.base));
    const codes = [...new Set(single.map((s) => `${s.status} ${s.code}`))].join(', ');
    log(`1 MB query: ${codes}`);
    const ms = single.map((s) => s.ms);
    results.push(
      { name: 'query_1mb_error_p50_ms', value: sig(percentile(ms, 50)), unit: `ms (${codes})` },
      { name: 'query_1mb_error_max_ms', value: sig(Math.max(...ms)), unit: 'ms' },
    );
    server.phase('idle');
    const idle = await healthSeries(server.base, seconds * 500);
    server.phase('flood');
    const flood = spawn(process.execPath, [FLOOD, server.base, String(options.senders ?? 4), String(seconds)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let report = '';
    flood.stdout.setEncoding('utf8').on('data', (c) => (report += c));
    const flooded = new Promise((resolve) => flood.once('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, 200)); // the senders are connected
    const busy = await healthSeries(server.base, (seconds - 0.5) * 1000);
    await flooded;
    server.phase('after');
    const gaps = await server.report();
    const { sent, codes: floodCodes, cpuMs: floodCpuMs } = JSON.parse(report);
    log(
      `health idle p99 ${percentile(idle, 99)} ms; with ${sent} 1 MB queries (${JSON.stringify(floodCodes)}) p99 ${percentile(busy, 99)} ms`,
    );
    results.push(
      { name: 'health_idle_p99_ms', value: sig(percentile(idle, 99)), unit: 'ms' },
      { name: 'health_flood_p99_ms', value: sig(percentile(busy, 99)), unit: 'ms' },
      { name: 'health_flood_max_ms', value: sig(Math.max(...busy)), unit: 'ms' },
      { name: 'flood_1mb_queries', value: sent, unit: `queries in ${seconds} s` },
      { name: 'server_idle_max_gap_ms', value: sig(gaps.idle.gap), unit: 'ms (server event loop)' },
      { name: 'server_flood_max_gap_ms', value: sig(gaps.flood.gap), unit: 'ms (server event loop)' },
      // per flood query, whatever the machine's load: what the server read and spent, and the flood client's CPU
      { name: 'server_bytes_read_per_flood_query', value: Math.round(gaps.flood.bytesRead / sent), unit: 'bytes' },
      { name: 'server_cpu_ms_per_flood_query', value: sig(gaps.flood.cpuMs / sent), unit: 'ms (all threads)' },
      { name: 'flood_client_cpu_ms_per_query', value: sig(floodCpuMs / sent), unit: 'ms (the flood process)' },
      ...(gaps.flood.cpuGap === undefined
        ? []
        : [{ name: 'server_flood_max_gap_on_cpu_ms', value: sig(gaps.flood.cpuGap), unit: 'ms (on a CPU)' }]),
    );
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    results,
    notes: [
      'the server with `tamsaek serve` defaults in its own process; a 1,000,000-byte JSON body (under the 1 MiB default --max-body)',
      `/health every 10 ms from this process, idle and while ${options.senders ?? 4} clients in another process send 1 MB queries back to back`,
    ],
  };
}

if (isMain(import.meta.url)) {
  await runStandalone('serve-limits', {
    parseCli: (argv) =>
      parseSuiteCli(argv, { docs: 'number', senders: 'number', seconds: 'number', tiny: 'flag', out: 'string' }),
    run,
  });
}
