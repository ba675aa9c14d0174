import ndarray, { type NdArray } from 'ndarray';
import { BoolArray, Datetime64Array } from './blob-types.js';

/** DataJoint's type ids (blob.py's table) and the typed arrays that hold them. */
export interface DtypeInfo {
  readonly id: number;
  readonly bytes: number;
  readonly make: (buffer: ArrayBuffer, byteOffset: number, length: number) => ArrayLike<number | bigint>;
}

export const DTYPES: ReadonlyMap<number, DtypeInfo> = new Map<number, DtypeInfo>([
  [3, { id: 3, bytes: 1, make: (b, o, n) => new BoolArray(b, o, n) }],
  [6, { id: 6, bytes: 8, make: (b, o, n) => new Float64Array(b, o, n) }],
  [7, { id: 7, bytes: 4, make: (b, o, n) => new Float32Array(b, o, n) }],
  [8, { id: 8, bytes: 1, make: (b, o, n) => new Int8Array(b, o, n) }],
  [9, { id: 9, bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) }],
  [10, { id: 10, bytes: 2, make: (b, o, n) => new Int16Array(b, o, n) }],
  [11, { id: 11, bytes: 2, make: (b, o, n) => new Uint16Array(b, o, n) }],
  [12, { id: 12, bytes: 4, make: (b, o, n) => new Int32Array(b, o, n) }],
  [13, { id: 13, bytes: 4, make: (b, o, n) => new Uint32Array(b, o, n) }],
  [14, { id: 14, bytes: 8, make: (b, o, n) => new BigInt64Array(b, o, n) }],
  [15, { id: 15, bytes: 8, make: (b, o, n) => new BigUint64Array(b, o, n) }],
]);

/** datetime64 units by type id 65536 + index. */
export const DATETIME64_UNITS = ['Y', 'M', 'W', 'D', 'h', 'm', 's', 'ms', 'us', 'ns', 'ps', 'fs', 'as'] as const;

/** The type id of a typed array, as DataJoint numbers it. */
export function dtypeIdOf(data: ArrayLike<unknown>): number | undefined {
  if (data instanceof Datetime64Array) {
    const index = (DATETIME64_UNITS as readonly string[]).indexOf(data.unit);
    return index < 0 ? undefined : 65_536 + index;
  }
  if (data instanceof BoolArray) return 3;
  if (data instanceof Float64Array) return 6;
  if (data instanceof Float32Array) return 7;
  if (data instanceof Int8Array) return 8;
  if (data instanceof Uint8Array) return 9;
  if (data instanceof Int16Array) return 10;
  if (data instanceof Uint16Array) return 11;
  if (data instanceof Int32Array) return 12;
  if (data instanceof Uint32Array) return 13;
  if (data instanceof BigInt64Array) return 14;
  if (data instanceof BigUint64Array) return 15;
  return undefined;
}

/** numpy dtype names of the numeric type ids. */
export const DTYPE_IDS = {
  bool: 3, float64: 6, float32: 7, int8: 8, uint8: 9, int16: 10, uint16: 11, int32: 12, uint32: 13, int64: 14, uint64: 15,
} as const;

/** A numpy numeric dtype name (`'float64'`, `'int32'`, `'uint8'`, …), as {@link numpyScalar} takes. */
export type NumpyDtype = keyof typeof DTYPE_IDS;

/**
 * A numpy scalar (`np.float32(1.5)`, `np.int64(-7)`): a 0-d array of that dtype, which DataJoint
 * packs and unpacks as a 0-d array. Unpacking one gives the same kind of value back.
 *
 * @example
 * ```ts
 * packBlob(numpyScalar(1.5, 'float32'));   // dj0 'A', 0 dimensions, type 7 (float32), then 1.5 in 4 bytes
 * numpyScalar(-7n, 'int64').get();          // -7n
 * ```
 */
export function numpyScalar(value: number | bigint | boolean, dtype: NumpyDtype): NdArray {
  const info = DTYPES.get(DTYPE_IDS[dtype])!;
  const data = info.make(new ArrayBuffer(info.bytes), 0, 1) as unknown as { [i: number]: number | bigint };
  data[0] = typeof value === 'boolean' ? Number(value) : dtype === 'int64' || dtype === 'uint64' ? BigInt(value) : Number(value);
  return ndarray(data as never, []);
}
