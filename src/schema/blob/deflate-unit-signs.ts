import { adler32 } from './deflate-parallel.js';
import { DISTANCE_BASE, DISTANCE_EXTRA, fixedSymbol, LENGTH_BASE, LENGTH_EXTRA, reversed } from './deflate-fixed-codes.js';
import { adlerOfValues } from './unit-signs-checksum.js';

/**
 * A zlib encoder for float64 data whose every value is exactly +1 or −1 (white-noise movies).
 * Such data carries one bit per 8 bytes; zlib's general search spends most of its time finding
 * what is known here up front. Each value's sign is kept (1 byte), and the stream is written as
 * one fixed-Huffman deflate block of back-references to earlier runs of the same signs: the
 * latest place the next 11 signs occurred (found through a table of 2048 entries), extended as
 * far as the signs agree, else the latest value of the same sign. Every reference points at whole
 * values, so what inflate copies is the data itself. The result is a standard zlib stream (RFC
 * 1950/1951) that any inflate reads, several times faster to make than zlib's level 1 and smaller
 * than its level 3.
 *
 * @example
 * ```ts
 * const signs = new UnitSignsDeflater(prefix, values.length);
 * if (signs.add(values)) zl123(prefix.byteLength + values.byteLength, signs.finish());
 * ```
 */
export class UnitSignsDeflater {
  private readonly signs: Uint8Array;
  private count = 0;

  /** `prefix`: the bytes before the values (a blob's header); `values`: how many values follow. */
  constructor(private readonly prefix: Uint8Array, private readonly values: number) {
    this.signs = new Uint8Array(values);
  }

  /**
   * Takes the next values; false (and nothing kept) as soon as one is not exactly +1 or −1, or
   * there are more than announced: the caller then compresses another way.
   */
  add(values: Float64Array): boolean {
    if (this.count + values.length > this.values) return false;
    const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
    const signs = this.signs;
    let at = this.count;
    for (let i = 0; i < words.length; i += 2) {
      const high = words[i + 1]!;
      // +1 is 0x3ff00000_00000000, −1 the same with the sign bit.
      if (words[i] !== 0 || (high & 0x7fffffff) !== 0x3ff00000) return false;
      signs[at++] = high >>> 31;
    }
    this.count = at;
    return true;
  }

  /** The zlib stream of the prefix and every value added (all announced values must have come). */
  finish(): Buffer {
    if (this.count !== this.values) throw new Error(`UnitSignsDeflater: ${this.count} of ${this.values} values were added`);
    return deflateUnitSigns(this.prefix, this.signs);
  }
}

/**
 * The zlib stream of `prefix` followed by float64 values of +1 (sign 0) and −1 (sign 1), given
 * their signs (see {@link UnitSignsDeflater}).
 *
 * @example
 * ```ts
 * inflateSync(deflateUnitSigns(Buffer.alloc(0), Uint8Array.of(0, 1)));   // the bytes of 1.0, −1.0
 * ```
 */
export function deflateUnitSigns(prefix: Uint8Array, signs: Uint8Array): Buffer {
  const out = new SignStream(Math.max(1024, (signs.length >>> 2) + 2 * prefix.byteLength + 64));
  out.buffer[0] = 0x78;
  out.buffer[1] = 0x01;
  out.at = 2;
  out.write(0b011, 3); // the final block, fixed Huffman codes
  for (const byte of prefix) out.write(LITERAL_CODE[byte]!, LITERAL_BITS[byte]!);
  const { minus, minusIndexes } = encodeSigns(signs, out);
  out.write(0, 7); // end of block (code 256)
  if (out.bits > 0) out.write(0, 8 - out.bits);
  out.room(4);
  const check = adlerOfValues(adler32(prefix), signs.length, minus, minusIndexes);
  out.buffer[out.at++] = check >>> 24;
  out.buffer[out.at++] = (check >>> 16) & 0xff;
  out.buffer[out.at++] = (check >>> 8) & 0xff;
  out.buffer[out.at++] = check & 0xff;
  return Buffer.from(out.buffer.buffer, out.buffer.byteOffset, out.at);
}

/** Signs that name a place to copy from. */
const HASH_SIGNS = 11;
const HASH_MASK = (1 << HASH_SIGNS) - 1;
/** Values a reference may reach back (32 KiB) and copy at most (258 bytes hold 32 whole values). */
const WINDOW_VALUES = 4096;
const MAX_VALUES = 32;
const ADLER_BASE = 65521;
/** The weighted sum of −1 indexes is reduced below this (it stays an exact double). */
const REDUCE_AT = 2 ** 52;

/**
 * Writes the signs as matches (and literals where there is nothing yet to copy), and sums what
 * the checksum needs on the way: how many values are −1 and the sum of their indexes (mod 65521).
 * The loop keeps the bit buffer in locals and leaves bounds checks to the last few values, where
 * a match or the next 11 signs could run past the end: this is the pack's hot loop, run once a
 * value.
 */
function encodeSigns(signs: Uint8Array, out: SignStream): { minus: number; minusIndexes: number } {
  const n = signs.length;
  // By the 11 signs that start there: the latest place they started (every earlier place is in the table).
  const head = new Int32Array(HASH_MASK + 1).fill(-WINDOW_VALUES - 1);
  let hash = 0;
  for (let j = 0; j < Math.min(HASH_SIGNS, n); j++) hash = (hash << 1) | signs[j]!;
  let minus = 0;
  let weighted = 0;
  let buffer = out.buffer;
  let at = out.at;
  let acc = out.acc;
  let bits = out.bits;
  let i = 0;
  // Up to here a match and the hash of every value it covers stay inside the signs.
  const fastEnd = n - MAX_VALUES - HASH_SIGNS;
  while (i < fastEnd) {
    if (at + 16 > buffer.byteLength) {
      out.at = at;
      buffer = out.grow();
    }
    let from = head[hash]!;
    let m = 1;
    if (i - from <= WINDOW_VALUES) {
      m = HASH_SIGNS;
      while (m < MAX_VALUES && signs[from + m] === signs[i + m]) m++;
    } else {
      from = latestOfSign(signs, i);
    }
    if (i - from <= WINDOW_VALUES) {
      // Length and distance together: at most 31 bits, after at most 31 waiting.
      const d = i - from;
      const code = LENGTH_CODE[m]! | (DISTANCE_CODE[d]! << LENGTH_BITS[m]!);
      const count = LENGTH_BITS[m]! + DISTANCE_BITS[d]!;
      acc |= code << bits;
      if (bits + count >= 32) {
        buffer[at] = acc;
        buffer[at + 1] = acc >>> 8;
        buffer[at + 2] = acc >>> 16;
        buffer[at + 3] = acc >>> 24;
        at += 4;
        acc = code >>> (32 - bits);
        bits += count - 32;
      } else {
        bits += count;
      }
    } else {
      // Rare (nothing of this sign within reach): the value's bytes as literals, a byte of bits at a time.
      const literals = signs[i] ? MINUS_LITERALS : PLUS_LITERALS;
      for (let k = 0; k < 16; k += 2) {
        while (bits >= 8) {
          buffer[at++] = acc;
          acc >>>= 8;
          bits -= 8;
        }
        acc |= literals[k]! << bits;
        bits += literals[k + 1]!;
      }
    }
    // The checksum's sums over the match in small integers, added to the totals once.
    const first = i;
    let count = 0;
    let offsets = 0;
    for (let k = 0; k < m; k++, i++) {
      head[hash] = i;
      const sign = signs[i]!;
      hash = ((hash << 1) & HASH_MASK) | signs[i + HASH_SIGNS]!;
      count += sign;
      offsets += k * sign;
    }
    minus += count;
    weighted += first * count + offsets;
    if (weighted >= REDUCE_AT) weighted %= ADLER_BASE;
  }
  while (bits >= 8) {
    buffer[at++] = acc;
    acc >>>= 8;
    bits -= 8;
  }
  out.at = at;
  out.acc = acc;
  out.bits = bits;
  // The last values: as above, with every bound checked.
  const hashEnd = n - HASH_SIGNS + 1;
  while (i < n) {
    let m = 1;
    let from = -WINDOW_VALUES - 1;
    if (i < hashEnd && i - (from = head[hash]!) <= WINDOW_VALUES) {
      const most = Math.min(MAX_VALUES, n - i);
      m = Math.min(HASH_SIGNS, most);
      while (m < most && signs[from + m] === signs[i + m]) m++;
    } else {
      from = latestOfSign(signs, i);
    }
    if (i - from <= WINDOW_VALUES) {
      out.write(LENGTH_CODE[m]!, LENGTH_BITS[m]!);
      out.write(DISTANCE_CODE[i - from]!, DISTANCE_BITS[i - from]!);
    } else {
      const literals = signs[i] ? MINUS_LITERALS : PLUS_LITERALS;
      for (let k = 0; k < 16; k += 2) out.write(literals[k]!, literals[k + 1]!);
    }
    for (const end = i + m; i < end; i++) {
      if (i < hashEnd) {
        head[hash] = i;
        if (i + HASH_SIGNS < n) hash = ((hash << 1) & HASH_MASK) | signs[i + HASH_SIGNS]!;
      }
      minus += signs[i]!;
      weighted = (weighted + i * signs[i]!) % ADLER_BASE;
    }
  }
  return { minus, minusIndexes: weighted % ADLER_BASE };
}

/** The latest value before `i` of the same sign as value `i`, or a place out of reach when none is within the window. */
function latestOfSign(signs: Uint8Array, i: number): number {
  const sign = signs[i];
  const stop = Math.max(0, i - WINDOW_VALUES);
  for (let j = i - 1; j >= stop; j--) if (signs[j] === sign) return j;
  return -WINDOW_VALUES - 1;
}

/** Bits written least significant first (deflate's order), at most 7 of them waiting in `acc`. */
class SignStream {
  buffer: Uint8Array;
  at = 0;
  acc = 0;
  bits = 0;

  constructor(size: number) {
    this.buffer = new Uint8Array(size);
  }

  /** `count` ≤ 24 bits of `value`. */
  write(value: number, count: number): void {
    this.room(4);
    this.acc |= value << this.bits;
    this.bits += count;
    while (this.bits >= 8) {
      this.buffer[this.at++] = this.acc;
      this.acc >>>= 8;
      this.bits -= 8;
    }
  }

  room(bytes: number): void {
    if (this.at + bytes > this.buffer.byteLength) this.grow();
  }

  /** Twice the room, the bytes up to `at` kept. */
  grow(): Uint8Array {
    const bigger = new Uint8Array(this.buffer.byteLength * 2);
    bigger.set(this.buffer.subarray(0, this.at));
    this.buffer = bigger;
    return bigger;
  }
}

const LITERAL_CODE = new Uint32Array(256);
const LITERAL_BITS = new Uint8Array(256);
for (let b = 0; b < 256; b++) [LITERAL_CODE[b], LITERAL_BITS[b]] = fixedSymbol(b);

/** Code and extra bits of a length or distance, together as they are written. */
function coded(value: number, base: readonly number[], extra: readonly number[], symbol: (index: number) => [number, number]): [number, number] {
  let k = base.length - 1;
  while (base[k]! > value) k--;
  const [code, bits] = symbol(k);
  return [code | ((value - base[k]!) << bits), bits + extra[k]!];
}

/** By a count of whole values (1…32): the length of 8 × count bytes. */
const LENGTH_CODE = new Uint32Array(MAX_VALUES + 1);
const LENGTH_BITS = new Uint8Array(MAX_VALUES + 1);
for (let m = 1; m <= MAX_VALUES; m++) [LENGTH_CODE[m], LENGTH_BITS[m]] = coded(8 * m, LENGTH_BASE, LENGTH_EXTRA, (k) => fixedSymbol(257 + k));
/** By a distance in whole values (1…4096): the distance of 8 × it bytes (fixed 5-bit codes). */
const DISTANCE_CODE = new Uint32Array(WINDOW_VALUES + 1);
const DISTANCE_BITS = new Uint8Array(WINDOW_VALUES + 1);
for (let d = 1; d <= WINDOW_VALUES; d++) [DISTANCE_CODE[d], DISTANCE_BITS[d]] = coded(8 * d, DISTANCE_BASE, DISTANCE_EXTRA, (k) => [reversed(k, 5), 5]);
/** A value written as its 8 bytes of literals (00 × 6, f0, then 3f for +1 or bf for −1): code, bits, code, bits, … */
const literalsOf = (top: number): Uint32Array => Uint32Array.from([0, 0, 0, 0, 0, 0, 0xf0, top].flatMap((b) => [LITERAL_CODE[b]!, LITERAL_BITS[b]!]));
const PLUS_LITERALS = literalsOf(0x3f);
const MINUS_LITERALS = literalsOf(0xbf);
