/** Progress bars on stderr (cli-progress); silent when stderr is not a terminal or --quiet. */
import cliProgress from 'cli-progress';

export interface Progress {
  update(stage: string, done: number, total: number): void;
  stop(): void;
}

export function createProgress(enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) return { update() {}, stop() {} };
  let bar: cliProgress.SingleBar | undefined;
  let current = '';
  return {
    update(stage, done, total) {
      if (stage !== current || !bar) {
        bar?.stop();
        current = stage;
        bar = new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format: `${stage.padEnd(8)} [{bar}] {percentage}% | {value}/{total} | {eta_formatted} left`,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(Math.max(total, done), done);
      } else {
        bar.setTotal(Math.max(total, done));
        bar.update(done);
      }
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
