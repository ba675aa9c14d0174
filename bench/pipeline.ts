/**
 * Issues 7 and 8: load the full-size synthetic dataset into MariaDB and SQLite (next to the time
 * to just parse its pickle), compute every STA in memory for 5, 10 and 20 lags next to the
 * arithmetic minimum, and populate SpikeTriggeredAverage end to end on both databases.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from '../src/index.js';
import * as rgc from '../src/pipeline.js';
import { MYSQL_URL, printTable, time } from './util.js';

/** A plain typed-array sum: what reading memory costs on this machine. */
function sumArray(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

export async function run(): Promise<Array<Record<string, string | number>>> {
  const rows: Array<Record<string, string | number>> = [];
  const inventory = JSON.parse(readFileSync('data/ret1-inventory.json', 'utf8')) as rgc.Inventory;
  const { dataset } = rgc.generateDataset(inventory, { scale: 1, seed: 1 });
  const dir = mkdtempSync(path.join(tmpdir(), 'rg-bench-'));
  const manifest = await rgc.writeDataset(dataset, path.join(dir, 'full'), 'pickle');
  const pkl = path.join(dir, 'full', 'ret1_data.pkl');
  const movieMb = dataset.sessions.flatMap((s) => s.stimulations).reduce((n, s) => n + s.movie.data.byteLength, 0) / 1e6;
  const spikes = 104_493;
  const parse = await time(() => rgc.readSource({ type: 'file/pickle', access: pkl }));
  rows.push({ what: `parse the pickle (${(readFileSync(pkl).length / 1e6).toFixed(0)} MB) only`, seconds: parse.seconds, 'spikes/s': Math.round(spikes / parse.seconds), 'movie MB/s': movieMb / parse.seconds });

  // STA in memory: all 177 neurons, movies prepared once per stimulation.
  const stims = dataset.sessions.flatMap((s) => s.stimulations);
  const prepared = stims.map((st) => rgc.prepareMovie(st.movie, st.fps, st.stimulus_onset));
  // The arithmetic minimum: one read of every frame that holds spikes, per lag, at this machine's
  // measured bandwidth (a plain typed-array sum over 400 MB).
  const big = new Float64Array(50_000_000).fill(1);
  let sink = 0;
  let sumTime = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 6; run++) {
    const started = process.hrtime.bigint();
    sink += sumArray(big);
    sumTime = Math.min(sumTime, Number(process.hrtime.bigint() - started) / 1e9);
  }
  const bandwidth = big.byteLength / sumTime;
  for (const nLags of [5, 10, 20]) {
    let bytes = 0;
    const { seconds } = await time(async () => {
      stims.forEach((st, i) => {
        const movie = prepared[i]!;
        for (const times of st.spikes) {
          const result = rgc.spikeTriggeredAverage(movie, times, nLags);
          const frames = new Set<number>();
          for (const t of times) {
            const f = rgc.frameAt(t, movie.onset, movie.fps);
            if (f - (nLags - 1) >= 0 && f < movie.nFrames) frames.add(f);
          }
          bytes += frames.size * nLags * movie.frameSize * 8;
          sink += result.used;
        }
      });
    });
    const minimum = bytes / bandwidth;
    rows.push({ what: `STA of 177 neurons, ${nLags} lags, in memory (minimum ${(minimum * 1000).toFixed(1)} ms at ${(bandwidth / 1e9).toFixed(1)} GB/s)`, seconds, 'spikes/s': Math.round(spikes / seconds), 'movie MB/s': seconds / minimum });
  }
  void sink;

  for (const [engine, url] of [['MariaDB', MYSQL_URL], ['SQLite', `sqlite://${path.join(dir, 'bench.sqlite')}`]] as const) {
    rgc.pipeline.configure({ connection: url, prefix: 'rgb_' });
    await rgc.pipeline.drop({ force: true });
    const load = await time(async () => rgc.loadManifest(await rgc.readManifest(manifest)));
    if (load.result.spikes !== spikes) throw new Error(`${engine} loaded ${load.result.spikes} spikes`);
    rows.push({ what: `${engine}: load the full dataset (parse, register, populate Stimulation)`, seconds: load.seconds, 'spikes/s': Math.round(spikes / load.seconds), 'movie MB/s': movieMb / load.seconds });
    const sta = await time(() => rgc.SpikeTriggeredAverage.populate());
    if (sta.result.successCount !== 177 * 3) throw new Error(`${engine} populated ${sta.result.successCount} STAs`);
    rows.push({ what: `${engine}: SpikeTriggeredAverage.populate(), 531 keys (blob reads and writes)`, seconds: sta.seconds, 'spikes/s': Math.round((3 * spikes) / sta.seconds), 'movie MB/s': 0 });
    await rgc.pipeline.drop({ force: true });
  }
  await Connection.closeAll();
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) printTable('RGC pipeline at full size (for STA rows, the last column is seconds ÷ the arithmetic minimum; goal ≤ 3)', await run());
