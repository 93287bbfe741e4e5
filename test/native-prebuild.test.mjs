// Where the addon comes from (src/native/addon.ts): without a local build and without a prebuild for the
// platform, loading fails with one NATIVE_UNAVAILABLE message naming the platform and the fix. Simulated
// in a child process: PREBUILDS_ONLY makes node-gyp-build skip build/, npm_config_platform asks it for
// a platform no prebuild exists for. (The prebuild itself is loaded in an app by npm run check:dependent.)

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

test('no local build and no prebuild for the platform: NATIVE_UNAVAILABLE with the platform and the fix', (t) => {
  if (existsSync(new URL('../build-cmake/Release/tamsaek.node', import.meta.url)))
    return t.skip('a cmake-js build exists (build-cmake/), which the loader takes first');
  const script = `import('./dist/native/index.js').then((m) => {
    try { m.loadNative(); console.log('loaded ' + m.nativePath()); } catch (e) { console.log(e.code + ' ' + e.message); }
  });`;
  const env = { ...process.env, PREBUILDS_ONLY: '1', npm_config_platform: 'freebsd' };
  delete env.TAMSAEK_NATIVE_PATH;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    env,
    encoding: 'utf8',
  });
  assert.match(out, /^NATIVE_UNAVAILABLE tamsaek has no prebuilt native addon for linux-\w+ \((glibc|musl)\)/);
  assert.match(out, /build it from source in a checkout .*TAMSAEK_NATIVE_PATH/);
});
