import type { TrueNeuron } from '../tables/synth/generate.js';
import type { StaResult } from './sta-kernel.js';

/** Pearson correlation of two equally long sequences. */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i]!; mb += b[i]!; }
  ma /= n;
  mb /= n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    ab += da * db;
    aa += da * da;
    bb += db * db;
  }
  return ab / Math.sqrt(aa * bb);
}

/** How well an STA recovers a neuron's true filter. */
export interface Recovery {
  /** Over the filter's support (entries at least 5% of its peak), where the signal is. */
  readonly supportR: number;
  /** Over every block and lag. */
  readonly fullR: number;
  /** The STA's peak has the sign of the true filter's (ON +, OFF −). */
  readonly signCorrect: boolean;
}

/**
 * Compares an STA with the neuron's true spatio-temporal filter (polarity × spatial × temporal)
 * over the lags both have.
 */
export function recovery(result: StaResult, truth: TrueNeuron, frameSize: number): Recovery {
  const lags = Math.min(result.nLags, truth.temporal.length);
  const filter = new Float64Array(frameSize * lags);
  for (let k = 0; k < lags; k++) for (let p = 0; p < frameSize; p++) filter[k * frameSize + p] = truth.polarity * truth.spatial[p]! * truth.temporal[k]!;
  const sta = result.sta.subarray(0, frameSize * lags);
  let peak = 0;
  for (let i = 0; i < filter.length; i++) if (Math.abs(filter[i]!) > Math.abs(filter[peak]!)) peak = i;
  const threshold = 0.05 * Math.abs(filter[peak]!);
  const support: number[] = [];
  for (let i = 0; i < filter.length; i++) if (Math.abs(filter[i]!) >= threshold) support.push(i);
  const supportR = correlation(support.map((i) => sta[i]!), support.map((i) => filter[i]!));
  let staPeak = 0;
  for (let i = 0; i < sta.length; i++) if (Math.abs(sta[i]!) > Math.abs(sta[staPeak]!)) staPeak = i;
  return { supportR, fullR: correlation(sta, filter), signCorrect: Math.sign(sta[staPeak]!) === Math.sign(filter[peak]!) };
}
