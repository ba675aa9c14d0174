/**
 * The entry of the movie worker thread ({@link postSignJob}): packs white-noise movies from their
 * region of the source file, so that this pure-JavaScript work runs on a core of its own while the
 * loading thread parses and inserts. One job at a time, in the order posted; a job the loading
 * thread has claimed is left to it.
 */
import { parentPort } from 'node:worker_threads';
import { deflateUnitSigns } from '../schema/blob/deflate-unit-signs.js';
import { FREE, WORKER, type SignJob, type SignReply } from './movie-sign-thread.js';
import { unitSignsOfRegion } from './sources/deferred-array.js';

parentPort?.on('message', (job: SignJob) => {
  let reply: SignReply;
  const transfer: ArrayBuffer[] = [];
  if (Atomics.compareExchange(job.claim, 0, FREE, WORKER) !== FREE) {
    parentPort!.postMessage({ id: job.id, skipped: true } satisfies SignReply);
    return;
  }
  try {
    const signs = unitSignsOfRegion(job.array);
    if (signs) {
      const z = deflateUnitSigns(job.prefix, signs);
      // Its own memory (not a slice of a pool), handed over without a copy.
      const out = new Uint8Array(z.byteLength);
      out.set(z);
      transfer.push(out.buffer);
      reply = { id: job.id, z: out };
    } else {
      reply = { id: job.id, z: undefined };
    }
  } catch (error) {
    reply = { id: job.id, error: { message: error instanceof Error ? error.message : String(error), dataSource: (error as Error)?.name === 'DataSourceError' } };
  }
  parentPort!.postMessage(reply, transfer);
});
