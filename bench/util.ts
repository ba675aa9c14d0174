/** Shared helpers of the benchmark scripts: timing and a printed table. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
  const columns = Object.keys(rows[0]!);
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
