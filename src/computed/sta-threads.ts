import { Worker } from 'node:worker_threads';
import { KernelError } from '../errors.js';
import { populateCpuShare } from '../schema/populate/cpu-share.js';
import { KernelHeap } from './sta-memory.js';
import { ResidentMovies } from './sta-resident.js';
import { STA_ACCUMULATE_WASM } from './wasm/sta-accumulate-wasm.js';
import { wasm, type WasmModule } from './wasm/webassembly-api.js';
import { usableWholeCores } from '../schema/util/usable-cores.js';

/** accumulateTile of sta-accumulate.wat. */
type AccumulateTile = (movie: number, pairs: number, np: number, F: number, p0: number, width: number, P: number, L: number, acc: number, scratch: number) => void;

interface KernelExports {
  readonly accumulateTile: AccumulateTile;
  readonly accumulateTileI8: AccumulateTile;
  readonly sumF64: (at: number, n: number) => number;
  readonly addThroughput: (steps: number) => number;
  readonly addThroughputI16: (steps: number) => number;
}

/** How a job runs; `callerWorks: false` leaves every tile to the workers (tests use it). */
export interface RunOptions {
  readonly callerWorks?: boolean;
}

/** One job: the pairs of one STA over every tile of pixels. Byte offsets into the kernel memory. */
export interface TileJob {
  /** Which kernel: float64 movie and sums, or int8 movie and int16 sums. */
  readonly kind: 'f64' | 'i8';
  readonly movie: number;
  readonly pairs: number;
  readonly nPairs: number;
  readonly frameSize: number;
  readonly tile: number;
  readonly nLags: number;
  readonly acc: number;
  /** Scratch for thread i at scratch + i * scratchStride. */
  readonly scratch: number;
  readonly scratchStride: number;
}

// The control block, at the start of the memory: int32 words, then the claim word (int64) at byte 64.
const SEQ = 0;
const DONE = 1;
const FAILED = 2;
const TOTAL = 3;
const PARAMS = 4;
const CLAIM_BYTE = 64;
const CONTROL_BYTES = 4096;
/** Below this many additions a job runs on the calling thread alone: waking a worker costs more. */
const PARALLEL_MIN_ADDS = 1 << 18;

/**
 * Claims tiles of job `seq` and accumulates them until none is left. The main thread and every
 * worker run this same function (workers get its source text), so it refers to nothing outside
 * itself. A claim is a compare-and-swap of (seq << 32 | next tile): a thread late for a finished
 * job sees another seq and stops, and never takes a tile with the wrong job's parameters.
 */
function claimTiles(ctrl: Int32Array, claim: BigInt64Array, kernels: readonly AccumulateTile[], seq: number, thread: number): void {
  const total = ctrl[3]!;
  const accumulate = kernels[ctrl[13]!]!;
  const movie = ctrl[4]!;
  const pairs = ctrl[5]!;
  const np = ctrl[6]!;
  const F = ctrl[7]!;
  const P = ctrl[8]!;
  const L = ctrl[9]!;
  const acc = ctrl[10]!;
  const scratch = ctrl[11]! + thread * ctrl[12]!;
  const tag = BigInt(seq) << 32n;
  for (;;) {
    const v = Atomics.load(claim, 0);
    const tile = Number(v - tag);
    if (tile < 0 || tile >= total) return;
    if (Atomics.compareExchange(claim, 0, v, v + 1n) !== v) continue;
    try {
      const p0 = tile * P;
      accumulate(movie, pairs, np, F, p0, Math.min(P, F - p0), P, L, acc, scratch);
    } catch {
      Atomics.store(ctrl, 2, 1);
    }
    if (Atomics.add(ctrl, 1, 1) + 1 === total) Atomics.notify(ctrl, 1);
  }
}

/** A worker thread: instantiates the shared module on the shared memory and waits for jobs. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const __name = (f) => f;
const claimTiles = ${claimTiles.toString()};
const { module, memory, thread } = workerData;
const { accumulateTile, accumulateTileI8 } = new WebAssembly.Instance(module, { env: { memory } }).exports;
const kernels = [accumulateTile, accumulateTileI8];
const ctrl = new Int32Array(memory.buffer, 0, ${CONTROL_BYTES / 4});
const claim = new BigInt64Array(memory.buffer, ${CLAIM_BYTE}, 1);
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, ${SEQ}, seen);
  seen = Atomics.load(ctrl, ${SEQ});
  claimTiles(ctrl, claim, kernels, seen, thread);
}
`;

/**
 * The STA kernel's engine: the WebAssembly SIMD module, its shared memory, the resident movies,
 * and worker threads that take tiles of each job beside the calling thread. Calls are synchronous:
 * the caller works too and then waits (Atomics.wait) only for tiles a worker has already taken.
 */
export class KernelEngine {
  readonly heap = new KernelHeap(CONTROL_BYTES);
  readonly movies: ResidentMovies;
  readonly exports: KernelExports;
  private readonly module: WasmModule;
  private readonly ctrl: Int32Array;
  private readonly claim: BigInt64Array;
  private workers: Worker[] = [];
  private seq = 0;

  constructor(threads: number, movieBudget: number) {
    this.module = new wasm.Module(Buffer.from(STA_ACCUMULATE_WASM, 'base64'));
    this.exports = new wasm.Instance(this.module, { env: { memory: this.heap.memory } }).exports as unknown as KernelExports;
    this.ctrl = new Int32Array(this.heap.memory.buffer, 0, CONTROL_BYTES / 4);
    this.claim = new BigInt64Array(this.heap.memory.buffer, CLAIM_BYTE, 1);
    this.movies = new ResidentMovies(this.heap, movieBudget);
    this.setThreads(threads);
  }

  /** Threads that work on a job, the caller included. */
  get threads(): number {
    return this.workers.length + 1;
  }

  setThreads(threads: number): void {
    const want = Math.max(0, Math.floor(threads) - 1);
    while (this.workers.length > want) void this.workers.pop()!.terminate();
    while (this.workers.length < want) {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module: this.module, memory: this.heap.memory, thread: this.workers.length + 1 } });
      worker.unref();
      this.workers.push(worker);
    }
  }

  /**
   * Runs a job over every tile, on this thread and the workers. With `callerWorks: false` (for
   * tests) the workers take every tile.
   */
  run(job: TileJob, { callerWorks = true }: RunOptions = {}): void {
    const total = Math.ceil(job.frameSize / job.tile);
    const adds = job.nPairs * job.frameSize;
    const kind = job.kind === 'i8' ? 1 : 0;
    const kernels = [this.exports.accumulateTile, this.exports.accumulateTileI8];
    if (!callerWorks && this.workers.length === 0) throw new KernelError('No worker threads to run the job on: configureStaKernel({ threads: 2 }) or more.');
    if (callerWorks && (this.workers.length === 0 || adds < PARALLEL_MIN_ADDS * (kind === 1 ? 4 : 1) || total < 2)) {
      for (let t = 0; t < total; t++) {
        const p0 = t * job.tile;
        kernels[kind]!(job.movie, job.pairs, job.nPairs, job.frameSize, p0, Math.min(job.tile, job.frameSize - p0), job.tile, job.nLags, job.acc, job.scratch);
      }
      return;
    }
    const { ctrl, claim } = this;
    this.seq = (this.seq % 0x7ffffffe) + 1;
    ctrl.set([job.movie, job.pairs, job.nPairs, job.frameSize, job.tile, job.nLags, job.acc, job.scratch, job.scratchStride, kind], PARAMS);
    ctrl[TOTAL] = total;
    Atomics.store(ctrl, DONE, 0);
    Atomics.store(ctrl, FAILED, 0);
    Atomics.store(claim, 0, BigInt(this.seq) << 32n);
    Atomics.store(ctrl, SEQ, this.seq);
    Atomics.notify(ctrl, SEQ);
    if (callerWorks) claimTiles(ctrl, claim, kernels, this.seq, 0);
    for (let done = Atomics.load(ctrl, DONE); done < total; done = Atomics.load(ctrl, DONE)) Atomics.wait(ctrl, DONE, done);
    if (Atomics.load(ctrl, FAILED) !== 0) {
      throw new KernelError(`The STA kernel failed on a tile of ${job.frameSize} pixels × ${job.nLags} lags (${job.nPairs} frame-lag pairs). This is a bug; compute with { kernel: 'scalar' } meanwhile.`);
    }
  }
}

let engine: KernelEngine | undefined | null;
const settings: { threads: number | undefined; movieBudget: number } = {
  threads: Number(process.env.RG_STA_THREADS) > 0 ? Math.floor(Number(process.env.RG_STA_THREADS)) : undefined,
  movieBudget: 512 * 2 ** 20,
};

/**
 * Threads per STA: as configured, else this process's share of the cores when it is one of N
 * local populate workers (two workers each on both cores of a 2-core machine contend), else every core.
 */
function wantedThreads(): number {
  return settings.threads ?? populateCpuShare() ?? usableWholeCores();
}

/** Options of {@link configureStaKernel}. */
export interface StaKernelOptions {
  /**
   * Threads per STA, the caller's included. Default: RG_STA_THREADS, else the machine's cores, or
   * in a worker process of `populate({ workers: N })` the cores divided by N (at least 1).
   */
  readonly threads?: number;
  /** Bytes of prepared movies kept in the kernel's memory (least recently used go first). Default 512 MiB. */
  readonly movieBudget?: number;
}

/**
 * Sets how the SIMD kernel runs: its threads and the memory it keeps movies in.
 *
 * @example
 * ```ts
 * configureStaKernel({ threads: 1 });  // one thread: leave the other cores to populate workers
 * ```
 */
export function configureStaKernel(options: StaKernelOptions): void {
  if (options.threads !== undefined) settings.threads = Math.max(1, Math.floor(options.threads));
  if (options.movieBudget !== undefined) settings.movieBudget = Math.max(0, options.movieBudget);
  if (engine) {
    engine.setThreads(wantedThreads());
    engine.movies.budget = settings.movieBudget;
  }
}

/** The engine, made on first use; undefined where WebAssembly SIMD or shared memory is missing. */
export function kernelEngine(): KernelEngine | undefined {
  if (engine === undefined) {
    try {
      engine = wasm.validate(Buffer.from(STA_ACCUMULATE_WASM, 'base64')) ? new KernelEngine(wantedThreads(), settings.movieBudget) : null;
    } catch {
      engine = null;
    }
  } else if (engine) {
    // The share can change after the engine is made (a process that starts populate workers).
    engine.setThreads(wantedThreads());
  }
  return engine ?? undefined;
}
