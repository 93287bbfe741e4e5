// executionProviders for embedders and rerankers: 'cuda' without CUDA is a typed error, 'auto' falls back to the CPU
// with one warning line, bad values are refused.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CrossEncoder, cudaUnavailableReason, EXECUTION_PROVIDERS, OnnxEmbedder } from 'tamsaek';

const MODELS = fileURLToPath(new URL('./fixtures/models/', import.meta.url));
const encoder = `${MODELS}tiny-xlmr`;
const reranker = `${MODELS}tiny-reranker`;
const noCuda = cudaUnavailableReason();

test('the options are cpu, cuda and auto; cpu is the default; anything else is INVALID_ARGUMENT', async () => {
  assert.deepEqual([...EXECUTION_PROVIDERS], ['cpu', 'cuda', 'auto']);
  const e = await OnnxEmbedder.load(encoder);
  assert.equal(e.executionProvider, 'cpu');
  await assert.rejects(OnnxEmbedder.load(encoder, { executionProviders: 'gpu' }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(CrossEncoder.load(reranker, { executionProviders: ['cuda'] }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(OnnxEmbedder.load(encoder, { onWarning: 'stderr' }), { code: 'INVALID_ARGUMENT' });
});

test("'cuda' without onnxruntime's CUDA provider is CUDA_UNAVAILABLE saying why", {
  skip: noCuda === undefined && 'CUDA provider libraries installed',
}, async () => {
  assert.match(noCuda, /CUDA provider|linux\/x64|not installed/);
  for (const load of [
    () => OnnxEmbedder.load(encoder, { executionProviders: 'cuda' }),
    () => CrossEncoder.load(reranker, { executionProviders: 'cuda' }),
  ])
    await assert.rejects(load(), (e) => e.code === 'CUDA_UNAVAILABLE' && e.message.includes(noCuda));
});

test("'auto' without CUDA runs on the CPU and reports one line saying why", {
  skip: noCuda === undefined && 'CUDA provider libraries installed',
}, async () => {
  const lines = [];
  const e = await OnnxEmbedder.load(encoder, { executionProviders: 'auto', onWarning: (m) => lines.push(m) });
  assert.equal(e.executionProvider, 'cpu');
  assert.equal(lines.length, 1);
  assert.match(lines[0], /on the CPU/);
  assert.ok(lines[0].includes(noCuda) && !lines[0].includes('\n'));
  const ref = await OnnxEmbedder.load(encoder);
  assert.deepEqual(await e.embed(['기초연금 신청']), await ref.embed(['기초연금 신청']));

  // without onWarning: process.emitWarning, once per reason per process
  const warnings = [];
  const listener = (w) => warnings.push(w);
  process.on('warning', listener);
  try {
    const ce = await CrossEncoder.load(reranker, { executionProviders: 'auto' });
    await CrossEncoder.load(reranker, { executionProviders: 'auto' });
    assert.equal(ce.executionProvider, 'cpu');
    await new Promise((r) => setImmediate(r));
    const ours = warnings.filter((w) => w.code === 'TAMSAEK_CPU_FALLBACK');
    assert.equal(ours.length, 1, ours.map((w) => w.message).join(' | '));
    const [s] = await ce.score('연금', ['기초연금']);
    assert.ok(s > 0 && s < 1);
  } finally {
    process.off('warning', listener);
  }
});

test("on the WebAssembly runtime 'cuda' is CUDA_UNAVAILABLE naming it and 'auto' runs there with one line saying why", () => {
  const script = `
    const t = await import('tamsaek');
    const out = {};
    const lines = [];
    try {
      await t.OnnxEmbedder.load(${JSON.stringify(encoder)}, { executionProviders: 'cuda' });
    } catch (e) { out.cuda = e.code + ': ' + e.message; }
    const ce = await t.CrossEncoder.load(${JSON.stringify(reranker)}, { executionProviders: 'auto', onWarning: (m) => lines.push(m) });
    out.provider = ce.executionProvider;
    out.lines = lines;
    out.score = (await ce.score('연금', ['기초연금']))[0];
    console.log(JSON.stringify(out));`;
  const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, TAMSAEK_ONNX_RUNTIME: 'web' },
  });
  const out = JSON.parse(stdout.trim().split('\n').pop());
  assert.match(out.cuda, /^CUDA_UNAVAILABLE: .*WebAssembly/);
  assert.equal(out.provider, 'cpu');
  assert.equal(out.lines.length, 1);
  assert.match(out.lines[0], /on the CPU: .*WebAssembly/);
  assert.ok(out.score > 0 && out.score < 1);
});
