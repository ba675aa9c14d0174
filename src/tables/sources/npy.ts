import ndarray, { type NdArray } from 'ndarray';
import { DataSourceError } from '../../errors.js';

/**
 * Reads numpy's .npy format (version 1–3): a header with dtype, order and shape, then the data.
 * Little-endian float64, float32, int8/16/32 and uint8 only.
 */
export function readNpy(bytes: Buffer, name: string): NdArray {
  if (bytes.length < 10 || bytes.toString('latin1', 0, 6) !== '\x93NUMPY') throw new DataSourceError(`${name} is not a .npy file.`, { source: name });
  const major = bytes[6]!;
  if (major < 1 || major > 3 || bytes.length < 12) throw new DataSourceError(`${name}: .npy format version ${major} is not supported (1, 2 and 3 are).`, { source: name });
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  if (start + headerLength > bytes.length) throw new DataSourceError(`${name}: the .npy header runs past the end of the file (truncated?).`, { source: name });
  const header = bytes.toString('latin1', start, start + headerLength);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  const dims = (shapeText ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (shapeText === undefined || dims.some((d) => !/^\d+L?$/.test(d))) throw new DataSourceError(`${name}: the .npy header's shape (${shapeText ?? 'missing'}) is not a tuple of whole numbers.`, { source: name, field: 'shape' });
  const shape = dims.map((d) => Number(d.replace(/L$/, '')));
  if (shape.some((d) => !Number.isSafeInteger(d))) throw new DataSourceError(`${name}: the .npy shape (${shapeText}) is too large.`, { source: name, field: 'shape' });
  const types: Record<string, [number, (b: ArrayBuffer, o: number, n: number) => ArrayLike<number>]> = {
    '<f8': [8, (b, o, n) => new Float64Array(b, o, n)], '<f4': [4, (b, o, n) => new Float32Array(b, o, n)],
    '<i4': [4, (b, o, n) => new Int32Array(b, o, n)], '<i2': [2, (b, o, n) => new Int16Array(b, o, n)],
    '|i1': [1, (b, o, n) => new Int8Array(b, o, n)], '|u1': [1, (b, o, n) => new Uint8Array(b, o, n)],
  };
  const type = descr === undefined ? undefined : types[descr];
  if (!type) throw new DataSourceError(`${name}: dtype ${descr ?? '(missing)'} is not supported; use <f8, <f4, <i4, <i2, |i1 or |u1.`, { source: name, field: 'descr' });
  const n = shape.reduce((p, s) => p * s, 1);
  const body = bytes.subarray(start + headerLength);
  if (body.length !== n * type[0]) throw new DataSourceError(`${name}: the shape (${shape.join(', ')}) needs ${n * type[0]} bytes of data but the file has ${body.length}.`, { source: name });
  const copy = Buffer.allocUnsafeSlow(body.length);
  body.copy(copy);
  const data = type[1](copy.buffer as ArrayBuffer, copy.byteOffset, n);
  const strides = fortran ? shape.map((_, i) => shape.slice(0, i).reduce((p, s) => p * s, 1)) : shape.map((_, i) => shape.slice(i + 1).reduce((p, s) => p * s, 1));
  return ndarray(data as never, shape, strides);
}
