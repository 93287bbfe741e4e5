// Soak (issue 19): a writer process serving an index on loopback takes mixed searches, upserts,
// deletes (each answered after its save), oversized and malformed requests, and is killed with
// SIGKILL at random points and restarted; a second process opens the index read-only in a loop.
// After every kill the index is opened and checked: it must open (no torn generation) and hold every
// acknowledged write (no lost document). Prints requests, errors by code, the writer's largest
// event-loop gap, torn indexes, lost documents, the reader's opens and failures; exits 1 on any torn
// index, lost document, untyped error or failed read-only open.
//
//   npm run soak [-- --seconds 90 --docs 1500 --seed 7 --out soak.json]
// Loopback only; at most 120 seconds of load.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pages } from '../bench/eventloop.mjs';
import { Engine } from '../dist/index.js';
import { mulberry32 } from '../dist/util/random.js';
import { checkIndex, Ledger } from './lib/soak-ledger.mjs';
import { junkRequests, Tally } from './lib/soak-requests.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const MAX_QUERY_CHARS = 4096;

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '90' },
    docs: { type: 'string', default: '1500' },
    seed: { type: 'string', default: '7' },
    out: { type: 'string' },
  },
});
const seconds = Math.min(120, Number(args.seconds));
const random = mulberry32(Number(args.seed));
const corpus = pages(Number(args.docs) + 2000);

/** Starts the writer; resolves with its port once listening. Its gap reports go to `onGap`. */
function startWriter(dir, onGap) {
  const child = spawn(process.execPath, [path.join(here, 'lib/soak-server.mjs'), dir, String(MAX_QUERY_CHARS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop();
      for (const line of lines) {
        const event = JSON.parse(line);
        if (event.port) resolve(event.port);
        if (event.gap !== undefined) onGap(event);
      }
    });
    child.once('exit', (code, signal) => reject(new Error(`writer exited (${code ?? signal}) before listening`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { child, port, exited };
}

function startReader(dir) {
  const child = spawn(process.execPath, [path.join(here, 'lib/soak-reader.mjs'), dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let last = { opens: 0, failures: 0, codes: {} };
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    for (const line of chunk.split('\n')) if (line.trim()) last = JSON.parse(line);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    async stop() {
      child.kill('SIGTERM');
      await exited;
      return last;
    },
  };
}

/** One client's loop until `until`: a request, its outcome tallied, again. */
async function client(until, next, tally, writer) {
  while (performance.now() < until) {
    if (writer().killed)
      await new Promise((resolve) => setTimeout(resolve, 25)); // restarting: no busy loop
    else await tally.send(next(), writer);
  }
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'tamsaek-soak-'));
  const ledger = new Ledger(corpus, Number(args.docs));
  const seed = await Engine.create();
  await seed.add(ledger.initialDocuments());
  await seed.save(dir);
  await seed.close();
  const tally = new Tally();
  const summary = { kills: 0, torn: 0, lost: 0, checks: 0, maxGapMs: 0, maxGapOnCpuMs: 0, writerStarts: 0 };
  const onGap = ({ gap, cpuGap }) => {
    summary.maxGapMs = Math.max(summary.maxGapMs, gap);
    if (cpuGap !== undefined) summary.maxGapOnCpuMs = Math.max(summary.maxGapOnCpuMs, cpuGap);
  };
  let writer = startWriter(dir, onGap);
  let base = `http://127.0.0.1:${await writer.port}`;
  summary.writerStarts++;
  let killed = false;
  const state = () => ({ killed, epoch: summary.writerStarts });
  const reader = startReader(dir);
  const started = performance.now();
  const until = started + seconds * 1000;
  const endpoint = () => base;
  const clients = [
    client(until, () => ledger.searchRequest(endpoint(), random), tally, state),
    client(until, () => ledger.searchRequest(endpoint(), random), tally, state),
    client(until, () => ledger.writeRequest(endpoint(), random), tally, state),
    client(until, () => junkRequests(endpoint(), random, MAX_QUERY_CHARS), tally, state),
  ];
  // the killer: SIGKILL the writer every 3-9 s, check the index on disk, restart the writer
  const killer = (async () => {
    while (performance.now() + 9000 < until) {
      await new Promise((resolve) => setTimeout(resolve, 3000 + random() * 6000));
      killed = true;
      writer.child.kill('SIGKILL');
      await writer.exited;
      summary.kills++;
      const check = await checkIndex(dir, ledger);
      summary.checks++;
      summary.torn += check.torn;
      summary.lost += check.lost;
      writer = startWriter(dir, onGap);
      base = `http://127.0.0.1:${await writer.port}`;
      summary.writerStarts++;
      killed = false;
    }
  })();
  await Promise.all([...clients, killer]);
  const readerFigures = await reader.stop();
  writer.child.kill('SIGTERM');
  await writer.exited;
  const final = await checkIndex(dir, ledger);
  summary.checks++;
  summary.torn += final.torn;
  summary.lost += final.lost;
  rmSync(dir, { recursive: true, force: true });
  return { seconds: (performance.now() - started) / 1000, ...tally.figures(), ...summary, reader: readerFigures };
}

const result = await main();
console.log(JSON.stringify(result, null, 2));
if (args.out) writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`);
const failed = result.torn > 0 || result.lost > 0 || result.untyped > 0 || result.reader.failures > 0;
process.exit(failed ? 1 : 0);
