import { promisify } from 'node:util';
import { constants, createDeflate, deflate, deflateRaw } from 'node:zlib';

const deflateOnPool = promisify(deflate);
const deflateRawOnPool = promisify(deflateRaw);

/** Pieces compressed apart: large enough that the restarts cost nothing, small enough to spread. */
const PIECE = 4 << 20;
/** The last 32 KiB of the previous piece primes the next, as one stream would have it. */
const WINDOW = 32 << 10;
const ADLER_BASE = 65521;
/** libuv's thread pool: UV_THREADPOOL_SIZE threads, 4 by default. */
export const POOL_THREADS = Math.max(1, Number(process.env.UV_THREADPOOL_SIZE) || 4);

/** zlib's adler32_combine: the checksum of a ‖ b from those of a and b and b's length. */
function adler32Combine(a: number, b: number, lengthB: number): number {
  const rem = lengthB % ADLER_BASE;
  let sum1 = a & 0xffff;
  let sum2 = (rem * sum1) % ADLER_BASE;
  sum1 += (b & 0xffff) + ADLER_BASE - 1;
  sum2 += ((a >>> 16) & 0xffff) + ((b >>> 16) & 0xffff) + ADLER_BASE - rem;
  if (sum1 >= ADLER_BASE) sum1 -= ADLER_BASE;
  if (sum1 >= ADLER_BASE) sum1 -= ADLER_BASE;
  if (sum2 >= 2 * ADLER_BASE) sum2 -= 2 * ADLER_BASE;
  if (sum2 >= ADLER_BASE) sum2 -= ADLER_BASE;
  return ((sum2 << 16) | sum1) >>> 0;
}

/** The adler32 of bytes (RFC 1950): sums reduced every 5552 bytes, as zlib does. */
export function adler32(piece: Uint8Array): number {
  let a = 1;
  let b = 0;
  const n = piece.length;
  for (let i = 0; i < n;) {
    const end = Math.min(i + 5552, n);
    for (; i + 4 <= end; i += 4) {
      a += piece[i]!; b += a;
      a += piece[i + 1]!; b += a;
      a += piece[i + 2]!; b += a;
      a += piece[i + 3]!; b += a;
    }
    for (; i < end; i++) { a += piece[i]!; b += a; }
    a %= ADLER_BASE;
    b %= ADLER_BASE;
  }
  return ((b << 16) | a) >>> 0;
}

/** The bytes a sync flush ends on (an empty stored block), and the empty final block after it. */
const SYNC_MARKER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const EMPTY_FINAL = Buffer.from([0x03, 0x00]);

/**
 * One piece as raw deflate data that the next piece's data can follow, with the piece's adler32.
 * zlib compresses it as a stream of its own (primed with the dictionary): flushed to a byte
 * boundary (a sync flush) and then finished, so that its trailer carries the adler32 zlib computed
 * on the way; the header, the empty final block and the trailer are cut off. The last piece keeps
 * its final block. Should zlib end a stream differently, the piece is compressed again as raw
 * deflate and its checksum computed here.
 */
function deflatePiece(piece: Uint8Array, level: number, dictionary: Uint8Array | undefined, last: boolean): Promise<[Buffer, number, number]> {
  // Room for the whole compressed piece in one output buffer: one callback, no concatenation.
  const chunkSize = Math.max(64 << 10, piece.byteLength >>> 2);
  const stream = new Promise<Buffer>((resolve, reject) => {
    const z = createDeflate({ level, chunkSize, ...(dictionary ? { dictionary } : {}) });
    const out: Buffer[] = [];
    z.on('data', (chunk: Buffer) => out.push(chunk));
    z.on('error', reject);
    z.on('end', () => resolve(out.length === 1 ? out[0]! : Buffer.concat(out)));
    z.write(piece);
    if (last) z.end();
    else z.flush(constants.Z_SYNC_FLUSH, () => z.end());
  });
  return stream.then((z) => {
    const head = dictionary ? 6 : 2; // CMF, FLG (and the dictionary's id)
    const adler = z.readUInt32BE(z.byteLength - 4);
    if (last) return [z.subarray(head, z.byteLength - 4), adler, piece.byteLength];
    const body = z.subarray(head, z.byteLength - 6);
    if (z.subarray(z.byteLength - 6, z.byteLength - 4).equals(EMPTY_FINAL) && body.subarray(body.byteLength - 4).equals(SYNC_MARKER)) {
      return [body, adler, piece.byteLength];
    }
    const options = { level, chunkSize, finishFlush: constants.Z_SYNC_FLUSH, ...(dictionary ? { dictionary } : {}) };
    return deflateRawOnPool(piece, options).then((raw) => [raw, adler32(piece), piece.byteLength]);
  });
}

/** The zlib header (RFC 1950) zlib itself writes for a level: CMF 0x78, FLEVEL, check bits. */
function zlibHeader(level: number): Buffer {
  const flevel = level < 2 ? 0 : level < 6 ? 1 : level === 6 ? 2 : 3;
  const cmf = 0x78;
  let flg = flevel << 6;
  flg += 31 - ((cmf * 256 + flg) % 31);
  return Buffer.from([cmf, flg]);
}

/**
 * zlib-compresses `data` on libuv's thread pool, cut into pieces (4 MiB unless `pieceBytes` says)
 * compressed at once (as pigz does): each piece is a raw deflate run primed with the 32 KiB before it and ended on a byte
 * boundary, so the pieces join into one standard zlib stream that any inflate reads, and the
 * adler32 checksums of the pieces combine into the stream's. On a machine with several cores a
 * large blob compresses several times faster than with one deflate call, at the same level and
 * nearly the same size.
 *
 * @example
 * ```ts
 * const z = await deflateParallel(movieBytes, 3);
 * inflateSync(z).equals(movieBytes);   // true
 * ```
 */
export async function deflateParallel(data: Uint8Array, level: number, pieceBytes = PIECE): Promise<Buffer> {
  if (data.byteLength <= pieceBytes) return deflateOnPool(data, { level });
  let at = 0;
  return deflatePieces(() => {
    if (at >= data.byteLength) return undefined;
    const piece = data.subarray(at, Math.min(at + pieceBytes, data.byteLength));
    at += piece.byteLength;
    return piece;
  }, level);
}

/**
 * One zlib stream of the pieces `next()` gives, in order, until it gives undefined: each piece is
 * asked for only when a thread of the pool is free to compress it, so a caller that makes pieces
 * on demand (a movie written a few frames at a time) holds a few pieces, never the whole input.
 * `release(piece)` is called when zlib no longer reads a piece, for its memory to serve again.
 *
 * @example
 * ```ts
 * let frame = 0;
 * const z = await deflatePieces(() => (frame < n ? framesAsBytes(frame, (frame += 100)) : undefined), 3);
 * ```
 */
export async function deflatePieces(next: () => Uint8Array | undefined, level: number, release?: (piece: Uint8Array) => void): Promise<Buffer> {
  const done: Array<Promise<[Buffer, number, number]>> = [];
  let previous: { piece: Uint8Array; job: Promise<unknown> } | undefined;
  let piece = next();
  // As many pieces at once as the pool has threads: more would only hold more buffers.
  const running = new Set<Promise<unknown>>();
  while (piece !== undefined) {
    const following = next();
    const current = piece;
    const dictionary = previous && previous.piece.byteLength > 0 ? previous.piece.subarray(Math.max(0, previous.piece.byteLength - WINDOW)) : undefined;
    const job = deflatePiece(current, level, dictionary, following === undefined);
    // zlib has copied the dictionary: the previous piece is free once its own jobs are done.
    if (previous && release) {
      const { piece: old, job: oldJob } = previous;
      void oldJob.then(() => release(old), () => undefined);
    }
    done.push(job);
    running.add(job);
    void job.finally(() => running.delete(job)).catch(() => undefined);
    if (running.size >= POOL_THREADS) await Promise.race(running);
    previous = { piece: current, job };
    piece = following;
  }
  if (done.length === 0) return deflateOnPool(Buffer.alloc(0), { level });
  const parts = await Promise.all(done);
  let checksum = 1;
  for (const [, adler, length] of parts) checksum = adler32Combine(checksum, adler, length);
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32BE(checksum);
  return Buffer.concat([zlibHeader(level), ...parts.map(([z]) => z), trailer]);
}
