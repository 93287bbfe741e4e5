// CUDA benchmark suite (npm run bench -- cuda): the GPU kernels of `npm run build:native` against their
// rooflines and baselines, every figure a median of ratios measured back to back on the same device.
//
//   cuda_topk_vs_copy_bandwidth        single-query scan (device time) ÷ cudaMemcpy D2D of the same bytes
//   cuda_topk_vs_read_bandwidth        the same ÷ a plain read kernel of the same bytes (the scan's own roofline)
//   cuda_fused_vs_gemm_then_select     cuBLAS GEMM + selection time ÷ fused tensor-core kernel time (speed-up)
//   cuda_batched_fraction_of_tensor_peak  fused kernel flop/s ÷ the WMMA fp16 issue rate measured on this GPU
//   cuda_loss_vs_cpu                   CPU InfoNCE step ÷ GPU InfoNCE step, wall time incl. transfers (speed-up)
//   cuda_loss_extra_bytes_vs_embeddings  GPU loss device memory beyond inputs and gradients ÷ embedding bytes
//
// Skips with the reason when no GPU is usable (or the addon was built without CUDA).

import { CudaMatrix, cudaInfo, cudaLossStats, cudaTensorPeak, cudaUnavailableReason } from '../dist/native/cuda.js';
import { encodeRows, exactSearch, nativeInfo } from '../dist/native/index.js';
import { gistLoss, infoNCELoss } from '../dist/native/loss.js';
import { median } from './lib/stats.mjs';

export function available() {
  return cudaUnavailableReason() === undefined ? true : `no usable GPU: ${cudaUnavailableReason()}`;
}

/** Uniform [-1, 1) floats from a xorshift generator (fast enough for a few hundred million values). */
function fill(seed, n) {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}

async function store(src, n, dim, dtype) {
  const data = dtype === 'f32' ? src : dtype === 'f16' ? new Uint16Array(n * dim) : new Int8Array(n * dim);
  const norms = new Float32Array(n);
  const scales = dtype === 'i8' ? new Float32Array(n) : undefined;
  await encodeRows(src, n, dim, dtype, data === src ? new Float32Array(n * dim) : data, norms, scales, 0);
  return { data, norms, scales };
}

async function scanBench(push, src, n, dim, reps) {
  const f32 = await store(src, n, dim, 'f32');
  const mx = new CudaMatrix('f32', dim);
  await mx.write(0, n, f32.data, f32.norms);
  const q = fill(99, dim);
  await mx.search(q, 10, { path: 'scan' });
  const copy = [];
  const read = [];
  let scanSec = 0;
  for (let i = 0; i < reps; i++) {
    const t = (await mx.search(q, 10, { path: 'scan' })).deviceSeconds;
    const c = await mx.probe('copy', 5);
    const r = await mx.probe('read', 5);
    copy.push(t / c);
    read.push(t / r);
    scanSec = t;
  }
  const bytes = n * dim * 4;
  push(
    'cuda_topk_vs_copy_bandwidth',
    median(copy),
    'ratio',
    `one query, ${n}x${dim} f32 (${(bytes / 2 ** 30).toFixed(2)} GiB), top-10 ÷ cudaMemcpy D2D of the same bytes (which reads and writes them)`,
  );
  push(
    'cuda_topk_vs_read_bandwidth',
    median(read),
    'ratio',
    `÷ a read-only kernel of the same bytes; scan ${(bytes / scanSec / 1e9).toFixed(0)} GB/s`,
  );
  for (const dtype of ['f16', 'i8']) {
    const s = await store(src, n, dim, dtype);
    const m2 = new CudaMatrix(dtype, dim);
    await m2.write(0, n, s.data, s.norms, s.scales);
    await m2.search(q, 10, { path: 'scan' });
    const ratios = [];
    for (let i = 0; i < reps; i++) {
      const a = (await m2.search(q, 10, { path: 'scan' })).deviceSeconds;
      const b = (await mx.search(q, 10, { path: 'scan' })).deviceSeconds;
      ratios.push(a / b);
    }
    push(`cuda_${dtype}_vs_f32_scan_time`, median(ratios), 'ratio');
    await m2.release();
  }
  await mx.release();
}

async function batchedBench(push, log, src, n, dim, m, reps) {
  const f16 = await store(src, n, dim, 'f16');
  const mx = new CudaMatrix('f16', dim);
  await mx.write(0, n, f16.data, f16.norms);
  const q = fill(7, m * dim);
  const peak = await cudaTensorPeak(10);
  await mx.search(q, 10, { path: 'fused' });
  const flops = 2 * m * n * dim;
  const frac = [];
  const tflops = [];
  const speed = [];
  const baseline = cudaInfo().cublas;
  if (baseline) await mx.search(q, 10, { path: 'gemm-select' });
  for (let i = 0; i < reps; i++) {
    const t = (await mx.search(q, 10, { path: 'fused' })).deviceSeconds;
    frac.push(flops / t / peak);
    tflops.push(flops / t / 1e12);
    if (baseline) speed.push((await mx.search(q, 10, { path: 'gemm-select' })).deviceSeconds / t);
  }
  push(
    'cuda_batched_fraction_of_tensor_peak',
    median(frac),
    'ratio',
    `${m} queries x ${n}x${dim} f16, top-10: ${median(tflops).toFixed(0)} TFLOP/s ÷ WMMA issue rate ${(peak / 1e12).toFixed(0)} TFLOP/s measured here`,
  );
  push('cuda_batched_tflops', median(tflops), 'TFLOP/s');
  if (baseline)
    push(
      'cuda_fused_vs_gemm_then_select',
      median(speed),
      'x',
      'cuBLAS GemmEx (fp16 in, fp32 scores, chunks of rows) + selection, same top-10, ÷ fused',
    );
  else log('  cuda_fused_vs_gemm_then_select not measured: libcublas not found (TAMSAEK_CUBLAS_PATH)');
  await mx.release();
}

async function lossBench(push, B, dim, reps) {
  const anchors = fill(1, B * dim);
  const positives = fill(2, B * dim);
  const negatives = fill(3, B * dim);
  const o = { anchors, positives, negatives, dim };
  const time = async (f) => {
    const t0 = performance.now();
    await f();
    return (performance.now() - t0) / 1e3;
  };
  await infoNCELoss({ ...o, device: 'cuda' });
  const speed = [];
  for (let i = 0; i < reps; i++) {
    const tc = await time(() => infoNCELoss(o));
    const tg = await time(() => infoNCELoss({ ...o, device: 'cuda' }));
    speed.push(tc / tg);
  }
  const stats = cudaLossStats();
  push(
    'cuda_loss_vs_cpu',
    median(speed),
    'x',
    `InfoNCE B=${B}, ${B} hard negatives, dim ${dim}, wall time incl. transfers; CPU ${nativeInfo().kernel} x ${nativeInfo().defaultThreads} threads; GPU kernels ${(stats.deviceSeconds * 1e3).toFixed(1)} ms`,
  );
  const guide = { anchors: fill(4, B * dim), positives: fill(5, B * dim), negatives: fill(6, B * dim), dim };
  await gistLoss({ ...o, guide, margin: 0.05, device: 'cuda' });
  const g = cudaLossStats();
  const emb = 3 * B * dim * 4;
  push(
    'cuda_loss_extra_bytes_vs_embeddings',
    g.extraDeviceBytes / emb,
    'ratio',
    `GIST (largest strip): ${(g.extraDeviceBytes / 2 ** 20).toFixed(1)} MiB beyond ${(emb / 2 ** 20).toFixed(1)} MiB of embeddings`,
  );
}

export async function run(opts = {}) {
  const tiny = !!opts.tiny;
  const log = opts.log ?? ((s) => process.stderr.write(`${s}\n`));
  const info = cudaInfo();
  const dev = info.devices[0];
  const results = [];
  const push = (name, value, unit, note) => {
    results.push({ name, value: Number(value.toPrecision(4)), unit, ...(note ? { note } : {}) });
    log(`  ${name} = ${value.toPrecision(4)} ${unit}${note ? `  (${note})` : ''}`);
  };
  log(
    `cuda bench: ${dev.name} (compute ${dev.computeCapability}, ${dev.multiprocessors} SMs), runtime ${info.runtimeVersion}`,
  );
  const dim = 768;
  const n = tiny ? 50_000 : 500_000;
  const reps = tiny ? 3 : 7;
  const src = fill(42, n * dim);
  // sanity: the GPU top-10 of one query equals the CPU's
  const f32 = await store(src, Math.min(n, 20_000), dim, 'f32');
  const probe = new CudaMatrix('f32', dim);
  await probe.write(0, Math.min(n, 20_000), f32.data, f32.norms);
  const q = fill(3, dim);
  const cpu = await exactSearch({ data: f32.data, dtype: 'f32', n: Math.min(n, 20_000), dim, norms: f32.norms }, q, {
    k: 10,
  });
  const gpu = await probe.search(q, 10);
  if (Array.from(cpu.rows).join() !== Array.from(gpu.rows).join())
    log(`  WARNING: GPU top-10 ${gpu.rows} differs from the CPU's ${cpu.rows}`);
  await probe.release();
  await scanBench(push, src, n, dim, reps);
  await batchedBench(push, log, src, n, dim, tiny ? 256 : 1024, reps);
  await lossBench(push, tiny ? 1024 : 4096, dim, tiny ? 3 : 5);
  return { results, notes: [`${dev.name}, compute ${dev.computeCapability}, archs ${info.archs}`] };
}
