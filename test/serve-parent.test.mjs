// `tamsaek serve` under npx (issue 19): `npm exec` runs `sh -c tamsaek …` and does not pass a SIGTERM
// on, so the server watches its parent (and a shell parent's parent) and shuts down gracefully when
// it is gone: the write lock is released and the process exits. Simulated with a stand-in for npm
// (a node process that spawns the shell and ignores nothing) and with the shell alone.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Engine } from 'tamsaek';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'dist/cli/main.js');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function makeIndex() {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-serve-parent-'));
  const engine = await Engine.create({ analyzer: 'ngram' });
  await engine.add([{ id: 'a', text: '기초연금 신청 방법' }]);
  await engine.save(dir);
  await engine.close();
  return dir;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits (bounded) for the server to hold the lock; returns its pid and address. */
async function serverOf(dir, output) {
  for (let i = 0; i < 600; i++) {
    const m = /listening on (http:\/\/\S+)/.exec(output());
    if (m) {
      const { pid } = JSON.parse(await readFile(join(dir, 'write.lock'), 'utf8'));
      return { pid, base: m[1] };
    }
    await sleep(50);
  }
  throw new Error(`serve did not start: ${output()}`);
}

async function gone(pid, dir) {
  for (let i = 0; i < 300 && alive(pid); i++) await sleep(50);
  assert.equal(alive(pid), false, 'the server exited with its parent');
  await assert.rejects(stat(join(dir, 'write.lock')), { code: 'ENOENT' }, 'the write lock was released');
}

const npmEnv = { ...process.env, npm_command: 'exec', npm_lifecycle_event: 'npx' };
// `; :` keeps the shell alive as the server's parent, as `sh -c` does under npm exec
const shellCommand = (dir) => `"${process.execPath}" "${bin}" serve "${dir}" --port 0; :`;

test('under npm exec: SIGTERM to npm (the shell survives) stops the server, lock released', async () => {
  const dir = await makeIndex();
  const npm = spawn(
    process.execPath,
    [
      '-e',
      `require('node:child_process').spawn('sh', ['-c', process.argv[1]], { stdio: 'inherit' }); setInterval(() => {}, 1000);`,
      shellCommand(dir),
    ],
    { env: npmEnv, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  npm.stderr.setEncoding('utf8').on('data', (c) => (output += c));
  const killer = setTimeout(() => npm.kill('SIGKILL'), 60_000);
  try {
    const { pid, base } = await serverOf(dir, () => output);
    assert.equal((await fetch(`${base}/health`)).status, 200);
    npm.kill('SIGTERM');
    await gone(pid, dir);
    assert.match(output, /exited: shutting down/);
    assert.match(output, /stopped/);
  } finally {
    clearTimeout(killer);
    await rm(dir, { recursive: true, force: true });
  }
});

test('under npm exec: SIGTERM to the shell parent stops the server; without npm the server stays', async () => {
  const dir = await makeIndex();
  const shell = spawn('sh', ['-c', shellCommand(dir)], { env: npmEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  shell.stderr.setEncoding('utf8').on('data', (c) => (output += c));
  try {
    const { pid } = await serverOf(dir, () => output);
    shell.kill('SIGTERM');
    await gone(pid, dir);
  } finally {
    shell.kill('SIGKILL');
  }
  // a plain `node tamsaek serve` (no npm in the environment) does not watch: it needs its own signal
  const env = { ...process.env };
  delete env.npm_command;
  delete env.npm_lifecycle_event;
  const plain = spawn('sh', ['-c', shellCommand(dir)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out2 = '';
  plain.stderr.setEncoding('utf8').on('data', (c) => (out2 += c));
  const { pid } = await serverOf(dir, () => out2);
  try {
    plain.kill('SIGTERM');
    await sleep(1500); // three polls of the watcher, had it been on
    assert.equal(alive(pid), true, 'without --exit-with-parent the server keeps running');
  } finally {
    process.kill(pid, 'SIGTERM');
    await gone(pid, dir);
    await rm(dir, { recursive: true, force: true });
  }
});
