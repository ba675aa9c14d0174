import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { deflateUnitSigns, UnitSignsDeflater } from '../../src/schema/blob/deflate-unit-signs.js';

/** ±1 doubles from a seeded generator: `flip(i, r)` says whether value i is −1. */
function unitValues(n: number, flip: (i: number, r: number) => boolean): Float64Array {
  const v = new Float64Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    v[i] = flip(i, s / 2 ** 31) ? -1 : 1;
  }
  return v;
}

const prefix = Buffer.from('mYm\0A\x03\x00\x00\x00', 'latin1');

describe('UnitSignsDeflater', () => {
  it('makes a standard zlib stream of the prefix and the ±1 values, whatever their number and pattern', () => {
    const cases: Array<[number, (i: number, r: number) => boolean]> = [
      [0, () => false], [1, () => true], [2, (i) => i === 1], [10, (_, r) => r < 0.5], [11, (_, r) => r < 0.5], [12, (_, r) => r < 0.5],
      [4095, (_, r) => r < 0.5], [4097, (_, r) => r < 0.5], [100_003, (_, r) => r < 0.5],
      [20_000, () => false], [20_000, () => true], [20_000, (i) => i % 2 === 1], [50_000, (i) => Math.floor(i / 5000) % 2 === 1],
      [50_000, (_, r) => r < 0.01], [30_000, (i, r) => (i < 15_000 ? r < 0.5 : i % 3 === 0)],
      // Around the end of the unchecked loop (a match and the next 11 signs must fit): 43 values from the end.
      [42, (_, r) => r < 0.5], [43, (_, r) => r < 0.5], [44, (_, r) => r < 0.5], [75, (_, r) => r < 0.5], [4139, (i) => i === 4138],
    ];
    for (const [n, flip] of cases) {
      const values = unitValues(n, flip);
      const signs = new UnitSignsDeflater(prefix, n);
      for (let at = 0; at < n; at += 777) expect(signs.add(values.subarray(at, Math.min(n, at + 777)))).toBe(true);
      const z = signs.finish();
      expect(z.readUInt16BE(0) % 31).toBe(0); // a valid zlib header
      // inflate checks the adler32 trailer too
      expect(inflateSync(z).equals(Buffer.concat([prefix, Buffer.from(values.buffer)]))).toBe(true);
    }
  });

  it('compresses random signs better than zlib level 3', () => {
    const values = unitValues(1 << 20, (_, r) => r < 0.5);
    const signs = new UnitSignsDeflater(Buffer.alloc(0), values.length);
    signs.add(values);
    const z = signs.finish();
    expect(z.byteLength).toBeLessThan(deflateSync(values, { level: 3 }).byteLength);
    expect(z.byteLength / values.byteLength).toBeLessThan(0.04);
  });

  it('refuses any value other than exactly +1 or −1, and more values than announced', () => {
    for (const odd of [0, -0, 0.5, 2, -1.0000000000000002, Number.NaN, Number.POSITIVE_INFINITY, 5e-324]) {
      expect(new UnitSignsDeflater(prefix, 3).add(Float64Array.of(1, odd, -1))).toBe(false);
    }
    const signs = new UnitSignsDeflater(prefix, 2);
    expect(signs.add(Float64Array.of(1, -1, 1))).toBe(false);
    expect(signs.add(Float64Array.of(1))).toBe(true);
    expect(() => signs.finish()).toThrow(/1 of 2 values/);
  });

  it.runIf(existsSync('/usr/bin/python3'))("is read by Python's zlib, as DataJoint reads a blob", () => {
    const values = unitValues(30_000, (_, r) => r < 0.5);
    const signs = Uint8Array.from(values, (v) => (v < 0 ? 1 : 0));
    const z = deflateUnitSigns(prefix, signs);
    const script = 'import sys, zlib, hashlib; d = zlib.decompress(sys.stdin.buffer.read()); print(len(d), hashlib.sha256(d).hexdigest())';
    const out = execFileSync('/usr/bin/python3', ['-c', script], { input: z }).toString().trim();
    const raw = Buffer.concat([prefix, Buffer.from(values.buffer)]);
    expect(out).toBe(`${raw.byteLength} ${createHash('sha256').update(raw).digest('hex')}`);
  });
});
