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
  // Int8 values v give the sign (1 − v) / 2; the two kinds never meet in one call.
  const units = values instanceof Int8Array;
  let minus = 0;
  let minusIndexes = 0;
  // Small integers inside a block of 4096 values; the block's offset is added once.
  for (let start = 0; start < values.length; start += 4096) {
    const end = Math.min(start + 4096, values.length);
    let count = 0;
    let sum = 0;
    for (let j = start, k = 0; j < end; j++, k++) {
      const v = values[j]!;
      const sign = units ? (1 - v) >>> 1 : v;
      count += sign;
      sum += k * sign;
    }
    minus += count;
    minusIndexes = (minusIndexes + sum + (start % ADLER_BASE) * count) % ADLER_BASE;
  }
  return { minus, minusIndexes };
}
