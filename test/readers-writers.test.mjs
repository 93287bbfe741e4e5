// Readers never see a torn or vanished generation (issue 19): a read-only open leases the generation
// it reads, so a writer in another process that saves continuously never deletes it mid-open. Also the
// write lock of Bm25Index.save (the engine's semantics: LOCKED while another live writer holds it).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Bm25Index, Engine } from 'tamsaek';

const saveLoop = fileURLToPath(new URL('./helpers/save-loop.mjs', import.meta.url));

/** Starts the save loop in another process; resolves once it has saved `rounds` times. */
function startWriter(dir, batch, rounds = 2) {
  const child = spawn(process.execPath, [saveLoop, dir, String(batch)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let saves = 0;
  const ready = new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      saves += chunk.split('\n').filter((l) => l.startsWith('saved')).length;
      if (saves >= rounds) resolve();
    });
    child.once('exit', (code) => reject(new Error(`writer exited (${code})`)));
  });
  const kill = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return {
    ready,
    saves: () => saves,
    async stop() {
      clearTimeout(kill);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

test('read-only opens during continuous saves from another process: every open succeeds and is whole', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-readers-'));
  const writer = startWriter(dir, 40);
  try {
    await writer.ready;
    const before = writer.saves();
    let last = 0;
    for (let i = 0; i < 120; i++) {
      const reader = await Engine.open(dir, { readOnly: true });
      const n = reader.size;
      // the save loop adds d<size>… in order: a whole generation holds d0 … d(n-1)
      assert.ok(n >= last, `generations only grow (${n} after ${last})`);
      assert.ok(reader.has('d0') && reader.has(`d${n - 1}`) && !reader.has(`d${n}`), `generation of ${n} is whole`);
      assert.equal((await reader.search(`문서 ${n - 1} 번째`, { k: 1, legs: ['bm25'] }))[0]?.id, `d${n - 1}`);
      await reader.close();
      last = n;
    }
    assert.ok(writer.saves() > before, 'the writer saved while the readers opened');
  } finally {
    await writer.stop();
  }
  // the killed writer's lock is stale; the reader's leases are gone
  const names = await readdir(dir);
  assert.ok(!names.includes('readers') || (await readdir(join(dir, 'readers'))).length === 0, names.join());
  const engine = await Engine.open(dir);
  await engine.close();
  await rm(dir, { recursive: true, force: true });
});

test('a leased generation survives later saves and is swept once released; stale leases are ignored', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-lease-'));
  try {
    const engine = await Engine.create({ analyzer: 'ngram' });
    await engine.add([{ id: 'a', text: '기초연금' }]);
    await engine.save(dir);
    const first = (await readdir(dir)).find((n) => n.startsWith('gen-'));
    const generation = Number(first.slice(4));
    // a live reader (this process) holds the first generation; a dead one (pid 2^22+1) holds nothing
    await import('node:fs/promises').then(({ mkdir }) => mkdir(join(dir, 'readers')));
    const host = Buffer.from((await import('node:os')).hostname()).toString('hex');
    const live = join(dir, 'readers', `${generation}~${process.pid}~${host}~test.lease`);
    await writeFile(live, '');
    await writeFile(join(dir, 'readers', `${generation}~4194305~${host}~dead.lease`), '');
    await engine.add([{ id: 'b', text: '월세' }]);
    await engine.save(dir);
    let gens = (await readdir(dir)).filter((n) => n.startsWith('gen-'));
    assert.equal(gens.length, 2, 'the leased generation stays');
    assert.ok(gens.includes(first));
    assert.deepEqual(await readdir(join(dir, 'readers')), [`${generation}~${process.pid}~${host}~test.lease`]);
    await rm(live);
    await engine.add([{ id: 'c', text: '대출' }]);
    await engine.save(dir);
    gens = (await readdir(dir)).filter((n) => n.startsWith('gen-'));
    assert.equal(gens.length, 1, 'released: swept at the next save');
    assert.equal(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')).generation, Number(gens[0].slice(4)));
    await engine.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('Bm25Index.save holds a write lock on its directory until close(); a killed owner is stale', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-bm25-lock-'));
  try {
    const a = new Bm25Index({ analyzer: 'ngram' });
    a.add('x', '기초연금 신청');
    await a.save(dir);
    assert.ok((await readdir(dir)).includes('write.lock'));
    const b = new Bm25Index({ analyzer: 'ngram' });
    b.add('y', '청년 월세');
    await assert.rejects(b.save(dir), { code: 'LOCKED' });
    const engine = await Engine.create({ analyzer: 'ngram' });
    await assert.rejects(engine.save(dir), { code: 'LOCKED' }, 'the engine honours the same lock');
    await engine.close();
    a.add('z', '전세 대출');
    await a.save(dir); // the owner saves again
    assert.equal((await Bm25Index.open(dir)).size, 2, 'opening for reading needs no lock');
    await a.close();
    assert.ok(!(await readdir(dir)).includes('write.lock'), 'close() releases');
    await b.save(dir);
    assert.deepEqual([...(await Bm25Index.open(dir)).documentIds()], ['y']);
    await b.close();
    // a lock left by a process that no longer runs is taken over at once
    await writeFile(
      join(dir, 'write.lock'),
      JSON.stringify({ pid: 4194305, host: (await import('node:os')).hostname() }),
    );
    await a.save(dir);
    await a.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
