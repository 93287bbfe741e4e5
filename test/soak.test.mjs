// The soak script (npm run soak) in miniature: a short run with one SIGKILL of the writer must report
// no torn index, no lost acknowledged document, no untyped error and no failed read-only open.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

test('soak: 12 s with a writer kill, malformed requests and a reader process — nothing torn, lost or untyped', () => {
  const run = spawnSync(process.execPath, [join(root, 'scripts/soak.mjs'), '--seconds', '12', '--docs', '150'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 150_000,
  });
  assert.equal(run.status, 0, `soak failed:\n${run.stdout}\n${run.stderr.slice(-2000)}`);
  const result = JSON.parse(run.stdout);
  assert.ok(result.kills >= 1, 'the writer was killed');
  assert.equal(result.torn, 0);
  assert.equal(result.lost, 0);
  assert.equal(result.untyped, 0);
  assert.equal(result.wrongCode, 0, result.notes.join('\n'));
  assert.equal(result.reader.failures, 0);
  assert.ok(result.reader.opens > 0, 'the second process opened the index');
  assert.ok(result.byKind.search > 0 && result.byKind.upsert > 0 && result.byKind.junk > 0);
  assert.ok(result.errorsByCode.LIMIT_EXCEEDED > 0 || result.byKind.junk < 10, JSON.stringify(result.errorsByCode));
});
