/**
 * Issue 15 and "Scale": when do worker processes pay? `rg-pipeline populate SpikeTriggeredAverage
 * --workers N` from the built package (what users run), next to what one worker process costs to
 * start, on two datasets of 531 keys (177 neurons × 3 lag settings, 10 stimulations):
 * - scale 0.02, seed 4 (15–25 ms a key): SQLite and MariaDB, 1, 2 and 4 workers, one run each;
 * - full size, scale 1, seed 1 (the 455 MB pickle): SQLite, MariaDB and PostgreSQL, 1 and 2
 *   workers, the best and median of RG_BENCH_RUNS runs (3), with the CPU seconds of the whole
 *   process tree (parent and workers) where /usr/bin/time is installed.
 * More than one worker runs both ways: started on idle cores (`--workers-start idle-cores`, the
 * default) and all at once (`all`); `processes` is how many made keys, as the command reports it.
 * Set RG_BENCH_WORKERS_FULL=0 to skip the full-size set (it writes 455 MB and takes minutes).
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { WorkersStart } from '../src/index.js';
import { bestMedian, MYSQL_URL, PG_URL, summarize, time } from './util.js';

const exec = promisify(execFile);
const cli = path.resolve('dist/cli/rg-pipeline.js');
const RUNS = Number(process.env.RG_BENCH_RUNS ?? 3);
const TIME = '/usr/bin/time';

type Row = Record<string, string | number>;
type Database = 'sqlite' | 'mysql' | 'postgres';

async function pipeline(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await exec(process.execPath, [cli, ...args], { cwd, env: { ...process.env, RG_DB_URL: '', DJ_HOST: '' }, maxBuffer: 1 << 24 });
  return stdout;
}

/** Workers and when they start: one process; 2 and 4 started on idle cores (the default) and all at once. */
const SETTINGS: ReadonlyArray<readonly [number, WorkersStart]> = [[1, 'idle-cores'], [2, 'idle-cores'], [2, 'all'], [4, 'idle-cores'], [4, 'all']];
const label = (workers: number, start: WorkersStart): string => (workers === 1 ? '1' : `${workers} (${start})`);

/** One populate: wall seconds, CPU seconds of the process and its workers (when /usr/bin/time exists), keys made. */
async function populateOnce(cwd: string, db: string[], workers: number, start: WorkersStart): Promise<{ seconds: number; cpu: number | undefined; keys: number; processes: number }> {
  const args = [...db, 'populate', 'SpikeTriggeredAverage', '--workers', String(workers), '--workers-start', start, '--no-display'];
  const timed = existsSync(TIME);
  const { seconds, result } = await time(() => exec(timed ? TIME : process.execPath, timed ? ['-f', 'CPU %U %S', process.execPath, cli, ...args] : [cli, ...args],
    { cwd, env: { ...process.env, RG_DB_URL: '', DJ_HOST: '' }, maxBuffer: 1 << 24 }));
  const cpu = /CPU ([\d.]+) ([\d.]+)/.exec(result.stderr);
  const processes = Number(/keys populated \((\d+) process/.exec(result.stdout)?.[1] ?? 1);
  return { seconds, cpu: cpu ? Number(cpu[1]) + Number(cpu[2]) : undefined, keys: Number(/(\d+) keys populated/.exec(result.stdout)?.[1] ?? 0), processes };
}

/** A synthetic dataset loaded into SQLite (a copy kept to start each run from) and the servers. */
async function prepare(scale: number, seed: number, servers: ReadonlyArray<[Database, string[]]>): Promise<{ dir: string; loaded: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rg-bench-workers-'));
  await pipeline(dir, ['synth', 'data', '--scale', String(scale), '--seed', String(seed)]);
  await pipeline(dir, ['load', 'data/manifest.json']);
  const loaded = path.join(dir, 'loaded');
  cpSync(path.join(dir, 'rg-data'), loaded, { recursive: true });
  for (const [, db] of servers) {
    await pipeline(dir, [...db, 'clean', '--yes']);
    await pipeline(dir, [...db, 'load', 'data/manifest.json']);
  }
  return { dir, loaded };
}

/** Back to no STA rows and no jobs: the SQLite file copied afresh, the servers' rows deleted. */
async function reset(dir: string, loaded: string, database: Database, url: string, prefix: string): Promise<void> {
  if (database === 'sqlite') {
    rmSync(path.join(dir, 'rg-data'), { recursive: true, force: true });
    cpSync(loaded, path.join(dir, 'rg-data'), { recursive: true });
    return;
  }
  await exec(process.execPath, ['--input-type=module', '-e', `
    import { SpikeTriggeredAverage, pipeline, Connection } from ${JSON.stringify(path.resolve('dist/index.js'))};
    pipeline.configure({ connection: ${JSON.stringify(url)}, prefix: ${JSON.stringify(prefix)} });
    await SpikeTriggeredAverage.deleteQuick();
    await SpikeTriggeredAverage.jobs().clear();
    await Connection.closeAll();`], { cwd: dir });
}

export async function run(): Promise<Row[]> {
  // Always from a fresh build: a dist/ left from an earlier checkout would measure old code.
  await exec('npm', ['run', 'build'], { maxBuffer: 1 << 24 });
  const rows: Row[] = [];
  const startup = await time(() => exec(process.execPath, ['-e', `await import(${JSON.stringify(path.resolve('dist/pipeline.js'))})`]));
  rows.push({ dataset: '-', database: '-', workers: '-', what: 'start one process and import the pipeline', 'best / median s': startup.seconds.toFixed(3), 'CPU s': '', 'keys/s': '' });

  // Scale 0.02: quick keys, where process start-up weighs most.
  const small = { prefix: 'rgbench_workers_', url: MYSQL_URL };
  const smallDb: string[] = ['--db', small.url, '--prefix', small.prefix];
  const s = await prepare(0.02, 4, [['mysql', smallDb]]);
  try {
    for (const database of ['sqlite', 'mysql'] as const) {
      for (const [workers, start] of SETTINGS) {
        await reset(s.dir, s.loaded, database, small.url, small.prefix);
        const r = await populateOnce(s.dir, database === 'mysql' ? smallDb : [], workers, start);
        rows.push({ dataset: '0.02', database, workers: label(workers, start), processes: r.processes, what: `populate ${r.keys} STA keys`, 'best / median s': r.seconds.toFixed(3), 'CPU s': r.cpu?.toFixed(2) ?? '', 'keys/s': r.keys / r.seconds });
      }
    }
    await pipeline(s.dir, [...smallDb, 'clean', '--yes']);
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }

  if (process.env.RG_BENCH_WORKERS_FULL === '0') return rows;
  // Full size: seconds a stimulation to read and prepare its movie, and the kernel on every core.
  const prefix = 'rgbench_fullw_';
  const servers: Array<[Database, string, string[]]> = [['mysql', MYSQL_URL, ['--db', MYSQL_URL, '--prefix', prefix]], ['postgres', PG_URL, ['--db', PG_URL, '--prefix', prefix]]];
  const f = await prepare(1, 1, servers.map(([d, , db]) => [d, db]));
  try {
    for (const [database, url, db] of [['sqlite', '', []] as [Database, string, string[]], ...servers]) {
      for (const [workers, start] of SETTINGS.filter(([w]) => w <= 2)) {
        const seconds: number[] = [];
        const cpu: number[] = [];
        const processes: number[] = [];
        let keys = 0;
        for (let i = 0; i < RUNS; i++) {
          await reset(f.dir, f.loaded, database, url, prefix);
          const r = await populateOnce(f.dir, db, workers, start);
          seconds.push(r.seconds);
          if (r.cpu !== undefined) cpu.push(r.cpu);
          processes.push(r.processes);
          keys = r.keys;
        }
        const wall = summarize(seconds);
        rows.push({
          dataset: 'full', database, workers: label(workers, start), processes: processes.join(' '), what: `populate ${keys} STA keys`, 'best / median s': bestMedian(wall),
          'CPU s': cpu.length > 0 ? bestMedian(summarize(cpu)) : '', 'keys/s': keys / wall.best,
        });
      }
    }
    for (const [, , db] of servers) await pipeline(f.dir, [...db, 'clean', '--yes']);
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
  return rows;
}
