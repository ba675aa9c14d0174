import 'reflect-metadata';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ndarray from 'ndarray';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Connection } from '../../src/index.js';
import * as rgc from '../../src/pipeline.js';
import { prepareMovie, prepareUnitMovie, spikeTriggeredAverage } from '../../src/computed/sta-kernel.js';
import { staOfFewerLags, staWithSums } from '../../src/computed/sta-lags.js';
import { KernelEngine } from '../../src/computed/sta-threads.js';

afterAll(() => Connection.closeAll());

function rng(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

const bytes = (a: Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** A ±1 movie both ways: float64 (as the in-memory kernel takes it) and a byte a value (as populate reads it). */
function movies(random: () => number, x: number, y: number, t: number, fps: number, onset: number) {
  const units = Int8Array.from({ length: x * y * t }, () => (random() < 0.5 ? -1 : 1));
  const f64 = prepareMovie(ndarray(Float64Array.from(units), [x, y, t], [1, x, x * y]), fps, onset);
  return { f64, unit: prepareUnitMovie(units, [x, y, t], fps, onset) };
}

describe('STAs at fewer lags from the sums of the longest', () => {
  it('are bit for bit spikeTriggeredAverage, with spikes in the first frames only the shorter windows use', () => {
    const random = rng(3);
    const fps = 60;
    const onset = 0.5;
    const { f64, unit } = movies(random, 16, 9, 400, fps, onset);
    // Spikes in frames 0 … 25 (used by some lags and not others), before the onset, after the movie, anywhere.
    const early = Array.from({ length: 60 }, () => onset + (random() * 26) / fps);
    const anywhere = Array.from({ length: 300 }, () => onset - 1 + random() * (400 / fps + 2));
    for (const times of [Float64Array.from([...early, ...anywhere]), Float64Array.from(early), Float64Array.from([onset + 3.5 / fps])]) {
      const { result, sums } = staWithSums(unit, times, 20);
      expect(bytes(result.sta).equals(bytes(spikeTriggeredAverage(f64, times, 20).sta))).toBe(true);
      for (const nLags of [20, 10, 5, 2, 1]) {
        const want = spikeTriggeredAverage(f64, times, nLags);
        const got = staOfFewerLags(sums!, nLags);
        expect([got.used, got.skippedBefore, got.skippedAfter]).toEqual([want.used, want.skippedBefore, want.skippedAfter]);
        expect(bytes(got.sta).equals(bytes(want.sta))).toBe(true);
      }
    }
  });

  it('keeps no sums for a movie held as float64, whose sums may round', () => {
    const { f64 } = movies(rng(4), 4, 4, 50, 60, 0);
    expect(staWithSums(f64, Float64Array.from([0.5, 0.6]), 10).sums).toBeUndefined();
  });

  it('refuses more lags than the sums have, and sums a later call has replaced', () => {
    const { unit } = movies(rng(5), 4, 4, 50, 60, 0);
    expect(() => staOfFewerLags(staWithSums(unit, Float64Array.from([0.5]), 5).sums!, 10)).toThrow(RangeError);
    const first = staWithSums(unit, Float64Array.from([0.5]), 5).sums!;
    staWithSums(unit, Float64Array.from([0.6]), 5);
    expect(() => staOfFewerLags(first, 5)).toThrow(/no longer held/);
  });

  it('let populate run the kernel once per neuron for its lags longest first, not once per key', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-sta-lags-'));
    rgc.pipeline.configure({ connection: `sqlite://${path.join(dir, 'sta.sqlite')}`, prefix: 'rgt_stalags_' });
    const inventory = JSON.parse(readFileSync('data/ret1-inventory.json', 'utf8')) as rgc.Inventory;
    const { dataset } = rgc.generateDataset(inventory.slice(0, 3), { scale: 0.05, seed: 2 });
    await rgc.loadManifest(await rgc.readManifest(await rgc.writeDataset(dataset, path.join(dir, 'data'), 'pickle')));
    // Kernel runs the in-memory STAs need: one per neuron with a usable spike at 20 lags, one more for
    // each shorter lag whose window alone uses spikes of the first 19 frames.
    let wanted = 0;
    for (const st of dataset.sessions.flatMap((s) => s.stimulations)) {
      const movie = prepareMovie(st.movie, st.fps, st.stimulus_onset);
      for (const times of st.spikes) {
        const longest = rgc.spikeCounts(movie, times, 20);
        if (longest.used > 0) wanted++;
        for (const nLags of [10, 5]) if (rgc.spikeCounts(movie, times, nLags).used > longest.used) wanted++;
      }
    }
    const runs = vi.spyOn(KernelEngine.prototype, 'run');
    try {
      const keys = 3 * dataset.sessions.flatMap((s) => s.stimulations).reduce((n, st) => n + st.spikes.length, 0);
      const done = await rgc.SpikeTriggeredAverage.populate();
      expect(done.successCount).toBe(keys);
      expect(runs.mock.calls.length).toBe(wanted);
      // With jobs too (populate --workers, the fleet worker): claims hand a neuron's lags out longest first.
      await rgc.SpikeTriggeredAverage.deleteQuick();
      runs.mockClear();
      expect((await rgc.SpikeTriggeredAverage.populate({ reserveJobs: true })).successCount).toBe(keys);
      expect(runs.mock.calls.length).toBe(wanted);
    } finally {
      runs.mockRestore();
      await rgc.pipeline.drop({ force: true });
    }
  }, 60_000);
});
