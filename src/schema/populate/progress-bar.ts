import { Presets, SingleBar } from 'cli-progress';

/** A populate's progress bar: keys done of a total that may grow (workers learn it as they go). */
export interface ProgressBar {
  update(done: number, total?: number): void;
  stop(): void;
}

/**
 * populate's `display`: a bar on standard error with the keys made, their rate and an ETA; none
 * when standard error is not a terminal (a log file, CI).
 *
 * @example
 * ```ts
 * const bar = progressBar('SpikeTriggeredAverage', 531);
 * bar?.update(10);   // SpikeTriggeredAverage |███░░░| 10/531 keys | 52.1 keys/s | ETA 10s
 * bar?.stop();
 * ```
 */
export function progressBar(name: string, total: number): ProgressBar | undefined {
  if (!process.stderr.isTTY) return undefined;
  const bar = new SingleBar({
    format: `${name} |{bar}| {value}/{total} keys | {rate} keys/s | ETA {eta_formatted}`,
    stream: process.stderr,
    hideCursor: true,
  }, Presets.shades_classic);
  const started = Date.now();
  bar.start(total, 0, { rate: '0.0' });
  return {
    update(done: number, newTotal?: number) {
      if (newTotal !== undefined && newTotal !== bar.getTotal()) bar.setTotal(newTotal);
      bar.update(done, { rate: (done / Math.max(0.001, (Date.now() - started) / 1000)).toFixed(1) });
    },
    stop() {
      bar.stop();
    },
  };
}
