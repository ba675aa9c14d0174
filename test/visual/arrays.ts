import type { NdArray } from 'ndarray';

/** A stored array's values in column-major order (DataJoint's), whatever its strides. */
export function columnMajor(value: unknown): Float64Array {
  if (value instanceof Float64Array) return value;
  const a = value as NdArray<Float64Array>;
  const out = new Float64Array(a.size);
  const index = new Array<number>(a.shape.length).fill(0);
  for (let i = 0; i < a.size; i++) {
    out[i] = a.get(...index);
    for (let d = 0; d < index.length && ++index[d]! === a.shape[d]; d++) index[d] = 0;
  }
  return out;
}

/** Rounded for comparing values that went through `x − b + b`. */
export function rounded(values: Iterable<number>, digits = 12): number[] {
  return Array.from(values, (v) => Number(v.toFixed(digits)));
}
