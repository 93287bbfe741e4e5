// Machine description recorded with every bench result: CPU model, cores, memory, Node, platform, CPU flags.

import { readFileSync } from 'node:fs';
import os from 'node:os';

/** CPU feature flags of interest from /proc/cpuinfo (Linux); null where unreadable. */
export function cpuFlags() {
  let text;
  try {
    text = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return null;
  }
  const line = text.split('\n').find((l) => /^(flags|Features)\s*:/.test(l));
  if (!line) return null;
  const flags = new Set(
    line
      .slice(line.indexOf(':') + 1)
      .trim()
      .split(/\s+/),
  );
  return {
    sse4_2: flags.has('sse4_2'),
    avx: flags.has('avx'),
    avx2: flags.has('avx2'),
    fma: flags.has('fma'),
    avx512f: flags.has('avx512f'),
    avx512bw: flags.has('avx512bw'),
    avx512vl: flags.has('avx512vl'),
    avx512_vnni: flags.has('avx512_vnni') || flags.has('avx512vnni'),
    neon: flags.has('asimd') || flags.has('neon'),
  };
}

export function machineInfo() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    availableParallelism: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    memoryBytes: os.totalmem(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpuFlags: cpuFlags(),
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
