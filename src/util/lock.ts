/**
 * One writer per index directory, across processes: `write.lock` holds the owner's pid, created
 * with O_EXCL. A lock whose pid no longer runs on this host is stale and is taken over at once
 * (no timers, no waiting out a staleness period after a crash or kill -9). Readers take no lock.
 */
import { open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { TamsaekError } from '../errors.js';

export const LOCK_FILE = 'write.lock';

export interface WriteLock {
  release(): Promise<void>;
}

/** Whether a process with this pid runs on this host (EPERM: it runs, as another user). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const ENGINE_ADVICE = 'open it read-only ({ readOnly: true }) or close the other writer';

/** Takes `dir`'s write lock (LOCKED when a live process holds it); `advice` ends the LOCKED message. */
export async function acquireWriteLock(dir: string, advice = ENGINE_ADVICE): Promise<WriteLock> {
  const path = join(dir, LOCK_FILE);
  const owner = JSON.stringify({ pid: process.pid, host: hostname() });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(owner);
      await handle.close();
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          await rm(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new TamsaekError('IO_ERROR', `cannot create ${path}: ${(error as Error).message}`, { cause: error });
      }
    }
    let holder: { pid?: number; host?: string } = {};
    try {
      holder = JSON.parse(await readFile(path, 'utf8')) as typeof holder;
    } catch {
      // half-written by a crashed owner, or removed meanwhile: treat as stale
    }
    const sameHost = holder.host === undefined || holder.host === hostname();
    if (typeof holder.pid === 'number' && holder.pid !== process.pid && (!sameHost || isAlive(holder.pid))) {
      throw new TamsaekError(
        'LOCKED',
        `index ${dir} is open for writing by process ${holder.pid}${sameHost ? '' : ` on ${holder.host}`}; ${advice}`,
      );
    }
    if (holder.pid === process.pid) {
      throw new TamsaekError(
        'LOCKED',
        `index ${dir} is already open for writing in this process; close the other writer first`,
      );
    }
    await rm(path, { force: true }); // stale: its owner is gone
  }
  throw new TamsaekError('LOCKED', `could not take the write lock of ${dir}`);
}
