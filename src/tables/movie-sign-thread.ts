import { Worker } from 'node:worker_threads';
import type { NdArray } from 'ndarray';
import { DataSourceError } from '../errors.js';
import { deflateUnitSigns } from '../schema/blob/deflate-unit-signs.js';
import { regionArray, unitSignsOfRegion, type RegionArray } from './sources/deferred-array.js';
import type { ArrayLayout } from './sources/pickle-layout-guess.js';
import { takeRegionSigns, type FileRegion } from './sources/pickle-skeleton.js';
import { float64ArrayBlobPrefix } from '../schema/blob/pack.js';
import { workerThreadSource } from '../schema/util/tsx-loader.js';

/** Who packs a job, in its claim word: nobody yet, the worker, or the thread that posted it. */
export const FREE = 0;
export const WORKER = 1;
export const HERE = 2;

/** A movie to pack on the worker thread: its region of the file, and the blob header before its values. */
export interface SignJob {
  readonly id: number;
  readonly array: RegionArray;
  readonly prefix: Uint8Array;
  /** One Int32 on shared memory: whoever swaps FREE for their mark packs the movie. */
  readonly claim: Int32Array;
}

/** The worker's answer: the zlib stream (undefined when the values are not all ±1), that it left the job, or the error. */
export type SignReply =
  | { readonly id: number; readonly z: Uint8Array | undefined; readonly skipped?: undefined; readonly error?: undefined }
  | { readonly id: number; readonly z?: undefined; readonly skipped: true; readonly error?: undefined }
  | { readonly id: number; readonly z?: undefined; readonly skipped?: undefined; readonly error: { readonly message: string; readonly dataSource: boolean } };

/** A job posted and not yet settled. */
interface Pending {
  readonly job: SignJob;
  readonly result: Promise<Buffer | undefined>;
  resolve(z: Buffer | undefined): void;
  reject(error: unknown): void;
}

/** The worker, once started; null when it could not be (the jobs then run on this thread). */
let worker: Worker | undefined | null;
/** Jobs not settled yet, in the order posted. */
const pending = new Map<number, Pending>();
let nextId = 0;

function start(): Worker | null {
  if (worker !== undefined) return worker;
  try {
    const w = new Worker(workerThreadSource(import.meta.url, 'movie-sign-worker'), { eval: true });
    w.on('message', (reply: SignReply) => settle(reply));
    // A worker that cannot start or dies: the jobs it had not answered are done here instead.
    const lost = (): void => {
      if (worker !== w) return;
      worker = null;
      for (const p of [...pending.values()]) runHere(p);
    };
    w.on('error', lost);
    w.on('exit', lost);
    // After the listeners: adding a 'message' listener refs the worker's port again. Held only while it has jobs.
    w.unref();
    worker = w;
  } catch {
    worker = null;
  }
  return worker;
}

function done(p: Pending): void {
  pending.delete(p.job.id);
  if (pending.size === 0) worker?.unref();
}

function settle(reply: SignReply): void {
  const p = pending.get(reply.id);
  // Settled already, or taken by this thread (the worker then leaves it).
  if (!p || reply.skipped) return;
  done(p);
  if (reply.error) {
    p.reject(reply.error.dataSource ? new DataSourceError(reply.error.message, { source: p.job.array.region.file }) : new Error(reply.error.message));
  } else {
    p.resolve(reply.z && Buffer.from(reply.z.buffer, reply.z.byteOffset, reply.z.byteLength));
  }
}

/** Packs a job on this thread (claimed here, or left by a worker that is gone). */
function runHere(p: Pending): void {
  done(p);
  try {
    const signs = unitSignsOfRegion(p.job.array);
    p.resolve(signs && deflateUnitSigns(p.job.prefix, signs));
  } catch (error) {
    p.reject(error);
  }
}

/** Takes a job for this thread if nobody has it yet. */
function claimHere(p: Pending): boolean {
  return Atomics.compareExchange(p.job.claim, 0, FREE, HERE) === FREE;
}

/** Whether jobs go to the worker thread (started, and neither failed to start nor died). */
export function signThreadRunning(): boolean {
  return !!worker;
}

/**
 * Starts the worker thread ahead of its first job (its start-up then overlaps the caller's work,
 * such as reading a pickle).
 */
export function startSignThread(): void {
  start();
}

/** A movie posted to the worker thread (see {@link postSignJob}). */
export interface SignJobHandle {
  /** Settles when the movie is packed, by whichever thread; does not take the job. */
  readonly settled: Promise<Buffer | undefined>;
  /**
   * The zlib stream, undefined when some value is not ±1. Asked for before the worker has begun
   * the movie, this thread packs it itself; while the worker packs it, this thread packs movies
   * nobody has begun (the last posted first), rather than wait.
   */
  result(): Promise<Buffer | undefined>;
}

/**
 * Posts a movie to the worker thread when it is a float64 array still in a region of its file (a
 * pickle's): the worker reads its values' signs from the file and, when every value is +1 or −1
 * (white noise), encodes `prefix` and the values as a zlib stream with deflateUnitSigns. The
 * worker takes jobs in the order posted. False (at once) when the movie is not one the worker can
 * read. Without a worker thread, the work is done on this one.
 *
 * @example
 * ```ts
 * const job = postSignJob(movie, float64ArrayBlobPrefix(movie.shape));
 * const z = job && (await job.result());   // undefined: not white noise
 * ```
 */
export function postSignJob(movie: NdArray, prefix: Uint8Array): SignJobHandle | false {
  const found = regionArray(movie);
  if (!found) return false;
  // Posted while the file was read: taken if the parsed movie has the layout guessed then.
  const ahead = early.get(found.region);
  early.delete(found.region);
  if (ahead && sameLayout(ahead, found, prefix)) return ahead.handle;
  // The signs found while the file was read go with the job (shared memory, not copied): the file is not read again.
  const signs = takeRegionSigns(found.region);
  return post(signs ? { ...found, signs } : found, prefix);
}

/** Jobs posted while their file was still read ({@link postSignJobEarly}), by region, until their movie asks. */
const early = new WeakMap<FileRegion, { readonly handle: SignJobHandle; readonly array: RegionArray; readonly prefix: Uint8Array }>();

function sameLayout(ahead: { array: RegionArray; prefix: Uint8Array }, array: RegionArray, prefix: Uint8Array): boolean {
  return ahead.array.fortran === array.fortran && ahead.array.shape.length === array.shape.length
    && ahead.array.shape.every((d, i) => d === array.shape[i]) && Buffer.from(ahead.prefix).equals(Buffer.from(prefix));
}

/**
 * Posts a white-noise movie to the worker thread as soon as the pickle's read has gone past it,
 * with the layout guessed from the opcodes before its data (readPickleSkeleton's `onWhiteNoise`),
 * so that the worker packs while the loading thread still reads and parses the file. The parsed
 * movie takes the job ({@link postSignJob}) only if it has that layout; otherwise the job is
 * dropped and the movie packed as usual. Does nothing without a running worker thread (this
 * thread is busy reading), or when the region's signs were taken already.
 *
 * @example
 * ```ts
 * await readSource(entry, { onWhiteNoise: postSignJobEarly });
 * ```
 */
export function postSignJobEarly(region: FileRegion, layout: ArrayLayout): void {
  if (!signThreadRunning()) return;
  let prefix: Uint8Array;
  try {
    prefix = float64ArrayBlobPrefix(layout.shape);
  } catch {
    return;
  }
  const signs = takeRegionSigns(region);
  if (!signs) return;
  const array: RegionArray = { region, shape: layout.shape, fortran: layout.fortran, signs };
  const handle = post(array, prefix);
  handle.settled.catch(() => undefined);
  early.set(region, { handle, array, prefix });
}

function post(array: RegionArray, prefix: Uint8Array): SignJobHandle {
  const claim = new Int32Array(new SharedArrayBuffer(4));
  let resolve!: (z: Buffer | undefined) => void;
  let reject!: (error: unknown) => void;
  const result = new Promise<Buffer | undefined>((res, rej) => { resolve = res; reject = rej; });
  const p: Pending = { job: { id: nextId++, array, prefix, claim }, result, resolve, reject };
  pending.set(p.job.id, p);
  const w = start();
  if (w) {
    if (pending.size === 1) w.ref();
    w.postMessage(p.job);
  } else if (claimHere(p)) {
    runHere(p);
  }
  return { settled: result, result: () => resultOf(p) };
}

async function resultOf(p: Pending): Promise<Buffer | undefined> {
  if (pending.has(p.job.id) && claimHere(p)) runHere(p);
  // The worker has it: meanwhile this thread packs movies nobody has begun, the last posted first.
  // The worker takes them in order, so these are the ones it would reach last: the caller, which
  // wants them in order too, then finds the next ones done by the worker, not waiting on this thread.
  while (pending.has(p.job.id)) {
    const last = [...pending.values()].reverse().find((next) => next.job.id > p.job.id && claimHere(next));
    if (!last) break;
    runHere(last);
    // Replies that came meanwhile (this one's, perhaps) are read before taking another.
    await new Promise<void>((wake) => setImmediate(wake));
  }
  return p.result;
}
