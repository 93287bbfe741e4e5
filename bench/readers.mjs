// readers suite (issue 19): read-only opens of an index while another process saves it continuously.
// Each open loads the committed generation, checks it is whole (every stored document readable, the
// count the manifest names) and runs a search. Reports opens, failures by code and the saves made meanwhile.
//
//   node bench/readers.mjs [--opens 1000] [--docs 300] [--batch 50] [--out f.json]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../dist/index.js';
import { pages } from './eventloop.mjs';
import { isMain, parseSuiteCli, runStandalone } from './lib/standalone.mjs';
import { percentile, sig } from './lib/stats.mjs';

const SAVE_LOOP = fileURLToPath(new URL('./lib/save-loop.mjs', import.meta.url));

function startWriter(dir, batch, docs) {
  const child = spawn(process.execPath, [SAVE_LOOP, dir, String(batch), String(docs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let saves = 0;
  const first = new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (c) => {
      saves += c.split('\n').filter((l) => l.startsWith('saved')).length;
      if (saves > 0) resolve();
    });
    child.once('exit', (code) => reject(new Error(`writer exited (${code})`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    first,
    saves: () => saves,
    async stop() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** One read-only open, checked; the error code or undefined. */
async function openOnce(dir) {
  try {
    const engine = await Engine.open(dir, { readOnly: true });
    try {
      let stored = 0;
      for await (const doc of engine.documents()) if (typeof doc.text === 'string') stored++;
      if (stored !== engine.size) return 'TORN';
      await engine.search('지원 신청 방법', { k: 5 });
    } finally {
      await engine.close();
    }
    return undefined;
  } catch (error) {
    return error?.code ?? 'UNTYPED';
  }
}

export async function run(options = {}) {
  const log = options.log ?? ((...a) => console.error('[readers]', ...a));
  const opens = options.opens ?? (options.tiny ? 50 : 1000);
  const docs = options.docs ?? (options.tiny ? 60 : 300);
  const dir = mkdtempSync(path.join(tmpdir(), 'tamsaek-readers-'));
  const seed = await Engine.create();
  await seed.add(pages(docs));
  await seed.save(dir);
  await seed.close();
  const writer = startWriter(dir, options.batch ?? 50, docs);
  const failures = {};
  const times = [];
  let savesDuring = 0;
  try {
    await writer.first;
    const before = writer.saves();
    for (let i = 0; i < opens; i++) {
      const t0 = performance.now();
      const code = await openOnce(dir);
      times.push(performance.now() - t0);
      if (code) failures[code] = (failures[code] ?? 0) + 1;
      if ((i + 1) % 100 === 0)
        log(`${i + 1} opens, ${writer.saves() - before} saves, failures ${JSON.stringify(failures)}`);
    }
    savesDuring = writer.saves() - before;
  } finally {
    await writer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const failed = Object.values(failures).reduce((a, b) => a + b, 0);
  return {
    results: [
      { name: 'read_only_opens', value: opens, unit: 'opens' },
      { name: 'read_only_open_failures', value: failed, unit: JSON.stringify(failures) },
      { name: 'saves_during_opens', value: savesDuring, unit: 'saves (another process)' },
      { name: 'open_p50_ms', value: sig(percentile(times, 50)), unit: 'ms' },
    ],
    notes: [`${docs} autorag-ko pages; the writer upserts ${options.batch ?? 50} pages and saves, back to back`],
  };
}

if (isMain(import.meta.url)) {
  await runStandalone('readers', {
    parseCli: (argv) =>
      parseSuiteCli(argv, { opens: 'number', docs: 'number', batch: 'number', tiny: 'flag', out: 'string' }),
    run,
  });
}
