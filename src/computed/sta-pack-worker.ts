/**
 * The entry of the STA pack thread ({@link packColumnsOffThread}): packs the blobs of STAs on a
 * core of their own while the populating thread computes and inserts. Jobs in the order posted.
 */
import { parentPort } from 'node:worker_threads';
import { packColumns, type PackJob, type PackReply } from './sta-pack-thread.js';

parentPort?.on('message', (job: PackJob) => {
  try {
    // Each blob in memory of its own (not a slice of a pool), handed over without a copy.
    const blobs = packColumns(job.arrays, job.level).map((b) => Uint8Array.from(b));
    parentPort!.postMessage({ id: job.id, blobs } satisfies PackReply, blobs.map((b) => b.buffer));
  } catch (error) {
    parentPort!.postMessage({ id: job.id, error: error instanceof Error ? error.message : String(error) } satisfies PackReply);
  }
});

parentPort?.postMessage({ id: 'ready' } satisfies PackReply);
