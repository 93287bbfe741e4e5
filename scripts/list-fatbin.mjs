#!/usr/bin/env node
// Lists the CUDA images embedded in an ELF shared object (the addon), like `cuobjdump --list-elf
// --list-ptx`, for machines whose toolkit lacks cuobjdump (or has one too old for CUDA 13 fat binaries).
//
//   node scripts/list-fatbin.mjs build-cmake/Release/tamsaek.node [--require 80,86,89,90] [--json]
//
// Reads the .nv_fatbin section: a sequence of fat binaries (magic 0xBA55ED50, 16-byte header with the
// payload size), each a list of entries whose 16-bit kind is 1 (PTX) or 2 (ELF cubin) and whose header
// carries the SM number at byte 28 (layout as written by CUDA 11-13's fatbinary). --require exits 1
// unless every listed architecture has an ELF image.
import { readFileSync } from 'node:fs';

export function fatbinEntries(buf) {
  if (buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2) throw new Error('not a 64-bit ELF file');
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a);
  const shnum = buf.readUInt16LE(0x3c);
  const shstrndx = buf.readUInt16LE(0x3e);
  const section = (i) => {
    const o = shoff + i * shentsize;
    return {
      name: buf.readUInt32LE(o),
      offset: Number(buf.readBigUInt64LE(o + 0x18)),
      size: Number(buf.readBigUInt64LE(o + 0x20)),
    };
  };
  const strtab = section(shstrndx);
  const nameOf = (s) => {
    const start = strtab.offset + s.name;
    return buf.toString('latin1', start, buf.indexOf(0, start));
  };
  let fat;
  for (let i = 0; i < shnum; i++) if (nameOf(section(i)) === '.nv_fatbin') fat = section(i);
  if (!fat) return [];
  const entries = [];
  let off = fat.offset;
  const end = fat.offset + fat.size;
  let file = 0;
  while (off + 16 <= end) {
    if (buf.readUInt32LE(off) !== 0xba55ed50) {
      off += 8; // fat binaries are 8-byte aligned in the section
      continue;
    }
    const headerSize = buf.readUInt16LE(off + 6);
    const fatSize = Number(buf.readBigUInt64LE(off + 8));
    let e = off + headerSize;
    const stop = e + fatSize;
    file++;
    while (e + 32 <= stop) {
      const kind = buf.readUInt16LE(e);
      const entryHeader = buf.readUInt32LE(e + 4);
      const payload = Number(buf.readBigUInt64LE(e + 8));
      const arch = buf.readUInt32LE(e + 28);
      entries.push({ file, kind: kind === 1 ? 'ptx' : kind === 2 ? 'elf' : `kind${kind}`, arch });
      e += entryHeader + payload;
    }
    off = stop;
  }
  return entries;
}

function main(argv) {
  const path = argv.find((a) => !a.startsWith('--'));
  if (!path) {
    console.error('usage: node scripts/list-fatbin.mjs <file.node> [--require 80,86,89,90] [--json]');
    return 2;
  }
  const ri = argv.indexOf('--require');
  const required = ri >= 0 ? argv[ri + 1].split(',').map(Number) : [];
  const entries = fatbinEntries(readFileSync(path));
  if (argv.includes('--json')) console.log(JSON.stringify(entries));
  else {
    let n = 0;
    for (const e of entries) {
      n++;
      const label =
        e.kind === 'ptx'
          ? `PTX file ${String(n).padStart(4)}: ${e.file}.compute_${e.arch}.ptx`
          : `ELF file ${String(n).padStart(4)}: ${e.file}.sm_${e.arch}.cubin`;
      console.log(label);
    }
  }
  const have = new Set(entries.filter((e) => e.kind === 'elf').map((e) => e.arch));
  const missing = required.filter((a) => !have.has(a));
  if (missing.length) {
    console.error(`missing ELF images for sm_${missing.join(', sm_')}`);
    return 1;
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
