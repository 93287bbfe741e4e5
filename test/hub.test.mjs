// Model download from a Hub-like server (a local HTTP server on 127.0.0.1 serving the tiny models):
// download + integrity, resume after an interrupted transfer, offline mode with and without cache,
// 404 and integrity failures as typed errors, HF_ENDPOINT / HF_HUB_OFFLINE environment switches.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { downloadModel, isOffline, OnnxEmbedder, resolveModel } from 'tamsaek';
import { startFakeHub } from './helpers/fake-hub.mjs';

const MODELS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'models');
const XLMR = path.join(MODELS, 'tiny-xlmr');

async function withHub(fn) {
  const hub = await startFakeHub({ 'test-org/tiny-xlmr': XLMR, 'test-org/tiny-bert': path.join(MODELS, 'tiny-bert') });
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'tamsaek-hub-'));
  try {
    await fn(hub, cacheDir);
  } finally {
    await hub.close();
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

test('downloads a model into the cache, verifies it, and embeds exactly like the local directory', async () => {
  await withHub(async (hub, cacheDir) => {
    const progress = [];
    const dir = await downloadModel('test-org/tiny-xlmr', {
      endpoint: hub.endpoint,
      cacheDir,
      offline: false,
      onDownloadProgress: (f) => progress.push(f),
    });
    assert.equal(dir, path.join(cacheDir, 'test-org--tiny-xlmr', 'main'));
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model_quantized.onnx']) {
      assert.deepEqual(readFileSync(path.join(dir, f)), readFileSync(path.join(XLMR, f)), f);
    }
    assert.ok(!existsSync(path.join(dir, 'onnx/model.onnx')), 'only the preferred ONNX file is fetched');
    assert.ok(progress.includes('onnx/model_quantized.onnx'));
    // the LFS-style file went through the redirect to /cdn/
    assert.ok(
      hub.state.log.some((r) => r.method === 'GET' && r.path === '/cdn/test-org/tiny-xlmr/onnx/model_quantized.onnx'),
    );
    const remote = await OnnxEmbedder.load('test-org/tiny-xlmr', { endpoint: hub.endpoint, cacheDir, offline: false });
    const local = await OnnxEmbedder.load(XLMR);
    assert.deepEqual(await remote.embed(['한국어 검색 엔진']), await local.embed(['한국어 검색 엔진']));
    // a second online resolve finds everything current: HEAD requests only, no GET
    const before = hub.state.log.length;
    await downloadModel('test-org/tiny-xlmr', { endpoint: hub.endpoint, cacheDir, offline: false });
    assert.ok(hub.state.log.slice(before).every((r) => r.method === 'HEAD'));
    await remote.dispose();
    await local.dispose();
  });
});

test('an interrupted transfer resumes with an HTTP Range request and ends verified', async () => {
  await withHub(async (hub, cacheDir) => {
    hub.state.interrupt.add('onnx/model.onnx');
    const dir = await downloadModel('test-org/tiny-xlmr', {
      endpoint: hub.endpoint,
      cacheDir,
      offline: false,
      quantized: false,
    });
    assert.deepEqual(hub.state.interrupted, ['onnx/model.onnx']);
    const size = readFileSync(path.join(XLMR, 'onnx/model.onnx')).length;
    const resumed = hub.state.log.find((r) => r.path.endsWith('/onnx/model.onnx') && r.range);
    assert.ok(resumed, 'a Range request was sent');
    assert.equal(resumed.range, `bytes=${size >> 1}-`);
    assert.deepEqual(readFileSync(path.join(dir, 'onnx/model.onnx')), readFileSync(path.join(XLMR, 'onnx/model.onnx')));
    assert.ok(!existsSync(path.join(dir, 'onnx/model.onnx.incomplete')));
  });
});

test('a partial file left by an earlier process is resumed, not restarted', async () => {
  await withHub(async (hub, cacheDir) => {
    const dir = path.join(cacheDir, 'test-org--tiny-bert', 'main');
    mkdirSync(path.join(dir, 'onnx'), { recursive: true });
    const full = readFileSync(path.join(MODELS, 'tiny-bert/onnx/model.onnx'));
    writeFileSync(path.join(dir, 'onnx/model.onnx.incomplete'), full.subarray(0, 1000));
    await downloadModel('test-org/tiny-bert', { endpoint: hub.endpoint, cacheDir, offline: false });
    assert.ok(hub.state.log.some((r) => r.range === 'bytes=1000-'));
    assert.deepEqual(readFileSync(path.join(dir, 'onnx/model.onnx')), full);
  });
});

test('integrity: a corrupted transfer is refused (INTEGRITY_ERROR) and not kept', async () => {
  await withHub(async (hub, cacheDir) => {
    hub.state.corrupt.add('onnx/model_quantized.onnx');
    await assert.rejects(
      downloadModel('test-org/tiny-xlmr', { endpoint: hub.endpoint, cacheDir, offline: false }),
      (e) => e.code === 'INTEGRITY_ERROR' && /SHA-256/.test(e.message),
    );
    const dir = path.join(cacheDir, 'test-org--tiny-xlmr', 'main');
    assert.ok(!existsSync(path.join(dir, 'onnx/model_quantized.onnx')));
    assert.ok(!existsSync(path.join(dir, 'onnx/model_quantized.onnx.incomplete')));
  });
});

test('offline mode: served from the cache when complete, OFFLINE error when not; env switches', async () => {
  await withHub(async (hub, cacheDir) => {
    await assert.rejects(resolveModel('test-org/tiny-xlmr', { cacheDir, offline: true }), { code: 'OFFLINE' });
    assert.equal(hub.state.log.length, 0, 'offline mode sends no request');
    await downloadModel('test-org/tiny-xlmr', { endpoint: hub.endpoint, cacheDir, offline: false });
    const n = hub.state.log.length;
    const saved = { ...process.env };
    try {
      process.env.HF_HUB_OFFLINE = '1';
      assert.equal(isOffline(), true);
      const emb = await OnnxEmbedder.load('test-org/tiny-xlmr', { cacheDir });
      assert.equal(emb.dim, 16);
      await emb.dispose();
      assert.equal(hub.state.log.length, n);
      delete process.env.HF_HUB_OFFLINE;
      process.env.TAMSAEK_OFFLINE = 'true';
      await assert.rejects(OnnxEmbedder.load('test-org/tiny-bert', { cacheDir }), { code: 'OFFLINE' });
      delete process.env.TAMSAEK_OFFLINE;
      assert.equal(isOffline(), false);
      process.env.HF_ENDPOINT = hub.endpoint;
      const dir = await resolveModel('test-org/tiny-bert', { cacheDir });
      assert.ok(existsSync(path.join(dir, 'onnx/model.onnx')));
    } finally {
      for (const k of ['HF_HUB_OFFLINE', 'TAMSAEK_OFFLINE', 'HF_ENDPOINT']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });
});

test('404 for a missing repository or file is a typed NOT_FOUND; an unreachable endpoint is DOWNLOAD_ERROR', async () => {
  await withHub(async (hub, cacheDir) => {
    await assert.rejects(
      downloadModel('test-org/missing', { endpoint: hub.endpoint, cacheDir, offline: false }),
      (e) => e.code === 'NOT_FOUND' && /config\.json/.test(e.message),
    );
    await assert.rejects(
      downloadModel('test-org/tiny-xlmr', {
        endpoint: hub.endpoint,
        cacheDir,
        offline: false,
        file: 'onnx/model_fp16.onnx',
      }),
      { code: 'NOT_FOUND' },
    );
    const closed = await startFakeHub({});
    await closed.close();
    await assert.rejects(downloadModel('test-org/tiny-xlmr', { endpoint: closed.endpoint, cacheDir, offline: false }), {
      code: 'DOWNLOAD_ERROR',
    });
    // once cached, an unreachable endpoint falls back to the cached copy
    const dir = await downloadModel('test-org/tiny-xlmr', { endpoint: hub.endpoint, cacheDir, offline: false });
    assert.equal(
      await downloadModel('test-org/tiny-xlmr', { endpoint: closed.endpoint, cacheDir, offline: false }),
      dir,
    );
  });
});
