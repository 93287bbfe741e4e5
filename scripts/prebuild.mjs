#!/usr/bin/env node
// Builds what `npm pack` ships besides dist/ (run by `prepack`, or alone as `npm run build:prebuilds`):
//
// 1. prebuilds/<platform>-<arch>/tamsaek.glibc.node — the CPU addon (binding.gyp: scalar kernels, plus
//    AVX2 and AVX-512 on x64, chosen at run time; never -march=native), compiled by prebuildify (node-gyp,
//    N-API, stripped) in a scratch copy of binding.gyp + native/, so the checkout's own build/ is left
//    alone. linux-arm64 is cross-compiled with Debian's g++-aarch64-linux-gnu when it is installed.
//    The build is reproducible: the same sources give the same bytes from any directory (SHA-256 sums
//    are written to prebuilds/SHA256SUMS and printed).
// 2. vendor/onnxruntime-web/ — the three files of the pinned onnxruntime-web devDependency that Node
//    needs (its Node entry, the WebAssembly module and its loader): the ONNX fallback of
//    src/models/ort.ts, without onnxruntime-web's dependency tree (whose protobufjs 7 has an install script).
//
// Environment: TAMSAEK_PREBUILD_ARCHS=x64,arm64 picks the architectures (default: the host's, plus
// arm64 on an x64 host when the cross compiler exists).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (message) => process.stderr.write(`prebuild: ${message}\n`);

function onPath(command) {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function architectures() {
  const asked = process.env.TAMSAEK_PREBUILD_ARCHS;
  if (asked) return asked.split(',').filter(Boolean);
  const list = [arch()];
  if (arch() === 'x64' && process.platform === 'linux') {
    if (onPath('aarch64-linux-gnu-g++')) list.push('arm64');
    else log('linux-arm64 skipped: no aarch64-linux-gnu-g++ (apt-get install g++-aarch64-linux-gnu)');
  }
  return list;
}

function crossEnv(target) {
  if (target === arch()) return {};
  if (target === 'arm64' && arch() === 'x64') {
    return { CC: 'aarch64-linux-gnu-gcc', CXX: 'aarch64-linux-gnu-g++', LINK: 'aarch64-linux-gnu-g++' };
  }
  throw new Error(`no cross toolchain known for ${arch()} -> ${target}`);
}

/** prebuildify in a scratch copy of the native sources; returns the built files. */
function buildAddon(targets) {
  const scratch = mkdtempSync(join(tmpdir(), 'tamsaek-prebuild-'));
  try {
    for (const entry of ['binding.gyp', 'native', 'package.json'])
      cpSync(join(root, entry), join(scratch, entry), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'), 'dir');
    const prebuildify = join(root, 'node_modules', 'prebuildify', 'bin.js');
    for (const target of targets) {
      log(`building ${process.platform}-${target} ...`);
      const args = [prebuildify, '--napi', '--strip', '--tag-libc', '--arch', target];
      if (target !== arch()) args.push('--strip-bin', 'aarch64-linux-gnu-strip');
      execFileSync(process.execPath, args, {
        cwd: scratch,
        env: { ...process.env, ...crossEnv(target) },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    }
    rmSync(join(root, 'prebuilds'), { recursive: true, force: true });
    cpSync(join(scratch, 'prebuilds'), join(root, 'prebuilds'), { recursive: true });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const sums = [];
  for (const dir of readdirSync(join(root, 'prebuilds'))) {
    for (const file of readdirSync(join(root, 'prebuilds', dir))) {
      const path = join(root, 'prebuilds', dir, file);
      sums.push(
        `${createHash('sha256').update(readFileSync(path)).digest('hex')}  ${relative(join(root, 'prebuilds'), path)}`,
      );
    }
  }
  writeFileSync(join(root, 'prebuilds', 'SHA256SUMS'), `${sums.join('\n')}\n`);
  for (const line of sums) log(line);
}

const MIT_LICENSE = `MIT License

Copyright (c) Microsoft Corporation.

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`;

const ORT_WEB_FILES = ['ort.node.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'];

function vendorOrtWeb() {
  const pkgDir = join(root, 'node_modules', 'onnxruntime-web');
  const { version, license } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies['onnxruntime-web'];
  const common = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).dependencies['onnxruntime-common'];
  if (version !== pinned || version !== common)
    throw new Error(
      `onnxruntime-web ${version} is installed; package.json pins ${pinned} and onnxruntime-common ${common}`,
    );
  const out = join(root, 'vendor', 'onnxruntime-web');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  for (const file of ORT_WEB_FILES) {
    const from = join(pkgDir, 'dist', file);
    if (!existsSync(from)) throw new Error(`onnxruntime-web ${version} has no dist/${file}: update ORT_WEB_FILES`);
    cpSync(from, join(out, file));
  }
  writeFileSync(
    join(out, 'README.md'),
    `Files copied unchanged from onnxruntime-web ${version} (dist/: ${ORT_WEB_FILES.join(', ')}) by\n` +
      'scripts/prebuild.mjs: the WebAssembly ONNX runtime tamsaek falls back to when onnxruntime-node is not\n' +
      `installed. onnxruntime-web is ${license}-licensed, Copyright (c) Microsoft Corporation\n` +
      '(https://github.com/microsoft/onnxruntime, LICENSE and ThirdPartyNotices.txt).\n',
  );
  writeFileSync(join(out, 'LICENSE'), MIT_LICENSE);
  log(`vendor/onnxruntime-web: ${ORT_WEB_FILES.length} files of onnxruntime-web ${version}`);
}

buildAddon(architectures());
vendorOrtWeb();
