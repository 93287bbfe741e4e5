// Native addon benchmark suite: exact top-k (fp32/fp16/int8, single and batched) and the tiled
// contrastive losses. Every figure is a ratio of two measurements taken back to back in the same
// process (median over >= 5 repetitions), so a noisy shared machine moves both sides together.
//
//   node bench/native.mjs [--out f.json] [--reps 5] [--quick]
//   npm run bench -- native --out f.json     (through bench/run.mjs)
import { writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import {
  cachedContrastiveStep,
  encodeRows,
  exactSearch,
  gistLoss,
  infoNCELoss,
  loadNative,
  nativeInfo,
  scratchStats,
} from '../dist/native/index.js';

function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
}

/** Fills `out` with standard normal samples (Box-Muller, both outputs used). */
function gaussFill(r, out) {
  for (let i = 0; i < out.length; i += 2) {
    const u = Math.sqrt(-2 * Math.log(r()));
    const t = 2 * Math.PI * r();
    out[i] = u * Math.cos(t);
    if (i + 1 < out.length) out[i + 1] = u * Math.sin(t);
  }
  return out;
}

/** n x dim vectors around `centroids` Gaussian centres plus noise, L2-normalized (fixed seed). */
function clustered(r, n, dim, centroids, noise, assign) {
  const out = gaussFill(r, new Float32Array(n * dim));
  for (let i = 0; i < n; i++) {
    const c = assign ? assign[i] : Math.floor(r() * (centroids.length / dim));
    let nn = 0;
    for (let d = 0; d < dim; d++) {
      const v = centroids[c * dim + d] + noise * out[i * dim + d];
      out[i * dim + d] = v;
      nn += v * v;
    }
    const inv = 1 / Math.sqrt(nn);
    for (let d = 0; d < dim; d++) out[i * dim + d] *= inv;
  }
  return out;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function time(fn) {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/** Straightforward single-threaded JS: dot with every row, keep the 10 best in a sorted array. */
function jsTopK(data, n, dim, q, k) {
  const best = [];
  let worst = -Infinity;
  for (let i = 0; i < n; i++) {
    let s = 0;
    const off = i * dim;
    for (let d = 0; d < dim; d++) s += data[off + d] * q[d];
    if (best.length < k || s > worst) {
      let p = best.length;
      while (p > 0 && best[p - 1].s < s) p--;
      best.splice(p, 0, { s, i });
      if (best.length > k) best.pop();
      worst = best[best.length - 1].s;
    }
  }
  return best;
}

export async function run(opts = {}) {
  const reps = Math.max(5, opts.reps ?? 5);
  const quick = !!opts.quick;
  const log = opts.log ?? ((s) => process.stderr.write(`${s}\n`));
  const addon = loadNative();
  const info = nativeInfo();
  const threads = opts.threads ?? info.defaultThreads;
  const results = [];
  const push = (name, value, unit, note) => {
    results.push({ name, value: Number(value.toPrecision(4)), unit, ...(note ? { note } : {}) });
    log(`  ${name} = ${value.toPrecision(4)} ${unit}${note ? `  (${note})` : ''}`);
  };
  log(`native bench: kernel=${info.kernel} cpu=${info.cpu.join(',')} threads=${threads} reps=${reps}`);

  // ---- exact search workload
  const n = quick ? 20_000 : 100_000;
  const dim = 768;
  const k = 10;
  const r = rng(20240601);
  const centroids = gaussFill(r, new Float32Array(1000 * dim));
  const tGen = performance.now();
  const data = clustered(r, n, dim, centroids, 0.6);
  const queries = clustered(r, 64, dim, centroids, 0.6);
  log(`  generated ${n} x ${dim} in ${((performance.now() - tGen) / 1000).toFixed(1)} s`);
  const norms = new Float32Array(n);
  const f32 = { data, dtype: 'f32', n, dim, norms };
  const f16 = { data: new Uint16Array(n * dim), dtype: 'f16', n, dim, norms: new Float32Array(n) };
  const i8 = {
    data: new Int8Array(n * dim),
    dtype: 'i8',
    n,
    dim,
    norms: new Float32Array(n),
    scales: new Float32Array(n),
  };
  await encodeRows(data, n, dim, 'f16', f16.data, f16.norms, undefined, 0);
  await encodeRows(data, n, dim, 'i8', i8.data, i8.norms, i8.scales, 0);
  const q1 = queries.subarray(0, dim);
  const search = (store, q) => exactSearch(store, q, { k, metric: 'dot', threads });
  // warm-up (page faults, thread start)
  await search(f32, q1);
  await search(f16, q1);
  await search(i8, q1);
  await addon.benchStream({ data, n: data.length, threads });

  const jsRatio = [],
    bwRatio = [],
    f16Ratio = [],
    i8Ratio = [];
  const check = jsTopK(data, n, dim, q1, k).map((h) => h.i);
  const got = Array.from((await search(f32, q1)).rows);
  if (check.join() !== got.join()) log(`  WARNING: addon top-10 differs from the JS loop (${got} vs ${check})`);
  for (let i = 0; i < reps; i++) {
    const q = queries.subarray((i % 64) * dim, ((i % 64) + 1) * dim);
    const tJs = await time(() => jsTopK(data, n, dim, q, k));
    const tA = await time(() => search(f32, q));
    jsRatio.push(tJs / tA);
    const tS = await time(() => addon.benchStream({ data, n: data.length, threads }));
    const tA2 = await time(() => search(f32, q));
    bwRatio.push(tA2 / tS);
    const tH = await time(() => search(f16, q));
    const tF = await time(() => search(f32, q));
    const tI = await time(() => search(i8, q));
    f16Ratio.push(tH / tF);
    i8Ratio.push(tI / tF);
  }
  push(
    'exact_topk_speedup_vs_js',
    median(jsRatio),
    'x',
    `one query, ${n}x${dim} f32, top-${k}, ${threads} threads vs 1-thread JS loop`,
  );
  push(
    'exact_topk_vs_bandwidth',
    median(bwRatio),
    'ratio',
    'addon time / plain streaming read of the same bytes, same threads',
  );
  push('fp16_vs_fp32_time', median(f16Ratio), 'ratio');
  push('int8_vs_fp32_time', median(i8Ratio), 'ratio');

  // ---- batched: 64 queries
  const m = 64;
  const flops = 2 * m * n * dim;
  const fracs = [],
    fracsActive = [],
    speed = [],
    gflops = [];
  const jsQueries = quick ? 2 : 4;
  await exactSearch(f32, queries, { k, metric: 'dot', threads });
  const peakIters = 100_000_000;
  const hasAvx2 = info.available.includes('avx2');
  for (let i = 0; i < reps; i++) {
    // the reference peak is the AVX2 FMA loop (12 independent register FMAs), as specified
    const pk = await addon.benchPeak({ iters: peakIters, threads, kernel: hasAvx2 ? 'avx2' : info.kernel });
    const tB = await time(() => exactSearch(f32, queries, { k, metric: 'dot', threads }));
    const pkA = await addon.benchPeak({ iters: peakIters / 2, threads });
    const peak = pk.flops / pk.seconds;
    fracs.push(flops / tB / peak);
    fracsActive.push(flops / tB / (pkA.flops / pkA.seconds));
    gflops.push(flops / tB / 1e9);
    const tJs = await time(() => {
      for (let j = 0; j < jsQueries; j++) jsTopK(data, n, dim, queries.subarray(j * dim, (j + 1) * dim), k);
    });
    const tB2 = await time(() => exactSearch(f32, queries, { k, metric: 'dot', threads }));
    speed.push(((tJs / jsQueries) * m) / tB2);
  }
  push(
    'batched_fraction_of_peak',
    median(fracs),
    'ratio',
    `${m} queries: ${median(gflops).toFixed(1)} GFLOP/s vs the AVX2 FMA peak, ${threads} threads, ${info.kernel} kernels`,
  );
  push(
    'batched_fraction_of_kernel_peak',
    median(fracsActive),
    'ratio',
    `vs the FMA peak of the ${info.kernel} kernels in use`,
  );
  push('batched_gflops', median(gflops), 'GFLOP/s');
  push('batched_speedup_vs_js', median(speed), 'x', `JS per-query time (${jsQueries} queries measured) x ${m}`);

  // ---- losses: B x (B positives + B hard negatives) x 768
  const B = quick ? 1024 : 4096;
  const lr = rng(7);
  const lc = gaussFill(lr, new Float32Array(256 * dim));
  // anchors and their positives share a cluster (in-batch false negatives exist: ~16 per cluster);
  // hard negatives come from random clusters
  const cl = Uint32Array.from({ length: B }, () => Math.floor(lr() * 256));
  const anchors = clustered(lr, B, dim, lc, 0.8, cl);
  const positives = clustered(lr, B, dim, lc, 0.8, cl);
  const negatives = clustered(lr, B, dim, lc, 0.8);
  // guide: an independent "teacher" embedding of the same texts (here: noisy copy, same dim)
  const noisy = (x) => {
    const g = gaussFill(lr, new Float32Array(x.length));
    for (let i = 0; i < x.length; i++) g[i] = x[i] + (0.3 * g[i]) / Math.sqrt(dim);
    return g;
  };
  const guide = { anchors: noisy(anchors), positives: noisy(positives), negatives: noisy(negatives), dim };
  const embBytes = 3 * B * dim * 4;
  const chunk = 512;
  const chunks = (x) =>
    Array.from({ length: Math.ceil(B / chunk) }, (_, i) =>
      x.subarray(i * chunk * dim, Math.min(B, (i + 1) * chunk) * dim),
    );
  const plain = () => infoNCELoss({ anchors, positives, negatives, dim, threads });
  const gist = () => gistLoss({ anchors, positives, negatives, dim, guide, threads, margin: 0.05 });
  const cached = () =>
    cachedContrastiveStep({
      loss: 'infonce',
      dim,
      anchors: chunks(anchors),
      positives: chunks(positives),
      negatives: chunks(negatives),
      threads,
    });
  const gRatio = [],
    cRatio = [];
  let extra = 0;
  const lossReps = quick ? 5 : reps;
  for (let i = 0; i < lossReps; i++) {
    scratchStats(true);
    const tP = await time(plain);
    extra = Math.max(extra, scratchStats().peak);
    scratchStats(true);
    const tG = await time(gist);
    extra = Math.max(extra, scratchStats().peak);
    scratchStats(true);
    const tC = await time(cached);
    extra = Math.max(extra, scratchStats().peak);
    gRatio.push(tG / tP);
    cRatio.push(tC / tP);
    if (i === 0) log(`  loss times: infonce ${tP.toFixed(2)} s, gist ${tG.toFixed(2)} s, cached ${tC.toFixed(2)} s`);
  }
  push(
    'loss_gist_vs_infonce_time',
    median(gRatio),
    'ratio',
    `B=${B}, ${B} hard negatives, dim ${dim}, guide dim ${dim}`,
  );
  push('loss_cached_vs_plain_time', median(cRatio), 'ratio', `chunks of ${chunk}`);
  push(
    'loss_extra_bytes_vs_embeddings',
    extra / embBytes,
    'ratio',
    `peak native scratch ${(extra / 2 ** 20).toFixed(1)} MiB vs ${(embBytes / 2 ** 20).toFixed(1)} MiB of embeddings`,
  );

  const table = results.map((x) => `${x.name.padEnd(34)} ${String(x.value).padStart(10)} ${x.unit}`).join('\n');
  return { results, table, meta: { kernel: info.kernel, cpu: info.cpu, threads, n, dim, B } };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const out = opt('--out');
  const res = await run({
    reps: Number(opt('--reps') ?? 5),
    quick: args.includes('--quick'),
    threads: opt('--threads') ? Number(opt('--threads')) : undefined,
  });
  process.stdout.write(`${res.table}\n`);
  if (out) await writeFile(out, `${JSON.stringify({ suite: 'native', ...res }, null, 2)}\n`);
}
