import { DataSourceError } from '../../errors.js';

/** Units a spike-time column can be written in: seconds, milli- and microseconds, or sample counts. */
export type TimeUnit = 's' | 'ms' | 'us' | 'samples';

export const TIME_UNITS: readonly TimeUnit[] = ['s', 'ms', 'us', 'samples'];

const DECIMAL_SHIFT: Record<Exclude<TimeUnit, 'samples'>, number> = { s: 0, ms: 3, us: 6 };

/**
 * A time as written in a file, in seconds, converted without a floating-point step of its own:
 * ms and µs move the decimal point of the text (`150` µs is read as `150e-6`, the double nearest
 * 0.00015, where `150 * 1e-6` is one unit above it), and a sample count is divided by its integer
 * rate (`n / 30000`, never `n * (1 / 30000)`). The result is the double nearest the exact value, so
 * the frame rule ({@link frameAt}) sees a spike on a frame boundary as on it.
 *
 * @example
 * ```ts
 * secondsFrom('150', 'us');                 // 0.00015
 * secondsFrom('500', 'samples', 30000);     // 0.016666666666666666, i.e. 1/60
 * ```
 */
export function secondsFrom(text: string, unit: TimeUnit, sampleRate?: number): number {
  const written = text.trim();
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(written)) return Number.NaN;
  if (unit === 'samples') {
    if (sampleRate === undefined || !(sampleRate > 0) || !Number.isFinite(sampleRate)) return Number.NaN;
    return Number(written) / sampleRate;
  }
  const [mantissa = '', exponent = '0'] = written.toLowerCase().split('e');
  return Number(`${mantissa}e${Number(exponent) - DECIMAL_SHIFT[unit]}`);
}

/**
 * Checks a spike-time column's unit (and sample rate, for sample counts); throws naming the source.
 *
 * @example
 * ```ts
 * checkTimeUnit('samples', 30000, 'text/plain spikes.txt');  // fine
 * checkTimeUnit('fortnights', undefined, 'text/plain spikes.txt');  // DataSourceError: unknown unit
 * ```
 */
export function checkTimeUnit(unit: unknown, sampleRate: unknown, source: string): void {
  if (!TIME_UNITS.includes(unit as TimeUnit)) {
    throw new DataSourceError(`${source}: unknown unit "${String(unit)}"; use s, ms, us or samples (with a sample_rate).`, { source, field: 'columns' });
  }
  if (unit === 'samples' && !(typeof sampleRate === 'number' && sampleRate > 0 && Number.isFinite(sampleRate))) {
    throw new DataSourceError(`${source}: a spike_time column in samples needs a positive "sample_rate" (samples per second).`, { source, field: 'columns' });
  }
}
