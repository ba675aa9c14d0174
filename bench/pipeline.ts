/**
 * Issues 7, 8 and 17: the RGC pipeline at full size (the 455 MB synthetic pickle).
 * - parse the pickle only (readSource: read, checksum, parse, check), in a child process;
 * - pack every movie only, after the parse (the load's compression stage): seconds, CPU seconds
 *   (every thread), the blobs' size against the raw float64 values;
 * - load it into MariaDB and SQLite, each in a child process that reports its peak RSS
 *   (goals: at most twice the parse, peak under 1.5× the pickle's size);
 * - every STA in memory (the SIMD kernel on every core) for 5, 10 and 20 lags: the kernel time;
 * - SpikeTriggeredAverage.populate() end to end on both (goal: within 1.5× the kernel time).
 * Each figure is the best and the median of RG_BENCH_RUNS runs (3): the machine may be shared.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '../src/index.js';
import { packMovie } from '../src/tables/movie-blob.js';
import * as rgc from '../src/pipeline.js';
import { bestMedian, MYSQL_URL, peakRssMb, printTable, runChild, runs, summarize, time } from './util.js';

const RUNS = Number(process.env.RG_BENCH_RUNS ?? 3);
const SPIKES = 104_493;
const SELF = fileURLToPath(import.meta.url);

type Row = Record<string, string | number>;

/** One measurement in this (child) process: seconds, and the peak RSS it reached. */
async function childTask(task: string, args: string[]): Promise<void> {
  const [pickle, url] = args as [string, string];
  if (task === 'parse') {
    const { seconds } = await time(() => rgc.readSource({ type: 'file/pickle', access: pickle }));
    console.log(JSON.stringify({ seconds, peak: peakRssMb() }));
  } else if (task === 'pack') {
    const { dataset } = await rgc.readSource({ type: 'file/pickle', access: pickle });
    const movies = dataset.sessions.flatMap((s) => s.stimulations.map((st) => st.movie));
    const cpu = process.cpuUsage();
    const { seconds, result } = await time(() => Promise.all(movies.map((m) => packMovie(m))));
    const used = process.cpuUsage(cpu);
    const raw = movies.reduce((n, m) => n + m.size * 8, 0);
    const packed = result.reduce((n, b) => n + b.bytes.byteLength, 0);
    console.log(JSON.stringify({ seconds, cpu: (used.user + used.system) / 1e6, rawMb: raw / 1e6, packedMb: packed / 1e6, peak: peakRssMb() }));
  } else if (task === 'load') {
    rgc.pipeline.configure({ connection: url, prefix: 'rgb_' });
    await rgc.pipeline.drop({ force: true });
    const manifest = await rgc.readManifest(path.join(path.dirname(pickle), 'manifest.json'));
    const { seconds, result } = await time(() => rgc.loadManifest(manifest));
    await Connection.closeAll();
    console.log(JSON.stringify({ seconds, peak: peakRssMb(), spikes: result.spikes }));
  }
}

/** The in-memory kernel: every STA of the 177 neurons for 5, 10 and 20 lags (best runs summed). */
async function kernelSeconds(dataset: rgc.RgcDataset): Promise<{ rows: Row[]; total: number }> {
  const stims = dataset.sessions.flatMap((s) => s.stimulations).map((st) => ({ movie: rgc.prepareMovie(st.movie, st.fps, st.stimulus_onset), spikes: st.spikes }));
  const all = (nLags: number) => { for (const { movie, spikes } of stims) for (const times of spikes) rgc.spikeTriggeredAverage(movie, times, nLags); };
  all(5); // copies the movies into the kernel's memory, and lets V8 optimise it
  const rows: Row[] = [];
  let total = 0;
  for (const nLags of [5, 10, 20]) {
    const r = await runs(RUNS, () => all(nLags));
    total += r.best;
    rows.push({ what: `STA kernel in memory, 177 neurons, ${nLags} lags (SIMD, every core)`, 'best / median s': bestMedian(r), 'peak RSS MB': '', ratio: '', goal: '' });
  }
  for (const { movie } of stims) rgc.releasePreparedMovie(movie);
  return { rows, total };
}

export async function run(): Promise<Row[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rg-bench-'));
  try {
    return await measure(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true }); // the 455 MB pickle and the SQLite file
  }
}

async function measure(dir: string): Promise<Row[]> {
  const inventory = JSON.parse(readFileSync('data/ret1-inventory.json', 'utf8')) as rgc.Inventory;
  const { dataset } = rgc.generateDataset(inventory, { scale: 1, seed: 1 });
  await rgc.writeDataset(dataset, path.join(dir, 'full'), 'pickle');
  const pickle = path.join(dir, 'full', 'ret1_data.pkl');
  const pickleMb = statSync(pickle).size / 1e6;
  const rows: Row[] = [];

  const parses = [];
  for (let i = 0; i < RUNS; i++) parses.push((await runChild(SELF, 'parse', [pickle])) as { seconds: number; peak: number });
  const parse = summarize(parses.map((p) => p.seconds));
  rows.push({ what: `parse the pickle (${pickleMb.toFixed(0)} MB) only`, 'best / median s': bestMedian(parse), 'peak RSS MB': Math.max(...parses.map((p) => p.peak)).toFixed(0), ratio: '', goal: '' });

  const packs = [];
  for (let i = 0; i < RUNS; i++) packs.push((await runChild(SELF, 'pack', [pickle])) as { seconds: number; cpu: number; rawMb: number; packedMb: number; peak: number });
  const pack = summarize(packs.map((p) => p.seconds));
  const { rawMb, packedMb } = packs[0]!;
  rows.push({
    what: `pack the ${rawMb.toFixed(0)} MB of movies only, after the parse (CPU ${Math.min(...packs.map((p) => p.cpu)).toFixed(2)} s)`, 'best / median s': bestMedian(pack),
    'peak RSS MB': Math.max(...packs.map((p) => p.peak)).toFixed(0), ratio: `${packedMb.toFixed(1)} MB of blobs, ${((100 * packedMb) / rawMb).toFixed(2)}% of raw`, goal: '',
  });

  const kernel = await kernelSeconds(dataset);
  rows.push(...kernel.rows);

  for (const [engine, url] of [['MariaDB', MYSQL_URL], ['SQLite', `sqlite://${path.join(dir, 'bench.sqlite')}`]] as const) {
    const loads = [];
    for (let i = 0; i < RUNS; i++) {
      const load = (await runChild(SELF, 'load', [pickle, url])) as { seconds: number; peak: number; spikes: number };
      if (load.spikes !== SPIKES) throw new Error(`${engine} loaded ${load.spikes} spikes`);
      loads.push(load);
    }
    const load = summarize(loads.map((l) => l.seconds));
    const peak = Math.max(...loads.map((l) => l.peak));
    rows.push({
      what: `${engine}: load the full dataset (parse, register, Stimulation with movies and spikes)`, 'best / median s': bestMedian(load),
      'peak RSS MB': peak.toFixed(0), ratio: `${(load.best / parse.best).toFixed(2)}× parse, ${(peak / pickleMb).toFixed(2)}× pickle`, goal: '≤ 2× parse, < 1.5× pickle',
    });

    rgc.pipeline.configure({ connection: url, prefix: 'rgb_' });
    const populates = [];
    for (let i = 0; i < RUNS; i++) {
      await rgc.SpikeTriggeredAverage.deleteQuick();
      const sta = await time(() => rgc.SpikeTriggeredAverage.populate());
      if (sta.result.successCount !== 177 * 3) throw new Error(`${engine} populated ${sta.result.successCount} STAs`);
      populates.push(sta.seconds);
    }
    const populate = summarize(populates);
    rows.push({
      what: `${engine}: SpikeTriggeredAverage.populate(), 531 keys`, 'best / median s': bestMedian(populate), 'peak RSS MB': '',
      ratio: `${(populate.best / kernel.total).toFixed(2)}× kernel (${kernel.total.toFixed(3)} s)`, goal: '≤ 1.5× kernel',
    });
    await rgc.pipeline.drop({ force: true });
    await Connection.closeAll();
  }
  return rows;
}

if (process.argv[2] === '--child') await childTask(process.argv[3]!, process.argv.slice(4));
else if (import.meta.url === `file://${process.argv[1]}`) printTable('RGC pipeline at full size (best / median of runs)', await run());
