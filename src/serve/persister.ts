import type { Engine } from '../engine/engine.js';

/** Coalesces saves: every caller waits for a save that *started* after it asked (group commit). */
export class Persister {
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;

  constructor(
    private readonly engine: Engine,
    private readonly mode: 'sync' | 'async' | 'off',
    private readonly delayMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** After a write: 'sync' resolves once it is on disk (true); otherwise resolves false at once. */
  async afterWrite(): Promise<boolean> {
    if (this.mode === 'off') return false;
    this.dirty = true;
    if (this.mode === 'sync') {
      await this.save();
      return true;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.save().catch(this.onError);
    }, this.delayMs);
    return false;
  }

  /** Saves now if anything is unsaved, and waits for saves in flight. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => {});
    await this.queued?.catch(() => {});
    if (this.dirty && this.mode !== 'off') await this.save();
  }

  private save(): Promise<void> {
    if (this.queued) return this.queued;
    const start = (): Promise<void> => {
      this.queued = undefined;
      this.dirty = false;
      const run = this.engine.save().catch((error: unknown) => {
        this.dirty = true; // retried by the next write or by close()
        throw error;
      });
      this.running = run;
      run.then(
        () => {
          if (this.running === run) this.running = undefined;
        },
        () => {
          if (this.running === run) this.running = undefined;
        },
      );
      return run;
    };
    if (!this.running) return start();
    this.queued = this.running.catch(() => {}).then(start);
    return this.queued;
  }
}
