/** `tamsaek info`: the native addon in use, its CPU kernels, and the CUDA build and devices. */

import { cudaInfo } from '../native/cuda.js';
import { nativeInfo } from '../native/index.js';
import { parse, UsageError } from './args.js';
import type { Io } from './io.js';

export const INFO_USAGE = { info: 'usage: tamsaek info [--json]' } as const;

function cudaVersion(v: number): string {
  return v ? `${Math.floor(v / 1000)}.${(v % 1000) / 10}` : 'none';
}

/** Everything `info` reports, as one object (also the --json output). */
export function collectInfo(): Record<string, unknown> {
  let native: Record<string, unknown>;
  let cuda: Record<string, unknown>;
  try {
    const n = nativeInfo();
    native = { path: n.path, kernel: n.kernel, available: n.available, cpu: n.cpu, defaultThreads: n.defaultThreads };
    const c = cudaInfo();
    cuda = {
      built: c.built,
      archs: c.archs,
      runtime: cudaVersion(c.runtimeVersion),
      driver: cudaVersion(c.driverVersion),
      devices: c.devices,
      reason: c.reason,
      cublas: c.cublas,
      maxK: c.maxK,
      maxDim: c.maxDim,
    };
  } catch (e) {
    native = { error: (e as Error).message };
    cuda = { built: false, devices: [], reason: 'the native addon is not available' };
  }
  return { node: process.version, platform: `${process.platform}-${process.arch}`, native, cuda };
}

function describe(i: Record<string, unknown>): string[] {
  const n = i.native as Record<string, unknown>;
  const c = i.cuda as Record<string, unknown> & { devices: Record<string, number | string>[] };
  const lines = [`node ${i.node} (${i.platform})`];
  if (n.error) return [...lines, `native addon: unavailable — ${n.error}`];
  lines.push(`native addon: ${n.path}`);
  lines.push(
    `CPU kernels: ${n.kernel} in use (available: ${(n.available as string[]).join(', ')}); CPU features: ${(n.cpu as string[]).join(', ') || 'baseline'}; ${n.defaultThreads} threads`,
  );
  if (!c.built) {
    lines.push('CUDA: not built in (npm run build:native on a machine with the CUDA toolkit adds the GPU kernels)');
    return lines;
  }
  lines.push(`CUDA: built for ${c.archs}; runtime ${c.runtime} (static), driver ${c.driver}`);
  if (c.devices.length === 0) lines.push(`  devices: none — ${c.reason}`);
  for (const d of c.devices) {
    const gib = (Number(d.totalMemory) / 2 ** 30).toFixed(1);
    const bw = Number(d.memoryBandwidth) ? `, ${(Number(d.memoryBandwidth) / 1e9).toFixed(0)} GB/s` : '';
    lines.push(
      `  device ${d.index}: ${d.name}, compute ${d.computeCapability}, ${d.multiprocessors} SMs, ${gib} GiB${bw}`,
    );
  }
  if (c.devices.length > 0) {
    lines.push(
      `  GPU search: k ≤ ${c.maxK}, dim ≤ ${c.maxDim}; cuBLAS baseline (bench): ${c.cublas ? 'available' : 'not found'}`,
    );
  }
  return lines;
}

export async function infoCommand(argv: string[], io: Io): Promise<void> {
  const args = parse(argv, { json: { type: 'boolean' } }, INFO_USAGE.info);
  if (args.positionals.length > 0) throw new UsageError(`info takes no arguments\n${INFO_USAGE.info}`);
  const info = collectInfo();
  if (args.flag('json')) io.out(JSON.stringify(info));
  else for (const line of describe(info)) io.out(line);
}
