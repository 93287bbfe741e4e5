/**
 * Index directory layout and its atomic commit protocol.
 *
 *   <dir>/manifest.json        {format, formatVersion, generation, files: {name: {bytes, sha256}}, config, …}
 *   <dir>/gen-000007/…         the component files of generation 7 (bm25.tsk, docs.jsonl, dense.*)
 *   <dir>/write.lock           the writer's pid (see lock.ts)
 *
 * A save writes a complete new generation directory, fsyncs it, then replaces manifest.json by
 * rename (the commit point) and only then removes older generations that no reader holds a lease
 * on (leases.ts). A crash (kill -9) at any moment leaves manifest.json naming a generation whose
 * files are all present and checksummed: the previous one before the rename, the new one after it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TamsaekError } from '../errors.js';
import { atomicWrite, fsyncFile, syncDir } from '../util/atomic-file.js';
import { leasedGenerations } from './leases.js';

export const MANIFEST_FILE = 'manifest.json';
export const INDEX_FORMAT = 'tamsaek-index';
/** 2: legs save into `legs/<name>/` of a generation and the manifest lists them; 1: a fixed BM25 + dense pair. */
export const INDEX_FORMAT_VERSION = 2;

/** A file name inside a generation: path segments of safe characters, none hidden, no `..`. */
const SAFE_FILE = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*(\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$/;

export interface FileEntry {
  bytes: number;
  sha256: string;
}

export interface Manifest {
  format: typeof INDEX_FORMAT;
  formatVersion: number;
  tamsaekVersion: string;
  generation: number;
  savedAt: string;
  files: Record<string, FileEntry>;
  config: Record<string, unknown>;
  stats: { documents: number; units: number };
  components?: Record<string, Record<string, unknown>>;
}

export function generationDir(dir: string, generation: number): string {
  return join(dir, `gen-${String(generation).padStart(6, '0')}`);
}

/** The manifest of `dir`, or undefined when there is none yet. Malformed → CORRUPT_INDEX. */
export async function readManifest(dir: string): Promise<Manifest | undefined> {
  let raw: string;
  try {
    raw = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TamsaekError('IO_ERROR', `cannot read ${join(dir, MANIFEST_FILE)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(raw) as Manifest;
  } catch {
    throw new TamsaekError('CORRUPT_INDEX', `${join(dir, MANIFEST_FILE)} is not valid JSON (corrupt manifest)`);
  }
  if (manifest === null || typeof manifest !== 'object' || manifest.format !== INDEX_FORMAT) {
    throw new TamsaekError('FOREIGN_FILE', `${join(dir, MANIFEST_FILE)} is not a tamsaek index manifest`);
  }
  if (typeof manifest.formatVersion !== 'number' || manifest.formatVersion > INDEX_FORMAT_VERSION) {
    throw new TamsaekError(
      'UNSUPPORTED_VERSION',
      `${dir} has index format version ${manifest.formatVersion}; this tamsaek reads up to ${INDEX_FORMAT_VERSION} (upgrade tamsaek)`,
    );
  }
  if (
    !Number.isInteger(manifest.generation) ||
    manifest.generation < 1 ||
    typeof manifest.files !== 'object' ||
    manifest.files === null ||
    typeof manifest.config !== 'object' ||
    manifest.config === null
  ) {
    throw new TamsaekError(
      'CORRUPT_INDEX',
      `${join(dir, MANIFEST_FILE)} is missing required fields (corrupt manifest)`,
    );
  }
  return manifest;
}

export async function sha256File(path: string): Promise<FileEntry> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** Checks every file the manifest lists against its size and checksum. */
export async function verifyGeneration(dir: string, manifest: Manifest): Promise<string> {
  const gen = generationDir(dir, manifest.generation);
  for (const [name, want] of Object.entries(manifest.files)) {
    if (!SAFE_FILE.test(name))
      throw new TamsaekError('CORRUPT_INDEX', `manifest of ${dir} names an invalid file ${JSON.stringify(name)}`);
    let have: FileEntry;
    try {
      have = await sha256File(join(gen, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new TamsaekError('NOT_FOUND', `index ${dir} is missing ${join(gen, name)}`);
      throw error;
    }
    if (have.bytes !== want?.bytes || have.sha256 !== want?.sha256) {
      throw new TamsaekError(
        'CORRUPT_INDEX',
        `${join(gen, name)} does not match its checksum in the manifest (corrupt segment)`,
      );
    }
  }
  return gen;
}

/** Starts a new generation directory (removing a leftover of a crashed save with the same number). */
export async function beginGeneration(dir: string, generation: number): Promise<string> {
  const gen = generationDir(dir, generation);
  await mkdir(dir, { recursive: true });
  await rm(gen, { recursive: true, force: true });
  await mkdir(gen);
  return gen;
}

/** Fsyncs and hashes every file under `dir` (relative names joined with '/'), then the directories. */
async function hashTree(dir: string, prefix: string, files: Record<string, FileEntry>): Promise<void> {
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    const info = await stat(path);
    if (info.isDirectory()) await hashTree(path, `${prefix}${name}/`, files);
    else if (info.isFile()) {
      await fsyncFile(path);
      files[prefix + name] = await sha256File(path);
    }
  }
  await syncDir(dir);
}

/** Makes the generation durable, commits it by replacing manifest.json, then removes older ones. */
export async function commitGeneration(dir: string, manifest: Omit<Manifest, 'files'>): Promise<Manifest> {
  const gen = generationDir(dir, manifest.generation);
  const files: Record<string, FileEntry> = {};
  await hashTree(gen, '', files);
  const full: Manifest = { ...manifest, files };
  await atomicWrite('save', join(dir, MANIFEST_FILE), [Buffer.from(JSON.stringify(full, null, 2))]);
  await sweepGenerations(dir, manifest.generation);
  return full;
}

/**
 * Removes older generations and leftovers of crashed saves, except generations a reader holds a lease
 * on (leases.ts): those go at a later sweep. Call only after `current` is committed.
 */
export async function sweepGenerations(dir: string, current: number): Promise<void> {
  const leased = await leasedGenerations(dir);
  for (const entry of await readdir(dir)) {
    const gen = /^gen-(\d+)$/.exec(entry);
    const old = gen !== null && Number(gen[1]) !== current && !leased.has(Number(gen[1]));
    if (old || /^manifest\.json\.tmp-/.test(entry)) await rm(join(dir, entry), { recursive: true, force: true });
  }
}
