/**
 * Issue 3: bulk insert and fetch of 100,000 small rows through rg-schema, next to the raw driver
 * doing the same work in the same run (mysql2 multi-row INSERT / SELECT, pg multi-row INSERT with
 * bound parameters / SELECT, better-sqlite3 prepared statements in a transaction).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { Connection, Manual, Schema } from '../src/index.js';
import { installExactDoubles } from '../src/schema/connection/exact-doubles.js';
import { best, MYSQL_URL, PG_URL, printTable } from './util.js';

const N = 100_000;
const rows = Array.from({ length: N }, (_, i) => ({ id: i, name: `neuron-${i}`, value: i * 0.5, flag: i % 3 }));

function declare(connection: string, name: string) {
  const schema = new Schema(name, { connection });
  @schema class Row extends Manual<{ id: number; name: string; value: number; flag: number }> {
    static override definition = 'id: int\n---\nname: varchar(32)\nvalue: double\nflag: tinyint';
  }
  return { schema, Row };
}

export async function run(): Promise<Array<Record<string, string | number>>> {
  const results: Array<Record<string, string | number>> = [];
  // MariaDB
  const { schema, Row } = declare(MYSQL_URL, 'rgb_insert');
  const url = new URL(MYSQL_URL);
  const raw = await mysql.createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) });
  const ours = await best(3, async () => {
    await schema.drop({ force: true });
    await schema.activate();
    await Row.insert(rows);
  });
  const rawInsert = await best(3, async () => {
    await raw.query('DROP DATABASE IF EXISTS rgb_raw');
    await raw.query('CREATE DATABASE rgb_raw');
    await raw.query('CREATE TABLE rgb_raw.row (id int NOT NULL, name varchar(32) NOT NULL, value double NOT NULL, flag tinyint NOT NULL, PRIMARY KEY (id)) ENGINE=InnoDB');
    await raw.beginTransaction();
    for (let i = 0; i < N; i += 1000) {
      await raw.query('INSERT INTO rgb_raw.row (id, name, value, flag) VALUES ?', [rows.slice(i, i + 1000).map((r) => [r.id, r.name, r.value, r.flag])]);
    }
    await raw.commit();
  });
  const oursFetch = await best(3, async () => {
    if ((await Row.fetch()).length !== N) throw new Error('fetch lost rows');
  });
  const rawFetch = await best(3, async () => {
    const [got] = await raw.query('SELECT id, name, value, flag FROM rgb_raw.row');
    if ((got as unknown[]).length !== N) throw new Error('raw fetch lost rows');
  });
  await raw.query('DROP DATABASE IF EXISTS rgb_raw');
  await raw.end();
  // Full-precision doubles (spike times in s): mysql2's own text parser against the exact one.
  let seed = 9;
  const times = rows.map((r) => ({ ...r, value: ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 3000 }));
  await Row.deleteQuick();
  await Row.insert(times);
  // Interleaved, best of 4 each, so that neither parser gets the warmer machine.
  let stockFetch = Number.POSITIVE_INFINITY;
  let exactFetch = Number.POSITIVE_INFINITY;
  let stockWrong = 0;
  let exactWrong = 0;
  for (let round = 0; round < 4; round++) {
    for (const exact of round % 2 === 0 ? [false, true] : [true, false]) {
      const restore = installExactDoubles();
      if (!exact) restore();
      const seconds = await best(1, async () => {
        const got = await Row.fetch();
        const wrong = got.filter((r) => !Object.is(r.value, times[r.id]!.value)).length;
        if (exact) exactWrong = wrong;
        else stockWrong = wrong;
      });
      if (exact) exactFetch = Math.min(exactFetch, seconds);
      else stockFetch = Math.min(stockFetch, seconds);
      installExactDoubles();
    }
  }
  await schema.drop({ force: true });
  results.push(
    { engine: 'MariaDB', operation: 'insert 100k', 'rg-schema rows/s': Math.round(N / ours), 'raw driver rows/s': Math.round(N / rawInsert), ratio: rawInsert / ours },
    { engine: 'MariaDB', operation: 'fetch 100k', 'rg-schema rows/s': Math.round(N / oursFetch), 'raw driver rows/s': Math.round(N / rawFetch), ratio: rawFetch / oursFetch },
    { engine: 'MariaDB', operation: `fetch 100k doubles, exact parser (${exactWrong} wrong)`, 'rg-schema rows/s': Math.round(N / exactFetch), 'raw driver rows/s': '', ratio: '' },
    { engine: 'MariaDB', operation: `fetch 100k doubles, mysql2's parser (${stockWrong} wrong)`, 'rg-schema rows/s': Math.round(N / stockFetch), 'raw driver rows/s': '', ratio: '' },
  );
  results.push(...(await postgres()));
  // SQLite
  const dir = mkdtempSync(path.join(tmpdir(), 'rg-bench-'));
  const lite = declare(`sqlite://${path.join(dir, 'ours.sqlite')}`, 'rgb_insert');
  const liteInsert = await best(3, async () => {
    await lite.schema.drop({ force: true });
    await lite.schema.activate();
    await lite.Row.insert(rows);
  });
  const db = new Database(path.join(dir, 'raw.sqlite'));
  db.pragma('journal_mode = WAL');
  const rawLiteInsert = await best(3, async () => {
    db.exec('DROP TABLE IF EXISTS row; CREATE TABLE row (id INTEGER NOT NULL, name TEXT NOT NULL, value REAL NOT NULL, flag INTEGER NOT NULL, PRIMARY KEY (id))');
    const statement = db.prepare('INSERT INTO row (id, name, value, flag) VALUES (?, ?, ?, ?)');
    db.transaction(() => {
      for (const r of rows) statement.run(r.id, r.name, r.value, r.flag);
    })();
  });
  const liteFetch = await best(3, async () => {
    if ((await lite.Row.fetch()).length !== N) throw new Error('fetch lost rows');
  });
  const rawLiteFetch = await best(3, async () => {
    if (db.prepare('SELECT id, name, value, flag FROM row').all().length !== N) throw new Error('raw fetch lost rows');
  });
  db.close();
  results.push(
    { engine: 'SQLite', operation: 'insert 100k', 'rg-schema rows/s': Math.round(N / liteInsert), 'raw driver rows/s': Math.round(N / rawLiteInsert), ratio: rawLiteInsert / liteInsert },
    { engine: 'SQLite', operation: 'fetch 100k', 'rg-schema rows/s': Math.round(N / liteFetch), 'raw driver rows/s': Math.round(N / rawLiteFetch), ratio: rawLiteFetch / liteFetch },
  );
  await Connection.closeAll();
  return results;
}

/**
 * PostgreSQL: rg-schema next to raw pg doing the same work (multi-row INSERTs of 1,000 rows with
 * bound parameters in one transaction; one SELECT), each in its own schema.
 */
async function postgres(): Promise<Array<Record<string, string | number>>> {
  const { schema, Row } = declare(PG_URL, 'rgb_insert');
  const raw = new pg.Client({ connectionString: PG_URL });
  await raw.connect();
  const ours = await best(3, async () => {
    await schema.drop({ force: true });
    await schema.activate();
    await Row.insert(rows);
  });
  const rawInsert = await best(3, async () => {
    await raw.query('DROP SCHEMA IF EXISTS rgb_raw CASCADE');
    await raw.query('CREATE SCHEMA rgb_raw');
    await raw.query('CREATE TABLE rgb_raw.row (id integer NOT NULL, name varchar(32) NOT NULL, value double precision NOT NULL, flag smallint NOT NULL, PRIMARY KEY (id))');
    await raw.query('BEGIN');
    for (let i = 0; i < N; i += 1000) {
      const batch = rows.slice(i, i + 1000);
      await raw.query(`INSERT INTO rgb_raw.row (id, name, value, flag) VALUES ${batch.map((_, j) => `($${4 * j + 1}, $${4 * j + 2}, $${4 * j + 3}, $${4 * j + 4})`).join(', ')}`,
        batch.flatMap((r) => [r.id, r.name, r.value, r.flag]));
    }
    await raw.query('COMMIT');
  });
  const oursFetch = await best(3, async () => {
    if ((await Row.fetch()).length !== N) throw new Error('fetch lost rows');
  });
  const rawFetch = await best(3, async () => {
    if ((await raw.query('SELECT id, name, value, flag FROM rgb_raw.row')).rows.length !== N) throw new Error('raw fetch lost rows');
  });
  await raw.query('DROP SCHEMA IF EXISTS rgb_raw CASCADE');
  await raw.end();
  await schema.drop({ force: true });
  return [
    { engine: 'PostgreSQL', operation: 'insert 100k', 'rg-schema rows/s': Math.round(N / ours), 'raw driver rows/s': Math.round(N / rawInsert), ratio: rawInsert / ours },
    { engine: 'PostgreSQL', operation: 'fetch 100k', 'rg-schema rows/s': Math.round(N / oursFetch), 'raw driver rows/s': Math.round(N / rawFetch), ratio: rawFetch / oursFetch },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) printTable('Insert and fetch, 100,000 small rows', await run());
