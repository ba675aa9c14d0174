import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import mysql from 'mysql2/promise';

/**
 * The databases DataJoint for Python wrote (test/fixtures/datajoint/, copied byte for byte from
 * shared/reference/datajoint/ and gzipped): MariaDB dumps, the definitions they were declared
 * with, and the values DataJoint read back.
 */
export type Generation = 'dj014' | 'dj23';

const FIXTURES = new URL('../fixtures/datajoint/', import.meta.url);
const MYSQL_URL = process.env.RG_TEST_MYSQL_URL ?? 'mysql://root:@127.0.0.1:3306';

export function fixtureText(file: string): string {
  const bytes = readFileSync(new URL(file, FIXTURES));
  return (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** definitions.json: `{ dj014 | dj23: { ClassName | Master.Part: [tier, definition] } }`. */
export function fixtureDefinitions(generation: Generation): Record<string, [string, string]> {
  return (JSON.parse(fixtureText('definitions.json')) as Record<Generation, Record<string, [string, string]>>)[generation];
}

/** The database name a dump was made under; its `~lineage` rows name it. */
export const fixtureDatabase = (generation: Generation): string => `${generation}_fixture`;

export interface LoadedFixture {
  readonly database: string;
  /** Releases the lock that keeps other test files from reloading the same database meanwhile. */
  release(): Promise<void>;
}

function connectionOptions(): mysql.ConnectionOptions {
  const url = new URL(MYSQL_URL);
  return {
    host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password), multipleStatements: true,
  };
}

/**
 * Loads a dump into a fresh database (by default under the name it was made with), in process
 * with mysql2. Test files that load the same name wait for each other: the loader holds a named
 * server lock (GET_LOCK) until release().
 *
 * @example
 * ```ts
 * const fixture = await loadFixture('dj23');   // database dj23_fixture
 * afterAll(() => fixture.release());
 * ```
 */
export async function loadFixture(generation: Generation, database = fixtureDatabase(generation)): Promise<LoadedFixture> {
  const holder = await mysql.createConnection(connectionOptions());
  const [lock] = await holder.query<mysql.RowDataPacket[]>('SELECT GET_LOCK(?, 600) AS got', [`rg-fixture:${database}`]);
  if (Number(lock[0]?.got) !== 1) throw new Error(`Could not lock the fixture database ${database} within 10 minutes.`);
  try {
    await loadDump(holder, database, fixtureText(`${generation}.sql.gz`));
  } catch (error) {
    await holder.end();
    throw error;
  }
  return {
    database,
    async release() {
      await holder.query('SELECT RELEASE_LOCK(?)', [`rg-fixture:${database}`]).catch(() => undefined);
      await holder.end();
    },
  };
}

/** Replaces `database` with the dump's tables and rows. */
export async function loadDump(connection: mysql.Connection, database: string, dump: string): Promise<void> {
  const q = (name: string): string => `\`${name.replace(/`/g, '``')}\``;
  // mariadb-dump's first line switches the mysql client to sandbox mode; the server needs none of it.
  const statements = dump.replace(/^\/\*M!999999\\- enable the sandbox mode \*\/\s*$/m, '');
  await connection.query(`DROP DATABASE IF EXISTS ${q(database)}; CREATE DATABASE ${q(database)}`);
  await connection.changeUser({ database });
  await connection.query(statements);
}

/** Creates an empty database (dropping what was there). */
export async function freshDatabase(database: string): Promise<void> {
  const c = await mysql.createConnection(connectionOptions());
  try {
    await c.query(`DROP DATABASE IF EXISTS \`${database}\`; CREATE DATABASE \`${database}\``);
  } finally {
    await c.end();
  }
}

/** A short-lived root connection for inspecting what was written (information_schema, SHOW CREATE TABLE). */
export async function inspect<T>(work: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const c = await mysql.createConnection(connectionOptions());
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

/** The MySQL URL tests connect rg-schema to. */
export const mysqlUrl = MYSQL_URL;
