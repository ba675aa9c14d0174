import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { NdArray } from 'ndarray';
import { describe, expect, it } from 'vitest';
import { DataSourceError, readSource } from '../../src/index.js';
import { writePickle } from '../../src/tables/synth/pickle-writer.js';
import { packMovie } from '../../src/tables/movie-blob.js';
import { columnMajorWriter, deferredArray, isDeferred, regionArray, unitSigns, writeColumnMajor } from '../../src/tables/sources/deferred-array.js';
import type { ArrayLayout } from '../../src/tables/sources/pickle-layout-guess.js';
import { parseNumpyPickle } from '../../src/tables/sources/numpy-pickle.js';
import { readPickleSkeleton, readRegion, takeRegionSigns, type FileRegion } from '../../src/tables/sources/pickle-skeleton.js';
import { unpackBlob } from '../../src/schema/blob/unpack.js';

const run = promisify(execFile);
const numpy = await run('/usr/bin/python3', ['-c', 'import numpy']).then(() => true, () => false);
if (!numpy && process.env.RG_TEST_REQUIRE_NUMPY === '1') throw new Error('RG_TEST_REQUIRE_NUMPY=1 but /usr/bin/python3 cannot import numpy (apt-get install python3-numpy).');
const dir = mkdtempSync(path.join(tmpdir(), 'rg-skeleton-'));

/** Every value, column-major: what the eager path (the whole file in memory) gives. */
function values(array: NdArray): number[] {
  const out = new Float64Array(array.size);
  writeColumnMajor(array, out);
  return Array.from(out);
}

/** Both parses of a pickle file, arrays as column-major values. */
async function bothWays(file: string): Promise<{ skeleton: Awaited<ReturnType<typeof readPickleSkeleton>>; left: unknown; whole: unknown }> {
  const skeleton = await readPickleSkeleton('test', file, 2 ** 32);
  return { skeleton, left: parseNumpyPickle(skeleton.bytes, skeleton.regions), whole: parseNumpyPickle(readFileSync(file)) };
}

describe('pickle skeletons: the large payloads stay in the file', () => {
  it('give the whole-file parse, with the checksum of the whole file, at every protocol, across read boundaries', async () => {
    // ±1 movies of 4.6 MiB (straddling the 8 MiB reads) between small arrays, as the seed's data is laid out.
    const movie = (seed: number, n: number) => Float64Array.from({ length: n }, (_, i) => (((i * 2654435761 + seed) >>> 7) & 1 ? 1 : -1));
    const value = Array.from({ length: 3 }, (_, s) => ({
      name: `s${s}`, movie: { dtype: 'f8' as const, shape: [64, 48, 197 + s], data: movie(s, 64 * 48 * (197 + s)) },
      spikes: [{ dtype: 'f8' as const, shape: [5, 1], data: Float64Array.from([0.1, 0.2, 0.3, 0.4, 0.5 + s]) }],
    }));
    for (const protocol of [2, 3, 4, 5] as const) {
      const file = path.join(dir, `p${protocol}.pkl`);
      writeFileSync(file, writePickle(value, protocol));
      const { skeleton, left, whole } = await bothWays(file);
      expect(skeleton.checksum).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
      expect(skeleton.size).toBe(readFileSync(file).length);
      // Protocol 2 writes array data as text (_codecs.encode): it stays in the skeleton.
      expect(skeleton.regions.size).toBe(protocol === 2 ? 0 : 3);
      expect(skeleton.bytes.length).toBeLessThan(protocol === 2 ? Number.POSITIVE_INFINITY : 100_000);
      const got = left as Array<{ movie: NdArray; spikes: NdArray[] }>;
      const want = whole as Array<{ movie: NdArray; spikes: NdArray[] }>;
      for (let s = 0; s < 3; s++) {
        expect(got[s]!.movie.shape).toEqual([64, 48, 197 + s]);
        expect(values(got[s]!.movie)).toEqual(values(want[s]!.movie));
        expect(values(got[s]!.spikes[0]!)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5 + s]);
        expect(got[s]!.movie.get(3, 2, 100)).toBe(want[s]!.movie.get(3, 2, 100));
      }
    }
  });

  it.runIf(numpy)("read numpy's own pickles (FRAME at protocol 4, in-band BYTEARRAY8 at 5) of C and F, float and integer arrays", async () => {
    const script = `
import pickle, sys, numpy as np
r = np.random.default_rng(1)
c = np.where(r.random((64, 48, 400)) < 0.5, -1.0, 1.0)  # int8 too is over 1 MiB
data = {'c': c, 'f': np.asfortranarray(c), 'f4': c.astype(np.float32), 'i1': c.astype(np.int8), 'small': np.arange(6.0).reshape(2, 3)}
for p in (3, 4, 5):
    with open(sys.argv[1] + f'/np{p}.pkl', 'wb') as f: pickle.dump(data, f, protocol=p)
print(float(c[3, 2, 100]), float(c.sum()))`;
    const { stdout } = await run('/usr/bin/python3', ['-c', script, dir]);
    const [at, sum] = stdout.trim().split(' ').map(Number) as [number, number];
    for (const protocol of [3, 4, 5]) {
      const { skeleton, left, whole } = await bothWays(path.join(dir, `np${protocol}.pkl`));
      expect(skeleton.regions.size).toBe(4); // the 'small' array stays inline
      const got = left as Record<string, NdArray>;
      for (const name of ['c', 'f', 'f4', 'i1']) {
        expect(isDeferred(got[name]!)).toBe(true);
        expect(got[name]!.get(3, 2, 100)).toBe(at);
        expect(values(got[name]!).reduce((a, b) => a + b, 0)).toBe(sum);
        expect(values(got[name]!)).toEqual(values((whole as Record<string, NdArray>)[name]!));
      }
      expect(values(got.small!)).toEqual([0, 3, 1, 4, 2, 5]);
      // The layout guessed from the opcodes before each ±1 movie's data, as it is read: numpy's own
      // (memo, frames) at 3 and 4; at 5 the data comes before its shape, so there is no guess.
      const guesses = new Map<FileRegion, ArrayLayout>();
      const read = await readPickleSkeleton('test', path.join(dir, `np${protocol}.pkl`), 2 ** 32, { onWhiteNoise: (region, layout) => guesses.set(region, layout) });
      const parsed = parseNumpyPickle(read.bytes, read.regions) as Record<string, NdArray>;
      const byRegion = new Map(['c', 'f'].map((name) => [regionArray(parsed[name]!)!.region, name]));
      expect([...guesses].map(([region, layout]) => [byRegion.get(region), layout.shape, layout.fortran])).toEqual(protocol === 5 ? [] : [['c', [64, 48, 400], false], ['f', [64, 48, 400], true]]);
    }
  });

  it('name the block and frame of the first value that is not finite, also when it stayed in the file', async () => {
    const data = new Float64Array(64 * 48 * 100).fill(1);
    data[((5 * 48 + 7) * 100) + 42] = Number.NaN; // C order: block (5, 7), frame 42
    const file = path.join(dir, 'nan.pkl');
    writeFileSync(file, writePickle([{
      subject_name: 'm', sample_number: 1, session_date: '2020-01-02', stimulations: [{
        fps: 60, movie: { dtype: 'f8', shape: [64, 48, 100], data }, n_frames: 100, pixel_size: 8, stim_height: 480, stim_width: 640,
        stimulus_onset: 1, x_block_size: 10, y_block_size: 10, spikes: [{ dtype: 'f8', shape: [2, 1], data: Float64Array.from([1.5, 2]) }],
      }],
    }], 4));
    const skeleton = await readPickleSkeleton('test', file, 2 ** 32);
    expect([...skeleton.regions.values()].map((r) => r.firstNonFiniteF64)).toEqual([(5 * 48 + 7) * 100 + 42]);
    await expect(readSource({ type: 'file/pickle', access: file })).rejects.toThrow(/movie holds NaN at block \(5, 7\) of frame 42; every value must be a finite number/);
  });

  it('find a value that is not finite where it lies, also the one split between two reads of the file', async () => {
    // A ±1 movie over the first 8 MiB read: the value that straddles the read's end, and others.
    const shape = [64, 48, 400];
    const write = (bad: ReadonlyMap<number, number>): string => {
      const data = new Float64Array(64 * 48 * 400).fill(-1);
      for (const [i, v] of bad) data[i] = v;
      const file = path.join(dir, 'split.pkl');
      writeFileSync(file, writePickle({ pad: 'x', movie: { dtype: 'f8', shape, data } }, 4));
      return file;
    };
    const region = [...(await readPickleSkeleton('test', write(new Map()), 2 ** 32)).regions.values()][0]!;
    expect(region.firstNonFiniteF64).toBe(-1);
    const READ = 8 << 20;
    expect((READ - region.offset) % 8).not.toBe(0); // the layout does split a value
    const split = Math.floor((READ - region.offset) / 8);
    for (const [index, value] of [[split, Number.NaN], [split + 1, Number.POSITIVE_INFINITY], [split - 1, Number.NEGATIVE_INFINITY], [64 * 48 * 400 - 1, Number.NaN], [0, Number.NaN]] as const) {
      // Checked alone, and beside the signs a read that packs keeps.
      for (const options of [{}, { onWhiteNoise: () => undefined }]) {
        const skeleton = await readPickleSkeleton('test', write(new Map([[index, value], [64 * 48 * 400 - 1, Number.NaN]])), 2 ** 32, options);
        expect([...skeleton.regions.values()][0]!.firstNonFiniteF64).toBe(index);
      }
    }
  });

  it('keep the signs of a payload of ±1 found on the way (a movie then packs without the file), and none once a value is not ±1', async () => {
    const shape = [64, 48, 400];
    const n = 64 * 48 * 400;
    const c = Float64Array.from({ length: n }, (_, i) => (((i * 2654435761) >>> 9) & 1 ? -1 : 1)); // C order, over the first 8 MiB read
    const file = path.join(dir, 'signs.pkl');
    const keep = { onWhiteNoise: () => undefined };
    writeFileSync(file, writePickle({ pad: 'x', movie: { dtype: 'f8', shape, data: c } }, 4));
    // Only a read that packs (onWhiteNoise given) keeps them.
    expect(takeRegionSigns([...(await readPickleSkeleton('test', file, 2 ** 32)).regions.values()][0]!)).toBeUndefined();
    const skeleton = await readPickleSkeleton('test', file, 2 ** 32, keep);
    const region = [...skeleton.regions.values()][0]!;
    const signs = takeRegionSigns(region)!;
    expect(signs.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(signs)).toEqual(Array.from(c, (v) => (v < 0 ? 1 : 0)));
    expect(takeRegionSigns(region)).toBeUndefined();
    // Parsed, the movie's column-major signs come from what the read found: the file, changed since, is not read.
    const again = await readPickleSkeleton('test', file, 2 ** 32, keep);
    const movie = (parseNumpyPickle(again.bytes, again.regions) as { movie: NdArray }).movie;
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const columnMajor = new Array<number>(n);
    for (let i = 0, o = 0; i < 64; i++) for (let j = 0; j < 48; j++) for (let k = 0; k < 400; k++) columnMajor[i + 64 * (j + 48 * k)] = c[o++]! < 0 ? 1 : 0;
    expect(Array.from(unitSigns(movie)!)).toEqual(columnMajor);
    expect(() => unitSigns(movie)).toThrow(/changed since it was read/);
    // Shapes whose pixels and frames are no multiple of the 8 × 4 moved at once.
    for (const odd of [[13, 7, 1447], [9, 1, 14571]]) {
      const m = odd.reduce((a, b) => a * b, 1);
      const values = Float64Array.from({ length: m }, (_, i) => (((i * 2246822519) >>> 11) & 1 ? -1 : 1));
      writeFileSync(file, writePickle({ movie: { dtype: 'f8', shape: odd, data: values } }, 4));
      const read = await readPickleSkeleton('test', file, 2 ** 32, keep);
      const oddMovie = (parseNumpyPickle(read.bytes, read.regions) as { movie: NdArray }).movie;
      const want = new Array<number>(m);
      for (let i = 0, o = 0; i < odd[0]!; i++) for (let j = 0; j < odd[1]!; j++) for (let k = 0; k < odd[2]!; k++) want[i + odd[0]! * (j + odd[1]! * k)] = values[o++]! < 0 ? 1 : 0;
      utimesSync(file, new Date(), new Date(Date.now() + 9000)); // from what the read found, not the file
      expect(Array.from(unitSigns(oddMovie)!)).toEqual(want);
    }
    // A value other than ±1 (the one split between two reads, or the last): no signs, and finite values are not mistaken for bad ones.
    const READ = 8 << 20;
    const split = Math.floor((READ - region.offset) / 8);
    for (const index of [split, split + 1, n - 1, 0]) {
      const odd = Float64Array.from(c);
      odd[index] = 0.5;
      writeFileSync(file, writePickle({ pad: 'x', movie: { dtype: 'f8', shape, data: odd } }, 4));
      const read = await readPickleSkeleton('test', file, 2 ** 32, keep);
      const r = [...read.regions.values()][0]!;
      expect(takeRegionSigns(r)).toBeUndefined();
      expect(r.firstNonFiniteF64).toBe(-1);
    }
  });

  it('refuse to read a region of a file that changed since', async () => {
    const file = path.join(dir, 'p4.pkl');
    const skeleton = await readPickleSkeleton('test', file, 2 ** 32);
    const region = [...skeleton.regions.values()][0]!;
    expect(readRegion(region).length).toBe(region.length);
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(() => readRegion(region)).toThrow(DataSourceError);
    expect(() => readRegion(region)).toThrow(/changed since it was read/);
  });

  it('say where a file that is not a pickle goes wrong, and when it ends inside an array', async () => {
    const junk = path.join(dir, 'junk.pkl');
    writeFileSync(junk, Buffer.from([0x80, 0x04, 0xff, 0x00]));
    await expect(readPickleSkeleton('junk', junk, 2 ** 32)).rejects.toThrow(/byte 2 \(0xff\) is not a pickle opcode/);
    const cut = path.join(dir, 'cut.pkl');
    writeFileSync(cut, readFileSync(path.join(dir, 'p3.pkl')).subarray(0, 3_000_000));
    await expect(readPickleSkeleton('cut', cut, 2 ** 32)).rejects.toThrow(/ends inside an array's data/);
  });
});

describe('deferred arrays', () => {
  it('write any range of frames column-major, from C or F order, aligned or not, of any number type', () => {
    const shape = [5, 3, 17];
    const n = 5 * 3 * 17;
    const expected = Array.from({ length: n }, (_, i) => (i % 7) - 3); // column-major values
    for (const [type, fortran, shift] of [[Float64Array, false, 3], [Float64Array, true, 0], [Float32Array, false, 1], [Int8Array, false, 0], [Int16Array, true, 1]] as const) {
      const typed = new type(n);
      for (let i = 0; i < 5; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 17; k++) {
        typed[fortran ? i + 5 * (j + 3 * k) : (i * 3 + j) * 17 + k] = expected[i + 5 * (j + 3 * k)]!;
      }
      const bytes = new Uint8Array(typed.byteLength + shift);
      bytes.set(new Uint8Array(typed.buffer), shift);
      const array = deferredArray(bytes.subarray(shift), type, shape, fortran);
      const write = columnMajorWriter(array);
      for (const [from, count] of [[0, 17], [0, 1], [4, 9], [16, 1]] as const) {
        const out = new Float64Array(15 * count);
        write(out, from);
        expect(Array.from(out)).toEqual(expected.slice(15 * from, 15 * (from + count)));
      }
      expect(Array.from(array.data)).toEqual(expected);
      expect(array.get(4, 2, 16)).toBe(expected[4 + 5 * (2 + 3 * 16)]);
    }
  });
});

describe('packMovie', () => {
  it('stores a deferred movie, frames written and compressed a few at a time, as the blob of its values', async () => {
    const { left } = await bothWays(path.join(dir, 'p3.pkl'));
    const movie = (left as Array<{ movie: NdArray }>)[1]!.movie;
    const packed = await packMovie(movie);
    expect(Buffer.from(packed.bytes).toString('latin1', 0, 6)).toBe('ZL123\0');
    const back = unpackBlob(packed.bytes) as NdArray<Float64Array>;
    expect(back.shape).toEqual(movie.shape);
    expect(Array.from(back.data)).toEqual(values(movie));
    expect(await packMovie(movie)).toBe(packed);
  });
});

describe('unitSigns', () => {
  it('reads the signs of a ±1 movie straight from its file, column-major, from C and F order; none for other values', async () => {
    const [x, y, t] = [5, 3, 40];
    const f = new Float64Array(x * y * t); // column-major values
    for (let i = 0; i < f.length; i++) f[i] = (i * 7919) % 11 < 5 ? -1 : 1;
    const c = new Float64Array(f.length);
    for (let i = 0, o = 0; i < x; i++) for (let j = 0; j < y; j++) for (let k = 0; k < t; k++) c[o++] = f[i + x * (j + y * k)]!;
    const expected = Array.from(f, (v) => (v < 0 ? 1 : 0));
    const bytesOf = (a: Float64Array): Uint8Array => new Uint8Array(a.buffer);
    expect(Array.from(unitSigns(deferredArray(bytesOf(c), Float64Array, [x, y, t], false))!)).toEqual(expected);
    expect(Array.from(unitSigns(deferredArray(bytesOf(f), Float64Array, [x, y, t], true))!)).toEqual(expected);
    const file = path.join(dir, 'signs.bin');
    writeFileSync(file, Buffer.concat([Buffer.alloc(3), bytesOf(c)]));
    const { size, mtimeMs } = statSync(file);
    const region = { file, offset: 3, length: c.byteLength, size, mtimeMs, firstNonFiniteF64: -1 };
    expect(Array.from(unitSigns(deferredArray(region, Float64Array, [x, y, t], false))!)).toEqual(expected);
    const odd = Float64Array.from(c);
    odd[77] = 0.5;
    expect(unitSigns(deferredArray(bytesOf(odd), Float64Array, [x, y, t], false))).toBeUndefined();
    expect(unitSigns(deferredArray(new Uint8Array(Float32Array.from(c).buffer), Float32Array, [x, y, t], false))).toBeUndefined();
    // Both kinds pack to the blob of their values: ±1 through the signs, the other through zlib.
    for (const values of [c, odd]) {
      const back = unpackBlob((await packMovie(deferredArray(bytesOf(values), Float64Array, [x, y, t], false))).bytes) as NdArray<Float64Array>;
      expect(back.shape).toEqual([x, y, t]);
      const columnMajor = values === c ? f : Float64Array.from(f, (v, i) => (i === 77 % t * x * y + Math.floor(77 / t) % y * x + Math.floor(77 / t / y) ? 0.5 : v));
      expect(Array.from(back.data)).toEqual(Array.from(columnMajor));
    }
  });
});
