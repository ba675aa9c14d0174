/**
 * Issue 17: the STA kernel near the machine's limit. All 177 neurons of the full-size synthetic set
 * at 5, 10 and 20 lags: rg-schema's scalar kernel, its SIMD kernel on one thread and on every core,
 * and numpy (Debian's /usr/bin/python3) frame by frame and by gather, on the same movies and spike
 * frames, in the same run. Beside them: this machine's add rate (a tight SIMD loop) and read rate
 * (a plain sum of the movies), and how far the kernel is from each.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as rgc from '../src/pipeline.js';
import { configureStaKernel, kernelEngine } from '../src/computed/sta-threads.js';
import { writeNpy } from './npy.js';
import { bestMedian, printTable, runs, summarize, type Runs } from './util.js';

const LAGS = [5, 10, 20] as const;
const RUNS = Number(process.env.RG_BENCH_RUNS ?? 3);

interface Stim {
  readonly movie: rgc.PreparedMovie;
  readonly spikes: readonly Float64Array[];
}

function allStas(stims: readonly Stim[], nLags: number, kernel: 'scalar' | 'simd'): number {
  let checksum = 0;
  for (const { movie, spikes } of stims) {
    for (const times of spikes) {
      const { sta } = rgc.spikeTriggeredAverage(movie, times, nLags, { kernel });
      for (let i = 0; i < sta.length; i++) if (!Number.isNaN(sta[i])) checksum += sta[i]!;
    }
  }
  return checksum;
}

/** Additions the kernel must make: for each neuron, its distinct usable frames × lags × pixels. */
function additions(stims: readonly Stim[], nLags: number): number {
  let n = 0;
  for (const { movie, spikes } of stims) {
    for (const times of spikes) {
      const { counts } = rgc.spikeCounts(movie, times, nLags);
      let frames = 0;
      for (const c of counts) if (c > 0) frames++;
      n += frames * nLags * movie.frameSize;
    }
  }
  return n;
}

/** The best rate of `probe` (units per call), after enough calls for V8 to compile it optimised. */
function bestRate(probe: () => number, unitsPerCall: number): number {
  let bestSeconds = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 60; i++) {
    const start = process.hrtime.bigint();
    probe();
    if (i >= 20) bestSeconds = Math.min(bestSeconds, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return unitsPerCall / bestSeconds;
}

interface NumpyResult {
  readonly numpy: string;
  readonly [lags: string]: string | { frame: { seconds: number[]; checksum: number }; gather: { seconds: number[]; checksum: number } };
}

async function numpyBaselines(stims: readonly Stim[]): Promise<NumpyResult | string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rg-sta-numpy-'));
  try {
    const manifest: Array<Record<string, string>> = [];
    for (const [i, { movie, spikes }] of stims.entries()) {
      const frames = new BigInt64Array(spikes.reduce((n, s) => n + s.length, 0));
      const offsets = new BigInt64Array(spikes.length + 1);
      let o = 0;
      spikes.forEach((times, n) => {
        offsets[n] = BigInt(o);
        for (const t of times) frames[o++] = BigInt(rgc.frameAt(t, movie.onset, movie.fps));
      });
      offsets[spikes.length] = BigInt(o);
      await writeNpy(path.join(dir, `movie-${i}.npy`), movie.data, [movie.nFrames, movie.frameSize]);
      await writeNpy(path.join(dir, `frames-${i}.npy`), frames, [frames.length]);
      await writeNpy(path.join(dir, `offsets-${i}.npy`), offsets, [offsets.length]);
      manifest.push({ movie: `movie-${i}.npy`, frames: `frames-${i}.npy`, offsets: `offsets-${i}.npy` });
    }
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sta-numpy.py');
    const run = spawnSync('/usr/bin/python3', [script, dir, String(RUNS)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (run.status !== 0) return `numpy baseline failed: ${(run.stderr || run.error?.message || '').trim().split('\n').pop()}`;
    return JSON.parse(run.stdout) as NumpyResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<Array<Record<string, string | number>>> {
  const inventory = JSON.parse(readFileSync('data/ret1-inventory.json', 'utf8')) as rgc.Inventory;
  const { dataset } = rgc.generateDataset(inventory, { scale: 1, seed: 1 });
  const stims: Stim[] = dataset.sessions.flatMap((s) => s.stimulations).map((st) => ({ movie: rgc.prepareMovie(st.movie, st.fps, st.stimulus_onset), spikes: st.spikes }));
  const movieBytes = stims.reduce((n, s) => n + s.movie.data.byteLength, 0);
  const threads = availableParallelism();
  const engine = kernelEngine();
  if (!engine) throw new Error('No WebAssembly SIMD in this Node: the SIMD kernel cannot run.');

  // This machine: additions per second of one thread (8 independent SIMD chains), and reading.
  const f64Adds = bestRate(() => engine.exports.addThroughput(1_000_000), 16e6);
  const i16Adds = bestRate(() => engine.exports.addThroughputI16(1_000_000), 64e6);
  const f64Copies = stims.map((s) => ({ at: engine.movies.place(s.movie, 'f64').at, n: s.movie.data.length }));
  const readRate = bestRate(() => f64Copies.reduce((sum, c) => sum + engine.exports.sumF64(c.at, c.n), 0), movieBytes);
  for (const s of stims) engine.movies.release(s.movie);

  const numpy = await numpyBaselines(stims);
  const rows: Array<Record<string, string | number>> = [];
  rows.push({ what: `this machine, one thread: float64 additions/s (f64x2 SIMD loop)`, 'best / median s': '', 'vs numpy frame': '', 'vs numpy gather': '', 'G adds/s': f64Adds / 1e9, 'x compute bound': '', 'x one movie read (f64 / int8)': '' });
  rows.push({ what: `this machine, one thread: int16 additions/s (i16x8 SIMD loop)`, 'best / median s': '', 'vs numpy frame': '', 'vs numpy gather': '', 'G adds/s': i16Adds / 1e9, 'x compute bound': '', 'x one movie read (f64 / int8)': '' });
  rows.push({ what: `this machine, one thread: read the ${(movieBytes / 1e6).toFixed(0)} MB of float64 movies (sum)`, 'best / median s': (movieBytes / readRate).toFixed(3), 'vs numpy frame': '', 'vs numpy gather': '', 'G adds/s': `${(readRate / 1e9).toFixed(1)} GB/s`, 'x compute bound': '', 'x one movie read (f64 / int8)': '' });

  allStas(stims, 5, 'simd'); // copies the movies into the kernel's memory (as int8) and lets V8 optimise it
  for (const nLags of LAGS) {
    const adds = additions(stims, nLags);
    const np = typeof numpy === 'string' ? undefined : numpy[String(nLags)] as Exclude<NumpyResult[string], string>;
    const numpyFrame = np ? summarize(np.frame.seconds) : undefined;
    const numpyGather = np ? summarize(np.gather.seconds) : undefined;
    const measured: Array<[string, Runs, number]> = [];
    let checksum = 0;
    const scalar = await runs(RUNS, () => { checksum = allStas(stims, nLags, 'scalar'); });
    measured.push(['rg-schema scalar kernel, 1 thread', scalar, 0]);
    configureStaKernel({ threads: 1 });
    measured.push(['rg-schema SIMD kernel, 1 thread', await runs(RUNS, () => allStas(stims, nLags, 'simd')), 1]);
    configureStaKernel({ threads });
    measured.push([`rg-schema SIMD kernel, ${threads} threads`, await runs(RUNS, () => allStas(stims, nLags, 'simd')), threads]);
    for (const [name, r, used] of measured) {
      // ±1 movies run in the int8 kernel: int16 additions, one byte read a pixel.
      const bound = used === 0 ? undefined : adds / (i16Adds * used);
      rows.push({
        what: `${nLags} lags: ${name}`, 'best / median s': bestMedian(r),
        'vs numpy frame': numpyFrame ? `${(numpyFrame.best / r.best).toFixed(2)}x` : '-', 'vs numpy gather': numpyGather ? `${(numpyGather.best / r.best).toFixed(2)}x` : '-',
        'G adds/s': adds / r.best / 1e9, 'x compute bound': bound === undefined ? '' : (r.best / bound).toFixed(1), 'x one movie read (f64 / int8)': used === 0 ? '' : `${(r.best / (movieBytes / readRate)).toFixed(1)} / ${(r.best / (movieBytes / 8 / readRate)).toFixed(1)}`,
      });
    }
    if (np && numpyFrame && numpyGather) {
      const agree = Math.abs(np.frame.checksum - checksum) <= 1e-9 * Math.abs(checksum) && Math.abs(np.gather.checksum - checksum) <= 1e-9 * Math.abs(checksum);
      rows.push({ what: `${nLags} lags: numpy ${numpy && typeof numpy !== 'string' ? numpy.numpy : ''} frame by frame${agree ? '' : ' (STAs DIFFER)'}`, 'best / median s': bestMedian(numpyFrame), 'vs numpy frame': '1.00x', 'vs numpy gather': `${(numpyGather.best / numpyFrame.best).toFixed(2)}x`, 'G adds/s': adds / numpyFrame.best / 1e9, 'x compute bound': '', 'x one movie read (f64 / int8)': '' });
      rows.push({ what: `${nLags} lags: numpy gather (movie[frames - lags], tensordot)`, 'best / median s': bestMedian(numpyGather), 'vs numpy frame': `${(numpyFrame.best / numpyGather.best).toFixed(2)}x`, 'vs numpy gather': '1.00x', 'G adds/s': adds / numpyGather.best / 1e9, 'x compute bound': '', 'x one movie read (f64 / int8)': '' });
    } else {
      rows.push({ what: `${nLags} lags: numpy`, 'best / median s': typeof numpy === 'string' ? numpy : 'missing', 'vs numpy frame': '', 'vs numpy gather': '', 'G adds/s': '', 'x compute bound': '', 'x one movie read (f64 / int8)': '' });
    }
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) printTable('STA kernel, all 177 neurons of the full-size set, beside numpy (best / median of runs)', await run());
