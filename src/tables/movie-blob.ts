import type { NdArray } from 'ndarray';
import { deflatePieces } from '../schema/blob/deflate-parallel.js';
import { float64ArrayBlobPrefix, zl123 } from '../schema/blob/pack.js';
import { PackedBlob } from '../schema/blob/packed-blob.js';
import { deflateUnitSigns, UnitSignsDeflater } from '../schema/blob/deflate-unit-signs.js';
import { postSignJob, type SignJobHandle } from './movie-sign-thread.js';
import { columnMajorWriter, isDeferred, unitSigns } from './sources/deferred-array.js';

/**
 * zlib level of stored movies whose values are not all ±1 (white noise has its own encoder, see
 * deflate-unit-signs.ts). On ±1 white noise level 3 deflates about seven times faster than
 * DataJoint's 6 (about 380 against 54 MB/s a core here) to 4.8% of the raw size against 3.2%, and
 * inflates about as fast: the 455 MB of the full dataset store as 22 MB instead of 15.
 */
export const MOVIE_ZLIB_LEVEL = 3;
/** Frames are written and compressed about this many bytes at a time. */
const PIECE_BYTES = 4 << 20;

/** Movies packed or queued, by movie: each is packed once, whoever asks first. */
const packing = new WeakMap<object, Promise<PackedBlob>>();
/** Movies posted to the worker thread, by movie. */
const signJobs = new WeakMap<object, SignJobHandle>();
/** The end of the queue: movies are packed one after the other, each on every core. */
let queue: Promise<unknown> = Promise.resolve();
let queued = 0;
/** Memory a movie's file region is read into, reused from movie to movie while the queue runs. */
let regionMemory: ArrayBuffer | undefined;
/** The largest movie queued by {@link packMoviesAhead}: region memory is made this large once, if needed. */
let largestAhead = 0;

/**
 * `signs`: the movie's white-noise stream, under way on the worker thread (false when the movie is
 * not one it reads).
 */
async function pack(movie: NdArray, prefix: Buffer, signs: SignJobHandle | false): Promise<PackedBlob> {
  const frames = movie.shape[movie.shape.length - 1]!;
  const frameSize = movie.size / Math.max(1, frames);
  const step = Math.max(1, Math.floor(PIECE_BYTES / 8 / Math.max(1, frameSize)));
  const length = prefix.byteLength + movie.size * 8;
  // White noise (every value +1 or −1) has its own encoder, several times faster than zlib: its
  // signs are read straight from the file (a deferred movie; on the worker thread when the movie
  // is in a region of its file), or from the values.
  if (signs) {
    // Settled by whichever thread packs it: this thread takes it on only when the movie is asked for (packMovie).
    const z = await signs.settled;
    const packed = z && zl123(length, z);
    if (packed) return new PackedBlob(packed);
  } else if (isDeferred(movie)) {
    const unit = unitSigns(movie);
    const packed = unit && zl123(length, deflateUnitSigns(prefix, unit));
    if (packed) return new PackedBlob(packed);
  }
  const bytes = Math.max(movie.size * 8, largestAhead);
  if (isDeferred(movie) && (!regionMemory || regionMemory.byteLength < bytes)) regionMemory = new ArrayBuffer(bytes);
  const write = columnMajorWriter(movie, isDeferred(movie) ? regionMemory : undefined);
  if (!isDeferred(movie)) {
    const signs = new UnitSignsDeflater(prefix, movie.size);
    const piece = new Float64Array(step * frameSize);
    let unit = true;
    for (let at = 0; at < frames && unit; at += step) {
      const values = piece.subarray(0, Math.min(step, frames - at) * frameSize);
      write(values, at);
      unit = signs.add(values);
    }
    const packed = unit ? zl123(length, signs.finish()) : undefined;
    if (packed) return new PackedBlob(packed);
  }
  let frame = -1;
  // Piece memory goes round (a handful of pieces), rather than to the allocator and back.
  const free: ArrayBuffer[] = [];
  const z = await deflatePieces(() => {
    if (frame < 0) {
      frame = 0;
      return prefix;
    }
    if (frame >= frames) return undefined;
    const count = Math.min(step, frames - frame) * frameSize;
    const values = new Float64Array(free.pop() ?? new ArrayBuffer(step * frameSize * 8), 0, count);
    write(values, frame);
    frame += step;
    return new Uint8Array(values.buffer, 0, count * 8);
  }, MOVIE_ZLIB_LEVEL, (piece) => { if (piece !== prefix) free.push(piece.buffer as ArrayBuffer); });
  const packed = zl123(length, z);
  if (packed) return new PackedBlob(packed);
  // Incompressible (not a movie of ±1 frames): stored as it is.
  const values = new Float64Array(movie.size);
  write(values, 0);
  return new PackedBlob(Buffer.concat([prefix, new Uint8Array(values.buffer)]));
}

/**
 * A movie as the blob Stimulation stores (DataJoint's float64 array, zlib-compressed). A movie
 * of ±1 values (white noise) is compressed from its signs, read straight from the source file when
 * the movie is deferred. Any other movie's column-major values are written a few frames at a time
 * and compressed on the thread pool as they come, on every core. Either way no copy of the whole
 * movie as float64 is made. Movies are packed one after the other, whoever asks.
 *
 * @example
 * ```ts
 * await Stimulation.insert1({ ...key, movie: await packMovie(stim.movie), ... });
 * ```
 */
export function packMovie(movie: NdArray): Promise<PackedBlob> {
  const packed = queueMovie(movie);
  // Asked for now: a white-noise movie the worker thread has not begun is packed on this thread
  // (and, while the worker has it, those nobody began, the last first). From the next turn of the
  // event loop, so that a caller asking for several movies at once posts them all first, and the
  // worker takes its share.
  const job = signJobs.get(movie);
  if (job) setImmediate(() => job.result().catch(() => undefined));
  return packed;
}

/** Queues a movie for packing (once); white-noise movies of a pickle go to the worker thread. */
function queueMovie(movie: NdArray): Promise<PackedBlob> {
  let packed = packing.get(movie);
  if (packed) return packed;
  // The worker takes white-noise movies at once, in this order; the queue waits for each in turn.
  let prefix: Buffer;
  try {
    prefix = float64ArrayBlobPrefix(movie.shape);
  } catch (error) {
    return Promise.reject(error);
  }
  const signs = postSignJob(movie, prefix);
  if (signs) {
    signs.settled.catch(() => undefined);
    signJobs.set(movie, signs);
  }
  queued++;
  packed = queue.then(() => pack(movie, prefix, signs));
  queue = packed.catch(() => undefined).finally(() => {
    if (--queued === 0) {
      regionMemory = undefined;
      largestAhead = 0;
    }
  });
  packing.set(movie, packed);
  packed.catch(() => {
    packing.delete(movie);
    signJobs.delete(movie);
  });
  return packed;
}

/**
 * Queues the movies for packing, in order, so that they compress on the worker thread (white
 * noise from a pickle) or the thread pool (zlib) while the caller goes on (inserting rows);
 * Stimulation.make() then finds each packed or under way, and packs one itself when the worker
 * has not begun it. A failure surfaces where the movie is awaited.
 *
 * @example
 * ```ts
 * packMoviesAhead(dataset.sessions.flatMap((s) => s.stimulations.map((st) => st.movie)));
 * ```
 */
export function packMoviesAhead(movies: readonly NdArray[]): void {
  // Region memory (when a movie needs it) for the largest at once: growing it movie by movie would leave the smaller behind.
  largestAhead = Math.max(largestAhead, ...movies.map((m) => m.size * 8));
  for (const movie of movies) queueMovie(movie).catch(() => undefined);
}
