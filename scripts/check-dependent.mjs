#!/usr/bin/env node
// `npm run check:dependent`: tamsaek as a dependency, the way users get it. Packs this checkout
// (`npm pack`: prepack builds dist/, the prebuilt addons and vendor/onnxruntime-web), installs the
// tarball into a fresh app in a temporary directory with npm, and checks in that app that:
//   - npm printed no warning, and the app's tree has no install script at all (`npm install-scripts ls`),
//     so npm ran none; nothing was compiled (no node_modules/tamsaek/build); the same from the app's
//     lockfile (npm ci);
//   - the native addon loads from the shipped prebuild (prebuilds/<platform>-<arch>/…);
//   - BM25 and hybrid search (BM25 + the shipped static model) work through `import … from 'tamsaek'`;
//   - an ONNX test model (test/fixtures/models/tiny-xlmr) loads and embeds, with the runtime the app
//     has (onnxruntime-web's WebAssembly build shipped in the package): vectors equal this checkout's
//     onnxruntime-node vectors within 1e-4; an engine with that model and the tiny reranker searches.
// Options: --tarball FILE (skip packing), --keep (leave the app directory). Exit 1 on any failure.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const tarballArg = args.includes('--tarball') ? resolve(args[args.indexOf('--tarball') + 1]) : undefined;
const log = (message) => process.stderr.write(`check:dependent: ${message}\n`);
const failures = [];
const check = (ok, what) => {
  log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};

// npm passes its configuration to scripts as npm_config_* variables: a child npm in another project
// must not inherit them (local prefix, the script's own flags).
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'INIT_CWD' && k !== 'TAMSAEK_ONNX_RUNTIME'),
);

function npm(cwd, npmArgs) {
  const started = performance.now();
  const r = spawnSync('npm', npmArgs, { cwd, env: cleanEnv, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}`, seconds: (performance.now() - started) / 1000 };
}

const work = mkdtempSync(join(tmpdir(), 'tamsaek-dependent-'));
try {
  let tarball = tarballArg;
  if (!tarball) {
    log('npm pack (prepack: tsc, prebuilt addons, vendored onnxruntime-web) ...');
    const packed = npm(root, ['pack', '--pack-destination', work]);
    if (packed.status !== 0) throw new Error(`npm pack failed:\n${packed.out}`);
    const name = readdirSync(work).find((f) => f.endsWith('.tgz'));
    tarball = join(work, name);
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ''));
    const mb = statSync(tarball).size / 1e6;
    log(`packed ${name}: ${mb.toFixed(1)} MB, ${files.length} files, ${packed.seconds.toFixed(0)} s`);
    check(
      files.some((f) => /^prebuilds\/linux-x64\/tamsaek\.glibc\.node$/.test(f)),
      'the tarball ships prebuilds/linux-x64',
    );
    check(
      files.includes('vendor/onnxruntime-web/ort-wasm-simd-threaded.wasm'),
      'the tarball ships vendor/onnxruntime-web',
    );
    check(!files.some((f) => f.startsWith('build/')), 'the tarball holds no local build/');
  }

  const app = join(work, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(
    join(app, 'package.json'),
    `${JSON.stringify({ name: 'tamsaek-dependent-check', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
  );
  log(`npm install ${tarball} in ${app} ...`);
  const installed = npm(app, ['install', '--no-audit', '--no-fund', tarball]);
  log(`npm install: exit ${installed.status}, ${installed.seconds.toFixed(1)} s`);
  check(installed.status === 0, 'npm install of the tarball succeeded');
  const warnings = installed.out.split('\n').filter((line) => /\bwarn\b|\bWARN\b/.test(line));
  for (const line of warnings) log(`  ${line}`);
  check(warnings.length === 0, 'npm printed no warning');
  const pkg = JSON.parse(readFileSync(join(app, 'node_modules', 'tamsaek', 'package.json'), 'utf8'));
  const lifecycle = ['preinstall', 'install', 'postinstall', 'prepare'].filter((s) => pkg.scripts?.[s]);
  check(lifecycle.length === 0 && pkg.gypfile === false, 'tamsaek declares no install script (and gypfile: false)');
  const scripts = npm(app, ['install-scripts', 'ls', '--json']);
  const pending = JSON.parse(
    scripts.out.slice(scripts.out.indexOf('{'), scripts.out.lastIndexOf('}') + 1),
  ).allowScripts;
  check(
    Array.isArray(pending) && pending.length === 0,
    `no package in the app has an install script (npm install-scripts ls: ${JSON.stringify(pending)})`,
  );
  check(
    !existsSync(join(app, 'node_modules', 'tamsaek', 'build')),
    'nothing was compiled (no node_modules/tamsaek/build)',
  );
  // again from the app's lockfile, as its CI would (npm synthesises node-gyp builds from lockfile entries)
  rmSync(join(app, 'node_modules'), { recursive: true, force: true });
  const ci = npm(app, ['ci', '--no-audit', '--no-fund']);
  const ciWarnings = ci.out.split('\n').filter((line) => /\bwarn\b|\bWARN\b/.test(line));
  for (const line of ciWarnings) log(`  ${line}`);
  check(
    ci.status === 0 && ciWarnings.length === 0 && !existsSync(join(app, 'node_modules', 'tamsaek', 'build')),
    `npm ci from the app's lockfile: no warning, nothing compiled (${ci.seconds.toFixed(1)} s)`,
  );

  copyFileSync(join(root, 'scripts', 'dependent-app-check.mjs'), join(app, 'check.mjs'));
  const run = spawnSync(process.execPath, ['check.mjs', root], { cwd: app, env: cleanEnv, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`the app's check failed:\n${run.stdout}\n${run.stderr}`);
  const result = JSON.parse(run.stdout.trim().split('\n').pop());
  check(
    result.nativePath.startsWith(join(app, 'node_modules', 'tamsaek', 'prebuilds', `linux-${process.arch}`)),
    `the addon loads from the prebuild (${result.nativePath.slice(app.length + 1)}, kernel ${result.kernel})`,
  );
  check(result.bm25[0] === 'pension', `BM25 search works (top ids ${result.bm25.join(', ')})`);
  check(
    result.hybrid[0] === 'pension' && result.hybridLegs.includes('bm25') && result.hybridLegs.includes('dense'),
    `hybrid search with the shipped static model works (top ${result.hybrid[0]}, legs ${result.hybridLegs})`,
  );
  check(
    result.onnx.runtime === 'web' && result.onnx.source.includes(join('tamsaek', 'vendor', 'onnxruntime-web')),
    `the ONNX runtime is the shipped WebAssembly build (${result.onnx.runtime}: ${result.onnx.source.slice(app.length + 1)})`,
  );
  const { OnnxEmbedder } = await import(join(root, 'dist', 'index.js'));
  const oracle = await OnnxEmbedder.load(join(root, 'test', 'fixtures', 'models', 'tiny-xlmr'), { threads: 1 });
  const expected = await oracle.embed(result.onnx.texts, { kind: 'passage' });
  let maxDiff = 0;
  result.onnx.vectors.flat().forEach((v, i) => {
    maxDiff = Math.max(maxDiff, Math.abs(v - expected[i]));
  });
  check(
    result.onnx.dim === 16 && result.onnx.vectors.flat().length === expected.length && maxDiff < 1e-4,
    `the ONNX model embeds as onnxruntime-${oracle.runtime} does here (max |diff| ${maxDiff.toExponential(1)})`,
  );
  check(
    result.onnxHybrid.length > 0,
    `an engine with the ONNX model and the tiny reranker searches (${result.onnxHybrid})`,
  );
  log(failures.length === 0 ? 'all checks passed' : `${failures.length} check(s) failed`);
} catch (error) {
  failures.push(error.message);
  log(`FAIL ${error.message}`);
} finally {
  if (keep) log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
process.exitCode = failures.length === 0 ? 0 : 1;
