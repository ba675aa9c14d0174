import { Worker } from 'node:worker_threads';
import ndarray from 'ndarray';
import { describe, expect, it, vi } from 'vitest';
import { readUnitValuesOffThread } from '../../src/computed/sta-pack-thread.js';
import { unpackUnitValuesArray } from '../../src/schema/blob/unit-values-blob.js';
import { packMovie } from '../../src/tables/movie-blob.js';

// Its own file: the pack threads must not have been started (nor loaded) before the first call.
describe('readUnitValuesOffThread while the pack threads load', () => {
  it('sends a movie read ahead to a thread still loading its modules, and reads it as this thread would', async () => {
    const movie = ndarray(Float64Array.from({ length: 16 * 9 * 300 }, (_, i) => ((i * 2654435761) % 7 < 3 ? 1 : -1)), [16, 9, 300], [1, 16, 144]);
    const stored = (await packMovie(movie)).bytes;
    const want = unpackUnitValuesArray(stored)!;
    const posted = vi.spyOn(Worker.prototype, 'postMessage');
    try {
      // The first call starts the threads: none has loaded yet, and this one is posted all the same.
      const read = await readUnitValuesOffThread(stored, { ahead: true });
      expect(posted.mock.calls.filter(([job]) => (job as { kind?: string }).kind === 'signs')).toHaveLength(1);
      expect(read?.shape).toEqual([16, 9, 300]);
      expect(read?.minus).toBe(want.minus);
      expect(Buffer.from(read!.units.buffer, read!.units.byteOffset, read!.units.byteLength).equals(Buffer.from(want.units.buffer))).toBe(true);
    } finally {
      posted.mockRestore();
    }
  }, 30_000);
});
