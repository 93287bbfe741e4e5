/**
 * Exiting with the parent. `npx tamsaek serve` runs as `npm exec` → `sh -c tamsaek …` → node, and npm
 * does not pass a SIGTERM on: a process manager that stops the npm process would leave the server
 * running, still holding the write lock. The server therefore watches its parent and, when the parent
 * is a shell, the shell's parent too (Linux /proc; elsewhere the parent alone): once one is gone (this
 * process was reparented, or the watched process no longer runs) it shuts down as on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { isAlive } from '../util/lock.js';

const SHELLS = /^(sh|bash|dash|zsh|ash|busybox)$/;

/** The pid of the shell's parent when process `pid` is a shell (Linux), else undefined. */
function parentOfShell(pid: number): number | undefined {
  try {
    // "pid (comm) state ppid …"; comm may hold spaces and parentheses, so take the last ')'
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    return SHELLS.test(comm) && ppid > 1 ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** Calls `onGone` once, when the parent (or the shell's parent) exits; returns a function that stops watching. */
export function watchParent(onGone: (why: string) => void, intervalMs = 500): () => void {
  const parent = process.ppid;
  const above = parentOfShell(parent);
  const timer = setInterval(() => {
    let why: string | undefined;
    if (process.ppid !== parent) why = `parent process ${parent} exited`;
    else if (above !== undefined && !isAlive(above)) why = `process ${above} (the shell's parent) exited`;
    if (why === undefined) return;
    clearInterval(timer);
    onGone(why);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Whether this process runs under `npx` / `npm exec` (where a signal to npm does not reach it). */
export function underNpmExec(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.npm_lifecycle_event === 'npx' || env.npm_command === 'exec';
}
