import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';

/** A database the shared test bodies run on. */
export interface TestDialect {
  readonly name: 'sqlite' | 'mysql' | 'postgres';
  /** A fresh connection URL for one test file. */
  url(file: string): string;
}

const MYSQL_URL = process.env.RG_TEST_MYSQL_URL ?? 'mysql://root:@127.0.0.1:3306';
const REQUIRE_MYSQL = process.env.RG_TEST_REQUIRE_MYSQL === '1';
const PG_URL = process.env.RG_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REQUIRE_PG = process.env.RG_TEST_REQUIRE_PG === '1';

async function mysqlAnswers(): Promise<boolean> {
  const url = new URL(MYSQL_URL);
  try {
    const c = await mysql.createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), connectTimeout: 3000 });
    await c.end();
    return true;
  } catch (error) {
    if (REQUIRE_MYSQL) throw new Error(`RG_TEST_REQUIRE_MYSQL=1 but MariaDB at ${url.host} does not answer: ${(error as Error).message}`);
    return false;
  }
}

async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch (error) {
    await client.end().catch(() => undefined);
    if (REQUIRE_PG) throw new Error(`RG_TEST_REQUIRE_PG=1 but PostgreSQL at ${new URL(PG_URL).host} does not answer: ${(error as Error).message}`);
    return false;
  }
}

const sqlite: TestDialect = {
  name: 'sqlite',
  url: (file) => `sqlite://${path.join(mkdtempSync(path.join(tmpdir(), 'rg-test-')), `${file}.sqlite`)}`,
};
const mariadb: TestDialect = { name: 'mysql', url: () => MYSQL_URL };
const postgres: TestDialect = { name: 'postgres', url: () => PG_URL };

const [hasMysql, hasPostgres] = await Promise.all([mysqlAnswers(), postgresAnswers()]);

/**
 * SQLite always; MariaDB and PostgreSQL when they answer (and always when RG_TEST_REQUIRE_MYSQL=1
 * or RG_TEST_REQUIRE_PG=1).
 */
export const dialects: TestDialect[] = [sqlite, ...(hasMysql ? [mariadb] : []), ...(hasPostgres ? [postgres] : [])];

/** The server dialects configured (MariaDB, PostgreSQL): the tests that need a shared server run on each. */
export const servers: TestDialect[] = dialects.filter((d) => d.name !== 'sqlite');

/** A schema name unique to a test file and dialect, so files can run in parallel. */
export function schemaName(file: string): string {
  return `rgt_${file.replace(/[^a-z0-9]/gi, '_').toLowerCase()}`;
}
