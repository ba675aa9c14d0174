/** An exact rational number: `num / den` with `den > 0`. */
export interface Fraction {
  readonly num: bigint;
  readonly den: bigint;
}

const view = new DataView(new ArrayBuffer(8));

/** The exact value of a finite double as a fraction whose denominator is a power of two. */
function exactFraction(value: number): Fraction {
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const exponentBits = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & 0xfffffffffffffn;
  if (exponentBits !== 0) mantissa |= 1n << 52n;
  const exponent = (exponentBits === 0 ? 1 : exponentBits) - 1075;
  const num = negative ? -mantissa : mantissa;
  return exponent >= 0 ? { num: num << BigInt(exponent), den: 1n } : { num, den: 1n << BigInt(-exponent) };
}

/** The neighbouring double of a positive finite `value`, one unit in the last place away. */
function neighbour(value: number, direction: 1 | -1): number {
  view.setFloat64(0, value);
  view.setBigUint64(0, view.getBigUint64(0) + BigInt(direction));
  return view.getFloat64(0);
}

const add = (a: Fraction, b: Fraction): Fraction => ({ num: a.num * b.den + b.num * a.den, den: a.den * b.den });
const half = (a: Fraction): Fraction => ({ num: a.num, den: a.den * 2n });
const floorOf = (a: Fraction): bigint => (a.num >= 0n ? a.num / a.den : -((-a.num + a.den - 1n) / a.den));
const compare = (a: Fraction, b: Fraction): number => {
  const d = a.num * b.den - b.num * a.den;
  return d < 0n ? -1 : d > 0n ? 1 : 0;
};

/**
 * The fraction with the smallest denominator in the interval between `lo` and `hi` (0 ≤ lo < hi;
 * `hi` undefined means unbounded), each end included or not. Stern–Brocot descent by continued
 * fractions: each step strips the integer part and inverts the rest.
 */
function simplestBetween(lo: Fraction, loIn: boolean, hi: Fraction | undefined, hiIn: boolean): Fraction {
  const whole = floorOf(lo);
  const loIsWhole = whole * lo.den === lo.num;
  const candidate = loIsWhole && loIn ? whole : whole + 1n;
  const c: Fraction = { num: candidate, den: 1n };
  if (hi === undefined || compare(c, hi) < 0 || (compare(c, hi) === 0 && hiIn)) return c;
  // No whole number inside: lo and hi share the integer part, and x = whole + 1 / y.
  const rest = (f: Fraction): Fraction => ({ num: f.num - whole * f.den, den: f.den });
  const loRest = rest(lo);
  const hiRest = rest(hi);
  const y = simplestBetween({ num: hiRest.den, den: hiRest.num }, hiIn, loRest.num === 0n ? undefined : { num: loRest.den, den: loRest.num }, loIn);
  return { num: whole * y.num + y.den, den: y.num };
}

/**
 * The simplest fraction (smallest denominator) that a double may stand for: among all the real
 * numbers that round to `value`, the one with the smallest denominator. A number written with
 * few digits, or computed as a ratio of small integers, comes back exactly as meant:
 *
 * @example
 * ```ts
 * simplestFraction(0.00015);       // 3 / 20000     (150 µs)
 * simplestFraction(1 / 60);        // 1 / 60        (0.016666666666666666 as printed)
 * simplestFraction(20000 / 333);   // 20000 / 333   (60.06006006006006 as printed)
 * simplestFraction(59.9815);       // 119963 / 2000
 * ```
 */
export function simplestFraction(value: number): Fraction {
  if (!Number.isFinite(value)) throw new RangeError(`${value} is not a finite number`);
  // A whole double is that whole number (above 2^53 its rounding interval holds several).
  if (Number.isInteger(value)) return { num: BigInt(value), den: 1n };
  if (value < 0) {
    const f = simplestFraction(-value);
    return { num: -f.num, den: f.den };
  }
  const exact = exactFraction(value);
  const below = neighbour(value, -1);
  const above = value === Number.MAX_VALUE ? Number.POSITIVE_INFINITY : neighbour(value, 1);
  const gapBelow = subtractFractions(exact, exactFraction(below));
  const lo = subtractFractions(exact, half(gapBelow));
  // Above the largest double the gap is taken as the one below: values up to there round to it.
  const hi = add(exact, half(Number.isFinite(above) ? subtractFractions(exactFraction(above), exact) : gapBelow));
  // Round-half-to-even: the midpoints belong to this double when its last mantissa bit is even.
  view.setFloat64(0, value);
  const even = (view.getBigUint64(0) & 1n) === 0n;
  return simplestBetween(lo, even, hi, even);
}

/**
 * floor(a) of an exact fraction, as a JS number.
 *
 * @example
 * ```ts
 * floorFraction({ num: -7n, den: 2n });  // -4
 * ```
 */
export function floorFraction(a: Fraction): number {
  return Number(floorOf(a));
}

/**
 * a − b, exactly.
 *
 * @example
 * ```ts
 * subtractFractions({ num: 1n, den: 2n }, { num: 1n, den: 3n });  // { num: 1n, den: 6n }
 * ```
 */
export function subtractFractions(a: Fraction, b: Fraction): Fraction {
  return add(a, { num: -b.num, den: b.den });
}

/**
 * a · b, exactly.
 *
 * @example
 * ```ts
 * multiplyFractions({ num: 3n, den: 20000n }, { num: 20000n, den: 1n });  // { num: 60000n, den: 20000n }: 3
 * ```
 */
export function multiplyFractions(a: Fraction, b: Fraction): Fraction {
  return { num: a.num * b.num, den: a.den * b.den };
}
