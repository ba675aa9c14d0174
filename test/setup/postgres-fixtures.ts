import pg from 'pg';
import { fixtureText } from './datajoint-fixtures.js';

/**
 * The PostgreSQL database DataJoint 2.3 wrote (test/fixtures/datajoint/dj23-postgres.sql.gz, a
 * pg_dump of schema dj23_fixture, copied byte for byte from shared/reference/datajoint/ and
 * gzipped), loaded in process with pg.
 */
export const PG_URL = process.env.RG_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The schema the dump was made under (its `~lineage` rows name it). */
export const PG_FIXTURE_SCHEMA = 'dj23_fixture';

/** A value of pg_dump's COPY text format: `\N` is NULL, backslash escapes as PostgreSQL writes them. */
function copyField(text: string): string | null {
  if (text === '\\N') return null;
  return text.replace(/\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|(.))/g, (_all, octal: string | undefined, hex: string | undefined, c: string | undefined) => {
    if (octal !== undefined) return String.fromCharCode(parseInt(octal, 8));
    if (hex !== undefined) return String.fromCharCode(parseInt(hex, 16));
    return ({ b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' } as Record<string, string>)[c!] ?? c!;
  });
}

/**
 * Runs a pg_dump script: its SQL as it is (psql's backslash commands left out), each COPY … FROM
 * stdin block as INSERTs whose values are the block's fields, bound as text.
 */
export async function runDump(client: pg.Client, dump: string): Promise<void> {
  const lines = dump.split('\n');
  let sql: string[] = [];
  const flush = async (): Promise<void> => {
    const text = sql.join('\n').trim();
    sql = [];
    if (text !== '') await client.query(text);
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const copy = /^COPY (\S+) \((.*)\) FROM stdin;$/.exec(line);
    if (copy) {
      await flush();
      const columns = copy[2]!.split(', ');
      const insert = `INSERT INTO ${copy[1]} (${copy[2]}) VALUES (${columns.map((_, k) => `$${k + 1}`).join(', ')})`;
      for (i++; lines[i] !== '\\.'; i++) await client.query(insert, lines[i]!.split('\t').map(copyField));
    } else if (!line.startsWith('\\') && !line.startsWith('--')) {
      sql.push(line);
    }
  }
  await flush();
}

/** A loaded fixture; other test files that load it wait until release(). */
export interface LoadedPostgresFixture {
  readonly schema: string;
  release(): Promise<void>;
}

/**
 * Loads dj23-postgres.sql into a fresh schema dj23_fixture of the test database. The loader holds
 * a session advisory lock until release(), so test files loading it at once take turns.
 *
 * @example
 * ```ts
 * const fixture = await loadPostgresFixture();
 * afterAll(() => fixture.release());
 * ```
 */
export async function loadPostgresFixture(): Promise<LoadedPostgresFixture> {
  const holder = new pg.Client({ connectionString: PG_URL });
  await holder.connect();
  try {
    await holder.query("SELECT pg_advisory_lock(hashtext('rg-fixture:dj23_fixture'))");
    await holder.query(`DROP SCHEMA IF EXISTS ${PG_FIXTURE_SCHEMA} CASCADE`);
    await runDump(holder, fixtureText('dj23-postgres.sql.gz'));
    await holder.query("SELECT pg_catalog.set_config('search_path', 'public', false)");
  } catch (error) {
    await holder.end();
    throw error;
  }
  return {
    schema: PG_FIXTURE_SCHEMA,
    async release() {
      await holder.query("SELECT pg_advisory_unlock(hashtext('rg-fixture:dj23_fixture'))").catch(() => undefined);
      await holder.end();
    },
  };
}

/** A short-lived connection for inspecting what was written (pg_catalog). */
export async function inspectPostgres<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
