import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';
import { frameAt, perSpikeView, prepareMovie, spikeTriggeredAverage, staPeak } from '../../src/computed/index.js';

function rng(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

/** The plain definition, spike by spike: lag k is the mean of movie[:, :, f - k] over used spikes. */
function reference(movie: ndarray.NdArray<Float64Array>, fps: number, onset: number, spikes: number[], nLags: number): { sta: number[]; used: number } {
  const [x, y, t] = movie.shape as [number, number, number];
  const sta = new Array<number>(x * y * nLags).fill(0);
  let used = 0;
  for (const s of spikes) {
    const f = Math.floor((s - onset) * fps);
    if (f - (nLags - 1) < 0 || f >= t) continue;
    used++;
    for (let k = 0; k < nLags; k++) for (let j = 0; j < y; j++) for (let i = 0; i < x; i++) sta[i + x * (j + y * k)]! += movie.get(i, j, f - k);
  }
  return { sta: sta.map((v) => (used === 0 ? Number.NaN : v / used)), used };
}

function randomMovie(random: () => number, x: number, y: number, t: number, rowMajor = false): ndarray.NdArray<Float64Array> {
  const data = Float64Array.from({ length: x * y * t }, () => (random() < 0.5 ? -1 : 1));
  return rowMajor ? ndarray(data, [x, y, t]) : ndarray(data, [x, y, t], [1, x, x * y]);
}

describe('spike-triggered average kernel', () => {
  for (const kernel of ['scalar', 'simd'] as const) {
    it(`equals the per-spike reference on random data within 1e-12 (${kernel} kernel)`, () => {
      const random = rng(7);
      for (const [x, y, t, n, nLags, rowMajor] of [[8, 6, 300, 400, 5, false], [3, 1, 500, 900, 10, true], [1, 12, 200, 50, 20, false]] as const) {
        const movie = randomMovie(random, x, y, t, rowMajor);
        const fps = 59.9815;
        const onset = 1.2;
        const spikes = Array.from({ length: n }, () => onset - 0.5 + random() * (t / fps + 1));
        const ours = spikeTriggeredAverage(prepareMovie(movie, fps, onset), Float64Array.from(spikes), nLags, { kernel });
        const ref = reference(movie, fps, onset, spikes, nLags);
        expect(ours.used).toBe(ref.used);
        expect(ours.used + ours.skippedBefore + ours.skippedAfter).toBe(n);
        for (let i = 0; i < ref.sta.length; i++) expect(Math.abs(ours.sta[i]! - ref.sta[i]!)).toBeLessThanOrEqual(1e-12);
      }
    });
  }

  it("numbers the seed's screenshot spike as frame 9 (floor, not the seed's ceil)", () => {
    expect(frameAt(1.8144, 1.65657, 59.9815)).toBe(9);
  });

  it('skips spikes before the onset, too early for all lags, and after the last frame', () => {
    const movie = prepareMovie(randomMovie(rng(1), 2, 2, 10), 10, 1);
    const r = spikeTriggeredAverage(movie, Float64Array.from([0.5, 1.05, 1.25, 1.35, 1.95, 2.0, 5]), 3);
    // frames: -5, 0, 2, 3, 9, 10, 40 → 0 is too early for 3 lags; 10 and 40 are past the movie.
    expect([r.skippedBefore, r.used, r.skippedAfter]).toEqual([2, 3, 2]);
  });

  it('puts a spike exactly on a frame boundary in the frame that starts there', () => {
    const movie = prepareMovie(randomMovie(rng(2), 2, 1, 10), 10, 0);
    expect(frameAt(0.3, 0, 10)).toBe(3);
    const r = spikeTriggeredAverage(movie, Float64Array.from([0.3]), 1);
    expect(Array.from(r.sta)).toEqual(Array.from(movie.data.slice(6, 8)));
  });

  it('stores NaN with counts when no spike is usable, including n_lags larger than the movie', () => {
    const movie = prepareMovie(randomMovie(rng(3), 2, 2, 4), 10, 0);
    const none = spikeTriggeredAverage(movie, Float64Array.from([0.1, 0.2, 0.3]), 10);
    expect(none.used).toBe(0);
    expect(none.skippedBefore).toBe(3);
    expect(Array.from(none.sta).every(Number.isNaN)).toBe(true);
    expect(staPeak(none, movie)).toBeUndefined();
  });

  it('counts duplicate spike times twice', () => {
    const movie = prepareMovie(randomMovie(rng(4), 3, 3, 50), 10, 0);
    const once = spikeTriggeredAverage(movie, Float64Array.from([1.0, 2.0]), 2);
    const twice = spikeTriggeredAverage(movie, Float64Array.from([1.0, 1.0, 2.0]), 2);
    const ref = reference(ndarray(movie.data, [3, 3, 50], [1, 3, 9]), 10, 0, [1.0, 1.0, 2.0], 2);
    expect(twice.used).toBe(3);
    expect(once.used).toBe(2);
    for (let i = 0; i < ref.sta.length; i++) expect(Math.abs(twice.sta[i]! - ref.sta[i]!)).toBeLessThanOrEqual(1e-12);
  });

  it('finds the peak and gives the spatial map and temporal kernel there', () => {
    const data = new Float64Array(2 * 2 * 20).fill(-1);
    const movie = prepareMovie(ndarray(data, [2, 2, 20], [1, 2, 4]), 10, 0);
    data[1 + 2 * 1 + 4 * 7] = 1; // block (1,1) lit at frame 7
    movie.data.set(data);
    const r = spikeTriggeredAverage(movie, Float64Array.from([0.85]), 3); // frame 8: lag 1 shows frame 7
    const peak = staPeak(r, movie)!;
    expect([peak.lag, peak.x, peak.y, peak.value]).toEqual([1, 1, 1, 1]);
    expect(Array.from(peak.temporalKernel)).toEqual([-1, 1, -1]);
    expect(Array.from(peak.spatialMap)).toEqual([-1, -1, -1, 1]);
  });

  it("gives the seed's per-spike view: the frame on screen and the mean of it and k before", () => {
    const movie = prepareMovie(randomMovie(rng(5), 2, 2, 30), 59.9815, 1.65657);
    const view = perSpikeView(movie, 1.8144, 4);
    expect(view.frameIndex).toBe(9);
    expect(view.framesAveraged).toBe(5);
    expect(Array.from(view.frame!)).toEqual(Array.from(movie.data.slice(36, 40)));
    const mean = [0, 1, 2, 3].map((p) => [5, 6, 7, 8, 9].reduce((s, f) => s + movie.data[f * 4 + p]!, 0) / 5);
    Array.from(view.average!).forEach((v, i) => expect(v).toBeCloseTo(mean[i]!, 12));
  });
});
