import { inflateSync } from 'node:zlib';
import ndarray, { type NdArray } from 'ndarray';
import { BlobError } from '../../errors.js';
import { Complex, ComplexArray, Datetime64Array, Decimal, MatCell, MatStruct, PyFloat, RecArray, Temporal, Uuid, markList, tuple } from './blob-types.js';
import { DATETIME64_UNITS, DTYPES } from './dtypes.js';

// ignoreBOM: a string that starts with U+FEFF keeps it, as Python's decode('utf-8') does.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const MAX_DEPTH = 100;
/** zlib cannot expand more than about 1032:1. */
const MAX_ZLIB_RATIO = 1100;

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer, private readonly inPlace = false, private readonly dims32 = false, private depth = 0) {}

  need(n: number, what: string): void {
    if (!Number.isSafeInteger(n) || n < 0 || this.pos + n > this.buf.byteLength) {
      throw new BlobError(`Blob ends early: expected ${what} (${n} bytes) but only ${this.buf.byteLength - this.pos} remain`, this.pos);
    }
  }
  u8(what = 'a type code'): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  /** Sizes, counts and dimensions: 64-bit, or 32-bit in blobs of the 32-bit MATLAB mYm. */
  u64(what: string): number {
    if (this.dims32) return this.u32(what);
    this.need(8, what);
    const v = this.buf.readBigUInt64LE(this.pos);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new BlobError(`Implausible ${what}: ${v}`, this.pos);
    this.pos += 8;
    return Number(v);
  }
  bytes(n: number, what: string): Buffer {
    this.need(n, what);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  zString(what: string): string {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) throw new BlobError(`Blob ends early: expected a zero-terminated ${what}`, this.pos);
    const text = this.buf.toString('latin1', this.pos, end);
    this.pos = end + 1;
    return text;
  }
  shape(): number[] {
    const ndim = this.u64('the number of dimensions');
    if (ndim > 64) throw new BlobError(`Implausible number of dimensions: ${ndim}`, this.pos - 8);
    const shape: number[] = [];
    for (let i = 0; i < ndim; i++) shape.push(this.u64(`dimension ${i}`));
    return shape;
  }
  /** Elements in a shape, refused when even the smallest encoding could not fit in what remains. */
  count(shape: readonly number[], minBytesEach: number, what: string): number {
    const n = shape.reduce((p, s) => p * s, 1);
    const remaining = this.buf.byteLength - this.pos;
    if (!Number.isSafeInteger(n) || n * minBytesEach > remaining) {
      throw new BlobError(`The shape (${shape.join(', ')}) claims ${n} ${what}, more than the ${remaining} remaining bytes can hold`, this.pos);
    }
    return n;
  }

  blob(expectedBytes?: number): unknown {
    if (this.depth > MAX_DEPTH) throw new BlobError(`Blob is nested more than ${MAX_DEPTH} levels deep`, this.pos);
    this.depth++;
    const start = this.pos;
    const code = this.u8();
    let value: unknown;
    switch (code) {
      case 0x41: value = this.array(); break;
      case 0x53: value = this.struct(); break;
      case 0x43: value = this.cell(); break;
      case 0x46: value = this.recarray(); break;
      case 0x50: throw new BlobError('Sparse MATLAB arrays are not supported (neither does DataJoint for Python)', start);
      case 0xff: value = null; break;
      case 0x01: value = tuple(...this.items()); break;
      case 0x02: value = markList(this.items()); break;
      case 0x03: value = new Set(this.items()); break;
      case 0x04: value = this.dict(); break;
      case 0x05: value = this.text(this.u64('a string length')); break;
      case 0x06: value = Buffer.from(this.bytes(this.u64('a byte-string length'), 'bytes')); break;
      case 0x0a: value = this.int(); break;
      case 0x0b: value = this.u8('a boolean') !== 0; break;
      case 0x0c: { const b = this.bytes(16, 'a complex number'); value = new Complex(b.readDoubleLE(0), b.readDoubleLE(8)); break; }
      case 0x0d: value = pythonFloat(this.bytes(8, 'a float').readDoubleLE(0)); break;
      case 0x64: value = new Decimal(this.text(this.u64('a decimal length'))); break;
      case 0x74: value = this.temporal(); break;
      case 0x75: value = new Uuid(formatUuid(this.bytes(16, 'a UUID'))); break;
      default: throw new BlobError(`Unknown data structure code 0x${code.toString(16).padStart(2, '0')}`, start);
    }
    this.depth--;
    if (expectedBytes !== undefined && this.pos - start !== expectedBytes) {
      throw new BlobError(`Length check failed: the item was declared as ${expectedBytes} bytes but used ${this.pos - start}`, start);
    }
    return value;
  }

  private sized(): unknown {
    const n = this.u64('an item length');
    this.need(n, 'an item');
    return this.blob(n);
  }

  private items(): unknown[] {
    const n = this.u64('an item count');
    if (n * 5 > this.buf.byteLength - this.pos) throw new BlobError(`The count ${n} is more than the remaining bytes can hold`, this.pos - 8);
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) out.push(this.sized());
    return out;
  }

  private dict(): unknown {
    const n = this.u64('a dict size');
    if (n * 18 > this.buf.byteLength - this.pos) throw new BlobError(`The dict size ${n} is more than the remaining bytes can hold`, this.pos - 8);
    const pairs: Array<[unknown, unknown]> = [];
    for (let i = 0; i < n; i++) pairs.push([this.sized(), this.sized()]);
    if (pairs.every(([k]) => typeof k === 'string')) {
      // JS puts keys like '1' first in an object; a dict whose order that would change stays a Map.
      const object = Object.fromEntries(pairs);
      const keys = Object.keys(object);
      if (keys.length === pairs.length && keys.every((k, i) => k === pairs[i]![0])) return object;
    }
    return new Map(pairs);
  }

  private text(n: number): string {
    const bytes = this.bytes(n, 'UTF-8 text');
    try {
      return utf8.decode(bytes);
    } catch (cause) {
      throw new BlobError('Invalid UTF-8 in a string', this.pos - n, { cause });
    }
  }

  private int(): number | bigint {
    const n = this.u16('an integer width');
    const bytes = this.bytes(n, 'integer bytes');
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
    if (n > 0) v = BigInt.asIntN(8 * n, v);
    return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  }

  private temporal(): Temporal {
    const b = this.bytes(12, 'a date and time');
    const date = b.readInt32LE(0);
    const time = b.readBigInt64LE(4);
    const p = (n: number | bigint, w = 2): string => String(n).padStart(w, '0');
    const dateText = date >= 0 ? `${p(Math.floor(date / 10000), 4)}-${p(Math.floor(date / 100) % 100)}-${p(date % 100)}` : null;
    let timeText: string | null = null;
    if (time >= 0n) {
      const t = time;
      timeText = `${p((t / 10_000_000_000n) % 100n)}:${p((t / 100_000_000n) % 100n)}:${p((t / 1_000_000n) % 100n)}.${p(t % 1_000_000n, 6)}`;
    }
    return new Temporal(dateText, timeText);
  }

  private array(): unknown {
    const shape = this.shape();
    const typeId = this.u32('a type id');
    const isComplex = this.u32('the complex flag') !== 0;
    if (typeId === 5) {
      const n = this.count(shape, 9, 'objects');
      const items: unknown[] = [];
      for (let i = 0; i < n; i++) items.push(this.sized());
      return ndarray(items, shape, columnMajorStrides(shape));
    }
    if (typeId === 4) {
      const n = this.count(shape, 2, 'characters');
      const chars = this.bytes(2 * n, 'characters');
      let text = '';
      for (let i = 0; i < n; i++) text += String.fromCharCode(chars.readUInt16LE(2 * i));
      if (shape.length <= 1 || (shape.length === 2 && shape[0] === 1)) return text;
      return ndarray([...text], shape, columnMajorStrides(shape));
    }
    const isDatetime = typeId >= 65_536 && typeId < 65_536 + DATETIME64_UNITS.length;
    const info = isDatetime ? { bytes: 8, make: (b: ArrayBuffer, o: number, n: number) => new Datetime64Array(b, o, n) } : DTYPES.get(typeId);
    if (!info) throw new BlobError(`Unknown array type id ${typeId}`, this.pos - 8);
    const n = this.count(shape, info.bytes * (isComplex ? 2 : 1), 'elements');
    const real = this.typed(info, n, isDatetime ? DATETIME64_UNITS[typeId - 65_536] : undefined);
    // 0-d arrays (numpy scalars included) stay 0-d arrays of their dtype, as DataJoint reads them.
    if (isComplex) {
      const imag = this.typed(info, n);
      return new ComplexArray(ndarray(real as never, shape, columnMajorStrides(shape)), ndarray(imag as never, shape, columnMajorStrides(shape)));
    }
    return ndarray(real as never, shape, columnMajorStrides(shape));
  }

  /** A typed array over the payload: a view when aligned, else one copy into aligned memory. */
  private typed(info: { bytes: number; make: (b: ArrayBuffer, o: number, n: number) => ArrayLike<number | bigint> }, n: number, unit?: string): ArrayLike<number | bigint> {
    const bytes = this.bytes(n * info.bytes, 'array data');
    let view: ArrayLike<number | bigint>;
    if (bytes.byteOffset % info.bytes === 0) {
      view = info.make(bytes.buffer as ArrayBuffer, bytes.byteOffset, n);
    } else if (this.inPlace && bytes.byteOffset - this.buf.byteOffset >= bytes.byteOffset % info.bytes) {
      // Typed arrays need aligned offsets. The payload moves back over header bytes already read
      // (at most 7), inside this blob's own bytes: a memmove in memory that is already mapped.
      const shift = bytes.byteOffset % info.bytes;
      this.buf.copyWithin(bytes.byteOffset - this.buf.byteOffset - shift, bytes.byteOffset - this.buf.byteOffset, bytes.byteOffset - this.buf.byteOffset + bytes.byteLength);
      view = info.make(this.buf.buffer as ArrayBuffer, bytes.byteOffset - shift, n);
    } else {
      const copy = Buffer.allocUnsafeSlow(bytes.byteLength);
      bytes.copy(copy);
      view = info.make(copy.buffer as ArrayBuffer, copy.byteOffset, n);
    }
    if (unit !== undefined) (view as Datetime64Array).unit = unit;
    return view;
  }

  private struct(): unknown {
    const shape = this.shape();
    const nFields = this.u32('the number of fields');
    if (nFields === 0) return null;
    const fields: string[] = [];
    for (let i = 0; i < nFields; i++) fields.push(this.zString('field name'));
    const n = this.count(shape, 9 * nFields, 'struct elements');
    const records: Array<Record<string, unknown>> = [];
    for (let i = 0; i < n; i++) {
      const record: Record<string, unknown> = {};
      for (const f of fields) record[f] = this.sized();
      records.push(record);
    }
    return new MatStruct(shape, fields, records);
  }

  private cell(): MatCell {
    const shape = this.shape();
    const n = this.count(shape, 9, 'cells');
    const items: unknown[] = [];
    for (let i = 0; i < n; i++) items.push(this.sized());
    return new MatCell(shape, items);
  }

  private recarray(): unknown {
    const nFields = this.u32('the number of fields');
    if (nFields === 0) return null;
    if (nFields > this.buf.byteLength - this.pos) throw new BlobError(`Implausible number of fields: ${nFields}`, this.pos - 4);
    const names: string[] = [];
    for (let i = 0; i < nFields; i++) names.push(this.zString('field name'));
    const fields: Record<string, unknown> = {};
    for (const name of names) fields[name] = this.blob();
    return new RecArray(fields);
  }
}

/** A Python float: a whole one stays a float (a JS number that is whole would pack as an int). */
function pythonFloat(value: number): number | PyFloat {
  return Number.isSafeInteger(value) && !Object.is(value, -0) ? new PyFloat(value) : value;
}

function formatUuid(b: Uint8Array): string {
  const hex = Buffer.from(b).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function columnMajorStrides(shape: readonly number[]): number[] {
  const strides: number[] = [];
  let s = 1;
  for (const d of shape) {
    strides.push(s);
    s *= d;
  }
  return strides;
}

/** Options of {@link unpackBlob}. */
export interface UnpackOptions {
  /**
   * The caller gives the bytes away: unaligned numeric payloads are aligned inside them instead of
   * copied, and the returned arrays are views of them. The bytes must not be used afterwards.
   * fetch() does this with the driver's buffers. Default false: the input is never modified.
   */
  readonly inPlace?: boolean;
  /** Read sizes as 32-bit, for blobs written by the 32-bit MATLAB mYm (DataJoint's use_32bit_dims). */
  readonly use32BitDims?: boolean;
}

/**
 * Reads a DataJoint blob (`mYm` or `dj0`, optionally `ZL123` zlib-compressed). n-d arrays come
 * back as column-major `ndarray`s over the payload. Malformed input raises a BlobError naming the
 * byte offset; nothing is allocated beyond what the input can justify.
 *
 * @example
 * ```ts
 * const movie = unpackBlob(bytes) as NdArray<Float64Array>;
 * movie.shape;         // [80, 40, 3854]
 * movie.get(0, 0, 10); // 1 or -1
 * ```
 */
export function unpackBlob(input: Uint8Array, options: UnpackOptions = {}): unknown {
  let buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  let owned = options.inPlace ?? false;
  if (buf.byteLength >= 6 && buf.toString('latin1', 0, 6) === 'ZL123\0') {
    const head = new Reader(buf, false, options.use32BitDims ?? false);
    head.pos = 6;
    const size = head.u64('the uncompressed size');
    const compressed = buf.subarray(14);
    if (size > compressed.byteLength * MAX_ZLIB_RATIO + 1024) {
      throw new BlobError(`The header claims ${size} uncompressed bytes from ${compressed.byteLength} compressed ones, more than zlib can produce`, 6);
    }
    try {
      // One output chunk a little larger than the blob: zlib writes into it and Node returns it
      // as it is, with no second buffer to fill and concatenate (about twice as fast for movies).
      buf = inflateSync(compressed, { maxOutputLength: Math.max(1, size), chunkSize: Math.max(64, size + 64) });
    } catch (cause) {
      throw new BlobError(`Corrupt zlib data: ${(cause as Error).message}`, 14, { cause });
    }
    if (buf.byteLength !== size) throw new BlobError(`Decompressed to ${buf.byteLength} bytes; the header said ${size}`, 6);
    owned = true;
  }
  const reader = new Reader(buf, owned, options.use32BitDims ?? false);
  const protocol = reader.zString('protocol name');
  if (protocol !== 'mYm' && protocol !== 'dj0') {
    throw new BlobError(`Not a DataJoint blob: the protocol is "${protocol.slice(0, 8)}", expected mYm or dj0`, 0);
  }
  return reader.blob(buf.byteLength - reader.pos);
}

export type { NdArray };
