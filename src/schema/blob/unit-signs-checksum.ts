/**
 * The Adler-32 of float64 values that are all +1 or −1, from their signs alone: what
 * deflate-unit-signs.ts writes and inflate-unit-signs.ts checks, without the 8 bytes of each value.
 */
const ADLER_BASE = 65521;

/**
 * adler32 continued from `start` over `n` values of ±1, `minus` of them −1 with indexes summing to
 * `minusIndexes` (mod 65521 is enough). Value j's bytes are 00 00 00 00 00 00 f0 t, t = 63 + 128·σj
 * (σj = 1 for −1): the running sum gains 303 + 128·σj, and the sum of sums gains 8 times the
 * running sum before it plus 543 + 128·σj. Summed over the values, with a0, b0 the sums at start:
 * a = a0 + 303·n + 128·K and b = b0 + 8·n·a0 + 303·4·n(n − 1) + 1024·((n − 1)·K − W) + 543·n + 128·K.
 */
export function adlerOfValues(start: number, n: number, minus: number, minusIndexes: number): number {
  const p = ADLER_BASE;
  const a0 = start & 0xffff;
  const b0 = start >>> 16;
  const N = n % p;
  const N1 = (n + p - 1) % p;
  const K = minus % p;
  const W = minusIndexes % p;
  const a = (a0 + 303 * N + 128 * K) % p;
  let b = b0;
  b = (b + ((8 * N) % p) * a0) % p;
  b = (b + ((1212 * N) % p) * N1) % p;
  b = (b + 1024 * ((N1 * K + p * p - W) % p)) % p;
  b = (b + 543 * N + 128 * K) % p;
  return ((b << 16) | a) >>> 0;
}

/**
 * How many values are −1, and the sum of their indexes mod 65521 (for the checksum): from signs
 * (a byte a value, 1 for −1), or from the values themselves as int8 (+1 and −1).
 */
export function minusSums(values: Uint8Array | Int8Array): { minus: number; minusIndexes: number } {
  // A −1 is 0xff and a +1 0x01 as int8, a sign 1 or 0: bit 1, or bit 0, of each byte.
  const shift = values instanceof Int8Array ? 1 : 0;
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.length);
  if (values.byteOffset % 4 !== 0) return minusSumsOfBytes(bytes, shift, 0, values.length, 0, 0);
  // Four values a word: their signs as the bytes of one word, so that a multiplication sums
  // them (by 0x01010101, in its top byte) and weighs them by their place in the word (by 0x00010203).
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length >>> 2);
  let minus = 0;
  let minusIndexes = 0;
  // Small integers inside a block of 4096 values; the block's offset is added once.
  for (let start = 0; start < words.length; start += 1024) {
    const end = Math.min(start + 1024, words.length);
    let count = 0;
    let sum = 0;
    for (let q = start, k = 0; q < end; q++, k += 4) {
      const x = (words[q]! >>> shift) & 0x01010101;
      const c = Math.imul(x, 0x01010101) >>> 24;
      count += c;
      sum += k * c + (Math.imul(x, 0x00010203) >>> 24);
    }
    minus += count;
    minusIndexes = (minusIndexes + sum + ((4 * start) % ADLER_BASE) * count) % ADLER_BASE;
  }
  return minusSumsOfBytes(bytes, shift, 4 * words.length, values.length, minus, minusIndexes);
}

/** minusSums of bytes[from, to), continuing the sums given: a byte at a time. */
function minusSumsOfBytes(bytes: Uint8Array, shift: number, from: number, to: number, minus: number, minusIndexes: number): { minus: number; minusIndexes: number } {
  for (let start = from; start < to; start += 4096) {
    const end = Math.min(start + 4096, to);
    let count = 0;
    let sum = 0;
    for (let j = start, k = 0; j < end; j++, k++) {
      const sign = (bytes[j]! >>> shift) & 1;
      count += sign;
      sum += k * sign;
    }
    minus += count;
    minusIndexes = (minusIndexes + sum + (start % ADLER_BASE) * count) % ADLER_BASE;
  }
  return { minus, minusIndexes };
}
