/** Shared helpers of the benchmark scripts: timing and a printed table. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { Computed, Manual, Schema } from '../src/index.js';
export async function time<T>(work: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const start = process.hrtime.bigint();
  const result = await work();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, result };
}

/** Best of `runs` timings: the least disturbed by the rest of the machine. */
export async function best(runs: number, work: () => Promise<unknown>): Promise<number> {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) min = Math.min(min, (await time(work)).seconds);
  return min;
}

export function printTable(title: string, rows: Array<Record<string, string | number>>): void {
  console.log(`\n## ${title}\n`);
  if (rows.length === 0) return;
  // Every row's columns, in the order they first appear (rows of one table may differ).
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: string | number): string => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : v);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c] ?? '').length)));
  const line = (values: string[]): string => `| ${values.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(columns));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(columns.map((c) => cell(r[c] ?? ''))));
}

export const MYSQL_URL = process.env.RG_BENCH_MYSQL_URL ?? 'mysql://root:@127.0.0.1:3306';
export const PG_URL = process.env.RG_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Every timing of `runs` runs, with the best and the median (the machine may be shared). */
export interface Runs {
  readonly best: number;
  readonly median: number;
  readonly all: readonly number[];
}

export function summarize(seconds: readonly number[]): Runs {
  const sorted = [...seconds].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { best: sorted[0]!, median, all: seconds };
}

export async function runs(n: number, work: () => Promise<unknown> | unknown): Promise<Runs> {
  const seconds: number[] = [];
  for (let i = 0; i < n; i++) seconds.push((await time(async () => work())).seconds);
  return summarize(seconds);
}

/** "best / median" in seconds, for a table cell. */
export function bestMedian(r: Runs): string {
  return `${r.best.toFixed(3)} / ${r.median.toFixed(3)}`;
}

/**
 * Runs `script --child task ...args` in a fresh Node (through tsx) and returns the JSON of its
 * last line: a measurement with its own peak memory, away from what this process holds.
 */
export function runChild(script: string, task: string, args: readonly string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', script, '--child', task, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (code !== 0) reject(new Error(`${task} child exited with ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<string, unknown>);
    });
  });
}

/**
 * This process's peak resident memory so far, in MB (10^6 bytes). On Linux it is VmHWM, the peak
 * of this process's own memory: getrusage's maxRSS of a child carries the parent's resident size
 * at the fork over the exec, which would charge a small child with a large parent's memory.
 */
export function peakRssMb(): number {
  try {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return (Number(hwm[1]) * 1024) / 1e6;
  } catch {
    // not Linux
  }
  return (process.resourceUsage().maxRSS * 1024) / 1e6;
}

/**
 * The transactions that wrote while `work` ran, as the server counts them: MariaDB's InnoDB
 * `trx_rw_commits` (turned on here if it is off; needs SUPER), PostgreSQL's commit records in the
 * WAL between two positions (pg_walinspect, created here if missing; read-only transactions write
 * none, and a savepoint's subtransaction commits with its parent). Undefined for SQLite, or when the
 * server does not let us count. Read-only statements, which MariaDB's Handler_commit and
 * PostgreSQL's xact_commit also count, are left out: these are the commits that reach the log.
 */
export async function countWriteCommits<T>(engine: string, url: string, work: () => Promise<T>): Promise<{ result: T; commits: number | undefined }> {
  if (engine === 'MariaDB') {
    const u = new URL(url);
    const c = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) });
    const read = async (): Promise<number | undefined> => {
      const [rows] = await c.query<mysql.RowDataPacket[]>("SELECT `COUNT` AS n, ENABLED AS enabled FROM information_schema.INNODB_METRICS WHERE NAME = 'trx_rw_commits'");
      return rows[0] && Number(rows[0].enabled) === 1 ? Number(rows[0].n) : undefined;
    };
    try {
      await c.query("SET GLOBAL innodb_monitor_enable = 'trx_rw_commits'").catch(() => undefined);
      const before = await read();
      const result = await work();
      const after = await read();
      return { result, commits: before === undefined || after === undefined ? undefined : after - before };
    } finally {
      await c.end();
    }
  }
  if (engine === 'PostgreSQL') {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const usable = await c.query('CREATE EXTENSION IF NOT EXISTS pg_walinspect').then(() => true, () => false);
      const lsn = async (): Promise<string> => (await c.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l')).rows[0]!.l;
      const start = await lsn();
      const result = await work();
      if (!usable) return { result, commits: undefined };
      const end = await lsn();
      const { rows } = await c.query<{ n: string }>(
        `SELECT coalesce(sum(count), 0)::text AS n FROM pg_get_wal_stats($1::pg_lsn, $2::pg_lsn, true) WHERE "resource_manager/record_type" IN ('Transaction/COMMIT', 'Transaction/COMMIT_PREPARED')`, [start, end]);
      return { result, commits: Number(rows[0]!.n) };
    } finally {
      await c.end();
    }
  }
  return { result: await work(), commits: undefined };
}

/**
 * The workers' benches' pipeline: keys `k`, and a Computed whose make() spends `cpuMs` of CPU (0:
 * none) and inserts one row.
 */
export function keyedPipeline(schemaName: string, connection: string, cpuMs = 0) {
  const schema = new Schema(schemaName, { connection });
  @schema class Key extends Manual<{ k: number }> {
    static override definition = 'k: int32';
  }
  @schema class Done extends Computed<{ k: number; v: number }> {
    static override definition = '-> Key\n---\nv: int32';
    async make(key: { k: number }): Promise<void> {
      const until = performance.now() + cpuMs;
      while (performance.now() < until) { /* the key's computation */ }
      await this.insert1({ k: key.k, v: 1 });
    }
  }
  return { schema, Key, Done };
}
