import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { NdArray } from 'ndarray';
import { DataSourceError } from '../errors.js';
import { deflateUnitSigns } from '../schema/blob/deflate-unit-signs.js';
import { regionArray, unitSignsOfRegion, type RegionArray } from './sources/deferred-array.js';

/** A movie to pack on the worker thread: its region of the file, and the blob header before its values. */
export interface SignJob {
  readonly id: number;
  readonly array: RegionArray;
  readonly prefix: Uint8Array;
}

/** The worker's answer: the zlib stream, undefined when the values are not all ±1, or the error. */
export type SignReply =
  | { readonly id: number; readonly z: Uint8Array | undefined; readonly error?: undefined }
  | { readonly id: number; readonly z?: undefined; readonly error: { readonly message: string; readonly dataSource: boolean } };

interface Pending {
  readonly job: SignJob;
  resolve(z: Buffer | undefined): void;
  reject(error: unknown): void;
}

/** The worker, once started; null when it could not be (the jobs then run on this thread). */
let worker: Worker | undefined | null;
const pending = new Map<number, Pending>();
let nextId = 0;

/**
 * The worker's code: its module, which is TypeScript when this one is (tests, tsx). Node does not
 * carry tsx's loader into a worker, so the worker registers it itself (tsx then being installed).
 */
function workerSource(): string {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return `import(${JSON.stringify(new URL('./movie-sign-worker.js', here).href)});`;
  // tsx's ESM register(), found as Node would import it (require.resolve would give its CommonJS build).
  const manifest = createRequire(here).resolve('tsx/package.json');
  const api = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api']!.import.default;
  const tsx = pathToFileURL(path.join(path.dirname(manifest), api)).href;
  const entry = new URL('./movie-sign-worker.ts', here).href;
  return `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
}

function start(): Worker | null {
  if (worker !== undefined) return worker;
  try {
    const w = new Worker(workerSource(), { eval: true });
    w.unref();
    w.on('message', (reply: SignReply) => settle(reply));
    // A worker that cannot start or dies: what it had left is done here instead.
    const lost = (): void => {
      if (worker !== w) return;
      worker = null;
      for (const p of [...pending.values()]) runHere(p);
      pending.clear();
    };
    w.on('error', lost);
    w.on('exit', lost);
    worker = w;
  } catch {
    worker = null;
  }
  return worker;
}

function settle(reply: SignReply): void {
  const p = pending.get(reply.id);
  if (!p) return;
  pending.delete(reply.id);
  if (pending.size === 0) worker?.unref();
  if (reply.error) {
    p.reject(reply.error.dataSource ? new DataSourceError(reply.error.message, { source: p.job.array.region.file }) : new Error(reply.error.message));
  } else {
    p.resolve(reply.z && Buffer.from(reply.z.buffer, reply.z.byteOffset, reply.z.byteLength));
  }
}

function runHere(p: Pending): void {
  try {
    const signs = unitSignsOfRegion(p.job.array);
    p.resolve(signs && deflateUnitSigns(p.job.prefix, signs));
  } catch (error) {
    p.reject(error);
  }
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

/**
 * The zlib stream of `prefix` followed by a movie's values, when the movie is a float64 array
 * still in a region of its file (a pickle's) and every value is +1 or −1 (white noise), made on a
 * worker thread: the values' signs are read from the file there and encoded by
 * deflateUnitSigns. Undefined when some value is not ±1; `false` (at once) when the movie is not
 * one the worker can read. Jobs run in the order posted. Without a worker thread, the work is done
 * on this one.
 *
 * @example
 * ```ts
 * const z = await packSignsOnThread(movie, float64ArrayBlobPrefix(movie.shape));
 * ```
 */
export function packSignsOnThread(movie: NdArray, prefix: Uint8Array): Promise<Buffer | undefined> | false {
  const array = regionArray(movie);
  if (!array) return false;
  return new Promise((resolve, reject) => {
    const p: Pending = { job: { id: nextId++, array, prefix }, resolve, reject };
    const w = start();
    if (!w) return runHere(p);
    pending.set(p.job.id, p);
    if (pending.size === 1) w.ref();
    w.postMessage(p.job);
  });
}
