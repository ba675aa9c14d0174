/**
 * Issue 17: do workers add up? N worker processes populate one table through its jobs table
 * (reserveJobs), on SQLite, MariaDB and PostgreSQL:
 * - 4000 keys whose make() spends 5 ms of CPU: 1 vs 2 workers (goal ≥ 1.7×);
 * - a trivial make(): 1, 2, 4 and 8 workers (goal: 8 never slower than 1), batch 1, 4 and the
 *   default (auto); more workers than cores both with the host's slots (populate's default: at
 *   most one worker per core in a make at once) and without (`hostSlots: Infinity`);
 * - what the database does per key as workers are added: MariaDB statements and commits per key
 *   (the bench user's information_schema.USER_STATISTICS when userstat=1, else SHOW GLOBAL STATUS
 *   deltas of Com_select/insert/update/delete and Handler_commit), PostgreSQL commits of the bench's
 *   database and the server's WAL syncs per key (pg_stat_database.xact_commit, pg_stat_wal.wal_sync);
 *   and on both the transactions that wrote, per key (util.ts countWriteCommits): the commits of the goal.
 * Wall time runs from the first worker's populate() start to the last one's end. Process start-up
 * is left out, as with workers that are already running: every worker loads, connects and declares,
 * says it is ready, and waits until all are before it starts (otherwise the first worker's keys
 * would be timed against the others' start-up on the same two cores).
 * Part `local` times what users run instead: `populate({ workers: N })` called in the bench's own
 * process, worker processes started by it (on idle cores, the default, or all at once), their
 * start-up included: 4000 keys of 5 ms and 20,000 trivial keys, 1, 2 and 8 workers.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { Connection, type WorkersStart } from '../src/index.js';
import { MYSQL_URL, PG_URL, printTable, countWriteCommits, keyedPipeline } from './util.js';

const SCHEMA = 'rgb_jobs_workers';
const KEYS = Number(process.env.RG_BENCH_JOBS_KEYS ?? 4000);
const TRIVIAL_KEYS = Number(process.env.RG_BENCH_JOBS_TRIVIAL_KEYS ?? 2000);

function pipeline(connection: string, cpuMs: number) {
  return keyedPipeline(SCHEMA, connection, cpuMs);
}

/**
 * The table the worker processes of `populate({ workers })` import (part `local`): this module,
 * told the database and the make's CPU time by the environment its parent sets.
 */
export const WorkerDone = process.env.RG_BENCH_JOBS_WORKER_URL
  ? pipeline(process.env.RG_BENCH_JOBS_WORKER_URL, Number(process.env.RG_BENCH_JOBS_WORKER_CPU_MS ?? 0)).Done
  : undefined;

/**
 * `populate({ workers, workersStart })` called in this process, as users start local workers: the
 * time from the call to its return, worker processes' start-up included, and how many processes
 * made keys.
 */
async function localRound(engine: string, url: string, keys: number, cpuMs: number, workers: number, workersStart: WorkersStart): Promise<Record<string, string | number>> {
  const { schema, Key, Done } = pipeline(url, cpuMs);
  await schema.drop({ force: true });
  await Key.insert(Array.from({ length: keys }, (_, k) => ({ k })));
  await Done.jobs().refresh();
  process.env.RG_BENCH_JOBS_WORKER_URL = url;
  process.env.RG_BENCH_JOBS_WORKER_CPU_MS = String(cpuMs);
  const t0 = performance.now();
  const result = await Done.populate(workers > 1
    ? { workers, workersStart, workerModule: { path: fileURLToPath(import.meta.url), exportName: 'WorkerDone' } }
    : { reserveJobs: true });
  const seconds = (performance.now() - t0) / 1000;
  if (result.successCount !== keys) throw new Error(`${engine}: ${result.successCount} of ${keys} keys made`);
  await schema.drop({ force: true });
  await Connection.closeAll();
  return {
    engine, 'make CPU ms': cpuMs, workers: workers > 1 ? `populate({ workers: ${workers} }), ${workersStart}` : 'populate({ reserveJobs })',
    processes: (result.workersStarted ?? 0) + 1, seconds, 'keys/s': Math.round(keys / seconds),
  };
}

/** One worker process: populate with reserveJobs, then print its start, end and keys made. */
async function child(url: string, cpuMs: number, batch: number, hostSlots: number | undefined): Promise<void> {
  const { Done } = pipeline(url, cpuMs);
  await Done.jobs().declare();
  console.log('ready');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  process.stdin.pause();
  const start = Date.now();
  const cpu0 = process.cpuUsage();
  const { successCount } = await Done.populate({ reserveJobs: true, ...(batch > 0 ? { batch } : {}), ...(hostSlots === undefined ? {} : { hostSlots }) });
  const cpu1 = process.cpuUsage(cpu0);
  console.log(JSON.stringify({ start, end: Date.now(), made: successCount, cpu: Math.round((cpu1.user + cpu1.system) / 1000) }));
  await Connection.closeAll();
}

type Counters = Record<string, number>;

async function counters(engine: string, url: string): Promise<Counters> {
  if (engine === 'MariaDB') {
    const u = new URL(url);
    const c = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) });
    // The bench's own user's statements and commits when the server keeps user statistics
    // (SET GLOBAL userstat=1): other clients of the server are then left out.
    const [users] = await c.query<mysql.RowDataPacket[]>('SELECT SELECT_COMMANDS + UPDATE_COMMANDS + OTHER_COMMANDS AS statements, COMMIT_TRANSACTIONS AS commits FROM information_schema.USER_STATISTICS WHERE USER = ?', [decodeURIComponent(u.username)]).catch(() => [[]] as unknown as [mysql.RowDataPacket[]]);
    if (users.length > 0) {
      await c.end();
      return { statements: Number(users[0]!.statements), commits: Number(users[0]!.commits) };
    }
    const [rows] = await c.query<mysql.RowDataPacket[]>("SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_select', 'Com_insert', 'Com_update', 'Com_delete', 'Handler_commit')");
    await c.end();
    const v = Object.fromEntries(rows.map((r) => [String(r.Variable_name), Number(r.Value)]));
    return { statements: v.Com_select! + v.Com_insert! + v.Com_update! + v.Com_delete!, commits: v.Handler_commit! };
  }
  if (engine === 'PostgreSQL') {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const wal = (await c.query<{ s: string }>('SELECT wal_sync AS s FROM pg_stat_wal')).rows[0]!;
    const db = (await c.query<{ x: string }>('SELECT xact_commit AS x FROM pg_stat_database WHERE datname = current_database()')).rows[0]!;
    await c.end();
    return { wal_sync: Number(wal.s), xact_commit: Number(db.x) };
  }
  return {};
}

/** `hostSlots` undefined: populate's default (the host's cores). */
async function round(engine: string, url: string, keys: number, cpuMs: number, workers: number, batch: number, hostSlots?: number): Promise<Record<string, string | number>> {
  const { schema, Key, Done } = pipeline(url, cpuMs);
  await schema.drop({ force: true });
  await Key.insert(Array.from({ length: keys }, (_, k) => ({ k })));
  await Done.jobs().refresh();
  await Connection.closeAll();
  const script = fileURLToPath(import.meta.url);
  const children = Array.from({ length: workers }, () => {
    const p = spawn(process.execPath, ['--import', 'tsx', script, '--child', url, String(cpuMs), String(batch), hostSlots === undefined ? 'default' : String(hostSlots)], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    let markReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => { markReady = resolve; });
    p.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.startsWith('ready\n')) markReady();
    });
    const finished = new Promise<string>((resolve, reject) => {
      p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`worker exited with ${code}`))));
    });
    return { p, ready, finished };
  });
  await Promise.race([Promise.all(children.map((c) => c.ready)), Promise.all(children.map((c) => c.finished))]);
  const before = await counters(engine, url);
  const { result: outs, commits: written } = await countWriteCommits(engine, url, async () => {
    for (const c of children) c.p.stdin.end('go\n');
    return Promise.all(children.map((c) => c.finished));
  });
  const after = await counters(engine, url);
  const reports = outs.map((o) => JSON.parse(o.trim().split('\n').pop()!) as { start: number; end: number; made: number; cpu: number });
  // RG_BENCH_SHOW=1: each worker's populate, from the first one's start in ms, with the keys it
  // made and the CPU ms it spent (start-end:made/cpu).
  if (process.env.RG_BENCH_SHOW) {
    const t0 = Math.min(...reports.map((r) => r.start));
    console.error(`${engine} ${workers} workers, batch ${batch}:`, reports.map((r) => `${r.start - t0}-${r.end - t0}:${r.made}/${r.cpu}`).join(' '));
  }
  const made = reports.reduce((a, r) => a + r.made, 0);
  if (made !== keys) throw new Error(`${engine}: ${made} of ${keys} keys made`);
  const seconds = (Math.max(...reports.map((r) => r.end)) - Math.min(...reports.map((r) => r.start))) / 1000;
  const per = (name: string): string => (before[name] === undefined ? '' : ((after[name]! - before[name]!) / keys).toFixed(2));
  const statements = engine === 'MariaDB' ? per('statements') : '';
  const row: Record<string, string | number> = {
    engine, 'make CPU ms': cpuMs, workers, batch: batch > 0 ? batch : 'auto', 'host slots': hostSlots === undefined ? `cores (${availableParallelism()})` : String(hostSlots), seconds, 'keys/s': Math.round(keys / seconds),
    'statements/key': statements,
    'commits/key': engine === 'MariaDB' ? per('commits') : engine === 'PostgreSQL' ? per('xact_commit') : '',
    'WAL syncs/key': engine === 'PostgreSQL' ? per('wal_sync') : '',
    'write commits/key': written === undefined ? '' : (written / keys).toFixed(2),
  };
  const { schema: s } = pipeline(url, cpuMs);
  await s.drop({ force: true });
  await Connection.closeAll();
  return row;
}

export async function run(): Promise<Array<Record<string, string | number>>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rg-bench-jobs-'));
  const rows: Array<Record<string, string | number>> = [];
  const only = process.env.RG_BENCH_ENGINES?.split(',');
  const engines = ([['SQLite', `sqlite://${path.join(dir, 'jobs.sqlite')}`], ['MariaDB', MYSQL_URL], ['PostgreSQL', PG_URL]] as const).filter(([e]) => !only || only.includes(e));
  // RG_BENCH_JOBS_PARTS=cpu, trivial or local (or several, with commas) runs those parts only.
  const parts = process.env.RG_BENCH_JOBS_PARTS?.split(',') ?? ['cpu', 'trivial', 'local'];
  for (const [engine, url] of parts.includes('cpu') ? engines : []) {
    for (const batch of [1, 0]) {
      const one = await round(engine, url, KEYS, 5, 1, batch);
      const two = await round(engine, url, KEYS, 5, 2, batch);
      rows.push({ ...one, 'vs 1 worker': 1 }, { ...two, 'vs 1 worker': (one.seconds as number) / (two.seconds as number) });
    }
  }
  // A trivial populate of 2,000 keys takes a few tenths of a second, and one round of it moves
  // with whatever else the machine does: each setting runs RG_BENCH_JOBS_REPEAT times (default 3),
  // the settings taking turns, and the median is reported.
  const repeat = Math.max(1, Number(process.env.RG_BENCH_JOBS_REPEAT ?? 3));
  for (const [engine, url] of parts.includes('trivial') ? engines : []) {
    // batch 0: populate's default (about 100 ms of make() per claim, judged as it goes).
    // RG_BENCH_JOBS_BATCHES=0 runs the default only.
    for (const batch of process.env.RG_BENCH_JOBS_BATCHES?.split(',').map(Number) ?? [1, 4, 0]) {
      // RG_BENCH_JOBS_WORKERS=1,8 runs those numbers of workers only. More workers than cores
      // run both with the host's slots and without (`Infinity`: each process in a make whenever it likes).
      const settings = (process.env.RG_BENCH_JOBS_WORKERS?.split(',').map(Number) ?? [1, 2, 4, 8])
        .flatMap((workers) => (workers > availableParallelism() ? [[workers, undefined], [workers, Infinity]] : [[workers, undefined]]) as Array<[number, number | undefined]>);
      const runs = settings.map(() => [] as Array<Record<string, string | number>>);
      for (let r = 0; r < repeat; r++) {
        for (const [i, [workers, slots]] of settings.entries()) runs[i]!.push(await round(engine, url, TRIVIAL_KEYS, 0, workers, batch, slots));
      }
      const medians = runs.map((rs) => [...rs].sort((a, b) => (a.seconds as number) - (b.seconds as number))[Math.floor(rs.length / 2)]!);
      const first = medians[0]!.seconds as number;
      medians.forEach((row, i) => rows.push({ ...row, runs: runs[i]!.map((x) => x.seconds).join(' '), 'vs 1 worker': first / (row.seconds as number) }));
    }
  }
  // RG_BENCH_JOBS_PARTS=local: populate({ workers }) from this process, its workers started on
  // idle cores (the default) or all at once, against one process; worker start-up included.
  for (const [engine, url] of parts.includes('local') ? engines : []) {
    for (const [keys, cpuMs] of [[KEYS, 5], [TRIVIAL_KEYS * 10, 0]] as const) {
      const one = await localRound(engine, url, keys, cpuMs, 1, 'idle-cores');
      rows.push({ ...one, 'vs 1 worker': 1 });
      for (const [workers, start] of [[2, 'idle-cores'], [8, 'idle-cores'], [8, 'all']] as const) {
        const r = await localRound(engine, url, keys, cpuMs, workers, start);
        rows.push({ ...r, 'vs 1 worker': (one.seconds as number) / (r.seconds as number) });
      }
    }
  }
  return rows;
}

if (process.argv[2] === '--child') {
  await child(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]), process.argv[6] === 'default' ? undefined : Number(process.argv[6]));
} else if (import.meta.url === `file://${process.argv[1]}` && !process.env.RG_BENCH_JOBS_WORKER_URL) {
  printTable('jobs-workers: N worker processes through the jobs table (goals: 2 workers ≥ 1.7× one at 5 ms CPU per key; 8 never slower than 1)', await run());
}
