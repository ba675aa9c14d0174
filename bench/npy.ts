/** Writes numpy's .npy format (version 1.0), little-endian, C order: for the numpy baselines. */
import { writeFile } from 'node:fs/promises';

const DESCR = new Map<unknown, string>([[Float64Array, '<f8'], [BigInt64Array, '<i8'], [Int32Array, '<i4']]);

export async function writeNpy(file: string, data: Float64Array | BigInt64Array | Int32Array, shape: readonly number[]): Promise<void> {
  const descr = DESCR.get(data.constructor);
  if (!descr) throw new Error(`writeNpy: no .npy dtype for ${data.constructor.name}`);
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // The header (magic, version, length, dict, padding, newline) ends on a multiple of 64 bytes.
  const unpadded = 10 + dict.length + 1;
  const header = `${dict}${' '.repeat((64 - (unpadded % 64)) % 64)}\n`;
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  await writeFile(file, Buffer.concat([prefix, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}
