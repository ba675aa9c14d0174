import { adler32 } from './deflate-parallel.js';
import { DISTANCE_BASE, DISTANCE_EXTRA, fixedSymbol, LENGTH_BASE, LENGTH_EXTRA, reversed } from './deflate-fixed-codes.js';
import { adlerOfValues, minusSums } from './unit-signs-checksum.js';

/** What {@link inflateUnitSigns} reads from a stream of ±1 values: the bytes before them, and the values as int8. */
export interface UnitValues {
  readonly prefix: Uint8Array;
  /** Each value, +1 or −1, in a byte. */
  readonly units: Int8Array;
  /** How many values are −1 (the checksum counts them): their sum is units.length − 2 × minus. */
  readonly minus: number;
}

/**
 * Reads a zlib stream of `prefix` then float64 values of +1 and −1 into a byte a value (int8),
 * without making the 8 bytes of each value: a movie of white noise needs one byte a value where inflate writes eight.
 * Only streams shaped as deflate-unit-signs.ts writes them are read (one fixed-Huffman block, the
 * prefix as literals, then whole values: literals of ±1 and references that copy whole values);
 * for any other stream (zlib's own, DataJoint's) it returns undefined and the caller inflates as
 * usual. The checksum is checked from the values read; a stream that fails it also gives undefined, so
 * that inflate reports the damage. `prefixLength` is asked, once the prefix's first 13 bytes are
 * read, how long the prefix is (undefined: not a stream this reads); `size` is the uncompressed size.
 *
 * @example
 * ```ts
 * const read = inflateUnitSigns(stream, () => prefix.byteLength, prefix.byteLength + 8 * n);
 * read?.units;   // Int8Array(n) of +1 and −1
 * ```
 */
export function inflateUnitSigns(stream: Uint8Array, prefixLength: (head: Uint8Array) => number | undefined, size: number): UnitValues | undefined {
  if (stream.length < 7 || (stream[0]! & 0x0f) !== 8 || (stream[1]! & 0x20) !== 0 || ((stream[0]! << 8) | stream[1]!) % 31 !== 0) return undefined;
  // The bit reader is written out in the loop (no closures): this loop runs once a reference, millions of times a movie.
  let at = 2;
  let buffer = 0;
  let count = 0;
  const end = stream.length;
  while (count <= 24) {
    buffer |= (at < end ? stream[at]! : 0) << count;
    at++;
    count += 8;
  }
  // The final block, with fixed codes: anything else is another encoder's.
  if ((buffer & 7) !== 0b011) return undefined;
  buffer >>>= 3;
  count -= 3;
  const head = new Uint8Array(MAX_PREFIX);
  let prefix = -1;
  let pos = 0;
  // The prefix, literals only: its first bytes say how long it is, and how many values follow.
  while (prefix < 0 || pos < prefix) {
    while (count <= 24) {
      buffer |= (at < end ? stream[at]! : 0) << count;
      at++;
      count += 8;
    }
    const entry = LITERAL_LENGTH[buffer & 511]!;
    const symbol = entry & 511;
    if (symbol > 255 || pos >= MAX_PREFIX) return undefined;
    buffer >>>= entry >>> 9;
    count -= entry >>> 9;
    head[pos++] = symbol;
    if (pos === HEAD_BYTES) {
      const length = prefixLength(head.subarray(0, pos));
      if (length === undefined || length < HEAD_BYTES || length > MAX_PREFIX || (size - length) % 8 !== 0 || size < length) return undefined;
      prefix = length;
    }
  }
  const units = new Int8Array((size - prefix) / 8);
  const n = units.length;
  const view = new DataView(units.buffer);
  let values = 0;
  let literal = 0;
  const literalBytes = new Uint8Array(8);
  for (;;) {
    while (count <= 24) {
      buffer |= (at < end ? stream[at]! : 0) << count;
      at++;
      count += 8;
    }
    // Nearly every symbol is a reference of whole values: its length code with its extra bits
    // (at most 13 bits) looked up at once; any other symbol has no entry here.
    const whole = WHOLE_LENGTH[buffer & 8191]!;
    if (whole !== 0) {
      if (literal !== 0) return undefined;
      const lengthBits = whole & 31;
      const m = whole >>> 5;
      buffer >>>= lengthBits;
      count -= lengthBits;
      while (count <= 24) {
        buffer |= (at < end ? stream[at]! : 0) << count;
        at++;
        count += 8;
      }
      // The distance code (5 bits, no code above 29), then its extra bits (at most 13).
      const code = DISTANCE[buffer & 31]!;
      if (code === 0) return undefined;
      const distanceExtra = code >>> 16;
      const distance = (code & 0xffff) + ((buffer >>> 5) & ((1 << distanceExtra) - 1));
      buffer >>>= 5 + distanceExtra;
      count -= 5 + distanceExtra;
      // Only whole values copied from whole values after the prefix: then copying values is copying bytes.
      if ((distance & 7) !== 0) return undefined;
      const from = values - (distance >>> 3);
      if (from < 0 || values + m > n) return undefined;
      if (values - from >= 4 && values + m + 3 <= n) {
        // Four bytes at a time; the up to 3 bytes written past the copy are overwritten by what follows.
        for (let j = 0; j < m; j += 4) view.setInt32(values + j, view.getInt32(from + j, true), true);
      } else {
        for (let j = 0; j < m; j++) units[values + j] = units[from + j]!;
      }
      values += m;
      continue;
    }
    const entry = LITERAL_LENGTH[buffer & 511]!;
    const symbolBits = entry >>> 9;
    buffer >>>= symbolBits;
    count -= symbolBits;
    const symbol = entry & 511;
    if (symbol === 256) break;
    // A length that is not of whole values (or no length at all): another encoder's stream.
    if (symbol > 256) return undefined;
    literalBytes[literal++] = symbol;
    if (literal === 8) {
      const top = literalBytes[7]!;
      if (literalBytes[6] !== 0xf0 || (top !== 0x3f && top !== 0xbf) || literalBytes[0] !== 0 || literalBytes[1] !== 0
        || literalBytes[2] !== 0 || literalBytes[3] !== 0 || literalBytes[4] !== 0 || literalBytes[5] !== 0 || values >= n) return undefined;
      units[values++] = 1 - 2 * (top >>> 7);
      literal = 0;
    }
  }
  if (literal !== 0 || values !== n) return undefined;
  // The checksum starts at the next whole byte.
  const unread = count >>> 3;
  const trailer = at - unread;
  if (trailer + 4 !== end) return undefined;
  const stored = ((stream[trailer]! << 24) | (stream[trailer + 1]! << 16) | (stream[trailer + 2]! << 8) | stream[trailer + 3]!) >>> 0;
  const prefixBytes = head.slice(0, prefix);
  const { minus, minusIndexes } = minusSums(units);
  if (adlerOfValues(adler32(prefixBytes), units.length, minus, minusIndexes) !== stored) return undefined;
  return { prefix: prefixBytes, units, minus };
}

/** Bytes of the prefix read before its length is asked. */
const HEAD_BYTES = 13;
/** The longest prefix read (a blob header of up to 32 dimensions). */
const MAX_PREFIX = HEAD_BYTES + 8 * 32 + 8;

/** By the next 9 bits of the stream: the fixed-code symbol they begin with, and its length << 9. */
const LITERAL_LENGTH = new Uint16Array(512);
for (let symbol = 0; symbol < 288; symbol++) {
  const [code, bits] = fixedSymbol(symbol);
  for (let rest = 0; rest < 1 << (9 - bits); rest++) LITERAL_LENGTH[code | (rest << bits)] = symbol | (bits << 9);
}
/**
 * By the next 13 bits: for a length symbol whose length, with its extra bits, is whole values (a
 * multiple of 8 bytes), the number of values << 5 | the bits it takes; 0 for anything else.
 */
const WHOLE_LENGTH = new Uint16Array(8192);
for (let k = 0; k < 28; k++) {
  const [code, bits] = fixedSymbol(257 + k);
  const extra = LENGTH_EXTRA[k]!;
  for (let e = 0; e < 1 << extra; e++) {
    const length = LENGTH_BASE[k]! + e;
    if (length % 8 !== 0) continue;
    const used = bits + extra;
    for (let rest = 0; rest < 1 << (13 - used); rest++) WHOLE_LENGTH[code | (e << bits) | (rest << used)] = ((length / 8) << 5) | used;
  }
}
/** By the next 5 bits (fixed distance codes are 5 bits, reversed): the code's first distance | its extra bits << 16; 0 for codes 30 and 31. */
const DISTANCE = new Uint32Array(32);
for (let code = 0; code < 30; code++) DISTANCE[reversed(code, 5)] = DISTANCE_BASE[code]! | (DISTANCE_EXTRA[code]! << 16);
