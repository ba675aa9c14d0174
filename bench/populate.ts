/**
 * Issue 5: populate() throughput with a trivial make(), on SQLite, MariaDB and PostgreSQL, with
 * and without reserveJobs, serial and with `concurrency` on the servers. DataJoint for Python 0.14 on this machine's MariaDB: ~965 keys/s without jobs,
 * ~563 keys/s with them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { Computed, Connection, Manual, Schema } from '../src/index.js';
import { MYSQL_URL, PG_URL, printTable, time } from './util.js';

const KEYS = 2000;

function pipeline(connection: string, name: string) {
  const schema = new Schema(name, { connection });
  @schema class Key extends Manual<{ k: number }> {
    static override definition = 'k: int';
  }
  @schema class Done extends Computed<{ k: number; v: number }> {
    static override definition = '-> Key\n---\nv: int';
    async make(key: Record<string, unknown>): Promise<void> {
      await this.insert1({ k: key.k as number, v: 1 });
    }
  }
  return { schema, Key, Done };
}

/** The fastest a serial per-key transaction can go on this server: raw mysql2 BEGIN/INSERT/COMMIT. */
async function serialFloor(): Promise<Record<string, string | number>> {
  const url = new URL(MYSQL_URL);
  const c = await mysql.createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) });
  await c.query('CREATE DATABASE IF NOT EXISTS rgb_floor');
  await c.query('CREATE TABLE IF NOT EXISTS rgb_floor.t (k int PRIMARY KEY, v int) ENGINE=InnoDB');
  const { seconds } = await time(async () => {
    for (let k = 0; k < KEYS; k++) {
      await c.query('BEGIN');
      await c.query('INSERT INTO rgb_floor.t VALUES (?, 1)', [k]);
      await c.query('COMMIT');
    }
  });
  await c.query('DROP DATABASE rgb_floor');
  await c.end();
  return { engine: 'MariaDB, raw mysql2 (floor)', reserveJobs: 'false', concurrency: 1, 'keys/s': Math.round(KEYS / seconds), 'ms per key': (seconds * 1000) / KEYS, 'vs DataJoint 0.14': KEYS / seconds / 965 };
}

/** The same floor on PostgreSQL: raw pg BEGIN/INSERT/COMMIT per key. */
async function postgresFloor(): Promise<Record<string, string | number>> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query('DROP SCHEMA IF EXISTS rgb_floor CASCADE');
  await c.query('CREATE SCHEMA rgb_floor');
  await c.query('CREATE TABLE rgb_floor.t (k integer PRIMARY KEY, v integer)');
  const { seconds } = await time(async () => {
    for (let k = 0; k < KEYS; k++) {
      await c.query('BEGIN');
      await c.query('INSERT INTO rgb_floor.t VALUES ($1, 1)', [k]);
      await c.query('COMMIT');
    }
  });
  await c.query('DROP SCHEMA rgb_floor CASCADE');
  await c.end();
  return { engine: 'PostgreSQL, raw pg (floor)', reserveJobs: 'false', concurrency: 1, 'keys/s': Math.round(KEYS / seconds), 'ms per key': (seconds * 1000) / KEYS, 'vs DataJoint 0.14': '' };
}

export async function run(): Promise<Array<Record<string, string | number>>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rg-bench-'));
  const rows: Array<Record<string, string | number>> = [];
  rows.push(await serialFloor());
  rows.push(await postgresFloor());
  for (const [engine, url] of [['SQLite', `sqlite://${path.join(dir, 'p.sqlite')}`], ['MariaDB', MYSQL_URL], ['PostgreSQL', PG_URL]] as const) {
    const variants = engine === 'SQLite' ? [[false, 1], [true, 1]] : [[false, 1], [true, 1], [false, 8], [true, 8]];
    for (const [reserveJobs, concurrency] of variants as Array<[boolean, number]>) {
      const { schema, Key, Done } = pipeline(url, 'rgb_populate');
      await schema.drop({ force: true });
      await Key.insert(Array.from({ length: KEYS }, (_, k) => ({ k })));
      const { seconds, result } = await time(() => Done.populate({ reserveJobs, concurrency }));
      if (result.successCount !== KEYS) throw new Error(`populated ${result.successCount} of ${KEYS}`);
      rows.push({ engine, reserveJobs: String(reserveJobs), concurrency, 'keys/s': Math.round(KEYS / seconds), 'ms per key': (seconds * 1000) / KEYS, 'vs DataJoint 0.14': KEYS / seconds / (reserveJobs ? 563 : 965) });
      await schema.drop({ force: true });
    }
  }
  await Connection.closeAll();
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) printTable(`populate() with a trivial make, ${KEYS} keys (goal: ≥ 3× DataJoint 0.14)`, await run());
