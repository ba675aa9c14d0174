import { Worker } from 'node:worker_threads';
import ndarray from 'ndarray';
import { packBlob } from '../schema/blob/pack.js';
import { PackedBlob } from '../schema/blob/packed-blob.js';
import { KernelError } from '../errors.js';
import { unpackUnitValuesArray, type UnitValuesArray } from '../schema/blob/unit-values-blob.js';
import { peakOf } from './sta-peak.js';
import { workerThreadSource } from '../schema/util/tsx-loader.js';
import { populateCpuShare } from '../schema/populate/cpu-share.js';
import { usableWholeCores } from '../schema/util/usable-cores.js';

/** A column-major float64 array to pack: its values and shape. */
export interface Float64Column {
  readonly data: Float64Array;
  readonly shape: readonly number[];
}

/** An STA to pack with its peak, map and kernel: its sums divided by the spikes used, and what peakOf needs. */
export interface StaJob {
  /** (xBlocks, yBlocks, nLags), column-major. */
  readonly sta: Float64Array;
  readonly xBlocks: number;
  readonly yBlocks: number;
  readonly nLags: number;
  /** The movie's mean, which the peak departs most from. */
  readonly mean: number;
  /** Spikes used: none, no peak. */
  readonly used: number;
  readonly level: number;
}

/** The peak of a packed STA (see StaPeak), without the arrays, which come packed. */
export interface PeakPlace {
  readonly lag: number;
  readonly x: number;
  readonly y: number;
  readonly value: number;
}

/** A job of the pack thread: an STA to pack with its peak, or a stored movie to read a byte a value. */
export type PackJob =
  | { readonly id: number; readonly kind: 'sta'; readonly sta: StaJob }
  | { readonly id: number; readonly kind: 'signs'; readonly blob: Uint8Array };

/** The pack thread's answer: an STA's blobs and peak, the movie read (null: not one it reads), or the error. */
export type PackReply =
  | { readonly id: number; readonly blobs: readonly Uint8Array[]; readonly peak?: PeakPlace | null; readonly movie?: undefined; readonly error?: undefined }
  | { readonly id: number; readonly blobs?: undefined; readonly peak?: undefined; readonly movie: UnitValuesArray | null; readonly error?: undefined }
  | { readonly id: number; readonly blobs?: undefined; readonly peak?: undefined; readonly movie?: undefined; readonly error: string };

interface Pending {
  resolve(reply: PackReply): void;
  reject(error: unknown): void;
}

/** The workers, once started; null when they could not be (jobs then run on this thread). */
let workers: Worker[] | undefined | null;
/** Jobs not settled yet, by id, with the worker that has each. */
const pending = new Map<number, Pending & { readonly worker: Worker }>();
let nextId = 0;
/**
 * By worker, a word it sets to 1 once it has loaded its modules (shared memory: read without a
 * turn of the event loop). Until one has, jobs are packed on this thread.
 */
const loaded = new WeakMap<Worker, Int32Array>();
const ready = (w: Worker): boolean => Atomics.load(loaded.get(w)!, 0) === 1;
/**
 * One worker a core of this process's share, two at most: with the populating thread they share
 * the cores, and an STA of 20 lags takes a worker about as long to pack as the populating thread
 * takes to make one key. In one of N populate worker processes the share is the cores divided by
 * N, so N processes do not each start two.
 */
const packWorkers = (): number => Math.max(1, Math.min(2, populateCpuShare() ?? usableWholeCores()));

function start(): Worker[] | null {
  if (workers !== undefined) return workers;
  try {
    const started: Worker[] = [];
    for (let i = 0, n = packWorkers(); i < n; i++) {
      const flag = new Int32Array(new SharedArrayBuffer(4));
      const w = new Worker(workerThreadSource(import.meta.url, 'sta-pack-worker'), { eval: true, workerData: { ready: flag } });
      loaded.set(w, flag);
      w.on('message', (reply: PackReply) => settle(reply));
      // A worker that cannot start or dies takes its jobs' arrays with it (they were handed over):
      // those makes fail, and populate makes them again. Later jobs go to the workers left.
      const lost = (): void => {
        if (!workers?.includes(w)) return;
        workers.splice(workers.indexOf(w), 1);
        if (workers.length === 0) workers = null;
        for (const [id, p] of pending) {
          if (p.worker !== w) continue;
          pending.delete(id);
          p.reject(new KernelError('The STA pack thread stopped before it finished a job (packing an STA or reading a movie); populate again to make those keys.'));
        }
      };
      w.on('error', lost);
      w.on('exit', lost);
      // After the listeners (a 'message' listener refs the port again): held only while it has jobs.
      w.unref();
      started.push(w);
    }
    workers = started;
  } catch {
    for (const w of workers ?? []) void w.terminate();
    workers = null;
  }
  return workers;
}

function settle(reply: PackReply): void {
  const p = pending.get(reply.id);
  if (!p) return;
  pending.delete(reply.id);
  if (![...pending.values()].some((q) => q.worker === p.worker)) p.worker.unref();
  if (reply.error !== undefined) p.reject(new Error(reply.error));
  else p.resolve(reply);
}

/**
 * Posts a job to the ready worker with fewest jobs; undefined when none is ready. With `loading`,
 * while none is ready yet, to one still loading its modules (it takes the job once loaded).
 */
function post(job: PackJob, transfer: ArrayBuffer[], loading = false): Promise<PackReply> | undefined {
  const started = start();
  const readyOnes = started?.filter(ready);
  const all = readyOnes && readyOnes.length === 0 && loading ? started : readyOnes;
  if (!all || all.length === 0) return undefined;
  const load = (w: Worker): number => [...pending.values()].filter((p) => p.worker === w).length;
  const worker = all.reduce((best, w) => (load(w) < load(best) ? w : best));
  return new Promise((resolve, reject) => {
    if (load(worker) === 0) worker.ref();
    pending.set(job.id, { resolve, reject, worker });
    worker.postMessage(job, transfer);
  });
}

/**
 * Starts the pack threads ahead of their first job: they load their modules meanwhile (until
 * then, jobs are packed on the calling thread).
 *
 * @example
 * ```ts
 * startPackThreads();   // as a populate lists its keys
 * ```
 */
export function startPackThreads(): void {
  start();
}

/**
 * An STA's blobs (the STA, and with spikes its map and kernel at the peak) and its peak: what
 * both threads run for {@link packStaOffThread}.
 *
 * @example
 * ```ts
 * const { blobs: [sta, map, kernel], peak } = packSta({ sta, xBlocks: 80, yBlocks: 40, nLags: 5, mean: 0, used: 212, level: 1 });
 * ```
 */
export function packSta(job: StaJob): { blobs: Uint8Array[]; peak: PeakPlace | null } {
  const { sta, xBlocks, yBlocks, nLags, level } = job;
  const arrays: Float64Column[] = [{ data: sta, shape: [xBlocks, yBlocks, nLags] }];
  const peak = job.used === 0 ? undefined : peakOf(sta, nLags, xBlocks * yBlocks, xBlocks, job.mean);
  if (peak) arrays.push({ data: peak.spatialMap, shape: [xBlocks, yBlocks] }, { data: peak.temporalKernel, shape: [nLags] });
  return { blobs: packColumns(arrays, level), peak: peak ? { lag: peak.lag, x: peak.x, y: peak.y, value: peak.value } : null };
}

/** packBlob of each column-major array. */
function packColumns(arrays: readonly Float64Column[], level: number): Uint8Array[] {
  return arrays.map(({ data, shape }) => {
    const stride = shape.map((_, i) => shape.slice(0, i).reduce((n, s) => n * s, 1));
    return packBlob(ndarray(data, shape as number[], stride), { level });
  });
}

/**
 * An STA's peak and blobs (the STA, its map and kernel at the peak), found and packed on a pack
 * thread: this thread pays one message. The STA's buffer is handed over when it is all of it
 * (it is detached here), else copied. The same peak as staPeak, and packBlob's bytes. Without
 * worker threads this is done on this one.
 *
 * @example
 * ```ts
 * const { blobs: [sta, map, kernel], peak } = await packStaOffThread({ sta: result.sta, xBlocks: 80, yBlocks: 40, nLags: 20, mean: movie.mean, used: result.used, level: 1 });
 * ```
 */
export async function packStaOffThread(job: StaJob): Promise<{ blobs: PackedBlob[]; peak: PeakPlace | undefined }> {
  const whole = job.sta.byteOffset === 0 && job.sta.byteLength === job.sta.buffer.byteLength;
  const sent = whole ? job : { ...job, sta: job.sta.slice() };
  const reply = post({ id: nextId++, kind: 'sta', sta: sent }, [sent.sta.buffer as ArrayBuffer]);
  const answer = reply && (await reply);
  const { blobs, peak } = answer ? { blobs: answer.blobs!, peak: answer.peak ?? null } : packSta(job);
  return { blobs: blobs.map((b) => new PackedBlob(Buffer.from(b.buffer, b.byteOffset, b.byteLength))), peak: peak ?? undefined };
}

/**
 * unpackUnitValuesArray of a stored blob on a pack thread (a copy of the blob goes to it): a movie of
 * white noise is read there, a byte a value, while this thread goes on. Undefined for a blob it
 * does not read (unpack that with unpackBlob). Without worker threads it is read on this one, and
 * so it is while they are still loading their modules unless `ahead`: a movie read ahead of its
 * use (the next stimulation's, while this thread computes the current one's STAs) then waits for
 * a thread, rather than holding this one up (a first populate's threads load for a few hundred ms).
 *
 * @example
 * ```ts
 * const read = await readUnitValuesOffThread(storedBlobBytes(row, 'movie')!);
 * read?.units;   // Int8Array of +1 and −1
 * ```
 */
export async function readUnitValuesOffThread(blob: Uint8Array, { ahead = false }: { readonly ahead?: boolean } = {}): Promise<UnitValuesArray | undefined> {
  // Its own copy handed over: posting a view would copy all the buffer it is in. Not
  // `blob.slice()`: a driver's Buffer (mysql2's, better-sqlite3's) slices to a view of the
  // packet it came in, and handing that over would detach the row's other values.
  const copy = new Uint8Array(blob);
  const reply = post({ id: nextId++, kind: 'signs', blob: copy }, [copy.buffer], ahead);
  if (!reply) return unpackUnitValuesArray(blob);
  try {
    return (await reply).movie ?? undefined;
  } catch (error) {
    // A thread lost while it loaded (or read): a movie read ahead is read here instead, as it would have been.
    if (ahead) return unpackUnitValuesArray(blob);
    throw error;
  }
}
