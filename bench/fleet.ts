/**
 * The fleet worker (`rg-pipeline worker`, src/schema/populate/fleet-worker.ts) over a trivial
 * make(), 500 and 4,000 keys, on SQLite and MariaDB: one worker in this process, `untilDone`, from
 * its start to its stop. What matters is the cost per key as the queue grows: a worker that lists
 * the keys to do for every key it makes pays O(N) per key (O(N²) for the queue), one that takes
 * them by claims pays about the same per key at any N. Printed: keys/s, this process's CPU ms per
 * key, and on MariaDB the server's statements and commits per key (SHOW GLOBAL STATUS deltas of
 * Com_select/insert/update/delete and Handler_commit: run it on a server of its own, as
 * RG_BENCH_MYSQL_URL), the rows it read per key (Rows_read: where listing the whole
 * queue for every key shows) and the transactions that wrote, per key (util.ts countWriteCommits).
 * RG_BENCH_FLEET_KEYS=500,4000 and RG_BENCH_ENGINES=SQLite,MariaDB choose the rounds.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { Connection, runFleetWorker } from '../src/index.js';
import { MYSQL_URL, countWriteCommits, keyedPipeline, printTable } from './util.js';

const SCHEMA = 'rgb_fleet';

function pipeline(connection: string) {
  return keyedPipeline(SCHEMA, connection);
}

async function serverCounters(url: string): Promise<{ statements: number; commits: number; rowsRead: number }> {
  const u = new URL(url);
  const c = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) });
  try {
    const [rows] = await c.query<mysql.RowDataPacket[]>("SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_select', 'Com_insert', 'Com_update', 'Com_delete', 'Handler_commit', 'Rows_read')");
    const v = Object.fromEntries(rows.map((r) => [String(r.Variable_name), Number(r.Value)]));
    return { statements: v.Com_select! + v.Com_insert! + v.Com_update! + v.Com_delete!, commits: v.Handler_commit!, rowsRead: v.Rows_read! };
  } finally {
    await c.end();
  }
}

async function round(engine: string, url: string, keys: number): Promise<Record<string, string | number>> {
  const { schema, Key, Done } = pipeline(url);
  await schema.drop({ force: true });
  await Key.insert(Array.from({ length: keys }, (_, k) => ({ k })));
  await Done.jobs().declare();
  const server = engine === 'MariaDB';
  const before = server ? await serverCounters(url) : undefined;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const { result, commits } = await countWriteCommits(engine, url, () => runFleetWorker({ tables: [Done], untilDone: true, idleMax: 0.5 }));
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const after = server ? await serverCounters(url) : undefined;
  if (result.keys !== keys || (await Done.count()) !== keys) throw new Error(`${engine}: ${result.keys} of ${keys} keys made`);
  const per = (n: number): string => (n / keys).toFixed(2);
  const row = {
    engine, keys, seconds, 'keys/s': Math.round(keys / seconds),
    'CPU ms/key': ((used.user + used.system) / 1000 / keys).toFixed(2),
    'statements/key': before && after ? per(after.statements - before.statements) : '',
    'commits/key': before && after ? per(after.commits - before.commits) : '',
    'rows read/key': before && after ? per(after.rowsRead - before.rowsRead) : '',
    'write commits/key': commits === undefined ? '' : per(commits),
  };
  await schema.drop({ force: true });
  await Connection.closeAll();
  return row;
}

export async function run(): Promise<Array<Record<string, string | number>>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rg-bench-fleet-'));
  const only = process.env.RG_BENCH_ENGINES?.split(',');
  const sizes = process.env.RG_BENCH_FLEET_KEYS?.split(',').map(Number) ?? [500, 4000];
  const engines = ([['SQLite', `sqlite://${path.join(dir, 'fleet.sqlite')}`], ['MariaDB', MYSQL_URL]] as const).filter(([e]) => !only || only.includes(e));
  const rows: Array<Record<string, string | number>> = [];
  for (const [engine, url] of engines) {
    for (const keys of sizes) rows.push(await round(engine, url, keys));
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printTable('fleet: one fleet worker until done over a trivial make (per-key cost should not grow with the queue)', await run());
}
