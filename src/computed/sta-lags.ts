import { averageOf, spikeCounts, staSums, type PreparedMovie, type StaResult } from './sta-kernel.js';

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
}

/**
 * spikeTriggeredAverage of one neuron, with its sums when they can serve its STAs at fewer lags
 * (see {@link staOfFewerLags}); undefined sums for a movie held as float64.
 *
 * @example
 * ```ts
 * const { result, sums } = staWithSums(movie, spikeTimes, 20);
 * const sta10 = sums && staOfFewerLags(sums, 10);   // bit for bit spikeTriggeredAverage(movie, spikeTimes, 10)
 * ```
 */
export function staWithSums(movie: PreparedMovie, spikeTimes: ArrayLike<number>, nLags: number): { result: StaResult; sums: LagSums | undefined } {
  const counted = spikeCounts(movie, spikeTimes, nLags);
  const sums = counted.used === 0 ? new Float64Array(movie.frameSize * nLags) : staSums(movie, counted.counts, nLags);
  const result = averageOf(sums, counted, movie, nLags);
  return { result, sums: movie.units ? { movie, spikeTimes, nLags, sums } : undefined };
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
  return averageOf(sums, counted, movie, nLags);
}
