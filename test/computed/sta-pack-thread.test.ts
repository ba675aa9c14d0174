import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';
import { KeyAhead } from '../../src/computed/key-ahead.js';
import { packStaOffThread, readUnitValuesOffThread, startPackThreads } from '../../src/computed/sta-pack-thread.js';
import { prepareMovie, spikeTriggeredAverage, staPeak } from '../../src/computed/sta-kernel.js';
import { unpackUnitValuesArray } from '../../src/schema/blob/unit-values-blob.js';
import { packMovie } from '../../src/tables/movie-blob.js';
import { packBlob } from '../../src/schema/blob/pack.js';

describe('packStaOffThread', () => {
  it('hands an STA that is all of its buffer over to a worker once they have started, and copies one that is a view', async () => {
    startPackThreads();
    const shape = [30, 20, 7];
    const values = (): Float64Array => Float64Array.from({ length: 30 * 20 * 7 }, (_, i) => Math.round(Math.sin(i) * 50) / 37);
    const want = packBlob(ndarray(values(), shape, [1, 30, 600]), { level: 1 });
    let handedOver = false;
    for (let attempt = 0; attempt < 200 && !handedOver; attempt++) {
      const whole = values();
      const inside = new Float64Array(whole.length + 2);
      inside.set(values(), 1);
      const view = inside.subarray(1, 1 + whole.length);
      for (const sta of [view, whole]) {
        const { blobs: [packed] } = await packStaOffThread({ sta, xBlocks: 30, yBlocks: 20, nLags: 7, mean: 0, used: 0, level: 1 });
        expect(Buffer.from(packed!.bytes).equals(want)).toBe(true);
      }
      expect(view.length).toBe(whole.length === 0 ? 30 * 20 * 7 : view.length);
      handedOver = whole.length === 0; // detached: it went to a worker
      if (!handedOver) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(handedOver).toBe(true);
  }, 30_000);
  it("finds staPeak's peak and packs the STA, its map and its kernel to packBlob's bytes; no peak and one blob without spikes", async () => {
    startPackThreads();
    const [x, y, t] = [12, 9, 400];
    const movie = prepareMovie(ndarray(Float64Array.from({ length: x * y * t }, (_, i) => ((i * 2654435761) % 13 < 6 ? 1 : -1)), [x, y, t], [1, x, x * y]), 50, 0.1);
    const spikes = Float64Array.from({ length: 300 }, (_, i) => 0.5 + i * 0.021);
    for (let attempt = 0; attempt < 6; attempt++) {
      for (const [times, nLags] of [[spikes, 7], [new Float64Array(0), 5]] as const) {
        const result = spikeTriggeredAverage(movie, times, nLags);
        const peak = staPeak(result, movie);
        const want = [packBlob(ndarray(result.sta.slice(), [x, y, nLags], [1, x, x * y]), { level: 1 })];
        if (peak) want.push(packBlob(ndarray(peak.spatialMap, [x, y], [1, x]), { level: 1 }), packBlob(peak.temporalKernel, { level: 1 }));
        const packed = await packStaOffThread({ sta: result.sta, xBlocks: x, yBlocks: y, nLags, mean: movie.mean, used: result.used, level: 1 });
        expect(packed.peak).toEqual(peak && { lag: peak.lag, x: peak.x, y: peak.y, value: peak.value });
        expect(packed.blobs.map((b) => Buffer.from(b.bytes).toString('hex'))).toEqual(want.map((b) => b.toString('hex')));
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, 30_000);
});

describe('readUnitValuesOffThread', () => {
  it('reads what unpackUnitValuesArray reads, and gives undefined for a blob it does not read, on this thread or a worker', async () => {
    startPackThreads();
    const movie = ndarray(Float64Array.from({ length: 9 * 7 * 200 }, (_, i) => ((i * 2654435761) % 11 < 5 ? 1 : -1)), [9, 7, 200], [1, 9, 63]);
    const stored = (await packMovie(movie)).bytes;
    const want = unpackUnitValuesArray(stored)!;
    // A view inside a larger buffer, as a fetched row holds it.
    const inside = new Uint8Array(stored.byteLength + 10);
    inside.set(stored, 5);
    for (let attempt = 0; attempt < 10; attempt++) {
      const read = await readUnitValuesOffThread(inside.subarray(5, 5 + stored.byteLength));
      expect(read?.shape).toEqual([9, 7, 200]);
      expect(read?.minus).toBe(want.minus);
      expect(Buffer.from(read!.units.buffer, read!.units.byteOffset, read!.units.byteLength).equals(Buffer.from(want.units.buffer))).toBe(true);
      expect(await readUnitValuesOffThread(packBlob(ndarray(new Float64Array(2000).fill(0.5), [2000]), { level: 1 }))).toBeUndefined();
      // A driver's Buffer in the packet it came in: the packet stays whole (the row's other values are in it).
      const row = Buffer.from(inside.buffer, 5, stored.byteLength);
      expect((await readUnitValuesOffThread(row))?.minus).toBe(want.minus);
      expect(inside.byteLength).toBe(stored.byteLength + 10);
      expect(row.equals(stored)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, 30_000);
});

describe('KeyAhead', () => {
  const keys = [1, 2, 3, 4, 5].map((k) => ({ k }));

  it('hands over work begun for the keys after the one last taken, up to its depth, and drops it when another key is asked for', async () => {
    const ahead = new KeyAhead<string>(['k'], 2);
    const begun: number[] = [];
    const begin = (key: Record<string, unknown>): Promise<string> => { begun.push(key.k as number); return Promise.resolve(`row ${key.k as number}`); };
    ahead.expect(keys);
    ahead.begin(begin);
    expect(begun).toEqual([]); // nothing taken yet
    expect(ahead.take(keys[0]!)).toBeUndefined();
    ahead.begin(begin);
    expect(begun).toEqual([2, 3]);
    expect(await ahead.take(keys[1]!)).toBe('row 2');
    ahead.begin(begin);
    expect(begun).toEqual([2, 3, 4]);
    // Another order: nothing handed over, nothing begun again until the next list.
    expect(ahead.take(keys[4]!)).toBeUndefined();
    ahead.begin(begin);
    expect(begun).toEqual([2, 3, 4]);
    ahead.expect(keys);
    ahead.take(keys[2]!);
    ahead.begin(begin);
    expect(begun).toEqual([2, 3, 4, 4, 5]);
  });

  it('called late, after the next key was taken without work begun, begins after that key', () => {
    const ahead = new KeyAhead<string>(['k'], 1);
    const begun: number[] = [];
    ahead.expect(keys);
    ahead.take(keys[0]!);
    ahead.take(keys[1]!);
    ahead.begin((key) => { begun.push(key.k as number); return Promise.resolve(''); });
    expect(begun).toEqual([3]);
  });

  it("begins nothing when begin cannot start a key now, and keeps a failure for that key's make", async () => {
    const ahead = new KeyAhead<string>(['k']);
    ahead.expect(keys);
    ahead.take(keys[0]!);
    ahead.begin(() => undefined);
    expect(ahead.take(keys[1]!)).toBeUndefined();
    ahead.begin(() => { throw new Error('kernel failed'); });
    await expect(ahead.take(keys[2]!)).rejects.toThrow('kernel failed');
  });
});
