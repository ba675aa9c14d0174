import type { NdArray } from 'ndarray';
import { KernelError } from '../errors.js';
import { columnMajorFloat64 } from '../tables/sources/validate.js';
import { frameAt } from '../tables/spike-frame.js';
import { accumulateSimd, releaseMovieCopy } from './sta-simd.js';
import { peakOf, type StaPeak } from './sta-peak.js';

export type { StaPeak };

export { frameAt };

/** A movie ready for STAs: column-major float64, so each frame is one contiguous run. */
export interface PreparedMovie {
  readonly data: Float64Array;
  /** A white-noise movie read a byte a value (+1 and −1), column-major: `data` is then made only if asked for. */
  readonly units?: Int8Array;
  readonly xBlocks: number;
  readonly yBlocks: number;
  readonly nFrames: number;
  readonly frameSize: number;
  readonly fps: number;
  readonly onset: number;
  /** The mean over every pixel of every frame (the STA's baseline). */
  readonly mean: number;
}

/** Prepares a movie once per stimulation; every neuron's STA reuses it. */
export function prepareMovie(movie: NdArray, fps: number, onset: number): PreparedMovie {
  const [x, y, t] = movie.shape as [number, number, number];
  const data = columnMajorFloat64(movie, x, y, t).data;
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i]!;
  return { data, xBlocks: x, yBlocks: y, nFrames: t, frameSize: x * y, fps, onset, mean: data.length > 0 ? sum / data.length : 0 };
}

/**
 * Prepares a movie of +1 and −1 values held a byte a value (a stored white-noise movie read by
 * unpackUnitValuesArray): the SIMD kernel copies those bytes as they are, and the float64 frames
 * are made only for a reader that asks for `data`. The same movie as prepareMovie of its values,
 * to the bit: the mean of integers adds exactly either way. `minus`, how many values are −1 when
 * known (unpackUnitValuesArray counts them), spares a pass over the values for the mean.
 *
 * @example
 * ```ts
 * const read = unpackUnitValuesArray(storedBlobBytes(row, 'movie')!);
 * const movie = prepareUnitMovie(read.units, read.shape as [number, number, number], 60, 0.5, read.minus);
 * ```
 */
export function prepareUnitMovie(units: Int8Array, shape: readonly [number, number, number], fps: number, onset: number, minus?: number): PreparedMovie {
  const [x, y, t] = shape;
  let sum = minus === undefined ? 0 : units.length - 2 * minus;
  if (minus === undefined) for (let i = 0; i < units.length; i++) sum += units[i]!;
  let data: Float64Array | undefined;
  return {
    get data(): Float64Array {
      data ??= Float64Array.from(units);
      return data;
    },
    units, xBlocks: x, yBlocks: y, nFrames: t, frameSize: x * y, fps, onset,
    mean: units.length > 0 ? sum / units.length : 0,
  };
}

/**
 * Gives back the kernel memory that holds a prepared movie's copy (made on its first SIMD STA).
 * Caches of prepared movies call this when they drop one; otherwise it goes when it is
 * garbage-collected, or when newer movies need the room.
 *
 * @example
 * ```ts
 * const movie = prepareMovie(stim.movie, stim.fps, stim.stimulus_onset);
 * for (const times of neurons) spikeTriggeredAverage(movie, times, 20);
 * releasePreparedMovie(movie);
 * ```
 */
export function releasePreparedMovie(movie: PreparedMovie): void {
  releaseMovieCopy(movie);
}

/** An STA and how many spikes went into it. */
export interface StaResult {
  /** (x_blocks, y_blocks, n_lags), column-major; lag k is the mean of movie[:, :, f − k]. NaN when no spike was usable. */
  readonly sta: Float64Array;
  readonly nLags: number;
  readonly used: number;
  /** Spikes whose frame minus (n_lags − 1) falls before the first frame (including spikes before the onset). */
  readonly skippedBefore: number;
  /** Spikes at or after the end of the movie. */
  readonly skippedAfter: number;
}

/** How an STA is computed; every way gives the same bits. */
export interface StaOptions {
  /**
   * `'auto'` (the default): the WebAssembly SIMD kernel on every core (see configureStaKernel)
   * where Node has WebAssembly SIMD, the scalar loop otherwise. `'simd'` and `'scalar'` choose.
   */
  readonly kernel?: 'auto' | 'simd' | 'scalar';
}

/** The spikes of a neuron by frame, for `nLags` lags. */
export interface SpikeCounts {
  /** Usable spikes per frame: counts[f] spikes fired while frame f was on screen. */
  readonly counts: Uint32Array;
  readonly used: number;
  readonly skippedBefore: number;
  readonly skippedAfter: number;
}

/** Counts each spike in the frame on screen when it fired, or as skipped (too early, or after the movie). */
export function spikeCounts(movie: PreparedMovie, spikeTimes: ArrayLike<number>, nLags: number): SpikeCounts {
  const { nFrames, fps, onset } = movie;
  const counts = new Uint32Array(Math.max(0, nFrames));
  let used = 0;
  let skippedBefore = 0;
  let skippedAfter = 0;
  for (let i = 0; i < spikeTimes.length; i++) {
    const f = frameAt(spikeTimes[i]!, onset, fps);
    if (f >= nFrames) skippedAfter++;
    else if (f - (nLags - 1) < 0) skippedBefore++;
    else {
      counts[f]!++;
      used++;
    }
  }
  return { counts, used, skippedBefore, skippedAfter };
}

/**
 * The scalar kernel: for each frame f holding spikes, in ascending order, counts[f] × frame f − k
 * added into lag k. The SIMD kernel (sta-simd.ts) adds the same products in the same order.
 */
function accumulateScalar(movie: PreparedMovie, counts: Uint32Array, nLags: number): Float64Array {
  const { data, frameSize, nFrames } = movie;
  const sta = new Float64Array(frameSize * nLags);
  for (let f = 0; f < nFrames; f++) {
    const weight = counts[f]!;
    if (weight === 0) continue;
    for (let k = 0; k < nLags; k++) {
      const src = (f - k) * frameSize;
      const dst = k * frameSize;
      if (weight === 1) for (let p = 0; p < frameSize; p++) sta[dst + p]! += data[src + p]!;
      else for (let p = 0; p < frameSize; p++) sta[dst + p]! += weight * data[src + p]!;
    }
  }
  return sta;
}

/**
 * The spike-triggered average of one neuron. It visits only the frames that hold spikes, once
 * each, weighted by their spike count: O(min(spikes, frames) × pixels × lags).
 *
 * Lag 0 is the frame on screen when the spike fired; the average divides by the spikes used.
 * This is Elephant's `spike_triggered_average` convention (lag-0 inclusive window, mean over used
 * spikes); pyret's `filtertools.sta` excludes the spike's own bin and divides by all spikes.
 *
 * @example
 * ```ts
 * const movie = prepareMovie(stimulation.movie, 59.9815, 1.65657);  // once per stimulation
 * const { sta, used } = spikeTriggeredAverage(movie, spikeTimes, 20); // sta: (x, y, 20), column-major
 * ```
 */
export function spikeTriggeredAverage(movie: PreparedMovie, spikeTimes: ArrayLike<number>, nLags: number, options: StaOptions = {}): StaResult {
  const counted = spikeCounts(movie, spikeTimes, nLags);
  if (counted.used === 0) return averageOf(new Float64Array(0), counted, movie, nLags);
  return averageInPlace(staSums(movie, counted.counts, nLags, options), counted, nLags);
}

/**
 * An STA's sums before the division by the spikes used: for each frame f, counts[f] × frame f − k
 * added into lag k, by the kernel `options` choose. Every kernel gives the same bits.
 *
 * @example
 * ```ts
 * const { counts, used } = spikeCounts(movie, spikeTimes, 20);
 * const sums = staSums(movie, counts, 20);   // (x, y, 20), column-major; sums[i] / used is the STA
 * ```
 */
export function staSums(movie: PreparedMovie, counts: Uint32Array, nLags: number, options: StaOptions = {}): Float64Array {
  const kernel = options.kernel ?? 'auto';
  const simd = kernel === 'scalar' ? undefined : accumulateSimd(movie, counts, nLags);
  if (kernel === 'simd' && !simd) throw new KernelError('The SIMD STA kernel needs WebAssembly SIMD and shared memory, which this runtime lacks; use { kernel: \'scalar\' }.');
  return simd ?? accumulateScalar(movie, counts, nLags);
}

/**
 * The STA of `sums` (staSums of the spikes `counted`), in an array of its own: each sum times
 * 1 / used, as spikeTriggeredAverage scales them; NaN when no spike was used.
 *
 * @example
 * ```ts
 * const counted = spikeCounts(movie, spikeTimes, 10);
 * const { sta } = averageOf(staSums(movie, counted.counts, 10), counted, movie, 10);
 * ```
 */
export function averageOf(sums: Float64Array, counted: Omit<SpikeCounts, 'counts'>, movie: PreparedMovie, nLags: number): StaResult {
  const n = movie.frameSize * nLags;
  if (counted.used > 0) return averageInPlace(sums.slice(0, n), counted, nLags);
  return { sta: new Float64Array(n).fill(Number.NaN), nLags, used: 0, skippedBefore: counted.skippedBefore, skippedAfter: counted.skippedAfter };
}

/**
 * The STA of `sums` (staSums of the spikes `counted`, at least one used), made in that array: each
 * sum times 1 / used.
 *
 * @example
 * ```ts
 * const counted = spikeCounts(movie, spikeTimes, 10);
 * const { sta } = averageInPlace(staSums(movie, counted.counts, 10), counted, 10);
 * ```
 */
export function averageInPlace(sums: Float64Array, counted: Omit<SpikeCounts, 'counts'>, nLags: number): StaResult {
  const { used, skippedBefore, skippedAfter } = counted;
  const scale = 1 / used;
  for (let i = 0; i < sums.length; i++) sums[i]! *= scale;
  return { sta: sums, nLags, used, skippedBefore, skippedAfter };
}

/**
 * The lag and block where an STA departs most from the movie's mean, with the spatial map at that
 * lag and the temporal kernel at that block; undefined when no spike was used (the STA is NaN).
 *
 * @example
 * ```ts
 * const movie = prepareMovie(stim.movie, stim.fps, stim.stimulus_onset);
 * const peak = staPeak(spikeTriggeredAverage(movie, spikeTimes, 10), movie);
 * peak?.lag; // 2: the frame two before the one on screen drove the neuron most
 * ```
 */
export function staPeak(result: StaResult, movie: PreparedMovie): StaPeak | undefined {
  if (result.used === 0) return undefined;
  return peakOf(result.sta, result.nLags, movie.frameSize, movie.xBlocks, movie.mean);
}

/**
 * The seed's per-spike view, numbered by the floor rule: the frame on screen at one spike, and the
 * average of it with the k frames before (fewer at the start of the movie).
 */
export function perSpikeView(movie: PreparedMovie, spikeTime: number, k: number): { frameIndex: number; frame: Float64Array | undefined; average: Float64Array | undefined; framesAveraged: number } {
  const f = frameAt(spikeTime, movie.onset, movie.fps);
  if (f < 0 || f >= movie.nFrames) return { frameIndex: f, frame: undefined, average: undefined, framesAveraged: 0 };
  const { frameSize, data } = movie;
  const frame = data.slice(f * frameSize, (f + 1) * frameSize);
  const first = Math.max(0, f - k);
  const average = new Float64Array(frameSize);
  for (let g = first; g <= f; g++) for (let p = 0; p < frameSize; p++) average[p]! += data[g * frameSize + p]!;
  const n = f - first + 1;
  for (let p = 0; p < frameSize; p++) average[p]! /= n;
  return { frameIndex: f, frame, average, framesAveraged: n };
}
