import ndarray from 'ndarray';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareMovie, spikeTriggeredAverage } from '../../src/computed/index.js';
import { spikeCounts } from '../../src/computed/sta-kernel.js';
import { accumulateSimd } from '../../src/computed/sta-simd.js';
import { KernelHeap } from '../../src/computed/sta-memory.js';
import { ResidentMovies } from '../../src/computed/sta-resident.js';
import { configureStaKernel, kernelEngine } from '../../src/computed/sta-threads.js';

function rng(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

/** The same bytes: NaN, -0 and every last bit included. */
function sameBits(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

const SHAPES = [[8, 6, 300, 400, 5], [3, 1, 500, 900, 10], [1, 12, 200, 50, 20], [640, 1, 900, 2000, 20], [7, 5, 100, 3000, 3], [80, 40, 300, 600, 10], [1, 1, 50, 10, 1], [33, 17, 120, 700, 7]] as const;

describe('the SIMD kernel on worker threads', () => {
  afterAll(() => configureStaKernel({ threads: 2 }));

  for (const threads of [1, 2, 3]) {
    it(`gives the scalar kernel's bits with ${threads} thread(s), for float movies (float64 kernel) and ±1 movies (int8 kernel)`, () => {
      configureStaKernel({ threads });
      const random = rng(11 + threads);
      for (const values of ['float', '±1'] as const) {
        for (const [x, y, t, n, nLags] of SHAPES) {
          const data = Float64Array.from({ length: x * y * t }, () => (values === '±1' ? (random() < 0.5 ? -1 : 1) : (random() - 0.5) * 3.7));
          const movie = prepareMovie(ndarray(data, [x, y, t], [1, x, x * y]), 59.9815, 0.5);
          // Spikes cluster, so many frames hold several: weights above 1 are exercised.
          const spikes = Float64Array.from({ length: n }, () => 0.4 + (random() ** 2) * (t / 59.9815 + 0.2));
          const scalar = spikeTriggeredAverage(movie, spikes, nLags, { kernel: 'scalar' });
          const simd = spikeTriggeredAverage(movie, spikes, nLags, { kernel: 'simd' });
          expect([simd.used, simd.skippedBefore, simd.skippedAfter]).toEqual([scalar.used, scalar.skippedBefore, scalar.skippedAfter]);
          expect(sameBits(simd.sta, scalar.sta), `${values} ${x}×${y}×${t}, ${nLags} lags`).toBe(true);
        }
      }
    });
  }

  it('splits a ±1 neuron with more spikes than int16 sums hold into exact runs', () => {
    configureStaKernel({ threads: 2 });
    const random = rng(3);
    const data = Float64Array.from({ length: 16 * 9 * 400 }, () => (random() < 0.5 ? -1 : 1));
    const movie = prepareMovie(ndarray(data, [16, 9, 400], [1, 16, 144]), 10, 0);
    const spikes = Float64Array.from({ length: 90_000 }, () => 2 + random() * 37);
    const scalar = spikeTriggeredAverage(movie, spikes, 6, { kernel: 'scalar' });
    expect(scalar.used).toBeGreaterThan(32_767 * 2);
    expect(sameBits(spikeTriggeredAverage(movie, spikes, 6, { kernel: 'simd' }).sta, scalar.sta)).toBe(true);
  });

  it('uses the float64 kernel when one frame holds more spikes than int16 sums hold', () => {
    const data = Float64Array.from({ length: 4 * 4 * 30 }, (_, i) => (i % 3 === 0 ? 1 : -1));
    const movie = prepareMovie(ndarray(data, [4, 4, 30], [1, 4, 16]), 10, 0);
    const spikes = new Float64Array(40_000).fill(1.55); // all in frame 15
    const scalar = spikeTriggeredAverage(movie, spikes, 3, { kernel: 'scalar' });
    const simd = spikeTriggeredAverage(movie, spikes, 3, { kernel: 'simd' });
    expect(sameBits(simd.sta, scalar.sta)).toBe(true);
    expect(Array.from(simd.sta.subarray(0, 16))).toEqual(Array.from(data.subarray(15 * 16, 16 * 16)));
  });

  it('returns NaN with the counts when no spike is usable, without running the kernel', () => {
    const movie = prepareMovie(ndarray(new Float64Array(2 * 2 * 4).fill(1), [2, 2, 4], [1, 2, 4]), 10, 0);
    const none = spikeTriggeredAverage(movie, Float64Array.from([0.1, 0.2, 0.9]), 10, { kernel: 'simd' });
    expect([none.used, none.skippedBefore, none.skippedAfter]).toEqual([0, 2, 1]);
    expect(Array.from(none.sta).every(Number.isNaN)).toBe(true);
  });
});

describe('kernel memory', () => {
  it('allocates 64-byte aligned blocks, reuses freed ones and merges neighbours', () => {
    const heap = new KernelHeap(4096);
    const a = heap.alloc(100);
    const b = heap.alloc(1000);
    const c = heap.alloc(64);
    expect([a % 64, b % 64, c % 64]).toEqual([0, 0, 0]);
    expect(a).toBeGreaterThanOrEqual(4096);
    expect(b).toBe(a + 128);
    heap.free(a);
    heap.free(b);
    expect(heap.alloc(1100)).toBe(a); // the two freed blocks, merged
    expect(heap.used).toBe(1152 + 64);
    const big = heap.alloc(5 * 2 ** 20);
    heap.f64(big, 5 * 2 ** 17).fill(1);
    expect(heap.memory.buffer.byteLength).toBeGreaterThanOrEqual(big + 5 * 2 ** 20);
  });

  it('keeps ±1 movies as int8 with their largest |value|, other movies as float64, within a budget', () => {
    const heap = new KernelHeap(4096);
    const movies = new ResidentMovies(heap, 3000);
    const frames = (data: Float64Array) => ({ data, frameSize: 10, nFrames: data.length / 10 });
    const pm = frames(Float64Array.from({ length: 1000 }, (_, i) => (i % 2 ? 1 : -1)));
    const small = frames(Float64Array.from({ length: 1000 }, (_, i) => (i % 7) - 3));
    const float = frames(Float64Array.from({ length: 100 }, (_, i) => i / 2));
    const r1 = movies.place(pm);
    expect([r1.kind, r1.maxAbs, r1.bytes]).toEqual(['i8', 1, 1000]);
    expect(Array.from(heap.i8(r1.at, 4))).toEqual([-1, 1, -1, 1]);
    expect(movies.place(pm)).toBe(r1);
    const r2 = movies.place(small);
    expect([r2.kind, r2.maxAbs]).toEqual(['i8', 3]);
    const r3 = movies.place(float);
    expect([r3.kind, r3.bytes]).toEqual(['f64', 800]);
    expect(Array.from(heap.f64(r3.at, 3))).toEqual([0, 0.5, 1]);
    expect(movies.bytes).toBe(2800);
    const f64 = movies.place(pm, 'f64'); // over budget: the least recently used (small) goes
    expect(f64.kind).toBe('f64');
    expect(movies.bytes).toBe(8000);
    expect(movies.place(small)).not.toBe(r2);
    expect(movies.bytes).toBe(1000);
    movies.release(pm);
    expect(movies.place(pm)).not.toBe(r1);
  });

  it('the engine exists in Node 20 (WebAssembly SIMD and shared memory)', () => {
    expect(kernelEngine()).toBeDefined();
  });
});

describe('worker threads alone', () => {
  it('compute the same bits as the calling thread when they take every tile', () => {
    configureStaKernel({ threads: 3 });
    const random = rng(5);
    for (const values of ['float', '±1'] as const) {
      const data = Float64Array.from({ length: 64 * 30 * 200 }, () => (values === '±1' ? (random() < 0.5 ? -1 : 1) : random() - 0.5));
      const movie = prepareMovie(ndarray(data, [64, 30, 200], [1, 64, 64 * 30]), 20, 0);
      const spikes = Float64Array.from({ length: 800 }, () => random() * 10);
      const { counts, used } = spikeCounts(movie, spikes, 12);
      const sums = accumulateSimd(movie, counts, 12, { callerWorks: false })!;
      for (let i = 0; i < sums.length; i++) sums[i]! *= 1 / used;
      expect(sameBits(sums, spikeTriggeredAverage(movie, spikes, 12, { kernel: 'scalar' }).sta)).toBe(true);
    }
    configureStaKernel({ threads: 2 });
  });
});
