import type { NdArray } from 'ndarray';

/**
 * JS values for the DataJoint blob types JS has no word for. Each round-trips to the same bytes.
 *
 * | DataJoint / numpy / MATLAB | JS |
 * | --- | --- |
 * | numeric array (any dtype, n-d) | `ndarray` over a typed array, column-major (int64/uint64: BigInt arrays) |
 * | bool array | `ndarray` over a {@link BoolArray} |
 * | complex array | {@link ComplexArray} (`real`, `imag` ndarrays) |
 * | 0-d numeric array, Python int/float | `number` (`bigint` when it does not fit) |
 * | Python bool | `boolean` |
 * | complex scalar | {@link Complex} |
 * | str / MATLAB char row | `string` |
 * | bytes | `Buffer` |
 * | None | `null` |
 * | list | `Array` (marked so it packs back as a list) |
 * | tuple | `Array` made by {@link tuple} |
 * | set | `Set` |
 * | dict | plain object when all keys are strings, else `Map` |
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

const TUPLE = Symbol('rg-schema.tuple');
const LIST = Symbol('rg-schema.list');

/** A Python tuple: an array that packs as a tuple. */
export function tuple<T extends unknown[]>(...items: T): T {
  Object.defineProperty(items, TUPLE, { value: true });
  return items;
}

export function isTuple(value: unknown): boolean {
  return Array.isArray(value) && (value as unknown as Record<symbol, unknown>)[TUPLE] === true;
}

/** Marks a decoded Python list, so that a list of numbers packs back as a list, not an array. */
export function markList<T extends unknown[]>(items: T): T {
  Object.defineProperty(items, LIST, { value: true });
  return items;
}

export function isList(value: unknown): boolean {
  return Array.isArray(value) && (value as unknown as Record<symbol, unknown>)[LIST] === true;
}
