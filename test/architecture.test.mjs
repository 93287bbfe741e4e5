// The code's shape is checked, not hoped for: Biome (format, lint, import cycles, the "never" arrows
// between stages, function length) passes on the tree and fails on planted violations; native
// functions stay short too.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const biome = join(root, 'node_modules', '.bin', 'biome');

function runBiome(args, cwd) {
  return spawnSync(biome, args, { cwd, encoding: 'utf8' });
}

test('biome check passes on the whole tree (format, lint, cycles, stage rules)', () => {
  const r = runBiome(['check', '--max-diagnostics=50'], root);
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

const PLANTS = {
  'src/engine/zz-cycle-a.ts': "import { b } from './zz-cycle-b.js';\nexport const a = () => b;\n",
  'src/engine/zz-cycle-b.ts': "import { a } from './zz-cycle-a.js';\nexport const b = () => a;\n",
  'src/legs/zz-up.ts': "import { Engine } from '../engine/engine.js';\nexport const x = Engine;\n",
  'src/fuse/zz-out.ts': "import { mulberry32 } from '../util/random.js';\nexport const x = mulberry32;\n",
  'src/analyze/zz-index.ts': "import { Bm25Index } from '../legs/bm25/index.js';\nexport const x = Bm25Index;\n",
  'src/models/zz-print.ts': "export const x = () => process.stdout.write('hi');\n",
  'src/models/zz-socket.ts': "import net from 'node:net';\nexport const x = net;\n",
  'src/engine/zz-eval.ts': "import { evaluate } from '../eval/metrics.js';\nexport const x = evaluate;\n",
  'src/util/zz-long.ts': `export function long(): number {\n  let n = 0;\n${'  n++;\n'.repeat(125)}  return n;\n}\n`,
};
const EXPECTED = {
  'src/engine/zz-cycle-a.ts': 'noImportCycles',
  'src/legs/zz-up.ts': 'legs/ never import',
  'src/fuse/zz-out.ts': 'fuse/ imports nothing but errors',
  'src/analyze/zz-index.ts': 'analyze/ imports no index code',
  'src/models/zz-print.ts': 'only src/cli and src/serve may touch process',
  'src/models/zz-socket.ts': 'only src/cli and src/serve open sockets',
  'src/engine/zz-eval.ts': 'nothing imports eval/',
  'src/util/zz-long.ts': 'noExcessiveLinesPerFunction',
};

test('each architecture rule fails on a planted violation', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-arch-'));
  try {
    for (const entry of ['src', 'lint', 'biome.json'])
      await cp(join(root, entry), join(dir, entry), { recursive: true });
    for (const [path, text] of Object.entries(PLANTS)) await writeFile(join(dir, path), text);
    const r = runBiome(['lint', '--vcs-enabled=false', '--max-diagnostics=200', 'src'], dir);
    assert.notEqual(r.status, 0);
    const out = r.stdout + r.stderr;
    for (const [path, rule] of Object.entries(EXPECTED)) {
      const block = out.split(/\n(?=src\/)/).filter((b) => b.startsWith(path));
      assert.ok(
        block.some((b) => b.includes(rule)),
        `${path} should be reported for ${rule}:\n${block.join('\n') || '(nothing)'}`,
      );
    }
    // the unplanted tree is clean: every report above came from a plant
    const reported = new Set([...out.matchAll(/^(src\/[^\s:]+)/gm)].map((m) => m[1]));
    for (const path of reported) assert.ok(path in PLANTS, `unexpected report on ${path}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const ctags = spawnSync('ctags', ['--version'], { encoding: 'utf8' });
const haveCtags = ctags.status === 0 && /Universal Ctags/.test(ctags.stdout);

test('no native function is longer than 120 lines', {
  skip: !haveCtags && 'Universal Ctags is not installed (it reads function extents from the C++ sources)',
}, async () => {
  const files = [];
  const walk = async (d) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else if (/\.(cpp|cc|h|hpp|cu|cuh)$/.test(e.name)) files.push(join(d, e.name));
    }
  };
  await walk(join(root, 'native'));
  const tags = spawnSync('ctags', ['--fields=+ne', '--kinds-C++=f', '--language-force=C++', '-o', '-', ...files], {
    encoding: 'utf8',
  });
  assert.equal(tags.status, 0, tags.stderr);
  const long = [];
  for (const line of tags.stdout.split('\n')) {
    const start = /\tline:(\d+)/.exec(line);
    const end = /\tend:(\d+)/.exec(line);
    if (start && end && Number(end[1]) - Number(start[1]) + 1 > 120) long.push(line.split('\t').slice(0, 2).join(' '));
  }
  assert.deepEqual(long, []);
});

test('a planted long native function is caught', {
  skip: !haveCtags && 'Universal Ctags is not installed',
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tamsaek-arch-'));
  try {
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'long.cpp');
    await writeFile(file, `int f() {\n  int n = 0;\n${'  n++;\n'.repeat(125)}  return n;\n}\n`);
    const tags = spawnSync('ctags', ['--fields=+ne', '--kinds-C++=f', '-o', '-', file], { encoding: 'utf8' });
    const line = tags.stdout.split('\n').find((l) => l.startsWith('f\t'));
    assert.ok(line && Number(/\tend:(\d+)/.exec(line)[1]) - Number(/\tline:(\d+)/.exec(line)[1]) + 1 > 120);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
