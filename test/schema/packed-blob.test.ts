import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';
import { BlobError, Manual, packBlob, PackedBlob, packBlobAsync, Schema, unpackBlob } from '../../src/index.js';
import { dialects, schemaName } from '../setup/dialects.js';

describe('packBlobAsync', () => {
  it("gives packBlob's bytes (DataJoint's) at level 6 up to 4 MiB, and at other levels below 128 KiB", async () => {
    const movie = ndarray(Float64Array.from({ length: 64 * 48 * 30 }, (_, i) => (i % 7 < 3 ? 1 : -1)), [64, 48, 30], [1, 64, 64 * 48]);
    const small = ndarray(Float64Array.from({ length: 64 * 48 * 4 }, (_, i) => (i % 7 < 3 ? 1 : -1)), [64, 48, 4], [1, 64, 64 * 48]);
    const noise = Float64Array.from({ length: 5000 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
    for (const [value, options] of [[movie, {}], [small, { level: 1 }], [noise, {}], ['short', {}], [{ a: [1, 2, 3] }, { compress: false }]] as const) {
      const packed = await packBlobAsync(value, options);
      expect(Buffer.from(packed.bytes)).toEqual(packBlob(value, options));
    }
    expect(Buffer.from((await packBlobAsync(movie)).bytes).toString('latin1', 0, 6)).toBe('ZL123\0');
  });

  it('at a level other than 6 cuts a blob from 128 KiB into pieces for the pool, to bytes that unpack to the value', async () => {
    const movie = ndarray(Float64Array.from({ length: 64 * 48 * 30 }, (_, i) => (i % 7 < 3 ? 1 : -1)), [64, 48, 30], [1, 64, 64 * 48]);
    const packed = await packBlobAsync(movie, { level: 1 });
    expect(Buffer.from(packed.bytes).toString('latin1', 0, 6)).toBe('ZL123\0');
    // Pieces joined into one zlib stream: not one deflate call's bytes, the same value.
    expect(Buffer.from(packed.bytes).equals(packBlob(movie, { level: 1 }))).toBe(false);
    const back = unpackBlob(packed.bytes) as ndarray.NdArray<Float64Array>;
    expect(back.shape).toEqual([64, 48, 30]);
    expect(Buffer.from(back.data.buffer, back.data.byteOffset, back.data.byteLength).equals(Buffer.from(movie.data.buffer))).toBe(true);
  });

  it('compresses a blob over 4 MiB in pieces on the thread pool, to bytes that unpack to the value', async () => {
    const big = ndarray(Float64Array.from({ length: 96 * 64 * 200 }, (_, i) => ((i * 2654435761) % 7 < 3 ? 1 : -1)), [96, 64, 200], [1, 96, 96 * 64]);
    const packed = await packBlobAsync(big, { level: 3 });
    const back = unpackBlob(packed.bytes) as ndarray.NdArray<Float64Array>;
    expect(back.shape).toEqual([96, 64, 200]);
    expect(Buffer.from(back.data.buffer, back.data.byteOffset, back.data.byteLength).equals(Buffer.from(big.data.buffer))).toBe(true);
    expect(packed.bytes.byteLength).toBeLessThan(packBlob(big, { level: 3 }).byteLength * 1.01);
  });

  it('refuses bytes that are not a DataJoint blob', () => {
    expect(() => new PackedBlob(Buffer.from('hello world'))).toThrow(BlobError);
    expect(() => new PackedBlob(Buffer.from('hello world'))).toThrow(/mYm, dj0 or ZL123/);
  });
});

describe.each(dialects)('PackedBlob values on $name', (dialect) => {
  const schema = new Schema(schemaName(`packed_blob_${dialect.name}`), { connection: dialect.url('packed_blob') });
  @schema class Clip extends Manual<{ id: number; frames: unknown }> {
    static override definition = 'id: int\n---\nframes: longblob';
  }

  it('are stored as they are (not serialized again) and fetched as the value they hold', async () => {
    await schema.drop({ force: true });
    const frames = ndarray(Float64Array.from({ length: 16 * 9 * 40 }, (_, i) => (i % 5 ? -1 : 1)), [16, 9, 40], [1, 16, 144]);
    const packed = await packBlobAsync(frames, { level: 1 });
    expect(unpackBlob(packed.bytes)).toBeDefined();
    await Clip.insert([{ id: 1, frames: packed }, { id: 2, frames: new PackedBlob(packBlob([1, 2, 3])) }]);
    const [one, two] = await Clip.query().orderBy('id').fetch();
    const back = one!.frames as ndarray.NdArray<Float64Array>;
    expect(back.shape).toEqual([16, 9, 40]);
    expect(Array.from(back.data)).toEqual(Array.from(frames.data));
    expect(Array.from((two!.frames as ndarray.NdArray<Float64Array>).data)).toEqual([1, 2, 3]);
  });

  it('replace a row\'s blob through update1, also one of several MiB (sent as a binary parameter)', async () => {
    await schema.drop({ force: true });
    await Clip.insert1({ id: 1, frames: new PackedBlob(packBlob(null)) });
    const big = Float64Array.from({ length: 3 << 17 }, (_, i) => Math.sin(i)); // 3 MiB, incompressible
    await Clip.update1({ id: 1, frames: new PackedBlob(packBlob(big)) });
    expect(Array.from(((await Clip.restrict({ id: 1 }).fetch1()).frames as ndarray.NdArray<Float64Array>).data)).toEqual(Array.from(big));
  });
});
