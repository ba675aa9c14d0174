import { deflateSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';
import { deflateUnitSigns } from '../../src/schema/blob/deflate-unit-signs.js';
import { inflateUnitSigns } from '../../src/schema/blob/inflate-unit-signs.js';
import { float64ArrayBlobPrefix, packBlob, zl123 } from '../../src/schema/blob/pack.js';
import { unpackBlob } from '../../src/schema/blob/unpack.js';
import { unpackUnitValuesArray } from '../../src/schema/blob/unit-values-blob.js';
import { prepareMovie, prepareUnitMovie, spikeTriggeredAverage } from '../../src/computed/sta-kernel.js';
import { packMovie } from '../../src/tables/movie-blob.js';
import { minusSums } from '../../src/schema/blob/unit-signs-checksum.js';

/** Signs (1 for −1) from a seeded generator. */
function randomSigns(n: number, p = 0.5, seed = 12345): Uint8Array {
  const signs = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    signs[i] = s / 2 ** 31 < p ? 1 : 0;
  }
  return signs;
}

const valuesOf = (signs: Uint8Array): Float64Array => Float64Array.from(signs, (s) => 1 - 2 * s);

describe('inflateUnitSigns', () => {
  it('reads back the prefix and the signs deflateUnitSigns wrote, whatever their number and pattern', () => {
    const cases = [
      new Uint8Array(0), Uint8Array.of(1), Uint8Array.of(0, 1), randomSigns(11), randomSigns(4097), randomSigns(100_003),
      new Uint8Array(20_000), new Uint8Array(20_000).fill(1), Uint8Array.from({ length: 20_000 }, (_, i) => i % 2),
      randomSigns(50_000, 0.01), Uint8Array.from({ length: 50_000 }, (_, i) => Math.floor(i / 5000) % 2),
    ];
    for (const signs of cases) {
      const prefix = float64ArrayBlobPrefix([signs.length]);
      const stream = deflateUnitSigns(prefix, signs);
      const read = inflateUnitSigns(stream, () => prefix.byteLength, prefix.byteLength + 8 * signs.length);
      expect(read).toBeDefined();
      expect(Buffer.from(read!.prefix).equals(prefix)).toBe(true);
      expect(Buffer.from(read!.units.buffer).equals(Buffer.from(Int8Array.from(signs, (s) => 1 - 2 * s).buffer))).toBe(true);
    }
  });

  it("gives undefined for another encoder's stream of the same values (zlib at levels 1, 3 and 6)", () => {
    const signs = randomSigns(30_000);
    const prefix = float64ArrayBlobPrefix([signs.length]);
    const raw = Buffer.concat([prefix, Buffer.from(valuesOf(signs).buffer)]);
    for (const level of [1, 3, 6]) expect(inflateUnitSigns(deflateSync(raw, { level }), () => prefix.byteLength, raw.byteLength)).toBeUndefined();
  });

  it('never gives signs other than those inflate reads: a damaged stream gives undefined or the very same signs', () => {
    const signs = randomSigns(3000);
    const prefix = float64ArrayBlobPrefix([signs.length]);
    const stream = deflateUnitSigns(prefix, signs);
    const size = prefix.byteLength + 8 * signs.length;
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(stream.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (flips) => {
      const damaged = Buffer.from(stream);
      for (const [at, mask] of flips) damaged[at] = damaged[at]! ^ mask;
      const read = inflateUnitSigns(damaged, () => prefix.byteLength, size);
      if (read === undefined) return;
      // Whatever it reads, zlib reads the same bytes from the same stream.
      const inflated = inflateSync(damaged);
      expect(inflated.subarray(0, prefix.byteLength).equals(Buffer.from(read.prefix))).toBe(true);
      expect(Buffer.from(inflated.subarray(prefix.byteLength)).equals(Buffer.from(Float64Array.from(read.units).buffer))).toBe(true);
    }), { numRuns: 300 });
  });
});

describe('unpackUnitValuesArray', () => {
  it('reads a stored white-noise movie a byte a value, the same values unpackBlob gives', async () => {
    const [x, y, t] = [7, 5, 300];
    const signs = randomSigns(x * y * t);
    const movie = ndarray(valuesOf(signs), [x, y, t], [1, x, x * y]);
    const stored = (await packMovie(movie)).bytes;
    const read = unpackUnitValuesArray(stored);
    expect(read?.shape).toEqual([x, y, t]);
    expect(Buffer.from(read!.units.buffer).equals(Buffer.from(Int8Array.from(signs, (s) => 1 - 2 * s).buffer))).toBe(true);
    expect(read!.minus).toBe(signs.reduce((n, s) => n + s, 0));
    const unpacked = unpackBlob(stored) as ndarray.NdArray<Float64Array>;
    expect(Buffer.from(Float64Array.from(read!.units).buffer).equals(Buffer.from(unpacked.data.buffer, unpacked.data.byteOffset, unpacked.data.byteLength))).toBe(true);
  });

  it('gives undefined for every other blob: zlib-compressed, uncompressed, another type, not ±1, damaged', async () => {
    const signs = randomSigns(2000);
    const values = valuesOf(signs);
    const prefix = float64ArrayBlobPrefix([values.length]);
    const raw = Buffer.concat([prefix, Buffer.from(values.buffer)]);
    expect(unpackUnitValuesArray(zl123(raw.byteLength, deflateSync(raw))!)).toBeUndefined();
    expect(unpackUnitValuesArray(raw)).toBeUndefined();
    // The same stream shape with a header of int32 values: not read as float64 signs.
    const int32Prefix = Buffer.from(prefix);
    int32Prefix.writeUInt32LE(9, int32Prefix.byteLength - 8);
    expect(unpackUnitValuesArray(zl123(raw.byteLength, deflateUnitSigns(int32Prefix, signs))!)).toBeUndefined();
    const halves = values.slice();
    halves[5] = 0.5;
    expect(unpackUnitValuesArray((await packMovie(ndarray(halves, [halves.length]))).bytes)).toBeUndefined();
    expect(unpackUnitValuesArray(packBlob(ndarray(new Int32Array(4), [4])))).toBeUndefined();
    const stored = Buffer.from(zl123(raw.byteLength, deflateUnitSigns(prefix, signs))!);
    expect(unpackUnitValuesArray(stored)?.units.length).toBe(2000);
    stored[stored.length - 1] = stored[stored.length - 1]! ^ 1; // the checksum
    expect(unpackUnitValuesArray(stored)).toBeUndefined();
  });
});

describe('minusSums', () => {
  it('counts the −1 values and sums their indexes mod 65521, from int8 values or signs, at any offset and length', () => {
    const signs = randomSigns(70_001, 0.3);
    const units = Int8Array.from(signs, (s) => 1 - 2 * s);
    const byByte = (from: number, to: number): { minus: number; minusIndexes: number } => {
      let minus = 0;
      let minusIndexes = 0;
      for (let j = from; j < to; j++) if (signs[j]) { minus++; minusIndexes = (minusIndexes + j - from) % 65521; }
      return { minus, minusIndexes };
    };
    for (const [from, to] of [[0, 70_001], [0, 70_000], [1, 69_998], [3, 8195], [4, 4], [2, 5], [0, 3]] as const) {
      expect(minusSums(units.subarray(from, to))).toEqual(byByte(from, to));
      expect(minusSums(signs.subarray(from, to))).toEqual(byByte(from, to));
    }
  });
});

describe('prepareUnitMovie', () => {
  it('gives the STAs, mean and frames of prepareMovie of the values, to the bit', () => {
    const [x, y, t] = [6, 4, 500];
    const signs = randomSigns(x * y * t, 0.4);
    const values = valuesOf(signs);
    const fromValues = prepareMovie(ndarray(values, [x, y, t], [1, x, x * y]), 60, 0.25);
    const fromSigns = prepareUnitMovie(Int8Array.from(signs, (s) => 1 - 2 * s), [x, y, t], 60, 0.25);
    expect(fromSigns.mean).toBe(fromValues.mean);
    const minus = signs.reduce((n, s) => n + s, 0);
    expect(prepareUnitMovie(Int8Array.from(signs, (s) => 1 - 2 * s), [x, y, t], 60, 0.25, minus).mean).toBe(fromValues.mean);
    const spikes = Float64Array.from({ length: 400 }, (_, i) => 0.3 + i * 0.02);
    for (const nLags of [1, 5, 20]) {
      for (const kernel of ['simd', 'scalar'] as const) {
        const a = spikeTriggeredAverage(fromValues, spikes, nLags, { kernel });
        const b = spikeTriggeredAverage(fromSigns, spikes, nLags, { kernel });
        expect(Buffer.from(b.sta.buffer).equals(Buffer.from(a.sta.buffer))).toBe(true);
        expect(b.used).toBe(a.used);
      }
    }
    expect(Buffer.from(fromSigns.data.buffer).equals(Buffer.from(fromValues.data.buffer))).toBe(true);
  });
});
