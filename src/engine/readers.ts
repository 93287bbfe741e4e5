/**
 * Opening the committed generation of an index while a writer may replace it: read-only opens take a
 * reader's lease (leases.ts) so the generation they read stays on disk until they are done. Should a
 * file still go missing (no lease could be taken: read-only media; a writer that cannot see the
 * reader's process), the load re-reads the manifest and retries when a newer generation was committed.
 */
import { TamsaekError } from '../errors.js';
import { takeLease } from './leases.js';
import { type Manifest, readManifest } from './manifest.js';

/** Opens that lost the race to a writer this many times in a row give up with the last error. */
const MAX_ATTEMPTS = 100;

function vanished(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'NOT_FOUND' || code === 'ENOENT';
}

/** A file error as a TamsaekError (a raw ENOENT becomes NOT_FOUND). */
function typed(error: unknown, dir: string): unknown {
  if (error instanceof TamsaekError || !(error instanceof Error)) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new TamsaekError('NOT_FOUND', `index ${dir}: ${error.message}`, { cause: error });
  if (code) return new TamsaekError('IO_ERROR', `index ${dir}: ${error.message}`, { cause: error });
  return error;
}

/**
 * Loads the committed generation with `load`. `lease`: take a reader's lease (read-only opens; a
 * writer holds the write lock, so nothing replaces its generation). Without a lease, a load that
 * finds a file missing re-reads the manifest and retries when a newer generation was committed.
 */
export async function readCommitted<T>(
  dir: string,
  lease: boolean,
  load: (manifest: Manifest) => Promise<T>,
): Promise<{ value: T; generation: number }> {
  for (let attempt = 1; ; attempt++) {
    const manifest = await readManifest(dir);
    if (!manifest) throw new TamsaekError('NOT_FOUND', `no index at ${dir} (missing manifest.json)`);
    const held = lease ? await takeLease(dir, manifest.generation) : undefined;
    try {
      if (held && (await readManifest(dir))?.generation !== manifest.generation) {
        if (attempt < MAX_ATTEMPTS) continue;
        throw new TamsaekError('LOCKED', `index ${dir}: a writer replaced the generation ${attempt} times during open`);
      }
      return { value: await load(manifest), generation: manifest.generation };
    } catch (error) {
      const retry =
        vanished(error) &&
        attempt < MAX_ATTEMPTS &&
        (await readManifest(dir).catch(() => undefined))?.generation !== manifest.generation;
      if (!retry) throw typed(error, dir);
    } finally {
      await held?.release();
    }
  }
}
