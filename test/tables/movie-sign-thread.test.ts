import { mkdtempSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NdArray } from 'ndarray';
import { describe, expect, it } from 'vitest';
import { DataSourceError } from '../../src/index.js';
import { deflateUnitSigns } from '../../src/schema/blob/deflate-unit-signs.js';
import { float64ArrayBlobPrefix } from '../../src/schema/blob/pack.js';
import { unpackBlob } from '../../src/schema/blob/unpack.js';
import { packMovie } from '../../src/tables/movie-blob.js';
import { postSignJob, postSignJobEarly, signThreadRunning, startSignThread, type SignJobHandle } from '../../src/tables/movie-sign-thread.js';
import { parseNumpyPickle } from '../../src/tables/sources/numpy-pickle.js';
import type { ArrayLayout } from '../../src/tables/sources/pickle-layout-guess.js';
import { readPickleSkeleton } from '../../src/tables/sources/pickle-skeleton.js';
import { writePickle } from '../../src/tables/synth/pickle-writer.js';
import { deferredArray, unitSigns } from '../../src/tables/sources/deferred-array.js';

const dir = mkdtempSync(path.join(tmpdir(), 'rg-sign-thread-'));
const [X, Y, T] = [16, 12, 700]; // 1.07 MB of values

/** Column-major ±1 values, and the same movie in C order. */
function movieValues(seed: number): { f: Float64Array; c: Float64Array } {
  const f = new Float64Array(X * Y * T);
  for (let i = 0; i < f.length; i++) f[i] = ((i * 2654435761 + seed) >>> 9) & 1 ? -1 : 1;
  const c = new Float64Array(f.length);
  for (let i = 0, o = 0; i < X; i++) for (let j = 0; j < Y; j++) for (let k = 0; k < T; k++) c[o++] = f[i + X * (j + Y * k)]!;
  return { f, c };
}

/** A movie left in a region of a file (as a pickle's skeleton leaves it), 5 bytes in. */
function inFile(name: string, values: Float64Array, fortran: boolean): NdArray<Float64Array> {
  const file = path.join(dir, name);
  writeFileSync(file, Buffer.concat([Buffer.alloc(5), new Uint8Array(values.buffer)]));
  const { size, mtimeMs } = statSync(file);
  return deferredArray({ file, offset: 5, length: values.byteLength, size, mtimeMs, firstNonFiniteF64: -1 }, Float64Array, [X, Y, T], fortran);
}

describe('postSignJob: white-noise movies packed on a worker thread', () => {
  it("gives this thread's encoder's bytes for movies of C and F order, in the order posted, and nothing for other values", async () => {
    const movies = [1, 2, 3].map((seed) => movieValues(seed));
    const arrays = movies.flatMap(({ f, c }, i) => [inFile(`c${i}.bin`, c, false), inFile(`f${i}.bin`, f, true)]);
    const prefix = float64ArrayBlobPrefix([X, Y, T]);
    const jobs = arrays.map((a) => postSignJob(a, prefix) as SignJobHandle);
    expect(signThreadRunning()).toBe(true);
    // Waiting for what the worker answers (settled takes no job here).
    const streams = await Promise.all(jobs.map((j) => j.settled));
    expect(signThreadRunning()).toBe(true); // it answered every job itself
    for (const [i, z] of streams.entries()) expect(z).toEqual(deflateUnitSigns(prefix, unitSigns(arrays[i]!)!));
    expect(streams[0]).toEqual(streams[1]); // C and F order: the same movie
    const odd = Float64Array.from(movies[0]!.c);
    odd[X * Y * T - 3] = 0.5;
    await expect((postSignJob(inFile('odd.bin', odd, false), prefix) as SignJobHandle).settled).resolves.toBeUndefined();
    // Asked for at once, the first is packed here, and the ones after it too while the worker has one.
    const again = arrays.map((a) => postSignJob(a, prefix) as SignJobHandle);
    const here = await Promise.all(again.map((j) => j.result()));
    expect(here).toEqual(streams);
    // Not a movie in a file region: not the thread's to pack.
    expect(postSignJob(deferredArray(new Uint8Array(movies[0]!.f.buffer), Float64Array, [X, Y, T], true), prefix)).toBe(false);
  });

  it('packs every value of the movie into its blob, bit for bit', async () => {
    const { f, c } = movieValues(7);
    const back = unpackBlob((await packMovie(inFile('blob.bin', c, false))).bytes) as NdArray<Float64Array>;
    expect(back.shape).toEqual([X, Y, T]);
    expect(Buffer.from(back.data.buffer, back.data.byteOffset, back.data.byteLength).equals(Buffer.from(f.buffer))).toBe(true);
  });

  it("refuses a file that changed since it was read, with the worker's DataSourceError", async () => {
    const movie = inFile('changed.bin', movieValues(4).c, false);
    utimesSync(path.join(dir, 'changed.bin'), new Date(), new Date(Date.now() + 5000));
    const job = (postSignJob(movie, float64ArrayBlobPrefix([X, Y, T])) as SignJobHandle).settled;
    await expect(job).rejects.toThrow(DataSourceError);
    await expect(job).rejects.toThrow(/changed since it was read/);
  });
});

describe('the movie worker thread', () => {
  it('lets a process end by itself once it has no job, started or not', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const module = path.resolve('src/tables/movie-sign-thread.ts');
    const script = `const m = await import(${JSON.stringify(module)}); m.startSignThread(); console.log(m.signThreadRunning());`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', script], { timeout: 30_000 });
    expect(stdout.trim()).toBe('true');
  });
});

describe('postSignJobEarly: movies packed while their pickle is still read', () => {
  it('gives its job to the parsed movie when the layout guessed during the read is right, and packs anew when not', async () => {
    const { f, c } = movieValues(11);
    const file = path.join(dir, 'early.pkl');
    writeFileSync(file, writePickle({ pad: 'x', movie: { dtype: 'f8', shape: [X, Y, T], data: c } }, 4));
    startSignThread();
    const prefix = float64ArrayBlobPrefix([X, Y, T]);
    const want = deflateUnitSigns(prefix, Uint8Array.from(f, (v) => (v < 0 ? 1 : 0)));
    const guessed: ArrayLayout[] = [];
    const read = await readPickleSkeleton('test', file, 2 ** 32, { onWhiteNoise: (region, layout) => { guessed.push(layout); postSignJobEarly(region, layout); } });
    expect(guessed).toEqual([{ shape: [X, Y, T], fortran: false }]);
    const movie = (parseNumpyPickle(read.bytes, read.regions) as { movie: NdArray }).movie;
    // Packed from what the read found: the file, changed since, is not read again.
    utimesSync(file, new Date(), new Date(Date.now() + 7000));
    expect(await (postSignJob(movie, prefix) as SignJobHandle).result()).toEqual(want);
    // A wrong guess (another shape of the same size): its job is dropped, and the movie packed from its file.
    writeFileSync(file, writePickle({ pad: 'x', movie: { dtype: 'f8', shape: [X, Y, T], data: c } }, 4));
    const again = await readPickleSkeleton('test', file, 2 ** 32, { onWhiteNoise: (region) => postSignJobEarly(region, { shape: [Y, X, T], fortran: false }) });
    const parsed = (parseNumpyPickle(again.bytes, again.regions) as { movie: NdArray }).movie;
    expect(await (postSignJob(parsed, prefix) as SignJobHandle).result()).toEqual(want);
  });
});
