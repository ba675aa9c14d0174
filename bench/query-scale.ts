/**
 * Issue 17: query paths that must stay linear, and memory that must stay flat.
 * - streaming: rows/s at 100k, 1M and 2M rows, SQLite (keyset pages; the OFFSET pages it replaced,
 *   for reference) and MariaDB (one cursor);
 * - count() of a semijoin against fetching the same rows, and against the derived-table count it
 *   replaced, at 100k, 1M and 2M rows;
 * - peak RSS of inserting 10M small rows from a generator (each in a child process, which measures
 *   its own peak);
 * - peak RSS of fetching 1M rows, rg-schema against raw mysql2, each in a child process.
 * Sizes shrink with RG_BENCH_SCALE (e.g. 0.1) for a quick run.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { Connection, Manual, Schema, sql, type Key } from '../src/index.js';
import { compileQuery } from '../src/schema/query/compile.js';
import { decodeRow } from '../src/schema/query/decode.js';
import { MYSQL_URL, peakRssMb, printTable, runChild, time } from './util.js';

const SCALE = Number(process.env.RG_BENCH_SCALE ?? 1);
const SIZES = [100_000, 1_000_000, 2_000_000].map((n) => Math.round(n * SCALE));
const PARENTS = 2000;
const INSERT_ROWS = Math.round(10_000_000 * SCALE);
const FETCH_ROWS = Math.round(1_000_000 * SCALE);
type Result = Record<string, string | number>;

interface ParentRow { p: Key<number>; tag: string }
interface ChildRow { p: Key<number>; c: Key<number>; v: number; w: number }

function declare(connection: string, name: string) {
  const schema = new Schema(name, { connection });
  @schema class Parent extends Manual<ParentRow> { static override definition = 'p: int\n---\ntag: varchar(8)'; }
  @schema class Child extends Manual<ChildRow> { static override definition = '-> Parent\nc: int\n---\nv: double\nw: int'; }
  return { schema, Parent, Child };
}

/** Children numbered so that `p * per + c` runs 0 … n-1: the first n rows by key are a prefix. */
function* children(n: number): Generator<{ p: number; c: number; v: number; w: number }> {
  const per = Math.ceil(n / PARENTS);
  for (let i = 0; i < n; i++) yield { p: Math.floor(i / per), c: i % per, v: i * 0.5, w: i % 1000 };
}

async function fill(connection: string, name: string, n: number) {
  const tables = declare(connection, name);
  await tables.schema.drop({ force: true });
  await tables.Parent.insert(Array.from({ length: PARENTS }, (_, p) => ({ p, tag: p % 100 === 0 ? 'x' : 'y' })));
  await tables.Child.insert(children(n), { chunkSize: 50_000 });
  return tables;
}

/** The SQLite paging this replaced: ORDER BY key LIMIT page OFFSET k. */
async function streamByOffset(query: { connection: Connection; node: Parameters<typeof compileQuery>[1]; heading: Parameters<typeof decodeRow>[0] }): Promise<number> {
  let n = 0;
  for (let offset = 0; ; offset += 5000) {
    const { sql: text, params } = compileQuery(query.connection.dialect, query.node, { orderBy: query.heading.primaryKey, limit: 5000, offset });
    const rows = await query.connection.query<Record<string, unknown>>(text, params);
    for (const raw of rows) decodeRow(query.heading, raw, query.connection.dialect);
    n += rows.length;
    if (rows.length < 5000) return n;
  }
}

async function streaming(): Promise<Result[]> {
  const results: Result[] = [];
  const largest = SIZES[SIZES.length - 1]!;
  const dir = mkdtempSync(path.join(tmpdir(), 'rg-bench-scale-'));
  for (const [engine, url] of [['SQLite', `sqlite://${path.join(dir, 'scale.sqlite')}`], ['MariaDB', MYSQL_URL]] as const) {
    const { schema, Parent, Child } = await fill(url, 'rgb_scale', largest);
    const per = Math.ceil(largest / PARENTS);
    for (const n of SIZES) {
      const rows = Child.restrict(sql`p < ${Math.ceil(n / per)}`);
      const streamed = await time(async () => {
        let count = 0;
        for await (const row of rows) if (row.w >= 0) count++;
        return count;
      });
      results.push({ test: `stream ${engine}`, rows: streamed.result, seconds: streamed.seconds, 'rows/s': Math.round(streamed.result / streamed.seconds), note: engine === 'SQLite' ? 'keyset pages' : 'one cursor' });
      if (engine === 'SQLite') {
        const old = await time(() => streamByOffset(rows));
        results.push({ test: 'stream SQLite', rows: old.result, seconds: old.seconds, 'rows/s': Math.round(old.result / old.seconds), note: 'OFFSET pages (before)' });
      }
    }
    // count of a semijoin: the rows of the parents tagged x, 1 in 100
    for (const n of SIZES) {
      const rows = Child.restrict(sql`p < ${Math.ceil(n / per)}`).restrict(Parent.restrict({ tag: 'x' }));
      const fetched = await time(() => rows.fetch());
      const counted = await time(() => rows.count());
      if (counted.result !== fetched.result.length) throw new Error(`count ${counted.result} ≠ fetched ${fetched.result.length}`);
      const { sql: inner, params } = compileQuery(rows.connection.dialect, rows.node, {}, rows.heading.primaryKey);
      const derived = await time(() => rows.connection.query(`SELECT count(*) AS n FROM (${inner}) AS _count`, params));
      results.push({ test: `semijoin ${engine}`, rows: n, seconds: counted.seconds, 'rows/s': '', note: `count() ${(counted.seconds * 1000).toFixed(1)} ms; fetch of the ${fetched.result.length} rows ${(fetched.seconds * 1000).toFixed(1)} ms; derived-table count (before) ${(derived.seconds * 1000).toFixed(1)} ms` });
    }
    await schema.drop({ force: true });
  }
  await Connection.closeAll();
  return results;
}

/** Runs one measurement in a child process and returns what it prints (JSON). */
function child(task: string, ...args: string[]): Promise<Record<string, number>> {
  return runChild(fileURLToPath(import.meta.url), task, args) as Promise<Record<string, number>>;
}

const MB = 1024 * 1024;
/** Peak RSS in MiB (VmHWM: a child's getrusage maxRSS would carry its parent's size at the fork). */
function peak(): number {
  return (peakRssMb() * 1e6) / MB;
}

async function childTask(task: string, args: string[]): Promise<void> {
  const before = peak();
  if (task === 'insert') {
    const [url, n] = [args[0]!, Number(args[1])];
    const { schema, Parent, Child } = declare(url, 'rgb_insert_scale');
    await schema.drop({ force: true });
    await Parent.insert(Array.from({ length: PARENTS }, (_, p) => ({ p, tag: 'y' })));
    const { seconds } = await time(() => Child.insert(children(n), { chunkSize: 10_000 }));
    const count = await Child.count();
    await schema.drop({ force: true });
    await Connection.closeAll();
    console.log(JSON.stringify({ rows: count, seconds, peakMB: peak(), startMB: before }));
    return;
  }
  const url = new URL(MYSQL_URL);
  if (task === 'fetch-raw') {
    const c = await mysql.createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) });
    const start = peak();
    const { seconds, result } = await time(async () => (await c.query('SELECT p, c, v, w FROM rgb_fetch_scale.child'))[0] as unknown[]);
    console.log(JSON.stringify({ rows: result.length, seconds, peakMB: peak(), startMB: start }));
    await c.end();
    return;
  }
  if (task === 'fetch-ours') {
    const { Child } = declare(MYSQL_URL, 'rgb_fetch_scale');
    await Child.count();
    const start = peak();
    const { seconds, result } = await time(() => Child.fetch());
    console.log(JSON.stringify({ rows: result.length, seconds, peakMB: peak(), startMB: start }));
    await Connection.closeAll();
  }
}

async function memory(): Promise<Result[]> {
  const results: Result[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'rg-bench-insert-'));
  for (const [engine, url] of [['SQLite', `sqlite://${path.join(dir, 'insert.sqlite')}`], ['MariaDB', MYSQL_URL]] as const) {
    const r = await child('insert', url, String(INSERT_ROWS));
    results.push({ test: `insert ${engine}`, rows: r.rows!, seconds: r.seconds!, 'rows/s': Math.round(r.rows! / r.seconds!), note: `peak RSS ${r.peakMB!.toFixed(0)} MB (goal < 300 MB), ${r.startMB!.toFixed(0)} MB before` });
  }
  const { schema } = await fill(MYSQL_URL, 'rgb_fetch_scale', FETCH_ROWS);
  await Connection.closeAll();
  const raw = await child('fetch-raw');
  const ours = await child('fetch-ours');
  const grown = (r: Record<string, number>): number => r.peakMB! - r.startMB!;
  results.push(
    { test: 'fetch MariaDB, raw mysql2', rows: raw.rows!, seconds: raw.seconds!, 'rows/s': Math.round(raw.rows! / raw.seconds!), note: `peak RSS ${raw.peakMB!.toFixed(0)} MB, +${grown(raw).toFixed(0)} MB for the rows` },
    { test: 'fetch MariaDB, rg-schema', rows: ours.rows!, seconds: ours.seconds!, 'rows/s': Math.round(ours.rows! / ours.seconds!), note: `peak RSS ${ours.peakMB!.toFixed(0)} MB, +${grown(ours).toFixed(0)} MB for the rows: ${(ours.peakMB! / raw.peakMB!).toFixed(2)}× raw peak, ${(grown(ours) / grown(raw)).toFixed(2)}× raw growth (goal ≤ 1.2)` },
  );
  await schema.drop({ force: true });
  await Connection.closeAll();
  return results;
}

export async function run(): Promise<Result[]> {
  return [...(await streaming()), ...(await memory())];
}

if (process.argv[2] === '--child') {
  await childTask(process.argv[3]!, process.argv.slice(4));
} else if (import.meta.url === `file://${process.argv[1]}`) {
  printTable('Query paths at scale', await run());
}
