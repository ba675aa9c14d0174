/**
 * Issues 5 and 17: populate() throughput, like for like with DataJoint's own benchmark: make()
 * fetches its parent row and inserts one row. On SQLite, MariaDB and PostgreSQL, with and without
 * reserveJobs (batch 1, 4 and the default), one key a transaction (as DataJoint) and keys sharing
 * transactions (the default), serial and with `concurrency` 8 on the servers, with the commits
 * each key costs (MariaDB Handler_commit, PostgreSQL xact_commit deltas, which count read-only
 * statements too) and the transactions that wrote per key (util.ts countWriteCommits). DataJoint for Python 0.14
 * on this machine's MariaDB (measured when this bench was written, commit c2d63b0; DataJoint is not
 * installable here now): ~965 keys/s without jobs, ~563 keys/s with them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { Computed, Connection, Manual, Schema } from '../src/index.js';
import { MYSQL_URL, PG_URL, printTable, time, countWriteCommits } from './util.js';

const KEYS = 2000;

function pipeline(connection: string, name: string) {
  const schema = new Schema(name, { connection });
  @schema class Key extends Manual<{ k: number }> {
    static override definition = 'k: int';
  }
  @schema class Done extends Computed<{ k: number; v: number }> {
    static override definition = '-> Key\n---\nv: int';
    async make(key: Record<string, unknown>): Promise<void> {
      const parent = await Key.restrict(key as never).fetch1();
      await this.insert1({ k: parent.k, v: 1 });
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

/**
 * The like-for-like floor: what any per-key transaction that fetches its parent row and inserts
 * costs on this server through raw mysql2 (BEGIN, SELECT, INSERT, COMMIT), with nothing else.
 * populate() cannot beat it serially without giving up a transaction per key.
 */
async function serialFloorWithFetch(perTransaction = 1): Promise<Record<string, string | number>> {
  const url = new URL(MYSQL_URL);
  const c = await mysql.createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) });
  await c.query('CREATE DATABASE IF NOT EXISTS rgb_floor');
  await c.query('CREATE TABLE IF NOT EXISTS rgb_floor.p (k int PRIMARY KEY) ENGINE=InnoDB');
  await c.query('CREATE TABLE IF NOT EXISTS rgb_floor.t (k int PRIMARY KEY, v int, FOREIGN KEY (k) REFERENCES rgb_floor.p (k)) ENGINE=InnoDB');
  await c.query(`INSERT INTO rgb_floor.p VALUES ${Array.from({ length: KEYS }, (_, k) => `(${k})`).join(',')}`);
  const { seconds } = await time(async () => {
    for (let k = 0; k < KEYS; k++) {
      if (k % perTransaction === 0) await c.query('BEGIN');
      const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT k FROM rgb_floor.p WHERE k = ?', [k]);
      await c.query('INSERT INTO rgb_floor.t VALUES (?, 1)', [rows[0]!.k]);
      if (k % perTransaction === perTransaction - 1 || k === KEYS - 1) await c.query('COMMIT');
    }
  });
  await c.query('DROP DATABASE rgb_floor');
  await c.end();
  return {
    engine: `MariaDB, raw mysql2 with the fetch (floor${perTransaction > 1 ? `, ${perTransaction} keys a transaction` : ''})`, reserveJobs: 'false', concurrency: 1,
    'keys/s': Math.round(KEYS / seconds), 'ms per key': (seconds * 1000) / KEYS, 'vs DataJoint 0.14': KEYS / seconds / 965, 'keys/transaction': perTransaction,
  };
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

/** Commits the server has made so far (MariaDB Handler_commit, PostgreSQL xact_commit); undefined on SQLite. */
async function commits(engine: string): Promise<number | undefined> {
  if (engine === 'MariaDB') {
    const url = new URL(MYSQL_URL);
    const c = await mysql.createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) });
    const [rows] = await c.query<mysql.RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Handler_commit'");
    await c.end();
    return Number(rows[0]!.Value);
  }
  if (engine === 'PostgreSQL') {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    const { rows } = await c.query<{ x: string }>('SELECT xact_commit AS x FROM pg_stat_database WHERE datname = current_database()');
    await c.end();
    return Number(rows[0]!.x);
  }
  return undefined;
}

async function measure(engine: string, url: string, keys: number, reserveJobs: boolean, concurrency: number, batch: number, keysPerTransaction: number): Promise<Record<string, string | number>> {
  const { schema, Key, Done } = pipeline(url, 'rgb_populate');
  await schema.drop({ force: true });
  await Key.insert(Array.from({ length: keys }, (_, k) => ({ k })));
  if (reserveJobs) await Done.jobs().declare();
  const before = await commits(engine);
  const options = { reserveJobs, concurrency, ...(batch > 0 ? { batch } : {}), ...(keysPerTransaction > 0 ? { keysPerTransaction } : {}) };
  const { result: { seconds, result }, commits: written } = await countWriteCommits(engine, url, () => time(() => Done.populate(options)));
  const after = await commits(engine);
  if (result.successCount !== keys) throw new Error(`populated ${result.successCount} of ${keys}`);
  await schema.drop({ force: true });
  return {
    engine: keys === KEYS ? engine : `${engine}, ${keys} keys`, reserveJobs: String(reserveJobs), concurrency, 'keys/s': Math.round(keys / seconds), 'ms per key': (seconds * 1000) / keys,
    'vs DataJoint 0.14': keys / seconds / (reserveJobs ? 563 : 965), batch: reserveJobs ? (batch > 0 ? batch : 'auto') : '',
    'keys/transaction': keysPerTransaction > 0 ? keysPerTransaction : 'auto',
    'commits/key': before === undefined || after === undefined ? '' : ((after - before) / keys).toFixed(2),
    'write commits/key': written === undefined ? '' : (written / keys).toFixed(2),
  };
}

export async function run(): Promise<Array<Record<string, string | number>>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rg-bench-'));
  const rows: Array<Record<string, string | number>> = [];
  const floor = (r: Record<string, string | number>): Record<string, string | number> => ({ ...r, batch: '', 'keys/transaction': r['keys/transaction'] ?? 1, 'commits/key': '', 'write commits/key': '' });
  rows.push(floor(await serialFloor()));
  rows.push(floor(await serialFloorWithFetch()));
  rows.push(floor(await serialFloorWithFetch(32)));
  rows.push(floor(await postgresFloor()));
  for (const [engine, url] of [['SQLite', `sqlite://${path.join(dir, 'p.sqlite')}`], ['MariaDB', MYSQL_URL], ['PostgreSQL', PG_URL]] as const) {
    const concurrencies = engine === 'SQLite' ? [1] : [1, 8];
    // [reserveJobs, concurrency, batch (0: the default, sized by make time), keysPerTransaction (0: the default)]:
    // keysPerTransaction 1 commits every key on its own, as DataJoint does.
    const variants: Array<[boolean, number, number, number]> = concurrencies.flatMap((c) => [
      [false, c, 0, 1], [false, c, 0, 0], [true, c, 1, 1], [true, c, 4, 1], [true, c, 0, 0],
    ] as Array<[boolean, number, number, number]>);
    for (const [reserveJobs, concurrency, batch, keysPerTransaction] of variants) rows.push(await measure(engine, url, KEYS, reserveJobs, concurrency, batch, keysPerTransaction));
    // The same make at ten times the keys: Node's JIT has warmed up, as it has in a long populate.
    if (engine === 'MariaDB') rows.push(await measure(engine, url, 10 * KEYS, false, 1, 0, 0));
  }
  await Connection.closeAll();
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) printTable(`populate() with a make that fetches its parent and inserts, ${KEYS} keys (goal: ≥ 3× DataJoint 0.14)`, await run());
