import { availableParallelism } from 'node:os';
import ndarray from 'ndarray';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareMovie, spikeTriggeredAverage } from '../../src/computed/index.js';
import { configureStaKernel, kernelEngine } from '../../src/computed/sta-threads.js';
import { setPopulateCpuShare } from '../../src/schema/populate/cpu-share.js';

/** RG_STA_THREADS, when set, is a configuration: it wins over the share. */
const configured = Number(process.env.RG_STA_THREADS) > 0 ? Math.floor(Number(process.env.RG_STA_THREADS)) : undefined;

describe('the STA kernel in a populate worker', () => {
  afterAll(() => setPopulateCpuShare(undefined));

  it('gives the scalar kernel\'s bits on a worker\'s share of one core and on every core', () => {
    let s = 7;
    const random = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const [x, y, t] = [40, 30, 600];
    const movie = prepareMovie(ndarray(Float64Array.from({ length: x * y * t }, () => (random() < 0.5 ? -1 : 1)), [x, y, t], [1, x, x * y]), 60, 0.5);
    const spikes = Float64Array.from({ length: 3000 }, () => 0.5 + random() * 10);
    const scalar = Buffer.from(spikeTriggeredAverage(movie, spikes, 10, { kernel: 'scalar' }).sta.buffer);
    setPopulateCpuShare(1);
    expect(Buffer.from(spikeTriggeredAverage(movie, spikes, 10, { kernel: 'simd' }).sta.buffer).equals(scalar)).toBe(true);
    setPopulateCpuShare(undefined);
    expect(Buffer.from(spikeTriggeredAverage(movie, spikes, 10, { kernel: 'simd' }).sta.buffer).equals(scalar)).toBe(true);
  });

  it('runs on the worker\'s share of the cores, every core otherwise, and as configured when configured', () => {
    setPopulateCpuShare(1);
    expect(kernelEngine()!.threads).toBe(configured ?? 1);
    setPopulateCpuShare(undefined);
    expect(kernelEngine()!.threads).toBe(configured ?? availableParallelism());
    setPopulateCpuShare(2);
    expect(kernelEngine()!.threads).toBe(configured ?? 2);
    configureStaKernel({ threads: 3 });
    setPopulateCpuShare(1);
    expect(kernelEngine()!.threads).toBe(3);
  });
});
