import { adler32 } from './deflate-parallel.js';
import { DISTANCE_BASE, DISTANCE_EXTRA, fixedSymbol, LENGTH_BASE, LENGTH_EXTRA, reversed } from './deflate-fixed-codes.js';
import { adlerOfValues, minusSums } from './unit-signs-checksum.js';

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
  const out = new BitWriter(Math.max(1024, (signs.length >>> 2) + 2 * prefix.byteLength + 64));
  out.byte(0x78);
  out.byte(0x01);
  out.bits(0b011, 3); // the final block, fixed Huffman codes
  for (const byte of prefix) out.bits(LITERAL_CODE[byte]!, LITERAL_BITS[byte]!);
  encodeSigns(signs, out);
  out.bits(0, 7); // end of block (code 256)
  const body = out.end();
  const { minus, minusIndexes } = minusSums(signs);
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32BE(adlerOfValues(adler32(prefix), signs.length, minus, minusIndexes));
  return Buffer.concat([body, trailer]);
}

/** Signs that name a place to copy from. */
const HASH_SIGNS = 11;
const HASH_MASK = (1 << HASH_SIGNS) - 1;
/** Values a reference may reach back (32 KiB) and copy at most (258 bytes hold 32 whole values). */
const WINDOW_VALUES = 4096;
const MAX_VALUES = 32;

/** Writes the signs as matches (and literals where there is nothing yet to copy). */
function encodeSigns(signs: Uint8Array, out: BitWriter): void {
  const n = signs.length;
  const head = new Int32Array(HASH_MASK + 1).fill(-WINDOW_VALUES - 1);
  // The latest +1 and −1.
  const last = new Int32Array(2).fill(-WINDOW_VALUES - 1);
  // The hash of the 11 signs from `hashed` on, the next value to enter the tables.
  let hashed = 0;
  let hash = 0;
  for (let j = 0; j < Math.min(HASH_SIGNS, n); j++) hash = (hash << 1) | signs[j]!;
  // Values from here on have fewer than 11 signs after them: they enter `last…` only.
  const hashEnd = n - HASH_SIGNS + 1;
  let i = 0;
  while (i < n) {
    let m = 1;
    let from: number;
    if (i < hashEnd && i - (from = head[hash]!) <= WINDOW_VALUES) {
      const most = Math.min(MAX_VALUES, n - i);
      m = HASH_SIGNS;
      while (m < most && signs[from + m] === signs[i + m]) m++;
    } else {
      from = last[signs[i]!]!;
    }
    if (i - from <= WINDOW_VALUES) {
      // Length and distance codes together take at most 13 + 18 bits: two writes.
      out.bits(LENGTH_CODE[m]! | (DISTANCE_CODE[i - from]! << LENGTH_BITS[m]!), LENGTH_BITS[m]! + DISTANCE_BITS[i - from]!);
    } else {
      // Nothing of this sign within reach: the value's bytes as literals.
      for (let k = 0; k < 6; k++) out.bits(LITERAL_CODE[0]!, LITERAL_BITS[0]!);
      out.bits(LITERAL_CODE[0xf0]!, LITERAL_BITS[0xf0]!);
      const top = signs[i] ? 0xbf : 0x3f;
      out.bits(LITERAL_CODE[top]!, LITERAL_BITS[top]!);
    }
    i += m;
    for (; hashed < i; hashed++) {
      if (hashed < hashEnd) {
        head[hash] = hashed;
        if (hashed + HASH_SIGNS < n) hash = ((hash << 1) & HASH_MASK) | signs[hashed + HASH_SIGNS]!;
      }
      // Without branches: the signs are random, a branch on them mispredicts half the time.
      last[signs[hashed]!] = hashed;
    }
  }
}

/** Bits written least significant first (deflate's order), into a buffer that grows. */
class BitWriter {
  private buffer: Uint8Array;
  private at = 0;
  private pending = 0;
  private pendingBits = 0;

  constructor(size: number) {
    this.buffer = new Uint8Array(size);
  }

  byte(value: number): void {
    this.bits(value, 8);
  }

  /** `count` ≤ 31 bits of `value`. */
  bits(value: number, count: number): void {
    // Up to 7 bits wait in `pending`; with the new ones that is up to 38, so the low part goes first.
    let pending = this.pending | (value << this.pendingBits);
    let pendingBits = this.pendingBits + count;
    if (pendingBits >= 32) {
      this.put(pending);
      pending = value >>> (32 - this.pendingBits);
      pendingBits -= 32;
    }
    if (pendingBits >= 8) {
      if (this.at + 4 > this.buffer.byteLength) this.grow();
      const buffer = this.buffer;
      let at = this.at;
      do {
        buffer[at++] = pending & 0xff;
        pending >>>= 8;
        pendingBits -= 8;
      } while (pendingBits >= 8);
      this.at = at;
    }
    this.pending = pending;
    this.pendingBits = pendingBits;
  }

  /** Four whole bytes. */
  private put(word: number): void {
    if (this.at + 8 > this.buffer.byteLength) this.grow();
    const buffer = this.buffer;
    buffer[this.at] = word & 0xff;
    buffer[this.at + 1] = (word >>> 8) & 0xff;
    buffer[this.at + 2] = (word >>> 16) & 0xff;
    buffer[this.at + 3] = word >>> 24;
    this.at += 4;
  }

  /** The bytes written, the last one padded with zero bits. */
  end(): Buffer {
    if (this.pendingBits > 0) this.bits(0, 8 - this.pendingBits);
    return Buffer.from(this.buffer.buffer, this.buffer.byteOffset, this.at);
  }

  private grow(): void {
    const bigger = new Uint8Array(this.buffer.byteLength * 2);
    bigger.set(this.buffer.subarray(0, this.at));
    this.buffer = bigger;
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
