import ndarray, { type NdArray } from 'ndarray';
import { openRegion, readRegion, takeRegionSigns, type FileRegion } from './pickle-skeleton.js';

/** The typed arrays a deferred array may be read through (numbers, not BigInts). */
export type NumberArrayType =
  | Float64ArrayConstructor | Float32ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor
  | Int16ArrayConstructor | Uint16ArrayConstructor | Int8ArrayConstructor | Uint8ArrayConstructor;

interface Source {
  /** The values, little-endian, where the file put them (possibly not aligned for their type), or the region of the file that holds them. */
  readonly data: Uint8Array | FileRegion;
  readonly type: NumberArrayType;
  readonly shape: readonly number[];
  /** Column-major (numpy's order='F') rather than row-major. */
  readonly fortran: boolean;
}

const sources = new WeakMap<object, Source>();
/** Values are read a megabyte at a time into aligned scratch memory. */
const CHUNK = 1 << 20;

/**
 * A numpy array left in the bytes it was read from (a pickle's, say), as a column-major float64
 * ndarray whose `data` is made on first use. A loader that only copies the values somewhere
 * ({@link writeColumnMajor}) or checks them ({@link firstNonFinite}) never makes it, so a
 * 455 MB pickle is held once, not once more per copy.
 *
 * @example
 * ```ts
 * const movie = deferredArray(bytes.subarray(at, at + 8 * 64 * 48 * 4000), Float64Array, [64, 48, 4000], false);
 * writeColumnMajor(movie, blobData);   // straight from the file's bytes
 * movie.get(3, 2, 10);                 // makes movie.data (the column-major copy) now
 * ```
 */
export function deferredArray(data: Uint8Array | FileRegion, type: NumberArrayType, shape: readonly number[], fortran: boolean): NdArray<Float64Array> {
  const strides: number[] = [];
  let step = 1;
  for (const d of shape) { strides.push(step); step *= d; }
  const array = ndarray(new Float64Array(0), [...shape], strides);
  const source: Source = { data, type, shape: [...shape], fortran };
  let values: Float64Array | undefined;
  Object.defineProperty(array, 'data', {
    enumerable: true,
    get: () => {
      if (!values) {
        values = new Float64Array(step);
        copyColumnMajor(source, bytesOf(source), values, 0, step / Math.max(1, shape[shape.length - 1] ?? 1));
      }
      return values;
    },
  });
  sources.set(array, source);
  return array;
}

/** Whether the array is a deferred one whose values are still only in the file's bytes. */
export function isDeferred(array: object): boolean {
  return sources.has(array);
}

/**
 * Writes the array's values, column-major, as float64 into `out`: the frames (indices along the
 * last axis) from `frame` on, as many as `out` holds. From the file's bytes for a deferred array,
 * from its data for any other ndarray.
 */
export function writeColumnMajor(array: NdArray, out: Float64Array, frame = 0): void {
  columnMajorWriter(array)(out, frame);
}

/**
 * A {@link writeColumnMajor} for one array, to call for frame after frame: a deferred array whose
 * values are in a region of its file reads that region once, for the writer's life (into `memory`
 * when it is large enough, so that one piece of memory can serve movie after movie).
 */
export function columnMajorWriter(array: NdArray, memory?: ArrayBuffer): (out: Float64Array, frame: number) => void {
  const { shape, stride, offset } = array;
  const frameSize = shape.slice(0, -1).reduce((p, d) => p * d, 1);
  const source = sources.get(array);
  if (source) {
    const bytes = bytesOf(source, memory);
    return (out, frame) => copyColumnMajor(source, bytes, out, frame, frameSize);
  }
  const data = array.data as ArrayLike<number>;
  let expected = 1;
  if (shape.every((d, i) => { const ok = d === 1 || stride[i] === expected; expected *= d; return ok; })) {
    return (out, frame) => out.set((data as Float64Array).subarray(offset + frame * frameSize, offset + frame * frameSize + out.length));
  }
  return (out, frame) => {
    const index = shape.map((_, i) => (i === shape.length - 1 ? frame : 0));
    for (let o = 0; o < out.length; o++) {
      let at = offset;
      for (let d = 0; d < shape.length; d++) at += index[d]! * stride[d]!;
      out[o] = data[at]!;
      for (let d = 0; d < shape.length; d++) {
        if (++index[d]! < shape[d]!) break;
        index[d] = 0;
      }
    }
  };
}

/** The source's bytes: its own, or its file region read now. */
function bytesOf(source: Source, memory?: ArrayBuffer): Uint8Array {
  return source.data instanceof Uint8Array ? source.data : readRegion(source.data, memory);
}

/** Calls `visit` with aligned views of the source's values `first` … `end` − 1 (file order), a chunk at a time. */
function chunks(source: Source, bytes: Uint8Array, first: number, end: number, visit: (values: ArrayLike<number>, first: number) => boolean | void): void {
  const size = source.type.BYTES_PER_ELEMENT;
  const aligned = bytes.byteOffset % size === 0;
  const scratch = aligned ? undefined : new Uint8Array(Math.min(CHUNK, (end - first) * size));
  const per = CHUNK / size;
  for (let at = first; at < end; at += per) {
    const n = Math.min(per, end - at);
    let values: ArrayLike<number>;
    if (scratch) {
      scratch.set(bytes.subarray(at * size, (at + n) * size));
      values = new source.type(scratch.buffer, 0, n);
    } else {
      values = new source.type(bytes.buffer as ArrayBuffer, bytes.byteOffset + at * size, n);
    }
    if (visit(values, at) === false) return;
  }
}

/**
 * The first value that is not a finite number, in file order, with its index along each axis; or
 * undefined. Integer arrays have none.
 */
export function firstNonFinite(array: NdArray): { value: number; at: number[] } | undefined {
  const source = sources.get(array);
  if (!source) throw new Error('firstNonFinite reads deferred arrays only');
  if (source.type !== Float64Array && source.type !== Float32Array) return undefined;
  let found: { value: number; at: number[] } | undefined;
  if (!(source.data instanceof Uint8Array) && source.type === Float64Array) {
    // Checked while the file was read: only the offending value is read again.
    const i = source.data.firstNonFiniteF64;
    if (i < 0) return undefined;
    return { value: readRegion({ ...source.data, offset: source.data.offset + 8 * i, length: 8 }).readDoubleLE(0), at: coordinates(source, i) };
  }
  const bytes = bytesOf(source);
  chunks(source, bytes, 0, bytes.byteLength / source.type.BYTES_PER_ELEMENT, (values, first) => {
    let check = 0;
    for (let i = 0; i < values.length; i++) check += values[i]! * 0;
    if (check === 0) return true;
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) {
        found = { value: values[i]!, at: coordinates(source, first + i) };
        return false;
      }
    }
    return true;
  });
  return found;
}

/** The index along each axis of the file's i-th value. */
function coordinates(source: Source, i: number): number[] {
  const at = new Array<number>(source.shape.length).fill(0);
  const axes = source.shape.map((_, d) => d);
  if (!source.fortran) axes.reverse();
  let rest = i;
  for (const d of axes) {
    at[d] = rest % source.shape[d]!;
    rest = Math.floor(rest / source.shape[d]!);
  }
  return at;
}

/** Row-major rows of the last axis are scattered into column-major order this many at a time. */
const BLOCK = 8;

/** Writes frames `frame` … of a deferred array, column-major, into `out`. */
function copyColumnMajor(source: Source, bytes: Uint8Array, out: Float64Array, frame: number, F: number): void {
  const shape = source.shape;
  const T = shape[shape.length - 1] ?? 1;
  const count = out.length / Math.max(1, F);
  if (source.fortran || shape.length <= 1) {
    chunks(source, bytes, frame * F, (frame + count) * F, (values, at) => out.set(values as ArrayLike<number>, at - frame * F));
    return;
  }
  // Row-major: the last axis is contiguous, so pixel p (column-major over the leading axes) is a
  // row r of T values in the file; value (p, t) goes to out[p + F·(t − frame)]. The frames' part
  // of the rows of BLOCK neighbouring pixels is copied into aligned scratch, then written out a
  // cache line per frame.
  const size = source.type.BYTES_PER_ELEMENT;
  const scratch = new source.type(Math.min(BLOCK, F) * count);
  const scratchBytes = new Uint8Array(scratch.buffer);
  const lead = shape.slice(0, -1);
  for (let p0 = 0; p0 < F; p0 += BLOCK) {
    const n = Math.min(BLOCK, F - p0);
    for (let b = 0; b < n; b++) {
      let p = p0 + b;
      let r = 0;
      const at = lead.map((d) => { const i = p % d; p = Math.floor(p / d); return i; });
      for (let d = 0; d < lead.length; d++) r = r * lead[d]! + at[d]!;
      const from = (r * T + frame) * size;
      scratchBytes.set(bytes.subarray(from, from + count * size), b * count * size);
    }
    if (n === BLOCK) {
      for (let t = 0, o = p0; t < count; t++, o += F) {
        out[o] = scratch[t]!;
        out[o + 1] = scratch[count + t]!;
        out[o + 2] = scratch[2 * count + t]!;
        out[o + 3] = scratch[3 * count + t]!;
        out[o + 4] = scratch[4 * count + t]!;
        out[o + 5] = scratch[5 * count + t]!;
        out[o + 6] = scratch[6 * count + t]!;
        out[o + 7] = scratch[7 * count + t]!;
      }
    } else {
      for (let t = 0; t < count; t++) for (let b = 0; b < n; b++) out[p0 + b + F * t] = scratch[b * count + t]!;
    }
  }
}

/** Values read from the file at once when a column-major array's signs are read. */
const SIGN_CHUNK = 1 << 19;

/**
 * The signs (0 for +1, 1 for −1) of a deferred float64 array's values in column-major order, read
 * straight from its bytes, when every value is exactly +1 or −1 (a white-noise movie); undefined
 * otherwise, or when the array is not a deferred float64 one. The values are read once and never
 * copied as float64. A row-major array is read a pixel's frames at a time, pixels in column-major
 * order, so that the signs of neighbouring pixels land side by side.
 *
 * @example
 * ```ts
 * const signs = unitSigns(movie);   // Uint8Array(movie.size), or undefined
 * ```
 */
export function unitSigns(array: NdArray): Uint8Array | undefined {
  const source = sources.get(array);
  if (!source || source.type !== Float64Array) return undefined;
  return signsOf(source);
}

/**
 * A deferred float64 array whose values are still in a region of its file, as plain data that can
 * be posted to a worker thread: its region and layout. Undefined for any other array.
 */
export interface RegionArray {
  readonly region: FileRegion;
  readonly shape: readonly number[];
  readonly fortran: boolean;
  /** The values' signs in file order, found while the file was read ({@link takeRegionSigns}): the file need not be read again. */
  readonly signs?: Uint8Array;
}

/** The {@link RegionArray} of a deferred float64 array read from a region of its file; undefined otherwise. */
export function regionArray(array: NdArray): RegionArray | undefined {
  const source = sources.get(array);
  if (!source || source.type !== Float64Array || source.data instanceof Uint8Array) return undefined;
  return { region: source.data, shape: source.shape, fortran: source.fortran };
}

/**
 * {@link unitSigns} of a {@link RegionArray}, on any thread: the file is checked (size and
 * modification time) and read as for the array itself.
 *
 * @example
 * ```ts
 * const signs = unitSignsOfRegion(regionArray(movie)!);   // in a worker thread
 * ```
 */
export function unitSignsOfRegion(array: RegionArray): Uint8Array | undefined {
  if (array.signs) return columnMajorSigns(array.signs, array.shape, array.fortran);
  return signsOf({ data: array.region, type: Float64Array, shape: array.shape, fortran: array.fortran });
}

/** Pixels whose frames are moved together from file order to column-major order. */
const SIGN_BLOCK = 32;
/** By 4 bits (signs of 4 pixels at one frame): the 4 bytes of those signs, little-endian. */
const SPREAD = Uint32Array.from({ length: 16 }, (_, v) => (v & 1) | (((v >>> 1) & 1) << 8) | (((v >>> 2) & 1) << 16) | (((v >>> 3) & 1) << 24));

/**
 * Signs in file order as signs in column-major order: the same bytes for a column-major (or 1-d)
 * array; for a row-major one, whose file holds each pixel's frames in a row, the rows of
 * SIGN_BLOCK neighbouring pixels are walked together. The signs being 0 or 1, 8 rows × 4 frames
 * move at once: 4 frames of each row are read as a 32-bit word, the 8 words are stacked a bit
 * apart (a byte of the stack is then the 8 pixels' signs at one frame), and each byte is spread
 * back to 8 bytes through a table.
 */
function columnMajorSigns(signs: Uint8Array, shape: readonly number[], fortran: boolean): Uint8Array {
  if (fortran || shape.length <= 1 || signs.length === 0) return signs;
  const T = shape[shape.length - 1]!;
  const F = signs.length / T;
  const out = new Uint8Array(signs.length);
  const from = new DataView(signs.buffer, signs.byteOffset, signs.byteLength);
  const to = new DataView(out.buffer);
  const lead = shape.slice(0, -1);
  const rowStrides = lead.map((_, d) => lead.slice(d + 1).reduce((q, x) => q * x, 1));
  const index = new Array<number>(lead.length).fill(0);
  const rows = new Int32Array(SIGN_BLOCK);
  for (let p0 = 0; p0 < F; p0 += SIGN_BLOCK) {
    const n = Math.min(SIGN_BLOCK, F - p0);
    // Pixel p (column-major over the leading axes) is the file's row r (row-major over them).
    for (let b = 0; b < n; b++) {
      let r = 0;
      for (let d = 0; d < lead.length; d++) r += index[d]! * rowStrides[d]!;
      rows[b] = r * T;
      for (let d = 0; d < lead.length; d++) {
        if (++index[d]! < lead[d]!) break;
        index[d] = 0;
      }
    }
    const whole = n & ~7;
    let t = 0;
    for (; t + 4 <= T; t += 4) {
      for (let g = 0; g < whole; g += 8) {
        const stack = from.getUint32(rows[g]! + t, true) | (from.getUint32(rows[g + 1]! + t, true) << 1)
          | (from.getUint32(rows[g + 2]! + t, true) << 2) | (from.getUint32(rows[g + 3]! + t, true) << 3)
          | (from.getUint32(rows[g + 4]! + t, true) << 4) | (from.getUint32(rows[g + 5]! + t, true) << 5)
          | (from.getUint32(rows[g + 6]! + t, true) << 6) | (from.getUint32(rows[g + 7]! + t, true) << 7);
        let o = p0 + g + F * t;
        for (let k = 0; k < 32; k += 8, o += F) {
          to.setUint32(o, SPREAD[(stack >>> k) & 15]!, true);
          to.setUint32(o + 4, SPREAD[(stack >>> (k + 4)) & 15]!, true);
        }
      }
      for (let b = whole; b < n; b++) for (let k = 0; k < 4; k++) out[p0 + b + F * (t + k)] = signs[rows[b]! + t + k]!;
    }
    for (; t < T; t++) for (let b = 0; b < n; b++) out[p0 + b + F * t] = signs[rows[b]! + t]!;
  }
  return out;
}

function signsOf(source: Source): Uint8Array | undefined {
  // Found while the file was read: no need to read it again.
  const found = source.data instanceof Uint8Array ? undefined : takeRegionSigns(source.data);
  if (found) return columnMajorSigns(found, source.shape, source.fortran);
  const shape = source.shape;
  const n = shape.reduce((p, d) => p * d, 1);
  const signs = new Uint8Array(n);
  if (n === 0) return signs;
  const T = shape[shape.length - 1]!;
  const F = n / T;
  const rowMajor = !source.fortran && shape.length > 1;
  const chunk = rowMajor ? T : Math.min(n, SIGN_CHUNK);
  const words = new Uint32Array(chunk * 2);
  const bytes = new Uint8Array(words.buffer);
  return withReader(source, (read) => {
    if (!rowMajor) {
      for (let at = 0; at < n; at += chunk) {
        const count = Math.min(chunk, n - at);
        read(bytes, at * 8, count * 8);
        if (!signsOfWords(words, count, signs, at, 1)) return undefined;
      }
      return signs;
    }
    // Pixel p (column-major over the leading axes) is the file's row r (row-major over them).
    const lead = shape.slice(0, -1);
    const rowStrides = lead.map((_, d) => lead.slice(d + 1).reduce((q, x) => q * x, 1));
    const index = new Array<number>(lead.length).fill(0);
    for (let p = 0; p < F; p++) {
      let r = 0;
      for (let d = 0; d < lead.length; d++) r += index[d]! * rowStrides[d]!;
      read(bytes, r * T * 8, T * 8);
      if (!signsOfWords(words, T, signs, p, F)) return undefined;
      for (let d = 0; d < lead.length; d++) {
        if (++index[d]! < lead[d]!) break;
        index[d] = 0;
      }
    }
    return signs;
  });
}

/** Writes the signs of `count` float64 words (as uint32 pairs) to `signs[at + k·stride]`; false at a value other than ±1. */
function signsOfWords(words: Uint32Array, count: number, signs: Uint8Array, at: number, stride: number): boolean {
  for (let k = 0, i = 0; k < count; k++, i += 2) {
    const high = words[i + 1]!;
    // +1 is 0x3ff00000_00000000, −1 the same with the sign bit.
    if (words[i] !== 0 || (high & 0x7fffffff) !== 0x3ff00000) return false;
    signs[at + k * stride] = high >>> 31;
  }
  return true;
}

/** Calls `use` with a reader of the source's value bytes (from its file, opened once, or its bytes). */
function withReader<T>(source: Source, use: (read: (into: Uint8Array, offset: number, length: number) => void) => T): T {
  const data = source.data;
  if (data instanceof Uint8Array) return use((into, offset, length) => into.set(data.subarray(offset, offset + length)));
  const file = openRegion(data);
  try {
    return use((into, offset, length) => file.read(into, offset, length));
  } finally {
    file.close();
  }
}

