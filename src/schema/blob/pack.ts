import { deflateSync } from 'node:zlib';
import { deflate as portableDeflate } from 'pako';
import type { NdArray } from 'ndarray';
import { BlobError } from '../../errors.js';
import { Complex, ComplexArray, Decimal, MatCell, MatStruct, PyFloat, PyInt, RecArray, Temporal, Uuid, isList, isTuple } from './blob-types.js';
import { dtypeIdOf } from './dtypes.js';
import { isUnicode } from '../util/unicode.js';

/** Options of {@link packBlob}. */
export interface PackOptions {
  /**
   * zlib-compress when the blob is over 1,000 bytes and compression pays (DataJoint's rule).
   * Default true. Blobs up to 4 MB are compressed by pako, a port of the C zlib DataJoint uses, so
   * they are the very bytes DataJoint writes for the same value. Blobs over 4 MB are first probed on
   * a 1 MB sample and stored uncompressed when the sample would not shrink by 10% (zlib runs at
   * ~40 MB/s and gains nothing on noisy floats); those that pay are compressed by Node's zlib,
   * about twice as fast, whose deflate stream differs from C zlib's (both decode the same).
   */
  readonly compress?: boolean;
  /**
   * zlib level; DataJoint uses 6 (and pako writes its bytes). Other levels use Node's zlib: on ±1
   * movies level 1 is ~9× faster and half as small; on averages of them (STAs) it shrinks them to
   * 0.24 of their size against 0.19, eight times faster.
   */
  readonly level?: number;
}

const PROBE_ABOVE = 4 << 20;
const PROBE_BYTES = 1 << 20;

function worthCompressing(blob: Buffer): boolean {
  if (blob.byteLength <= PROBE_ABOVE) return true;
  const start = Math.floor((blob.byteLength - PROBE_BYTES) / 2);
  const sample = blob.subarray(start, start + PROBE_BYTES);
  return deflateSync(sample, { level: 1 }).byteLength < 0.9 * PROBE_BYTES;
}

type Chunks = Uint8Array[];

const u8 = (n: number): Uint8Array => Uint8Array.of(n);
function u32(n: number): Uint8Array {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(n);
  return b;
}
function u64(n: number | bigint): Uint8Array {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}
const total = (chunks: Chunks): number => chunks.reduce((s, c) => s + c.byteLength, 0);
const ascii = (s: string): Uint8Array => Buffer.from(s, 'latin1');

class Packer {
  dj0 = false;

  value(v: unknown, depth = 0): Chunks {
    if (depth > 100) throw new BlobError('Value is nested more than 100 levels deep; cannot pack it.');
    // mYm (MATLAB-compatible) types first; everything after them needs DataJoint's dj0 protocol.
    if (isNdArray(v)) return this.array(v, depth);
    if (v instanceof MatCell) return this.cell(v, depth);
    if (v instanceof MatStruct) return this.struct(v, depth);
    if (v instanceof ComplexArray) return this.array(v.real, depth, v.imag);
    if (ArrayBuffer.isView(v) && !(v instanceof DataView) && !Buffer.isBuffer(v)) return this.typedArray(v as unknown as ArrayLike<number>, depth);
    if (Array.isArray(v) && !isTuple(v) && !isList(v)) {
      const numeric = nestedNumbers(v);
      if (numeric) return this.array(numeric, depth);
    }
    this.dj0 = true;
    if (v === null || v === undefined) return [u8(0xff)];
    if (typeof v === 'boolean') return [u8(0x0b), u8(v ? 1 : 0)];
    if (typeof v === 'bigint') return this.int(v);
    if (v instanceof PyInt) return this.int(v.value);
    if (typeof v === 'number' || v instanceof PyFloat) {
      const n = typeof v === 'number' ? v : v.value;
      if (typeof v === 'number' && Number.isSafeInteger(n) && !Object.is(n, -0)) return this.int(BigInt(n));
      const b = Buffer.allocUnsafe(8);
      b.writeDoubleLE(n);
      return [u8(0x0d), b];
    }
    if (typeof v === 'string') {
      // UTF-8 has no encoding for a lone surrogate: Buffer.from would write U+FFFD in its place.
      if (!isUnicode(v)) throw new BlobError(`Cannot pack the string ${JSON.stringify(v.slice(0, 40))}: it is not valid Unicode (it holds a lone surrogate).`);
      const bytes = Buffer.from(v, 'utf8');
      return [u8(0x05), u64(bytes.byteLength), bytes];
    }
    if (Buffer.isBuffer(v)) return [u8(0x06), u64(v.byteLength), v];
    if (v instanceof Complex) {
      const b = Buffer.allocUnsafe(16);
      b.writeDoubleLE(v.re, 0);
      b.writeDoubleLE(v.im, 8);
      return [u8(0x0c), b];
    }
    if (v instanceof Date) {
      if (Number.isNaN(v.getTime())) throw new BlobError('Cannot pack an invalid Date.');
      return this.temporal(
        v.getUTCFullYear() * 10000 + (v.getUTCMonth() + 1) * 100 + v.getUTCDate(),
        ((v.getUTCHours() * 100 + v.getUTCMinutes()) * 100 + v.getUTCSeconds()) * 1_000_000 + v.getUTCMilliseconds() * 1000,
      );
    }
    if (v instanceof Temporal) {
      const date = v.date === null ? -1 : Number(v.date.replace(/-/g, ''));
      let time = -1;
      if (v.time !== null) {
        const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(v.time);
        if (!m) throw new BlobError(`Temporal time "${v.time}" is not HH:MM:SS[.ffffff].`);
        time = ((Number(m[1]) * 100 + Number(m[2])) * 100 + Number(m[3])) * 1_000_000 + Number((m[4] ?? '').padEnd(6, '0'));
      }
      return this.temporal(date, time);
    }
    if (v instanceof Uuid) {
      const hex = v.value.replace(/-/g, '');
      if (!/^[0-9a-f]{32}$/i.test(hex)) throw new BlobError(`"${v.value}" is not a UUID.`);
      return [u8(0x75), Buffer.from(hex, 'hex')];
    }
    if (v instanceof Decimal) {
      const bytes = ascii(v.value);
      return [u8(0x64), u64(bytes.byteLength), bytes];
    }
    if (v instanceof RecArray) return this.recarray(v, depth);
    if (v instanceof Set) return this.sequence(0x03, [...v], depth);
    if (v instanceof Map) return this.dict([...v.entries()], depth);
    if (Array.isArray(v)) return this.sequence(isTuple(v) ? 0x01 : 0x02, v, depth);
    if (typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) return this.dict(Object.entries(v as object), depth);
    throw new BlobError(`Cannot pack a value of type ${(v as object)?.constructor?.name ?? typeof v}. See the blob type mapping in the README.`);
  }

  private int(v: bigint): Chunks {
    // Python writes abs(v).bit_length() // 8 + 1 bytes, two's complement, little-endian.
    const bitLength = v === 0n ? 0 : (v < 0n ? -v : v).toString(2).length;
    const n = Math.floor(bitLength / 8) + 1;
    if (n > 0xffff) throw new BlobError('Integers are limited to 65,535 bytes.');
    const bytes = Buffer.alloc(n);
    let x = BigInt.asUintN(8 * n, v);
    for (let i = 0; i < n; i++) {
      bytes[i] = Number(x & 0xffn);
      x >>= 8n;
    }
    const len = Buffer.allocUnsafe(2);
    len.writeUInt16LE(n);
    return [u8(0x0a), len, bytes];
  }

  private temporal(date: number, time: number): Chunks {
    const b = Buffer.allocUnsafe(12);
    b.writeInt32LE(date, 0);
    b.writeBigInt64LE(BigInt(time), 4);
    return [u8(0x74), b];
  }

  private sequence(code: number, items: readonly unknown[], depth: number): Chunks {
    const out: Chunks = [u8(code), u64(items.length)];
    for (const item of items) this.prefixed(out, item, depth);
    return out;
  }

  private dict(entries: ReadonlyArray<readonly [unknown, unknown]>, depth: number): Chunks {
    const out: Chunks = [u8(0x04), u64(entries.length)];
    for (const [k, v] of entries) {
      this.prefixed(out, k, depth);
      this.prefixed(out, v, depth);
    }
    return out;
  }

  private prefixed(out: Chunks, item: unknown, depth: number): void {
    const chunks = this.value(item, depth + 1);
    out.push(u64(total(chunks)), ...chunks);
  }

  private typedArray(data: ArrayLike<number>, depth: number): Chunks {
    return this.array({ data, shape: [data.length], stride: [1], offset: 0 } as unknown as NdArray, depth);
  }

  private array(a: NdArray, depth: number, imag?: NdArray): Chunks {
    const shape = a.shape;
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new BlobError(`Cannot pack an array of shape (${shape.join(', ')}): dimensions must be whole numbers.`);
    const ndim = shape.length;
    const data = a.data as unknown as ArrayLike<unknown>;
    const id = Array.isArray(data) ? 5 : dtypeIdOf(data);
    if (id === undefined) throw new BlobError(`Cannot pack an array over ${(data as object).constructor.name}.`);
    if (id >= 65_536 || ndim === 0 || id === 5) this.dj0 = true;
    const header = arrayHeader(shape, id, imag !== undefined);
    if (id === 5) {
      const out = header;
      for (const item of columnMajorItems(a)) this.prefixed(out, item, depth);
      return out;
    }
    header.push(columnMajorBytes(a));
    if (imag) header.push(columnMajorBytes(imag));
    return header;
  }

  private cell(c: MatCell, depth: number): Chunks {
    const out: Chunks = [u8(0x43), u64(c.shape.length), ...c.shape.map((s) => u64(s))];
    for (const item of c.items) this.prefixed(out, item, depth);
    return out;
  }

  private struct(s: MatStruct, depth: number): Chunks {
    const out: Chunks = [u8(0x53), u64(s.shape.length), ...s.shape.map((n) => u64(n)), u32(s.fields.length), ascii(`${s.fields.join('\0')}\0`)];
    for (const record of s.records) for (const f of s.fields) this.prefixed(out, record[f], depth);
    return out;
  }

  private recarray(r: RecArray, depth: number): Chunks {
    this.dj0 = true;
    const names = Object.keys(r.fields);
    const out: Chunks = [u8(0x46), u32(names.length), ascii(`${names.join('\0')}\0`)];
    for (const name of names) {
      const field = r.fields[name];
      out.push(...(field instanceof RecArray ? this.recarray(field, depth + 1) : this.value(field, depth + 1)));
    }
    return out;
  }
}

/** An array's header in a blob: 'A', the number of dimensions, the shape, the type id, complex or not. */
function arrayHeader(shape: readonly number[], id: number, complex: boolean): Chunks {
  return [u8(0x41), u64(shape.length), ...shape.map((s) => u64(s)), u32(id), u32(complex ? 1 : 0)];
}

/**
 * The first bytes of the (uncompressed) blob of a float64 array of `shape`: the protocol and the
 * array's header. Its column-major values follow, 8 bytes each; a writer that streams them (a
 * movie compressed a few frames at a time) needs no other part of packBlob.
 *
 * @example
 * ```ts
 * const prefix = float64ArrayBlobPrefix([64, 48, 4000]);   // 'mYm\0' 'A' ndim=3 shape type=float64 real
 * // packBlob(movie) without compression is Buffer.concat([prefix, column-major float64 bytes])
 * ```
 */
export function float64ArrayBlobPrefix(shape: readonly number[]): Buffer {
  if (shape.length === 0) throw new BlobError('A float64 array blob needs at least one dimension.');
  return Buffer.concat([ascii('mYm\0'), ...arrayHeader(shape, dtypeIdOf(new Float64Array(0))!, false)]);
}

export function isNdArray(v: unknown): v is NdArray {
  return v !== null && typeof v === 'object' && Array.isArray((v as NdArray).shape) && Array.isArray((v as NdArray).stride) && 'data' in (v as object) && 'offset' in (v as object);
}

/** The array's bytes in column-major order; a view when it already is, a copy otherwise. */
function columnMajorBytes(a: NdArray): Uint8Array {
  const data = a.data as unknown as ArrayLike<number> & { buffer: ArrayBuffer; byteOffset: number; BYTES_PER_ELEMENT: number };
  const size = a.shape.reduce((p, s) => p * s, 1);
  let expected = 1;
  const contiguous = a.shape.every((s, i) => {
    const ok = s === 1 || a.stride[i] === expected;
    expected *= s;
    return ok;
  });
  const itemBytes = data.BYTES_PER_ELEMENT;
  if (contiguous) return new Uint8Array(data.buffer, data.byteOffset + a.offset * itemBytes, size * itemBytes);
  const Ctor = (data as unknown as { constructor: new (n: number) => { [i: number]: unknown; buffer: ArrayBuffer } }).constructor;
  const out = new Ctor(size);
  let i = 0;
  for (const index of columnMajorIndices(a)) out[i++] = (data as unknown as Record<number, unknown>)[index];
  return new Uint8Array(out.buffer);
}

function* columnMajorIndices(a: NdArray): Generator<number> {
  const size = a.shape.reduce((p, s) => p * s, 1);
  const idx = new Array<number>(a.shape.length).fill(0);
  for (let n = 0; n < size; n++) {
    let offset = a.offset;
    for (let d = 0; d < idx.length; d++) offset += idx[d]! * a.stride[d]!;
    yield offset;
    for (let d = 0; d < idx.length; d++) {
      if (++idx[d]! < a.shape[d]!) break;
      idx[d] = 0;
    }
  }
}

function columnMajorItems(a: NdArray): unknown[] {
  const data = a.data as unknown as unknown[];
  return [...columnMajorIndices(a)].map((i) => data[i]);
}

/** A rectangular nested array of numbers as a column-major float64 ndarray (numpy's np.array). */
function nestedNumbers(v: unknown[]): NdArray | undefined {
  if (v.length === 0) return undefined;
  const shape: number[] = [];
  let level: unknown = v;
  while (Array.isArray(level)) {
    if (level.length === 0) return undefined;
    shape.push(level.length);
    level = level[0];
  }
  if (typeof level !== 'number') return undefined;
  const size = shape.reduce((p, s) => p * s, 1);
  const out = new Float64Array(size);
  const strides = shape.map((_, i) => shape.slice(0, i).reduce((p, s) => p * s, 1));
  const fill = (node: unknown, dim: number, offset: number): boolean => {
    if (dim === shape.length) {
      if (typeof node !== 'number') return false;
      out[offset] = node;
      return true;
    }
    if (!Array.isArray(node) || node.length !== shape[dim]) return false;
    return node.every((child, i) => fill(child, dim + 1, offset + i * strides[dim]!));
  };
  if (!fill(v, 0, 0)) return undefined;
  return { data: out, shape, stride: strides, offset: 0 } as unknown as NdArray;
}

/**
 * Serializes a value in DataJoint's blob format (`mYm`, or `dj0` for Python-only types), zlib-
 * compressed as DataJoint does. Bytes in, bytes out: usable outside any table.
 *
 * @example
 * ```ts
 * const bytes = packBlob(ndarray(new Float64Array([1, 2, 3, 4]), [2, 2]));
 * // 'mYm\0' 'A' ndim=2 shape=(2,2) type=6 (float64) complex=0, then 32 bytes of data
 * ```
 */
export function packBlob(value: unknown, options: PackOptions = {}): Buffer {
  const blob = serializeBlob(value);
  if (!compressionWanted(blob, options)) return blob;
  const level = (options.level ?? 6) as 6;
  // DataJoint writes level 6: only there do its bytes (pako's) matter; elsewhere Node's zlib is faster.
  return compressedForm(blob, blob.byteLength <= PROBE_ABOVE && level === 6 ? Buffer.from(portableDeflate(blob, { level })) : deflateSync(blob, { level }));
}

/** A value's blob before compression: the protocol name, then the serialized value. */
export function serializeBlob(value: unknown): Buffer {
  const packer = new Packer();
  const body = packer.value(value);
  return Buffer.concat([ascii(packer.dj0 ? 'dj0\0' : 'mYm\0'), ...body]);
}

/** Whether to try zlib on a serialized blob: over 1,000 bytes and, for large ones, a sample shrinks. */
export function compressionWanted(blob: Buffer, options: PackOptions): boolean {
  return (options.compress ?? true) && blob.byteLength > 1000 && worthCompressing(blob);
}

/** The `ZL123` form when the zlib stream is smaller than the blob, else the blob as it is. */
export function compressedForm(blob: Buffer, compressed: Buffer): Buffer {
  return zl123(blob.byteLength, compressed) ?? blob;
}

/** A blob of `length` bytes as its zlib stream in the `ZL123` framing, when that is smaller. */
export function zl123(length: number, compressed: Buffer): Buffer | undefined {
  return compressed.byteLength + 14 < length ? Buffer.concat([ascii('ZL123\0'), u64(length), compressed]) : undefined;
}
