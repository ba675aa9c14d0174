import type { MovieFrames, Resident } from './sta-resident.js';
import { kernelEngine, type KernelEngine, type RunOptions } from './sta-threads.js';

/** The L lag rows of a tile's sums take about this many bytes, to stay in the L1 cache. */
const TILE_BYTES = 16384;
/** The int16 sums of the int8 kernel hold any sum of at most this much. */
const INT16_MAX = 32767;

/** Pixels per tile for `nLags` lags and sums of `sumBytes` each: a multiple of 8 (the kernels' step). */
export function tileWidth(nLags: number, sumBytes: number): number {
  return Math.max(8, Math.floor(TILE_BYTES / sumBytes / nLags / 8) * 8);
}

const jobBlocks = new WeakMap<KernelEngine, { at: number; bytes: number }>();

/** A block of the engine's memory for one job's pairs, sums and scratch, reused from job to job. */
function jobBlock(engine: KernelEngine, bytes: number): number {
  const block = jobBlocks.get(engine);
  if (block && block.bytes >= bytes) return block.at;
  if (block) engine.heap.free(block.at);
  const size = Math.ceil(bytes * 1.25);
  const at = engine.heap.alloc(size);
  jobBlocks.set(engine, { at, bytes: size });
  return at;
}

/**
 * The sums of an STA (before dividing by the spikes used) with the WebAssembly SIMD kernel on the
 * engine's threads: for each frame f with counts[f] spikes, counts[f] × frame f − k into lag k.
 * Bit for bit the scalar kernel's sums: the float64 kernel adds the same products in the same
 * order (frames ascending); the int8 kernel, for movies of small integers, sums integers exactly,
 * in runs of frames small enough for int16. Undefined where the engine cannot run.
 */
export function accumulateSimd(movie: MovieFrames, counts: Uint32Array, nLags: number, run: RunOptions = {}): Float64Array | undefined {
  const engine = kernelEngine();
  if (!engine) return undefined;
  const frames: number[] = [];
  for (let f = 0; f < counts.length; f++) if (counts[f] !== 0) frames.push(f);
  let resident = engine.movies.place(movie);
  const most = resident.kind === 'i8' ? Math.floor(INT16_MAX / Math.max(1, resident.maxAbs)) : Number.POSITIVE_INFINITY;
  if (frames.some((f) => counts[f]! > most)) resident = engine.movies.place(movie, 'f64');
  if (resident.kind === 'f64') return (runFrames(engine, resident, frames, counts, nLags, movie.frameSize, run) as Float64Array).slice();
  // int16 sums stay exact while a run's spikes × the largest |value| fit; the runs add up exactly.
  const sums = new Float64Array(movie.frameSize * nLags);
  for (let first = 0; first < frames.length;) {
    let last = first;
    for (let spikes = 0; last < frames.length && spikes + counts[frames[last]!]! <= most; last++) spikes += counts[frames[last]!]!;
    const part = runFrames(engine, resident, frames.slice(first, last), counts, nLags, movie.frameSize, run);
    if (first === 0) sums.set(part);
    else for (let i = 0; i < sums.length; i++) sums[i]! += part[i]!;
    first = last;
  }
  return sums;
}

/** One job over the given frames (ascending); returns a view of its sums in the kernel memory. */
function runFrames(engine: KernelEngine, resident: Resident, frames: readonly number[], counts: Uint32Array, nLags: number, F: number, run: RunOptions): Float64Array | Int16Array {
  const { kind } = resident;
  const pixelBytes = kind === 'i8' ? 1 : 8;
  const sumBytes = kind === 'i8' ? 2 : 8;
  const tile = tileWidth(nLags, sumBytes);
  const scratchStride = nLags * tile * sumBytes;
  const accBytes = Math.ceil((F * nLags * sumBytes) / 16) * 16;
  const nPairs = frames.length * nLags;
  const pairBytes = nPairs * 16;
  const acc = jobBlock(engine, accBytes + pairBytes + scratchStride * engine.threads);
  const pairs = acc + accBytes;
  const scratch = pairs + pairBytes;

  // g-major: the frames g in ascending order, each with the lags whose window holds a spike frame.
  const offsets = engine.heap.u32(pairs, nPairs * 4);
  const weights = engine.heap.f64(pairs, nPairs * 2);
  let e = 0;
  let j0 = 0;
  for (let g = frames.length > 0 ? frames[0]! - (nLags - 1) : 0; j0 < frames.length; g++) {
    while (j0 < frames.length && frames[j0]! < g) j0++;
    if (j0 === frames.length) break;
    if (frames[j0]! >= g + nLags) {
      g = frames[j0]! - nLags;
      continue;
    }
    for (let j = j0; j < frames.length && frames[j]! < g + nLags; j++) {
      offsets[4 * e] = g * F * pixelBytes;
      offsets[4 * e + 1] = (frames[j]! - g) * tile * sumBytes;
      weights[2 * e + 1] = counts[frames[j]!]!;
      e++;
    }
  }
  engine.run({ kind, movie: resident.at, pairs, nPairs: e, frameSize: F, tile, nLags, acc, scratch, scratchStride }, run);
  return kind === 'i8' ? engine.heap.i16(acc, F * nLags) : engine.heap.f64(acc, F * nLags);
}

/** Gives back the kernel memory of a movie's copy, if it has one (see releasePreparedMovie). */
export function releaseMovieCopy(movie: MovieFrames): void {
  kernelEngine()?.movies.release(movie);
}
