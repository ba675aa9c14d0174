import ndarray, { type NdArray } from 'ndarray';
import { NameRegistry, Parser } from 'pickleparser';
import { DataSourceError } from '../../errors.js';
import { deferredArray, type NumberArrayType } from './deferred-array.js';
import { readRegion, type FileRegion } from './pickle-skeleton.js';
import { checkShape } from './shape.js';

const TYPED: Record<string, { bytes: number; make: (b: ArrayBuffer, o: number, n: number) => ArrayLike<number | bigint> }> = {
  f8: { bytes: 8, make: (b, o, n) => new Float64Array(b, o, n) },
  f4: { bytes: 4, make: (b, o, n) => new Float32Array(b, o, n) },
  i8: { bytes: 8, make: (b, o, n) => new BigInt64Array(b, o, n) },
  u8: { bytes: 8, make: (b, o, n) => new BigUint64Array(b, o, n) },
  i4: { bytes: 4, make: (b, o, n) => new Int32Array(b, o, n) },
  u4: { bytes: 4, make: (b, o, n) => new Uint32Array(b, o, n) },
  i2: { bytes: 2, make: (b, o, n) => new Int16Array(b, o, n) },
  u2: { bytes: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  i1: { bytes: 1, make: (b, o, n) => new Int8Array(b, o, n) },
  u1: { bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
  b1: { bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
};
const NUMBER_TYPES: Record<string, NumberArrayType> = {
  f8: Float64Array, f4: Float32Array, i4: Int32Array, u4: Uint32Array, i2: Int16Array, u2: Uint16Array, i1: Int8Array, u1: Uint8Array, b1: Uint8Array,
};
const ALIASES: Record<string, string> = {
  float64: 'f8', float32: 'f4', int64: 'i8', uint64: 'u8', int32: 'i4', uint32: 'u4', int16: 'i2', uint16: 'u2', int8: 'i1', uint8: 'u1', bool: 'b1', '?': 'b1',
};

/** numpy's dtype, as far as a pickle tells it: the kind code and the byte order. */
class NumpyDtype {
  code: string;
  order = '<';
  constructor(spec: string) {
    const clean = spec.replace(/^[<>=|]/, '');
    this.code = ALIASES[clean] ?? clean;
  }
  __setstate__(state: unknown[]): void {
    if (typeof state[1] === 'string') this.order = state[1];
  }
}

/** Names a pickle may call: numpy's array builders only. Anything else is refused by name. */
class StrictRegistry extends NameRegistry {
  override onMissingName(module: string, name: string): never {
    throw new DataSourceError(`The pickle calls ${module}.${name}, which is not a numpy array builder: only lists, dicts, numbers, strings and numpy arrays are read.`);
  }
}

/** An ndarray under construction: `_reconstruct` makes it, BUILD's state fills it. */
class PendingArray {
  array: NdArray | undefined;
  __setstate__(state: unknown[]): void {
    const [, shape, dtype, fortran, raw] = state as [unknown, number[], NumpyDtype, boolean, Uint8Array | string];
    this.array = toNdArray(raw, dtype, shape, fortran);
  }
}

function bytesOf(raw: Uint8Array | string): Uint8Array {
  return typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw;
}

function toNdArray(raw: Uint8Array | string, dtype: NumpyDtype, shape: readonly number[], fortran: boolean): NdArray {
  const info = TYPED[dtype.code];
  if (!info) throw new DataSourceError(`A numpy array of dtype "${dtype.code}" cannot be read; numeric dtypes only.`);
  if (dtype.order === '>') throw new DataSourceError('Big-endian numpy arrays are not supported.');
  if (!(dtype instanceof NumpyDtype)) throw new DataSourceError('A numpy array in the pickle has no numpy dtype: the pickle is not one numpy wrote.');
  if (typeof raw !== 'string' && !(raw instanceof Uint8Array)) throw new DataSourceError('A numpy array in the pickle has no data bytes: the pickle is not one numpy wrote.');
  const region = typeof raw === 'string' ? undefined : regionOf(raw);
  const length = region ? region.length : bytesOf(raw).byteLength;
  checkShape('A numpy array in the pickle', shape, Math.floor(length / info.bytes));
  const n = shape.reduce((p, s) => p * s, 1);
  if (length !== n * info.bytes) {
    throw new DataSourceError(`A numpy array of shape (${shape.join(', ')}) needs ${n * info.bytes} bytes but the pickle holds ${length}: the file is truncated or corrupt.`);
  }
  // Numbers stay where they are (the pickle's bytes, or its file) until used: read once, straight
  // to where they go.
  const type = NUMBER_TYPES[dtype.code];
  if (type && shape.length > 0) return deferredArray(region ?? bytesOf(raw), type, shape, fortran);
  const bytes = region ? readRegion(region) : bytesOf(raw);
  let data: ArrayLike<number | bigint>;
  if (bytes.byteOffset % info.bytes === 0) data = info.make(bytes.buffer as ArrayBuffer, bytes.byteOffset, n);
  else {
    const copy = Buffer.allocUnsafeSlow(bytes.byteLength);
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).copy(copy);
    data = info.make(copy.buffer as ArrayBuffer, copy.byteOffset, n);
  }
  const strides: number[] = new Array<number>(shape.length);
  let step = 1;
  if (fortran) for (let i = 0; i < shape.length; i++) { strides[i] = step; step *= shape[i]!; }
  else for (let i = shape.length - 1; i >= 0; i--) { strides[i] = step; step *= shape[i]!; }
  return ndarray(data as never, [...shape], strides);
}

/**
 * Parses a pickle that holds numpy arrays, without executing any of it: pickleparser resolves
 * numpy's reconstructors (numpy 1 `numpy.core.*` and numpy 2 `numpy._core.*`, protocols 2–5) to
 * functions that build ndarrays over the pickle's bytes without copying them: arrays of numbers
 * are deferred ({@link deferredArray}: column-major float64, made on first use), 64-bit integer
 * arrays are typed-array views. Lists and dicts become arrays and objects. Given the `regions` of a
 * {@link readPickleSkeleton} skeleton, arrays whose data stayed in the file are deferred to it.
 */
export function parseNumpyPickle(bytes: Uint8Array, regions?: ReadonlyMap<number, FileRegion>): unknown {
  leftInFile = regions ? { bytes, regions } : undefined;
  try {
    return parse(bytes);
  } finally {
    leftInFile = undefined;
  }
}

/** The skeleton being parsed and its payloads left in the file (parsing is synchronous). */
let leftInFile: { bytes: Uint8Array; regions: ReadonlyMap<number, FileRegion> } | undefined;

/** The file region a placeholder payload of the skeleton stands for. */
function regionOf(raw: Uint8Array): FileRegion | undefined {
  if (!leftInFile || raw.buffer !== leftInFile.bytes.buffer) return undefined;
  return leftInFile.regions.get(raw.byteOffset - leftInFile.bytes.byteOffset);
}

function parse(bytes: Uint8Array): unknown {
  const registry = new StrictRegistry();
  const reconstruct = (): PendingArray => new PendingArray();
  const fromBuffer = (buffer: Uint8Array | string, dtype: NumpyDtype, shape: number[], order: string): NdArray =>
    toNdArray(buffer, dtype, shape, order === 'F');
  for (const core of ['numpy.core', 'numpy._core']) {
    registry.register(`${core}.multiarray`, '_reconstruct', reconstruct);
    registry.register(`${core}.numeric`, '_frombuffer', fromBuffer);
    registry.register(`${core}.multiarray`, 'scalar', (dtype: NumpyDtype, raw: Uint8Array | string) => {
      const a = toNdArray(raw, dtype, [1], false);
      return (a.data as ArrayLike<number | bigint>)[0];
    });
  }
  registry.register('numpy', 'ndarray', PendingArray);
  registry.register('numpy', 'dtype', (spec: string) => new NumpyDtype(spec));
  registry.register('_codecs', 'encode', (text: string) => Buffer.from(text, 'latin1'));
  registry.register('builtins', 'bytearray', (x: Uint8Array | string = '') => bytesOf(x));
  const parser = new Parser({ nameResolver: registry, unpicklingTypeOfDictionary: 'object', unpicklingTypeOfSet: 'array' });
  let value: unknown;
  try {
    value = parser.parse(bytes);
  } catch (cause) {
    if (cause instanceof DataSourceError) throw cause;
    throw new DataSourceError(`The pickle cannot be read: ${(cause as Error).message}. It is truncated, corrupt, or holds objects other than numpy arrays, lists, dicts and numbers.`, { cause });
  }
  return unwrap(value, new Map());
}

/**
 * Replaces pending arrays by their ndarrays. A pickle can reference one object many times (its
 * memo) or inside itself: each object is converted once, and a cycle is refused.
 */
function unwrap(value: unknown, done: Map<object, unknown>): unknown {
  if (value instanceof PendingArray) {
    if (!value.array) throw new DataSourceError('A numpy array in the pickle was never given its data (no BUILD state).');
    return value.array;
  }
  if (value === null || typeof value !== 'object') return value;
  if (done.has(value)) {
    const converted = done.get(value);
    if (converted === undefined) throw new DataSourceError('The pickle holds a list or dict that contains itself.');
    return converted;
  }
  if (Array.isArray(value)) {
    done.set(value, undefined);
    const out = value.map((v) => unwrap(v, done));
    done.set(value, out);
    return out;
  }
  if (Object.getPrototypeOf(value) === Object.prototype) {
    done.set(value, undefined);
    const out = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v, done)]));
    done.set(value, out);
    return out;
  }
  return value;
}
