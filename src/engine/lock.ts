/** The engine's write lock: one writer per index directory (util/lock.ts, shared with Bm25Index.save). */
export { acquireWriteLock, LOCK_FILE, type WriteLock } from '../util/lock.js';
