import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import ndarray from 'ndarray';
import { packBlob } from '../schema/blob/pack.js';
import { PackedBlob } from '../schema/blob/packed-blob.js';
import { KernelError } from '../errors.js';

/** A column-major float64 array to pack: its values and shape. */
export interface Float64Column {
  readonly data: Float64Array;
  readonly shape: readonly number[];
}

/** A job of the pack thread: arrays to pack at a zlib level. */
export interface PackJob {
  readonly id: number;
  readonly arrays: readonly Float64Column[];
  readonly level: number;
}

/** The pack thread's answer: each array's blob, or the error. */
export type PackReply =
  | { readonly id: number; readonly blobs: readonly Uint8Array[]; readonly error?: undefined }
  | { readonly id: number; readonly blobs?: undefined; readonly error: string }
  /** Sent once, when the worker has loaded its modules. */
  | { readonly id: 'ready'; readonly blobs?: undefined; readonly error?: undefined };

interface Pending {
  readonly job: PackJob;
  resolve(blobs: PackedBlob[]): void;
  reject(error: unknown): void;
}

/** The workers, once started; null when they could not be (jobs then run on this thread). */
let workers: Worker[] | undefined | null;
/** Jobs not settled yet, by id, with the worker that has each. */
const pending = new Map<number, Pending & { readonly worker: Worker }>();
let nextId = 0;
/** Workers that have loaded their modules: until one has, jobs are packed on this thread. */
const ready = new Set<Worker>();
/**
 * One worker a core, two at most: with the populating thread they share the cores, and an STA of
 * 20 lags takes a worker about as long to pack as the populating thread takes to make one key.
 */
const WORKERS = Math.max(1, Math.min(2, availableParallelism()));

/** The worker's code: its module, which is TypeScript when this one is (tests, tsx), then registered with tsx. */
function workerSource(): string {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return `import(${JSON.stringify(new URL('./sta-pack-worker.js', here).href)});`;
  const manifest = createRequire(here).resolve('tsx/package.json');
  const api = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api']!.import.default;
  const tsx = pathToFileURL(path.join(path.dirname(manifest), api)).href;
  const entry = new URL('./sta-pack-worker.ts', here).href;
  return `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
}

function start(): Worker[] | null {
  if (workers !== undefined) return workers;
  try {
    const started: Worker[] = [];
    for (let i = 0; i < WORKERS; i++) {
      const w = new Worker(workerSource(), { eval: true });
      w.on('message', (reply: PackReply) => (reply.id === 'ready' ? ready.add(w) : settle(reply)));
      // A worker that cannot start or dies takes its jobs' arrays with it (they were handed over):
      // those makes fail, and populate makes them again. Later jobs go to the workers left.
      const lost = (): void => {
        if (!workers?.includes(w)) return;
        workers.splice(workers.indexOf(w), 1);
        ready.delete(w);
        if (workers.length === 0) workers = null;
        for (const [id, p] of pending) {
          if (p.worker !== w) continue;
          pending.delete(id);
          p.reject(new KernelError('The STA pack thread stopped before it packed this STA; populate again to make it.'));
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

function settle(reply: PackReply & { readonly id: number }): void {
  const p = pending.get(reply.id);
  if (!p) return;
  pending.delete(reply.id);
  if (![...pending.values()].some((q) => q.worker === p.worker)) p.worker.unref();
  if (reply.error !== undefined) p.reject(new Error(reply.error));
  else p.resolve(reply.blobs.map((b) => new PackedBlob(Buffer.from(b.buffer, b.byteOffset, b.byteLength))));
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

/** packBlob of each column-major array (what both threads run). */
export function packColumns(arrays: readonly Float64Column[], level: number): Buffer[] {
  return arrays.map(({ data, shape }) => {
    const stride = shape.map((_, i) => shape.slice(0, i).reduce((n, s) => n * s, 1));
    return packBlob(ndarray(data, shape as number[], stride), { level });
  });
}

/**
 * packBlob of column-major float64 arrays, on worker threads of their own: serialising and
 * compressing an STA's blobs then costs this thread one message, and runs beside it on another
 * core. An array that is the whole of its buffer is handed over to the worker (it is detached
 * here: pass arrays no longer needed); others are copied. The bytes are packBlob's. Without worker threads (they could not start) the
 * arrays are packed on this one.
 *
 * @example
 * ```ts
 * const [sta, map] = await packColumnsOffThread([{ data: result.sta, shape: [80, 40, 20] }, { data: spatialMap, shape: [80, 40] }], 1);
 * ```
 */
export function packColumnsOffThread(arrays: readonly Float64Column[], level: number): Promise<PackedBlob[]> {
  const all = start()?.filter((w) => ready.has(w));
  if (!all || all.length === 0) return Promise.resolve().then(() => packColumns(arrays, level).map((b) => new PackedBlob(b)));
  // An array that is all of its buffer is handed over; another is copied (posting a view would copy all its buffer).
  const sent = arrays.map((a) => (a.data.byteOffset === 0 && a.data.byteLength === a.data.buffer.byteLength ? a : { data: a.data.slice(), shape: a.shape }));
  const job: PackJob = { id: nextId++, arrays: sent, level };
  // The worker with fewest jobs; the lowest first.
  const load = (w: Worker): number => [...pending.values()].filter((p) => p.worker === w).length;
  const worker = all.reduce((best, w) => (load(w) < load(best) ? w : best));
  return new Promise((resolve, reject) => {
    if (load(worker) === 0) worker.ref();
    pending.set(job.id, { job, resolve, reject, worker });
    worker.postMessage(job, [...new Set(sent.map((a) => a.data.buffer as ArrayBuffer))]);
  });
}
