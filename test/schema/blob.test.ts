import 'reflect-metadata';
import ndarray from 'ndarray';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BlobError, Complex, Connection, Decimal, MatCell, MatStruct, Manual, Schema, Temporal, Uuid, packBlob, tuple, unpackBlob,
} from '../../src/index.js';
import { dialects, schemaName } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

describe('blob codec', () => {
  it("writes a 2x2 float64 array byte for byte as DataJoint's mYm", () => {
    // np.array([[1., 2.], [3., 4.]]) packed by DataJoint: header, then data in Fortran order.
    const a = ndarray(new Float64Array([1, 3, 2, 4]), [2, 2], [1, 2]);
    const data = Buffer.alloc(32);
    [1, 3, 2, 4].forEach((v, i) => data.writeDoubleLE(v, 8 * i));
    const typeFlags = Buffer.alloc(8);
    typeFlags.writeUInt32LE(6, 0);
    const expected = Buffer.concat([Buffer.from('mYm\0A', 'latin1'), u64(2), u64(2), u64(2), typeFlags, data]);
    expect(packBlob(a)).toEqual(expected);
    expect(packBlob([[1, 2], [3, 4]])).toEqual(expected);
    const back = unpackBlob(expected) as ndarray.NdArray<Float64Array>;
    expect(back.shape).toEqual([2, 2]);
    expect([back.get(0, 0), back.get(0, 1), back.get(1, 0), back.get(1, 1)]).toEqual([1, 2, 3, 4]);
  });

  it('round-trips every type code', () => {
    const values: unknown[] = [
      null, true, false, 0, -1, -128, 255, 2 ** 40, 12345678901234567890n, 1.5, Number.NaN, 'héllo', '',
      Buffer.from([0, 1, 2]), new Complex(1, -2), new Decimal('3.14159'), new Uuid('12345678-1234-5678-1234-567812345678'),
      new Temporal('2008-06-06', '13:45:01.250000'), new Temporal('2008-06-06', null), new Temporal(null, '00:00:01.000001'),
      tuple(1, 'a'), new Set([1, 2]), { a: 1, b: [1, 'x'] }, new Map<unknown, unknown>([[1, 'one']]),
      new MatCell([1, 2], [1, 'two']), new MatStruct([1, 1], ['x', 'y'], [{ x: 1, y: 'b' }]),
      ndarray(new Int8Array([1, -2]), [2]), ndarray(new Uint16Array([1, 2, 3, 4, 5, 6]), [2, 3]),
      ndarray(new BigInt64Array([1n, -2n]), [2]), ndarray(new Float32Array([0.5, 1.5]), [1, 2]),
    ];
    for (const value of values) {
      const bytes = packBlob(value);
      const back = unpackBlob(bytes);
      expect(packBlob(back)).toEqual(bytes);
    }
    expect(unpackBlob(packBlob('héllo'))).toBe('héllo');
    expect(unpackBlob(packBlob(12345678901234567890n))).toBe(12345678901234567890n);
    expect(unpackBlob(packBlob({ a: 1 }))).toEqual({ a: 1 });
  });

  it('compresses large blobs with the ZL123 header when it pays', () => {
    const movie = ndarray(new Float64Array(80 * 40 * 10).map((_, i) => (i % 7 < 3 ? 1 : -1)), [80, 40, 10]);
    const bytes = packBlob(movie);
    expect(bytes.subarray(0, 6).toString('latin1')).toBe('ZL123\0');
    expect(Number(bytes.readBigUInt64LE(6))).toBe(4 + 1 + 8 + 24 + 8 + 80 * 40 * 10 * 8);
    const back = unpackBlob(bytes) as ndarray.NdArray<Float64Array>;
    expect(back.shape).toEqual([80, 40, 10]);
    expect(Array.from(back.data)).toEqual(Array.from(movie.data));
  });

  it('rejects truncated, corrupt and hostile blobs with a BlobError naming the offset', () => {
    expect(() => unpackBlob(Buffer.from('nope'))).toThrow(BlobError);
    const float64 = Buffer.alloc(8);
    float64.writeUInt32LE(6, 0);
    const huge = Buffer.concat([Buffer.from('mYm\0A', 'latin1'), u64(1), u64(1e15), float64]);
    expect(() => unpackBlob(huge)).toThrow(/claims 1000000000000000 elements/);
    const bomb = Buffer.concat([Buffer.from('ZL123\0', 'latin1'), u64(1e12), Buffer.from([120, 156])]);
    expect(() => unpackBlob(bomb)).toThrow(/more than zlib can produce/);
    const good = packBlob({ a: [1, 2, 3], b: 'text' });
    expect(() => unpackBlob(good.subarray(0, good.length - 3))).toThrow(/at byte \d+/);
  });

  it('fuzz: 3,000 seeded mutations give only clean errors or values', () => {
    let seed = 42;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const samples = [
      packBlob({ a: [1, 'x', null], b: new Set([1]) }), packBlob(ndarray(new Float64Array(12), [3, 4]), { compress: false }),
      packBlob(new MatStruct([1, 2], ['f'], [{ f: 1 }, { f: 'g' }])), packBlob(ndarray(new Float64Array(400).fill(1), [20, 20])),
    ];
    let errors = 0;
    for (let i = 0; i < 3000; i++) {
      const bytes = Buffer.from(samples[i % samples.length]!);
      const edits = 1 + Math.floor(random() * 4);
      for (let e = 0; e < edits; e++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      const cut = random() < 0.2 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes;
      try {
        unpackBlob(cut);
      } catch (error) {
        expect(error).toBeInstanceOf(BlobError);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(100);
  });
});

describe.each(dialects)('blob attributes on $name', (dialect) => {
  const schema = new Schema(schemaName(`blob_${dialect.name}`), { connection: dialect.url('blob') });
  @schema class Movie extends Manual<{ id: number; frames: unknown; raw: Buffer | null; small: unknown }> {
    static override definition = 'id: int\n---\nframes: longblob\nraw = null : bytes\nsmall = null : tinyblob';
  }

  it('stores n-d arrays in DataJoint blobs and decodes them on read', async () => {
    await schema.drop({ force: true });
    const frames = ndarray(new Float64Array(64 * 48 * 20).map((_, i) => (i % 3 ? 1 : -1)), [64, 48, 20]);
    await Movie.insert1({ id: 1, frames, raw: Buffer.from('abc'), small: null });
    const row = await Movie.fetch1();
    const back = row.frames as ndarray.NdArray<Float64Array>;
    expect(back.shape).toEqual([64, 48, 20]);
    for (const [i, j, k] of [[0, 0, 0], [1, 0, 0], [0, 1, 0], [5, 7, 19], [63, 47, 19]] as const) {
      expect(back.get(i, j, k)).toBe(frames.get(i, j, k));
    }
    expect(back.stride).toEqual([1, 64, 64 * 48]);
    expect(Buffer.from(row.raw!).toString()).toBe('abc');
    await expect(Movie.insert1({ id: 2, frames: 1, raw: null, small: 'x'.repeat(300) })).rejects.toThrow(/more than a tinyblob holds/);
  });
});

describe('in-place decoding', () => {
  it('aligns an unaligned payload inside the given bytes and returns a view of them', () => {
    const values = Float64Array.from({ length: 300 }, (_, i) => i / 7);
    const bytes = Buffer.from(packBlob(ndarray(values, [300]), { compress: false }));
    const copy = unpackBlob(Buffer.from(bytes)) as ndarray.NdArray<Float64Array>;
    const view = unpackBlob(bytes, { inPlace: true }) as ndarray.NdArray<Float64Array>;
    expect(Array.from(view.data)).toEqual(Array.from(values));
    expect(Array.from(copy.data)).toEqual(Array.from(values));
    expect(view.data.buffer).toBe(bytes.buffer);
    expect(copy.data.buffer).not.toBe(bytes.buffer);
  });
});

describe.runIf(dialects.some((d) => d.name === 'mysql'))('max_allowed_packet', () => {
  it("refuses a blob larger than the server's max_allowed_packet, naming the setting, and keeps the connection", async () => {
    const url = new URL(dialects.find((d) => d.name === 'mysql')!.url('packet'));
    const admin = new Schema('rgt_packet_admin', { connection: { client: 'mysql2', connection: { host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } } });
    await admin.connection.run('SET GLOBAL max_allowed_packet = 4194304');
    try {
      // A fresh pool: new connections see the new limit.
      const schema = new Schema(schemaName('packet'), { connection: { client: 'mysql2', connection: { host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), database: undefined, charset: 'utf8mb4' } } });
      @schema class Big extends Manual<{ id: number; data: unknown }> {
        static override definition = 'id: int\n---\ndata: longblob';
      }
      await schema.drop({ force: true });
      const noise = Float64Array.from({ length: 6 * 131072 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
      await expect(Big.insert1({ id: 1, data: ndarray(noise, [noise.length]) })).rejects.toThrow(/max_allowed_packet \(4194304 bytes\).*SET GLOBAL max_allowed_packet/);
      expect(await Big.count()).toBe(0);
      await Big.insert1({ id: 2, data: ndarray(noise.subarray(0, 1000), [1000]) });
      expect(await Big.count()).toBe(1);
      await schema.drop({ force: true });
    } finally {
      await admin.connection.run('SET GLOBAL max_allowed_packet = 1073741824');
    }
  });
});

describe('round trips of the remaining type codes', () => {
  it('bool, datetime64, uint64, int16 arrays, record arrays and object arrays keep their types and bytes', async () => {
    const { BoolArray, Datetime64Array, RecArray } = await import('../../src/index.js');
    const bools = ndarray(BoolArray.from([1, 0, 1, 1]), [2, 2], [1, 2]);
    const dates = Object.assign(new Datetime64Array([10957n, 10958n]), { unit: 'D' });
    const values: unknown[] = [
      bools,
      ndarray(dates, [2], [1]),
      ndarray(new BigUint64Array([1n, 18446744073709551615n]), [2], [1]),
      ndarray(new Int16Array([-3, 4, 5]), [3], [1]),
      new RecArray({ x: ndarray(new Float64Array([1, 3]), [2], [1]), y: ndarray(new BigInt64Array([2n, 4n]), [2], [1]) }),
      ndarray(['a', 1, null, [2]], [2, 2], [1, 2]),
    ];
    for (const value of values) {
      const bytes = packBlob(value);
      expect(packBlob(unpackBlob(bytes))).toEqual(bytes);
    }
    const back = unpackBlob(packBlob(bools)) as ndarray.NdArray<Uint8Array>;
    expect(back.data).toBeInstanceOf(BoolArray);
    expect((unpackBlob(packBlob(ndarray(dates, [2], [1]))) as ndarray.NdArray<InstanceType<typeof Datetime64Array>>).data.unit).toBe('D');
    expect(packBlob(bools).subarray(0, 4).toString('latin1')).toBe('mYm\0');
    expect(packBlob(ndarray(dates, [2], [1])).subarray(0, 4).toString('latin1')).toBe('dj0\0');
  });
});
