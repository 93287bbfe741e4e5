// The README's quickstart is executed as written, in a fresh app directory that depends on this package,
// so it can never go stale.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The first ```js block under a heading. */
function codeBlock(markdown, heading) {
  const section = markdown.slice(markdown.indexOf(`\n## ${heading}\n`));
  const match = /```js\n([\s\S]*?)```/.exec(section);
  assert.ok(match, `no js block under "## ${heading}"`);
  return match[1];
}

test('README quickstart runs as written against the built package', async () => {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const code = codeBlock(readme, 'Quickstart');
  assert.ok(code.split('\n').length <= 22, 'the quickstart stays short');
  const app = await mkdtemp(join(tmpdir(), 'tamsaek-readme-'));
  try {
    await mkdir(join(app, 'node_modules'));
    await symlink(root, join(app, 'node_modules', 'tamsaek'), 'dir');
    await cp(join(root, 'datasets'), join(app, 'datasets'), { recursive: true });
    await writeFile(join(app, 'quickstart.mjs'), code);
    const r = spawnSync(process.execPath, ['quickstart.mjs'], { cwd: app, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 3, r.stdout);
    assert.match(lines[0], /기초연금 안내 - 1/, 'the pension page answers the pension question');
    assert.match(lines[0], /65세/, 'its snippet shows the age');
    assert.ok((await stat(join(app, 'my-index', 'manifest.json'))).isFile(), 'the index was saved');
  } finally {
    await rm(app, { recursive: true, force: true });
  }
});
