/**
 * Crash-safe file replacement: write a temp file in the same directory, fsync it, rename it over
 * the target, fsync the directory. A reader (or a process restarted after kill -9) sees the old
 * file or the new one, never a torn one.
 */
import { open, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TamsaekError } from '../errors.js';

/** True when `path` is an existing regular file (never throws). */
export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export async function atomicWrite(where: string, path: string, parts: readonly Uint8Array[]): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    const fh = await open(tmp, 'w');
    try {
      // one write per part, looping on short writes (a single write(2) stops near 2 GiB on Linux)
      let position = 0;
      for (const part of parts) {
        for (let done = 0; done < part.byteLength; ) {
          const { bytesWritten } = await fh.write(part, done, Math.min(part.byteLength - done, 1 << 30), position);
          done += bytesWritten;
          position += bytesWritten;
        }
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    await syncDir(dirname(path));
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new TamsaekError('IO_ERROR', `${where}: cannot write ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Makes a rename in `dir` durable; best effort where directories cannot be opened (Windows). */
export async function syncDir(dir: string): Promise<void> {
  try {
    const dh = await open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    // not supported everywhere
  }
}

export async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
