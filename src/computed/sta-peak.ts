/** Where an STA departs most from the movie's mean, and what the viewer draws there. */
export interface StaPeak {
  readonly lag: number;
  readonly x: number;
  readonly y: number;
  readonly value: number;
  /** (x_blocks, y_blocks) at the peak lag. */
  readonly spatialMap: Float64Array;
  /** n_lags values at the peak block, lag 0 first. */
  readonly temporalKernel: Float64Array;
}

/**
 * The peak of an STA of `nLags` lags of frames of `frameSize` pixels, `xBlocks` wide, against the
 * movie's `mean` (see staPeak, which calls this for an STA with spikes): the first largest
 * |value − mean|, the map of its lag and the kernel of its block. Needs only numbers, so that a
 * pack thread can find it beside packing the STA.
 *
 * @example
 * ```ts
 * const peak = peakOf(result.sta, 10, movie.frameSize, movie.xBlocks, movie.mean);
 * ```
 */
export function peakOf(sta: Float64Array, nLags: number, frameSize: number, xBlocks: number, mean: number): StaPeak {
  let best = -1;
  let bestDeviation = -1;
  for (let i = 0; i < sta.length; i++) {
    const deviation = Math.abs(sta[i]! - mean);
    if (deviation > bestDeviation) {
      bestDeviation = deviation;
      best = i;
    }
  }
  const lag = Math.floor(best / frameSize);
  const pixel = best % frameSize;
  const temporalKernel = new Float64Array(nLags);
  for (let k = 0; k < nLags; k++) temporalKernel[k] = sta[k * frameSize + pixel]!;
  return {
    lag, x: pixel % xBlocks, y: Math.floor(pixel / xBlocks), value: sta[best]!,
    spatialMap: sta.slice(lag * frameSize, (lag + 1) * frameSize), temporalKernel,
  };
}
