import type { NdArray } from 'ndarray';
import type { EncodedArray } from './api-types.js';

/**
 * A float64 array for the API: its bytes in base64, exactly (NaN included, which JSON numbers
 * cannot carry), and ~4× faster to produce and parse than a JSON list of doubles.
 *
 * @example
 * ```ts
 * encodeArray(new Float64Array([1, -1]), [2]); // { dtype: 'float64', shape: [2], order: 'F', data: 'AAAAAAAA8D8AAAAAAADwvw==' }
 * ```
 */
export function encodeArray(data: Float64Array, shape: readonly number[]): EncodedArray {
  return { dtype: 'float64', shape, order: 'F', data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') };
}

/**
 * A stored blob (an ndarray, or a plain typed array) as column-major float64; a column-major
 * ndarray (as DataJoint blobs decode) is sent without a copy.
 *
 * @example
 * ```ts
 * encodeStored(row.spatial_map).shape; // [64, 48]
 * ```
 */
export function encodeStored(value: unknown): EncodedArray {
  if (value instanceof Float64Array) return encodeArray(value, [value.length]);
  const array = value as NdArray<Float64Array>;
  const shape = array.shape.slice();
  let expected = 1;
  const columnMajor = array.offset === 0 && array.stride.every((s, i) => {
    const ok = s === expected || shape[i] === 1;
    expected *= shape[i]!;
    return ok;
  });
  const size = shape.reduce((n, d) => n * d, 1);
  if (columnMajor && array.data instanceof Float64Array) return encodeArray(array.data.subarray(0, size), shape);
  const out = new Float64Array(size);
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < size; i++) {
    out[i] = Number(array.get(...index));
    for (let d = 0; d < index.length && ++index[d]! === shape[d]; d++) index[d] = 0;
  }
  return encodeArray(out, shape);
}

/**
 * The inverse of {@link encodeArray} (tests and scripts).
 *
 * @example
 * ```ts
 * decodeArray((await (await fetch(`${base}/api/frame?${key}`)).json()).frame); // Float64Array(3072)
 * ```
 */
export function decodeArray(encoded: EncodedArray): Float64Array {
  const bytes = Buffer.from(encoded.data, 'base64');
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Float64Array(copy.buffer);
}
