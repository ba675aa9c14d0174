import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { deflateParallel } from '../../src/schema/blob/deflate-parallel.js';

describe('deflateParallel', () => {
  it('makes one standard zlib stream out of pieces compressed apart, whatever the length', async () => {
    const piece = 4 << 20;
    let s = 12345;
    for (const length of [0, 1000, piece, piece + 1, 2 * piece + 32 * 1024 + 7, 3 * piece]) {
      // ±1 doubles with runs, like a movie, and a stretch of noise: both kinds of deflate block.
      const data = Buffer.alloc(length);
      for (let i = 0; i + 8 <= length; i += 8) {
        s = (s * 1103515245 + 12345) % 2 ** 31;
        data.writeDoubleLE(i > length / 2 && i < length / 2 + 100_000 ? s / 2 ** 31 : s % 3 ? 1 : -1, i);
      }
      const z = await deflateParallel(data, 3);
      expect(z.readUInt16BE(0) % 31).toBe(0); // a valid zlib header
      expect(inflateSync(z).equals(data)).toBe(true); // inflate also checks the adler32 trailer
    }
  });

  it('compresses a large movie nearly as well as one deflate call at the same level', async () => {
    const data = Buffer.alloc(3 * (4 << 20));
    let s = 7;
    for (let i = 0; i < data.length; i += 8) {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      data.writeDoubleLE(s & 1024 ? 1 : -1, i);
    }
    const { deflateSync } = await import('node:zlib');
    const one = deflateSync(data, { level: 3 }).length;
    expect((await deflateParallel(data, 3)).length).toBeLessThan(one * 1.01);
  });
});
