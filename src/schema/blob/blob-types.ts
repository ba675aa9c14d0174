import type { NdArray } from 'ndarray';

/**
 * JS values for the DataJoint blob types JS has no word for. Each round-trips to the same bytes.
 *
 * | DataJoint / numpy / MATLAB | JS |
 * | --- | --- |
 * | numeric array (any dtype, n-d) | `ndarray` over a typed array, column-major (int64/uint64: BigInt arrays) |
 * | numpy scalar, 0-d array (`np.float32(1.5)`, `np.array(5.0)`) | a 0-d `ndarray` of its dtype (shape `[]`; {@link numpyScalar} makes one) |
 * | bool array | `ndarray` over a {@link BoolArray} |
 * | complex array | {@link ComplexArray} (`real`, `imag` ndarrays) |
 * | Python int | `number` (`bigint` when it is not a safe integer); {@link PyInt} to force an int |
 * | Python float | `number`; a whole one (`3.0`) as a {@link PyFloat}, so that it packs back as a float |
 * | Python bool | `boolean` |
 * | Python complex | {@link Complex} (a numpy complex scalar is a 0-d {@link ComplexArray}) |
 * | str / MATLAB char row | `string` |
 * | bytes | `Buffer` |
 * | None | `null` |
 * | list | `Array` marked as a list (make one with {@link list}); an unmarked array of numbers packs as a float64 array, as `np.array` would |
 * | tuple | `Array` made by {@link tuple} |
 * | set | `Set` |
 * | dict | plain object when all keys are strings and JS keeps their order, else `Map` (keys like `'1'` would be reordered in an object) |
 * | MATLAB struct | {@link MatStruct} |
 * | MATLAB cell | {@link MatCell} |
 * | numpy record array | {@link RecArray} |
 * | datetime / date / time | {@link Temporal} (a JS `Date` packs as a datetime) |
 * | datetime64 array | `ndarray` over a {@link Datetime64Array} |
 * | UUID | {@link Uuid} |
 * | Decimal | {@link Decimal} |
 */
export class BoolArray extends Uint8Array {}

/** int64 values with numpy's datetime64 unit (`D`, `s`, `ms`, `us`, `ns`, …). */
export class Datetime64Array extends BigInt64Array {
  unit: string = 'D';
}

/**
 * A complex number, as numpy's complex128 scalar or a MATLAB complex double.
 *
 * @example
 * ```ts
 * unpackBlob(packBlob(new Complex(1, -2))); // Complex { re: 1, im: -2 }
 * ```
 */
export class Complex {
  constructor(readonly re: number, readonly im: number) {}
}

/** A complex array: real and imaginary parts as two ndarrays of the same shape. */
export class ComplexArray {
  constructor(readonly real: NdArray, readonly imag: NdArray) {}
}

/** A MATLAB struct array: `shape` and one record per element, in column-major order. */
export class MatStruct {
  constructor(readonly shape: readonly number[], readonly fields: readonly string[], readonly records: ReadonlyArray<Readonly<Record<string, unknown>>>) {}
}

/** A MATLAB cell array: `shape` and its items in column-major order. */
export class MatCell {
  constructor(readonly shape: readonly number[], readonly items: readonly unknown[]) {}
}

/** A numpy array with named fields: each field is an array of the same shape. */
export class RecArray {
  constructor(readonly fields: Readonly<Record<string, unknown>>) {}
}

/** A Python date, time or datetime: `date` as `YYYY-MM-DD`, `time` as `HH:MM:SS.ffffff`. */
export class Temporal {
  constructor(readonly date: string | null, readonly time: string | null) {}
  /** As a JS Date in UTC (microseconds are cut to milliseconds). */
  toDate(): Date {
    return new Date(`${this.date ?? '1970-01-01'}T${(this.time ?? '00:00:00.000000').slice(0, 12)}Z`);
  }
}

/**
 * A UUID, as Python's `uuid.UUID` packs in a blob.
 *
 * @example
 * ```ts
 * packBlob(new Uuid('0f2b6a3e-2f0b-4e8c-9d0a-4f1e2b3c4d5e'));
 * ```
 */
export class Uuid {
  constructor(readonly value: string) {}
  /** The value's text. */
  toString(): string {
    return this.value;
  }
}

/**
 * A decimal number kept exact as its text, as Python's `decimal.Decimal` packs in a blob.
 *
 * @example
 * ```ts
 * packBlob(new Decimal('3.14159265358979323846'));
 * ```
 */
export class Decimal {
  constructor(readonly value: string) {}
  /** The value's text. */
  toString(): string {
    return this.value;
  }
}

/**
 * A Python float. Whole numbers are ints in JS (`3` packs as a Python int); a `PyFloat` packs as a
 * float (`3.0`), and unpacking a whole Python float gives one, so a value read from DataJoint
 * packs back to the same bytes. Arithmetic works through `valueOf()`; `.value` is the number.
 *
 * @example
 * ```ts
 * packBlob(pyFloat(3));          // dj0 0x0d then 3.0 as a double, as Python's pack(3.0)
 * +unpackBlob(packBlob(pyFloat(3)));  // 3
 * ```
 */
export class PyFloat {
  constructor(readonly value: number) {}
  /** The number, so arithmetic works. */
  valueOf(): number {
    return this.value;
  }
  /** The number, in JSON. */
  toJSON(): number {
    return this.value;
  }
  /** The number's text. */
  toString(): string {
    return Number.isInteger(this.value) ? this.value.toFixed(1) : String(this.value);
  }
}

/**
 * A Python int, for whole numbers JS would otherwise write as a float: a number above 2^53
 * (`2 ** 60`) packs as a double unless wrapped. bigints and safe integers are ints already.
 *
 * @example
 * ```ts
 * packBlob(pyInt(2 ** 60));      // dj0 0x0a: the int 1152921504606846976
 * ```
 */
export class PyInt {
  readonly value: bigint;
  constructor(value: number | bigint) {
    if (typeof value === 'number' && !Number.isInteger(value)) throw new RangeError(`${value} is not a whole number`);
    this.value = BigInt(value);
  }
  /** The value as a JS number (inexact beyond 2^53), so arithmetic works. */
  valueOf(): number {
    return Number(this.value);
  }
  /** The exact value as a decimal string, in JSON. */
  toJSON(): string {
    return this.value.toString();
  }
  /** The exact value's decimal text. */
  toString(): string {
    return this.value.toString();
  }
}

/** `3` as a Python float: see {@link PyFloat}. */
export function pyFloat(value: number): PyFloat {
  return new PyFloat(value);
}

/** A whole number as a Python int: see {@link PyInt}. */
export function pyInt(value: number | bigint): PyInt {
  return new PyInt(value);
}

const TUPLE = Symbol('rg-schema.tuple');
const LIST = Symbol('rg-schema.list');

/** A Python tuple: an array that packs as a tuple. */
export function tuple<T extends unknown[]>(...items: T): T {
  Object.defineProperty(items, TUPLE, { value: true });
  return items;
}

/** True for an array made by {@link tuple} or unpacked from a Python tuple (it packs back as a tuple). */
export function isTuple(value: unknown): boolean {
  return Array.isArray(value) && (value as unknown as Record<symbol, unknown>)[TUPLE] === true;
}

/** Marks an array as a Python list, so that a list of numbers packs as a list, not an array. */
export function markList<T extends unknown[]>(items: T): T {
  Object.defineProperty(items, LIST, { value: true });
  return items;
}

/**
 * A Python list. A plain JS array of numbers packs as a float64 array (numpy's `np.array`); a list
 * keeps its items as Python values. Decoded lists are marked already.
 *
 * @example
 * ```ts
 * packBlob(list(1, 2, 3));   // dj0 0x02: [1, 2, 3], as Python's pack([1, 2, 3])
 * packBlob([1, 2, 3]);       // mYm 'A': a float64 array of shape (3,)
 * ```
 */
export function list<T extends unknown[]>(...items: T): T {
  return markList(items);
}

/** True for an array unpacked from a Python list (it packs back as a list, not a numeric array). */
export function isList(value: unknown): boolean {
  return Array.isArray(value) && (value as unknown as Record<symbol, unknown>)[LIST] === true;
}
