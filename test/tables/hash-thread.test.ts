import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ThreadHash } from '../../src/tables/sources/hash-thread.js';

describe('ThreadHash', () => {
  it('gives the sha256 of the chunks of shared memory posted, in order, and each settles once hashed', async () => {
    const data = randomBytes(3 * 65_536 + 17);
    const memory = new SharedArrayBuffer(70_000);
    const view = new Uint8Array(memory);
    const hash = ThreadHash.start()!;
    expect(hash).toBeDefined();
    for (let at = 0; at < data.length; at += 65_536) {
      const n = Math.min(65_536, data.length - at);
      view.set(data.subarray(at, at + n), 100);
      // The memory is written again only once the worker is done with it.
      await hash.update(memory, 100, n);
    }
    expect(await hash.digest()).toBe(createHash('sha256').update(data).digest('hex'));
    // Ended with its digest: nothing more is taken.
    await expect(hash.update(memory, 0, 1)).rejects.toThrow();
  });
});
