#!/usr/bin/env node
// docs/models.md *Quantization error*: one product y = x·W in fp32, DynamicQuantizeMatMul (per-column int8, what
// tamsaek quantize writes) and MatMulNBits (8-bit codes, a scale per 32 / 128 weights): error and time. Writes to $OUT (default /tmp).
import ort from 'onnxruntime-node';
import { DT, node, valueInfo, writeOnnxModel } from '../../dist/models/onnx-io.js';
import { quantizeSymmetric } from '../../dist/models/quantize.js';
const DIR = process.env.OUT ?? '/tmp';
const M = 2048, K = +(process.env.K ?? 1024), N = +(process.env.N ?? 4096);
let s = 7; const rnd = () => { s = (s * 1103515245 + 12345) >>> 0; return s / 2 ** 32 - 0.5; };
const W = Float32Array.from({ length: K * N }, () => rnd() * 0.05 * (rnd() > 0.49 ? 4 : 1));
const X = Float32Array.from({ length: M * K }, () => rnd());
const ops = [{ domain: '', version: 17 }, { domain: 'com.microsoft', version: 1 }];
const io = (extra) => ({ graphName: 'g', inputs: [valueInfo('x', DT.FLOAT, ['m', K])], outputs: [valueInfo('y', DT.FLOAT, ['m', N])], opsets: ops, ...extra });
await writeOnnxModel(`${DIR}/fp32.onnx`, io({ nodes: [node('MatMul', ['x', 'w'], 'y')], initializers: [{ name: 'w', dataType: DT.FLOAT, dims: [K, N], data: W }] }));
const { q, scales } = quantizeSymmetric(W, K, N, 1, 127);
await writeOnnxModel(`${DIR}/dqmm.onnx`, io({ nodes: [node('DynamicQuantizeMatMul', ['x', 'wq', 'ws', 'wz'], 'y', {}, 'com.microsoft')], initializers: [
  { name: 'wq', dataType: DT.INT8, dims: [K, N], data: q }, { name: 'ws', dataType: DT.FLOAT, dims: [N], data: scales }, { name: 'wz', dataType: DT.INT8, dims: [N], data: new Int8Array(N) }] }));
function nbits(bs) {
  const kb = Math.ceil(K / bs);
  const codes = new Uint8Array(N * kb * bs); const sc = new Float32Array(N * kb);
  for (let n = 0; n < N; n++) for (let b = 0; b < kb; b++) {
    let mx = 0; for (let k = b * bs; k < Math.min(K, (b + 1) * bs); k++) mx = Math.max(mx, Math.abs(W[k * N + n]));
    const scale = mx / 127 || 1; sc[n * kb + b] = scale;
    for (let k = b * bs; k < (b + 1) * bs; k++) { const v = k < K ? Math.round(W[k * N + n] / scale) : 0; codes[(n * kb + b) * bs + (k - b * bs)] = Math.max(-127, Math.min(127, v)) + 128; }
  }
  return { codes, sc, kb };
}
for (const bs of [32, 128]) {
  const { codes, sc, kb } = nbits(bs);
  await writeOnnxModel(`${DIR}/nb${bs}.onnx`, io({ nodes: [node('MatMulNBits', ['x', 'wb', 'wsc'], 'y', { K, N, bits: 8, block_size: bs, accuracy_level: 4 }, 'com.microsoft')], initializers: [
    { name: 'wb', dataType: DT.UINT8, dims: [N, kb, bs], data: codes }, { name: 'wsc', dataType: DT.FLOAT, dims: [N * kb], data: sc }] }));
}
const names = ['fp32', 'dqmm', 'nb32', 'nb128'];
const sess = {};
for (const n of names) sess[n] = await ort.InferenceSession.create(`${DIR}/${n}.onnx`, { intraOpNumThreads: 2, extra: { session: { 'intra_op.allow_spinning': '0' } } });
const feeds = { x: new ort.Tensor('float32', X, [M, K]) };
const ref = (await sess.fp32.run(feeds)).y.data;
for (const n of names) { const y = (await sess[n].run(feeds)).y.data; let e = 0, r = 0; for (let i = 0; i < y.length; i++) { e += (y[i] - ref[i]) ** 2; r += ref[i] ** 2; } console.log(n, 'rel err', Math.sqrt(e / r).toExponential(2)); }
const t = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < 5; r++) for (const n of names) { const t0 = performance.now(); await sess[n].run(feeds); t[n].push(performance.now() - t0); }
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
for (const n of names) console.log(n, med(t[n]).toFixed(1), 'ms', (med(t.fp32) / med(t[n])).toFixed(2) + '× fp32');
