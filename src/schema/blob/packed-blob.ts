import { BlobError } from '../../errors.js';
import { deflateParallel } from './deflate-parallel.js';
import { compressedForm, compressionWanted, packBlob, serializeBlob, type PackOptions } from './pack.js';

const PARALLEL_ABOVE = 4 << 20;
const PROTOCOLS = ['mYm\0', 'dj0\0', 'ZL123\0'];

/**
 * A value already serialized as a DataJoint blob: `insert` stores these bytes as they are in a
 * blob attribute. Made by {@link packBlobAsync} (or `new PackedBlob(packBlob(value))`), so the
 * serialization and its zlib step can happen off the insert, for example on the thread pool
 * while the next value is computed.
 *
 * @example
 * ```ts
 * const movie = await packBlobAsync(ndarray(frames, [64, 48, 4000], [1, 64, 3072]), { level: 3 });
 * await Stimulation.insert1({ ...key, movie });   // the bytes go as they are; fetch unpacks them
 * ```
 */
export class PackedBlob {
  readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(6, bytes.byteLength)).toString('latin1');
    if (!PROTOCOLS.some((p) => head.startsWith(p))) {
      throw new BlobError(`A PackedBlob must hold a DataJoint blob (starting with mYm, dj0 or ZL123), not bytes starting with ${JSON.stringify(head)}; pack the value with packBlob or packBlobAsync.`, 0);
    }
    this.bytes = bytes;
  }
}

/**
 * packBlob for large values with its zlib step on libuv's thread pool (UV_THREADPOOL_SIZE threads,
 * 4 by default), while JavaScript goes on: a blob over 4 MiB is cut into pieces compressed at once
 * on every core (pieces compressed at once, joined into one zlib stream); it unpacks to the same value as packBlob's. Up to 4 MiB
 * the bytes are packBlob's (DataJoint's own).
 *
 * @example
 * ```ts
 * const packed = await Promise.all(movies.map((m) => packBlobAsync(m, { level: 3 })));
 * ```
 */
export async function packBlobAsync(value: unknown, options: PackOptions = {}): Promise<PackedBlob> {
  const blob = serializeBlob(value);
  if (!compressionWanted(blob, options)) return new PackedBlob(blob);
  // Up to 4 MiB packBlob writes DataJoint's very bytes (pako), quickly enough on this thread.
  if (blob.byteLength <= PARALLEL_ABOVE) return new PackedBlob(packBlob(value, options));
  return new PackedBlob(compressedForm(blob, await deflateParallel(blob, options.level ?? 6)));
}
