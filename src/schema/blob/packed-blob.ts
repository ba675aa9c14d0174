import { BlobError } from '../../errors.js';
import { deflateParallel, POOL_THREADS } from './deflate-parallel.js';
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
 * 4 by default), while JavaScript goes on: a large blob is cut into pieces compressed at once on
 * every core and joined into one zlib stream; it unpacks to the same value as packBlob's. At
 * DataJoint's level 6 that is from 4 MiB (up to it the bytes are packBlob's, DataJoint's own); at
 * other levels from 128 KiB.
 *
 * @example
 * ```ts
 * const packed = await Promise.all(movies.map((m) => packBlobAsync(m, { level: 3 })));
 * ```
 */
export async function packBlobAsync(value: unknown, options: PackOptions = {}): Promise<PackedBlob> {
  const blob = serializeBlob(value);
  if (!compressionWanted(blob, options)) return new PackedBlob(blob);
  const level = options.level ?? 6;
  // At DataJoint's level 6, up to 4 MiB, packBlob writes DataJoint's very bytes (pako), quickly
  // enough on this thread. At another level no bytes are DataJoint's: from 128 KiB the blob is cut
  // so that every thread of the pool has a piece (an STA of 20 lags is about 0.5 MB).
  if (level === 6 ? blob.byteLength <= PARALLEL_ABOVE : blob.byteLength < 2 * MIN_PIECE) return new PackedBlob(packBlob(value, options));
  const pieceBytes = level === 6 ? PARALLEL_ABOVE : Math.max(MIN_PIECE, Math.ceil(blob.byteLength / POOL_THREADS));
  return new PackedBlob(compressedForm(blob, await deflateParallel(blob, level, pieceBytes)));
}

/** The smallest piece cut from a blob below 4 MiB: each starts from the 32 KiB before it. */
const MIN_PIECE = 64 << 10;
