import { averageInPlace, averageOf, spikeCounts, spikeTriggeredAverage, staSums, type PreparedMovie, type StaResult } from './sta-kernel.js';

/**
 * One neuron's STA sums at `nLags` lags, kept so that its STAs at fewer lags are had without the
 * kernel: only for a movie of small integers read a byte a value (a stored white-noise movie),
 * whose sums are exact integers, so that adding the same products in another order gives the same bits.
 */
export interface LagSums {
  readonly movie: PreparedMovie;
  readonly spikeTimes: ArrayLike<number>;
  readonly nLags: number;
  /** staSums at nLags lags, (x, y, nLags) column-major; zeros when no spike was usable. */
  readonly sums: Float64Array;
  /** Which staWithSums call kept them: only the latest one's are still held. */
  readonly call: number;
}

/**
 * The sums the latest staWithSums call kept, in memory reused from call to call: a new array a
 * neuron was more work for the garbage collector than the kernel time it saved.
 */
let kept = new Float64Array(0);
let calls = 0;

/**
 * spikeTriggeredAverage of one neuron, with its sums when they can serve its STAs at fewer lags
 * (see {@link staOfFewerLags}) until the next call; undefined sums for a movie held as float64.
 *
 * @example
 * ```ts
 * const { result, sums } = staWithSums(movie, spikeTimes, 20);
 * const sta10 = sums && staOfFewerLags(sums, 10);   // bit for bit spikeTriggeredAverage(movie, spikeTimes, 10)
 * ```
 */
export function staWithSums(movie: PreparedMovie, spikeTimes: ArrayLike<number>, nLags: number): { result: StaResult; sums: LagSums | undefined } {
  if (!movie.units) return { result: spikeTriggeredAverage(movie, spikeTimes, nLags), sums: undefined };
  const counted = spikeCounts(movie, spikeTimes, nLags);
  const n = movie.frameSize * nLags;
  if (kept.length < n) kept = new Float64Array(n);
  const sums = kept.subarray(0, n);
  const held = { movie, spikeTimes, nLags, sums, call: ++calls };
  if (counted.used === 0) {
    sums.fill(0);
    return { result: averageOf(sums, counted, movie, nLags), sums: held };
  }
  const computed = staSums(movie, counted.counts, nLags);
  sums.set(computed);
  return { result: averageInPlace(computed, counted, nLags), sums: held };
}

/**
 * The STA at `nLags` ≤ `from.nLags` lags, bit for bit spikeTriggeredAverage's: the longer STA's
 * first `nLags` lags of sums, plus those of the spikes too early for the longer window but not for
 * this one (those in its first `from.nLags − nLags` frames), which the kernel adds on their own.
 *
 * @example
 * ```ts
 * const { sums } = staWithSums(movie, spikeTimes, 20);
 * const { sta, used } = staOfFewerLags(sums!, 5);
 * ```
 */
export function staOfFewerLags(from: LagSums, nLags: number): StaResult {
  if (nLags > from.nLags) throw new RangeError(`An STA of ${nLags} lags cannot come from the sums of ${from.nLags}.`);
  if (from.call !== calls) throw new RangeError('These STA sums are no longer held: staWithSums has been called since.');
  const { movie } = from;
  const counted = spikeCounts(movie, from.spikeTimes, nLags);
  const early = new Uint32Array(counted.counts.length);
  let any = false;
  for (let f = Math.max(0, nLags - 1); f <= from.nLags - 2 && f < early.length; f++) {
    early[f] = counted.counts[f]!;
    any ||= early[f] !== 0;
  }
  if (!any) return averageOf(from.sums, counted, movie, nLags);
  // Exact integers both: their sum is the one the kernel gives over all the spikes at once.
  const sums = staSums(movie, early, nLags);
  for (let i = 0; i < sums.length; i++) sums[i]! += from.sums[i]!;
  return averageInPlace(sums, counted, nLags);
}
