import { Worker } from 'node:worker_threads';

/**
 * The worker's code: sha256 over chunks of shared memory, in the order posted. Plain JavaScript
 * with nothing to import, so that it starts in a few milliseconds however this module was loaded.
 */
const SOURCE = `
const { parentPort } = require('node:worker_threads');
const hash = require('node:crypto').createHash('sha256');
parentPort.on('message', ({ id, memory, offset, length }) => {
  if (memory) {
    hash.update(new Uint8Array(memory, offset, length));
    parentPort.postMessage({ id });
  } else {
    parentPort.postMessage({ id, digest: hash.digest('hex') });
  }
});
`;

/**
 * A sha256 computed on a worker thread over chunks of shared memory, so that the thread reading a
 * file walks one chunk while the worker hashes it. Each {@link update} settles when the worker is
 * done with the chunk (its memory may then be written again).
 *
 * @example
 * ```ts
 * const hash = ThreadHash.start();   // undefined when no worker thread can be started
 * await hash.update(memory, 0, n);
 * const hex = await hash.digest();   // and the thread ends
 * ```
 */
export class ThreadHash {
  private readonly waiting = new Map<number, { resolve(digest: string | undefined): void; reject(error: unknown): void }>();
  private next = 0;
  private failed: unknown;

  private constructor(private readonly worker: Worker) {
    worker.on('message', ({ id, digest }: { id: number; digest?: string }) => {
      const w = this.waiting.get(id);
      this.waiting.delete(id);
      w?.resolve(digest);
    });
    const fail = (error: unknown): void => {
      this.failed ??= error instanceof Error ? error : new Error(`the checksum's worker thread stopped (${String(error)})`);
      for (const w of this.waiting.values()) w.reject(this.failed);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(code));
  }

  /** A hash on a new worker thread; undefined when one cannot be started. */
  static start(): ThreadHash | undefined {
    try {
      return new ThreadHash(new Worker(SOURCE, { eval: true }));
    } catch {
      return undefined;
    }
  }

  /** Adds `length` bytes of `memory` from `offset`; settles when they are hashed. */
  update(memory: SharedArrayBuffer, offset: number, length: number): Promise<void> {
    return this.post({ memory, offset, length }).then(() => undefined);
  }

  /** The hex digest of everything added; the worker then ends. */
  async digest(): Promise<string> {
    try {
      return (await this.post({}))!;
    } finally {
      this.close();
    }
  }

  /** Ends the worker (a read given up half-way); nothing more can be added. */
  close(): void {
    this.failed ??= new Error('the checksum was closed: nothing more can be added');
    void this.worker.terminate();
  }

  private post(message: object): Promise<string | undefined> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...message });
    });
  }
}
