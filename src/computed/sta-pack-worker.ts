/**
 * The entry of the STA pack thread (sta-pack-thread.ts): finds STAs' peaks and packs their blobs, and reads stored
 * white-noise movies a byte a value, on a core of their own while the populating thread computes
 * and inserts. Jobs in the order posted.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { unpackUnitValuesArray } from '../schema/blob/unit-values-blob.js';
import { packSta, type PackJob, type PackReply } from './sta-pack-thread.js';

parentPort?.on('message', (job: PackJob) => {
  try {
    if (job.kind === 'signs') {
      const movie = unpackUnitValuesArray(job.blob) ?? null;
      parentPort!.postMessage({ id: job.id, movie } satisfies PackReply, movie ? [movie.units.buffer as ArrayBuffer] : []);
      return;
    }
    const packed = packSta(job.sta);
    // Each blob in memory of its own (not a slice of a pool), handed over without a copy.
    const blobs = packed.blobs.map((b) => Uint8Array.from(b));
    parentPort!.postMessage({ id: job.id, blobs, peak: packed.peak } satisfies PackReply, blobs.map((b) => b.buffer));
  } catch (error) {
    parentPort!.postMessage({ id: job.id, error: error instanceof Error ? error.message : String(error) } satisfies PackReply);
  }
});

// Read by the posting thread without a turn of its event loop (a populate on SQLite may take none).
Atomics.store((workerData as { ready: Int32Array }).ready, 0, 1);
