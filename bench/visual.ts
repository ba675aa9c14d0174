/**
 * Issue 11: rg-visual on the full-size synthetic dataset, in MariaDB and SQLite. The server runs
 * as its own process (as `npx rg-visual` does), so its peak memory is its own:
 * - time to first page: process start → first `GET /` answered, and then the page's first load
 *   (the HTML, its three assets and the sessions list);
 * - a cold stimulation: the first frame of each stimulation (its movie fetched and decoded);
 * - warm frame, average and STA requests at p50/p99 with 16 concurrent clients (autocannon);
 * - the server's peak resident memory (VmHWM) against the movie cache bound + 200 MB.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Connection } from '../src/index.js';
import * as rgc from '../src/pipeline.js';
import type { NeuronItem, SpikeList, StimulationItem } from '../src/visual/api-types.js';
import { MYSQL_URL, printTable } from './util.js';

const CACHE_MB = Number(process.env.RG_BENCH_CACHE_MB ?? 512);
const DURATION = Number(process.env.RG_BENCH_SECONDS ?? 10);

interface Server { child: ChildProcess; base: string; started: number; firstPage: number }

function peakMemoryMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** Starts rg-visual and waits for its first page. */
async function startServer(url: string, prefix: string, cacheMb: number): Promise<Server> {
  const started = performance.now();
  // What `npx rg-visual` runs: the built command (run() builds it first).
  const child = spawn(process.execPath, ['dist/cli/rg-visual.js', '--db', url, '--prefix', prefix, '--port', '0', '--cache-mb', String(cacheMb)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  for (;;) {
    const base = /rg-visual: (http:\/\/[^ ]+\/) /.exec(output)?.[1];
    if (base) {
      const response = await fetch(base);
      await response.text();
      if (response.status !== 200) throw new Error(`GET / answered ${response.status}: ${output}`);
      return { child, base, started, firstPage: (performance.now() - started) / 1000 };
    }
    if (child.exitCode !== null) throw new Error(`rg-visual exited: ${output}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function json<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return response.json() as Promise<T>;
}

const q = (params: Record<string, string | number>): string => new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();

async function load(base: string, paths: string[]): Promise<{ p50: number; p99: number; rps: number }> {
  // A short unmeasured run first: connections, JIT and caches warm, as on a page someone is using.
  // Plain answers (a browser would get stored STAs gzipped, 10× smaller): autocannon itself runs
  // several times slower on gzipped answers (wrk does not), which would measure the client.
  const requests = paths.map((p) => ({ method: 'GET' as const, path: p }));
  await autocannon({ url: base, connections: 16, duration: 2, requests });
  const result = await autocannon({ url: base, connections: 16, duration: DURATION, requests });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return { p50: result.latency.p50, p99: result.latency.p99, rps: result.requests.average };
}

export async function run(): Promise<Array<Record<string, string | number>>> {
  const rows: Array<Record<string, string | number>> = [];
  execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
  const inventory = JSON.parse(readFileSync('data/ret1-inventory.json', 'utf8')) as rgc.Inventory;
  const { dataset } = rgc.generateDataset(inventory, { scale: 1, seed: 1 });
  const dir = mkdtempSync(path.join(tmpdir(), 'rg-bench-visual-'));
  const manifest = await rgc.writeDataset(dataset, path.join(dir, 'full'), 'pickle');
  for (const [engine, url] of [['SQLite', `sqlite://${path.join(dir, 'bench.sqlite')}`], ['MariaDB', MYSQL_URL]] as const) {
    const prefix = 'rgb_visual_';
    rgc.pipeline.configure({ connection: url, prefix, createTables: true });
    await rgc.pipeline.drop({ force: true });
    await rgc.loadManifest(await rgc.readManifest(manifest));
    await rgc.SpikeTriggeredAverage.populate();
    await Connection.closeAll();

    const server = await startServer(url, prefix, CACHE_MB);
    const { base } = server;
    try {
      const pageStart = performance.now();
      const html = await (await fetch(base)).text();
      await Promise.all([...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map(async (m) => (await fetch(new URL(m[1]!, base))).arrayBuffer()));
      await json(`${base}api/sessions`);
      rows.push({ engine, what: 'start → first page (process start to GET / answered)', value: server.firstPage, unit: 's', goal: '' });
      rows.push({ engine, what: 'first page load: HTML, its 3 assets, the sessions list', value: (performance.now() - pageStart) / 1000, unit: 's', goal: '' });

      // Every stimulation cold: its first frame fetches and decodes its movie.
      const stims: StimulationItem[] = [];
      for (const s of dataset.sessions.filter((x) => x.stimulations.length > 0)) {
        stims.push(...await json<StimulationItem[]>(`${base}api/stimulations?${q({ subject_name: s.subject_name, sample_number: s.sample_number, session_date: s.session_date })}`));
      }
      const cold: Array<{ stim: StimulationItem; seconds: number }> = [];
      for (const stim of stims) {
        const key = { subject_name: stim.subject_name, sample_number: stim.sample_number, session_date: stim.session_date, stimulation_index: stim.stimulation_index };
        const neurons = await json<NeuronItem[]>(`${base}api/neurons?${q(key)}`);
        const spikes = await json<SpikeList>(`${base}api/spikes?${q({ ...key, neuron_index: neurons[0]!.neuron_index })}`);
        const i = spikes.frame.findIndex((f) => f >= 10 && f < stim.n_frames);
        const started = performance.now();
        await json(`${base}api/frame?${q({ ...key, neuron_index: neurons[0]!.neuron_index, spike_index: spikes.spike_index[i]! })}`);
        cold.push({ stim, seconds: (performance.now() - started) / 1000 });
      }
      const worst = cold.reduce((a, b) => (b.seconds > a.seconds ? b : a));
      const largest = cold.reduce((a, b) => (b.stim.x_blocks * b.stim.y_blocks * b.stim.n_frames > a.stim.x_blocks * a.stim.y_blocks * a.stim.n_frames ? b : a));
      const mb = (s: StimulationItem): string => `${((s.x_blocks * s.y_blocks * s.n_frames * 8) / 1e6).toFixed(0)} MB`;
      rows.push({ engine, what: `cold stimulation, largest movie (${mb(largest.stim)}): first frame`, value: largest.seconds, unit: 's', goal: '< 1.5' });
      rows.push({ engine, what: `cold stimulation, slowest of ${cold.length} (${mb(worst.stim)})`, value: worst.seconds, unit: 's', goal: '< 1.5' });

      // Warm: the largest movie is cached; frames and averages at spikes of all its neurons, STAs of them.
      const stim = largest.stim;
      const key = { subject_name: stim.subject_name, sample_number: stim.sample_number, session_date: stim.session_date, stimulation_index: stim.stimulation_index };
      const neurons = await json<NeuronItem[]>(`${base}api/neurons?${q(key)}`);
      const frames: string[] = [];
      const averages: string[] = [];
      for (const neuron of neurons) {
        const spikes = await json<SpikeList>(`${base}api/spikes?${q({ ...key, neuron_index: neuron.neuron_index })}`);
        spikes.spike_index.forEach((spikeIndex, i) => {
          if (i % 7 !== 0 || spikes.frame[i]! < 10 || spikes.frame[i]! >= stim.n_frames) return;
          const spike = q({ ...key, neuron_index: neuron.neuron_index, spike_index: spikeIndex });
          frames.push(`/api/frame?${spike}`);
          averages.push(`/api/average?${spike}&delay=5`);
        });
      }
      const stas = neurons.map((n) => `/api/sta?${q({ ...key, neuron_index: n.neuron_index, n_lags: 10 })}`);
      for (const [what, paths] of [['frame', frames], ['average of 5 frames', averages], [`stored STA, 10 lags (${stim.x_blocks}×${stim.y_blocks}×10)`, stas]] as const) {
        const { p50, p99, rps } = await load(base, paths.slice(0, 400));
        rows.push({ engine, what: `warm ${what}, 16 clients: p50 (${Math.round(rps)} requests/s)`, value: p50, unit: 'ms', goal: '' });
        rows.push({ engine, what: `warm ${what}, 16 clients: p99`, value: p99, unit: 'ms', goal: '< 20' });
      }
      rows.push({ engine, what: `server peak memory (VmHWM), every movie visited, cache bound ${CACHE_MB} MB`, value: Math.round(peakMemoryMb(server.child.pid!)), unit: 'MB', goal: `< ${CACHE_MB + 200}` });
    } finally {
      server.child.kill('SIGINT');
      await new Promise((r) => server.child.once('exit', r));
    }
  }
  // A bound smaller than the data: memory follows the bound, not the data.
  const small = 128;
  const server = await startServer(`sqlite://${path.join(dir, 'bench.sqlite')}`, 'rgb_visual_', small);
  try {
    for (const s of dataset.sessions) {
      for (const [index] of s.stimulations.entries()) {
        const key = { subject_name: s.subject_name, sample_number: s.sample_number, session_date: s.session_date, stimulation_index: index };
        const spikes = await json<SpikeList>(`${server.base}api/spikes?${q({ ...key, neuron_index: 0 })}`);
        const i = spikes.frame.findIndex((f) => f >= 0 && f < 1_000_000);
        await json(`${server.base}api/frame?${q({ ...key, neuron_index: 0, spike_index: spikes.spike_index[i]! })}`);
      }
    }
    rows.push({ engine: 'SQLite', what: `server peak memory (VmHWM), every movie visited, cache bound ${small} MB`, value: Math.round(peakMemoryMb(server.child.pid!)), unit: 'MB', goal: `< ${small + 200}` });
  } finally {
    server.child.kill('SIGINT');
    await new Promise((r) => server.child.once('exit', r));
  }
  rgc.pipeline.configure({ connection: MYSQL_URL, prefix: 'rgb_visual_' });
  await rgc.pipeline.drop({ force: true });
  await Connection.closeAll();
  rmSync(dir, { recursive: true, force: true });
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) printTable('rg-visual at full size', await run());
