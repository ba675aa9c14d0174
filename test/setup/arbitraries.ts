/**
 * fast-check arbitraries for the values rg-schema stores: every declared type, with its extremes,
 * and DataJoint blobs of every kind. Shared by the property tests.
 */
import fc from 'fast-check';
import ndarray from 'ndarray';
import {
  BoolArray, Complex, ComplexArray, Datetime64Array, Decimal, Temporal, Uuid, list, pyFloat, tuple,
} from '../../src/index.js';

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** A signed or unsigned integer of `bytes` bytes, its extremes drawn often. */
export function integerOf(bytes: number, unsigned: boolean): fc.Arbitrary<number | bigint> {
  if (bytes === 8) {
    const [min, max] = unsigned ? [0n, 2n ** 64n - 1n] : [-(2n ** 63n), 2n ** 63n - 1n];
    const edges = unsigned
      ? [0n, 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 63n + 1n, max - 1n, max]
      : [min, min + 1n, -(2n ** 53n) - 1n, -1n, 0n, 2n ** 53n + 1n, max - 1n, max];
    return fc.oneof(fc.constantFrom(...edges), fc.bigInt({ min, max }));
  }
  const bits = 8 * bytes;
  const [min, max] = unsigned ? [0, 2 ** bits - 1] : [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1];
  return fc.oneof(fc.constantFrom(min, max, 0, unsigned ? 1 : -1), fc.integer({ min, max }));
}

/**
 * Doubles with all 52 mantissa bits random, like measured spike times in seconds: they print with
 * 16 or 17 significant digits, where mysql2's own parser went one unit off.
 */
export const fullPrecisionDouble = fc.tuple(fc.integer({ min: 0, max: 2 ** 26 - 1 }), fc.integer({ min: 0, max: 2 ** 26 - 1 }), fc.integer({ min: -3, max: 12 }), fc.boolean())
  .map(([high, low, exponent, negative]) => (negative ? -1 : 1) * (1 + (high * 2 ** 26 + low) / 2 ** 52) * 2 ** exponent);

/** Any finite double: ±0, subnormals, the extremes, full-precision values and everything between. */
export const finiteDouble = fc.oneof(
  fc.constantFrom(0, -0, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE, 2.2250738585072014e-308, 0.1, 1 / 3, 1234.567891234567),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fullPrecisionDouble,
);

/** Doubles a 4-byte float can hold (after rounding): float32 values themselves, and doubles in range. */
export const float32Input = fc.oneof(
  fc.constantFrom(0, -0, 0.1, 16777217, 123456.789, 3.4028234663852886e38, 3.4028235e38, -3.4028235e38, 1.401298464324817e-45, 1e-50),
  fc.float({ noNaN: true, noDefaultInfinity: true }),
  fc.double({ min: -3.4e38, max: 3.4e38, noNaN: true }),
);

/** A decimal(p,s) value: the text to insert and the text every backend must return. */
export function decimalOf(precision: number, scale: number, unsigned: boolean): fc.Arbitrary<{ input: string | bigint; expected: string }> {
  const digits = (max: number): fc.Arbitrary<string> => fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: max }).map((d) => d.join(''));
  return fc.record({
    negative: unsigned ? fc.constant(false) : fc.boolean(),
    whole: digits(precision - scale),
    fraction: digits(scale),
    leadingZeros: fc.integer({ min: 0, max: 3 }),
    trailingZeros: fc.integer({ min: 0, max: 3 }),
  }).map(({ negative, whole, fraction, leadingZeros, trailingZeros }) => {
    const w = whole.replace(/^0+/, '') || '0';
    const zero = /^0*$/.test(w + fraction);
    const sign = negative && !zero ? '-' : '';
    const expected = scale === 0 ? `${sign}${w}` : `${sign}${w}.${fraction.padEnd(scale, '0')}`;
    if (scale === 0 && fraction === '' && leadingZeros === 0 && trailingZeros === 0) return { input: BigInt(`${sign}${w}`), expected };
    const text = `${negative ? '-' : ''}${'0'.repeat(leadingZeros)}${w}${scale > 0 ? `.${fraction}${'0'.repeat(trailingZeros)}` : ''}`;
    return { input: text, expected };
  });
}

const dayOf = fc.date({ min: new Date('0001-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true });
const dateText = (d: Date): string => `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
const timeText = (d: Date): string => `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;

/** A date: as 'YYYY-MM-DD' (sometimes 'YYYY-M-D') or a Date at UTC midnight. */
export const dateValue = dayOf.chain((d) => {
  const expected = dateText(d);
  const midnight = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  midnight.setUTCFullYear(d.getUTCFullYear());
  const loose = `${pad(d.getUTCFullYear(), 4)}-${d.getUTCMonth() + 1}-${d.getUTCDate()}`;
  return fc.constantFrom<{ input: unknown; expected: string }>({ input: expected, expected }, { input: midnight, expected }, { input: loose, expected });
});

/** A datetime(n)/timestamp(n): text with up to n fractional digits, or a Date when n ≥ 3. */
export function datetimeOf(n: number, kind: 'datetime' | 'timestamp'): fc.Arbitrary<{ input: unknown; expected: string }> {
  const range = kind === 'timestamp'
    ? fc.date({ min: new Date('1970-01-01T00:00:01.000Z'), max: new Date('2038-01-19T03:14:07.999Z'), noInvalidDate: true })
    : dayOf;
  return fc.tuple(range, fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: n }), fc.boolean()).map(([d, fraction, useDate]) => {
    const base = `${dateText(d)} ${timeText(d)}`;
    const expected = base + (n > 0 ? `.${fraction.join('').padEnd(n, '0')}` : '');
    if (useDate && n >= 3) {
      const ms = Number(fraction.slice(0, 3).join('').padEnd(3, '0'));
      const date = new Date(d.getTime() - d.getUTCMilliseconds() + ms);
      return { input: date, expected: base + `.${pad(ms, 3)}`.padEnd(n + 1, '0') };
    }
    return { input: `${dateText(d)}${useDate ? 'T' : ' '}${timeText(d)}${fraction.length > 0 ? `.${fraction.join('')}` : ''}`, expected };
  });
}

/** A time(n): [-]H:MM:SS over MariaDB's ±838:59:59, with up to n fractional digits. */
export function timeOf(n: number): fc.Arbitrary<{ input: string; expected: string }> {
  return fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 838 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 }),
    fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: n })).map(([negative, h, m, s, fraction]) => {
    const frac = n > 0 ? `.${fraction.join('').padEnd(n, '0')}` : '';
    const zero = h === 0 && m === 0 && s === 0 && !/[1-9]/.test(frac);
    return {
      input: `${negative ? '-' : ''}${h}:${pad(m)}:${pad(s)}${fraction.length > 0 ? `.${fraction.join('')}` : ''}`,
      expected: `${negative && !zero ? '-' : ''}${pad(h)}:${pad(m)}:${pad(s)}${frac}`,
    };
  });
}

const SPECIAL_CHARACTERS = ["'", '"', '\\', '\0', '`', '%', '_', '?', ' ', '\n', '\r', '\t', 'é', 'ß', '中', '😀', '\u{10FFFF}', '\u00A0', '\uFEFF'];

/** Text with quotes, backslashes, NULs, emoji and any other code point (never a lone surrogate). */
export function textOf(maxLength: number): fc.Arbitrary<string> {
  return fc.string({ unit: fc.oneof(fc.constantFrom(...SPECIAL_CHARACTERS), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength });
}

// ---------------------------------------------------------------------------------------- blobs

const TYPED: Array<[string, (n: number) => ArrayLike<number | bigint>, fc.Arbitrary<number | bigint>]> = [
  ['float64', (n) => new Float64Array(n), fc.double()],
  ['float32', (n) => new Float32Array(n), fc.float()],
  ['int8', (n) => new Int8Array(n), fc.integer({ min: -128, max: 127 })],
  ['uint8', (n) => new Uint8Array(n), fc.integer({ min: 0, max: 255 })],
  ['int16', (n) => new Int16Array(n), fc.integer({ min: -32768, max: 32767 })],
  ['uint16', (n) => new Uint16Array(n), fc.integer({ min: 0, max: 65535 })],
  ['int32', (n) => new Int32Array(n), fc.integer()],
  ['uint32', (n) => new Uint32Array(n), fc.integer({ min: 0, max: 2 ** 32 - 1 })],
  ['int64', (n) => new BigInt64Array(n), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })],
  ['uint64', (n) => new BigUint64Array(n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })],
  ['bool', (n) => new BoolArray(n), fc.integer({ min: 0, max: 1 })],
];

const strides = (shape: readonly number[]): number[] => shape.map((_, i) => shape.slice(0, i).reduce((p, s) => p * s, 1));

/** An n-d array (0-d included) of any dtype, column-major, as unpackBlob returns them. */
const ndArray = fc.tuple(fc.integer({ min: 0, max: TYPED.length - 1 }), fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }))
  .chain(([which, shape]) => {
    const [, make, item] = TYPED[which]!;
    const size = shape.reduce((p, s) => p * s, 1);
    return fc.array(item, { minLength: size, maxLength: size }).map((items) => {
      const data = make(size) as unknown as { [i: number]: number | bigint };
      items.forEach((v, i) => { data[i] = v; });
      return ndarray(data as never, shape, strides(shape));
    });
  });

const complexArray = fc.tuple(fc.boolean(), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 })).chain(([single, shape]) => {
  const size = shape.reduce((p, s) => p * s, 1);
  const part = fc.array(single ? fc.float() : fc.double(), { minLength: size, maxLength: size });
  return fc.tuple(part, part).map(([re, im]) => {
    const C = single ? Float32Array : Float64Array;
    return new ComplexArray(ndarray(C.from(re), shape, strides(shape)), ndarray(C.from(im), shape, strides(shape)));
  });
});

const datetime64 = fc.array(fc.bigInt({ min: -(10n ** 6n), max: 10n ** 6n }), { maxLength: 4 }).map((days) => {
  const data = new Datetime64Array(days.length);
  data.unit = 'D';
  days.forEach((d, i) => { data[i] = d; });
  return ndarray(data as never, [days.length]);
});

/** n / 10^scale as decimal text: `decimalText(-1234n, 2)` is '-12.34'. */
function decimalText(n: bigint, scale: number): string {
  const digits = (n < 0n ? -n : n).toString().padStart(scale + 1, '0');
  return `${n < 0n ? '-' : ''}${scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`}`;
}

/** A Python float: a plain number when it has a fraction, a PyFloat when whole. */
const pythonFloat = fc.double().map((x) => (Number.isSafeInteger(x) && !Object.is(x, -0) ? pyFloat(x) : x));

const leaf: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null), fc.boolean(), fc.integer(), fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }).filter((b) => !Number.isSafeInteger(Number(b))),
  pythonFloat, textOf(20), fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b)),
  fc.tuple(fc.double(), fc.double()).map(([re, im]) => new Complex(re, im)),
  fc.tuple(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.integer({ min: 0, max: 10 })).map(([n, s]) => new Decimal(decimalText(n, s))),
  fc.uuid().map((u) => new Uuid(u)),
  fc.tuple(fc.option(dayOf.map(dateText), { nil: null }), fc.option(fc.tuple(dayOf, fc.integer({ min: 0, max: 999_999 })).map(([d, us]) => `${timeText(d)}.${pad(us, 6)}`), { nil: null }))
    .filter(([d, t]) => d !== null || t !== null).map(([d, t]) => new Temporal(d, t)),
  ndArray, complexArray, datetime64,
);

/** A DataJoint blob value of any kind, nested in lists, tuples, sets and dicts. */
export const blobValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }).map((items) => list(...items)),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => tuple(...items)),
    fc.uniqueArray(fc.oneof(fc.integer(), textOf(5)), { maxLength: 4 }).map((items) => new Set(items)),
    fc.dictionary(fc.string({ maxLength: 6 }).filter((k) => !/^(0|[1-9]\d*)$/.test(k) && k !== '__proto__'), tie('value'), { maxKeys: 4, noNullPrototype: true }),
    fc.array(fc.tuple(fc.integer(), tie('value')), { minLength: 1, maxLength: 3 }).map((pairs) => new Map(pairs)),
  ),
})).value;
