/**
 * Readers never see a vanished generation. A read-only open leases the generation it reads: it reads
 * the manifest (generation N), creates `readers/<N>~<pid>~<host>~<random>.lease`, then reads the
 * manifest again. If it still names N, N was current when the lease existed, and the writer, which
 * lists the leases only after it has committed a newer manifest, sees the lease and keeps gen-N until
 * a later save finds it released. Otherwise the reader drops the lease and starts over with the new
 * generation. The lease lives for the open only: an opened engine holds everything in memory.
 *
 * A lease whose process no longer runs on this host is stale; one from another host counts for
 * LEASE_MAX_AGE_MS. Where the directory cannot be written (read-only media, no permission), a reader
 * opens without a lease and retries from a fresh manifest when a file vanished under it.
 */
import { mkdir, open, readdir, rm, rmdir, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { TamsaekError } from '../errors.js';
import { isAlive } from '../util/lock.js';

export const READERS_DIR = 'readers';
/** A lease from another host older than this is ignored (its reader may have crashed). */
const LEASE_MAX_AGE_MS = 10 * 60_000;
const NOT_WRITABLE = new Set(['EROFS', 'EACCES', 'EPERM']);

export interface Lease {
  release(): Promise<void>;
}

const hostTag = (): string => Buffer.from(hostname()).toString('hex');

/** A lease on `generation`, or undefined when `dir` cannot be written. */
export async function takeLease(dir: string, generation: number): Promise<Lease | undefined> {
  const readers = join(dir, READERS_DIR);
  const name = `${generation}~${process.pid}~${hostTag()}~${Math.random().toString(36).slice(2, 10)}.lease`;
  const path = join(readers, name);
  for (let attempt = 0; ; attempt++) {
    try {
      await mkdir(readers, { recursive: true });
      await (await open(path, 'wx')).close();
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (NOT_WRITABLE.has(code)) return undefined;
      // another reader removed the empty readers/ directory between our mkdir and open: again
      if (code !== 'ENOENT' || attempt >= 3)
        throw new TamsaekError('IO_ERROR', `cannot create ${path}: ${(error as Error).message}`, { cause: error });
    }
  }
  return {
    async release() {
      await rm(path, { force: true }).catch(() => {});
      await rmdir(readers).catch(() => {}); // only when empty: no directory left behind by a reader
    },
  };
}

/** Generations that readers hold now (stale leases are removed). */
export async function leasedGenerations(dir: string): Promise<Set<number>> {
  const readers = join(dir, READERS_DIR);
  const held = new Set<number>();
  let names: string[];
  try {
    names = await readdir(readers);
  } catch {
    return held;
  }
  const here = hostTag();
  for (const name of names) {
    const [gen, pid, host] = name.replace(/\.lease$/, '').split('~');
    const generation = Number(gen);
    if (!Number.isInteger(generation)) continue;
    let live: boolean;
    if (host === here) live = isAlive(Number(pid));
    else
      live = await stat(join(readers, name)).then(
        (s) => Date.now() - s.mtimeMs < LEASE_MAX_AGE_MS,
        () => false,
      );
    if (live) held.add(generation);
    else await rm(join(readers, name), { force: true }).catch(() => {});
  }
  return held;
}
