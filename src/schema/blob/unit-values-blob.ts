import { inflateUnitSigns } from './inflate-unit-signs.js';
import { float64ArrayBlobPrefix } from './pack.js';

/** A float64 array of +1 and −1 values read a byte a value: its shape, and its values as int8 in column-major order. */
export interface UnitValuesArray {
  readonly shape: readonly number[];
  readonly units: Int8Array;
  /** How many values are −1 (counted for the checksum anyway): the values sum to units.length − 2 × minus. */
  readonly minus: number;
}

/**
 * A stored white-noise movie read a byte a value, without unpacking its float64 values: for a
 * `ZL123` blob of a float64 array written by rg-schema's ±1 encoder (see deflate-unit-signs.ts),
 * whose stream inflate-unit-signs.ts reads at one byte a value instead of eight. Any other blob
 * (another dtype, zlib's or DataJoint's own compression, an uncompressed one, a damaged one) gives
 * undefined: unpack it with unpackBlob, which reads every blob.
 *
 * @example
 * ```ts
 * const read = unpackUnitValuesArray(storedBytes);
 * read?.shape;   // [80, 40, 3854]
 * read?.units;   // Int8Array(80 * 40 * 3854) of +1 and −1
 * ```
 */
export function unpackUnitValuesArray(blob: Uint8Array): UnitValuesArray | undefined {
  if (blob.byteLength < 14 || !startsWith(blob, ZL123)) return undefined;
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const size = Number(view.getBigUint64(6, true));
  if (!Number.isSafeInteger(size)) return undefined;
  const read = inflateUnitSigns(blob.subarray(14), (head) => {
    if (!startsWith(head, ARRAY_HEAD)) return undefined;
    const dims = Number(new DataView(head.buffer, head.byteOffset, head.byteLength).getBigUint64(5, true));
    // 'mYm\0', 'A', the number of dimensions, each dimension, then the type and the complex flag.
    return dims >= 1 && dims <= 32 ? 13 + 8 * dims + 8 : undefined;
  }, size);
  if (!read) return undefined;
  const prefix = new DataView(read.prefix.buffer, read.prefix.byteOffset, read.prefix.byteLength);
  const shape = Array.from({ length: Number(prefix.getBigUint64(5, true)) }, (_, i) => Number(prefix.getBigUint64(13 + 8 * i, true)));
  if (shape.reduce((n, s) => n * s, 1) !== read.units.length) return undefined;
  // The header must be exactly a real float64 array's (the type is checked here).
  if (!Buffer.from(read.prefix).equals(float64ArrayBlobPrefix(shape))) return undefined;
  return { shape, units: read.units, minus: read.minus };
}

const ZL123 = Buffer.from('ZL123\0', 'latin1');
const ARRAY_HEAD = Buffer.from('mYm\0A', 'latin1');

function startsWith(bytes: Uint8Array, start: Uint8Array): boolean {
  if (bytes.byteLength < start.byteLength) return false;
  for (let i = 0; i < start.byteLength; i++) if (bytes[i] !== start[i]) return false;
  return true;
}
