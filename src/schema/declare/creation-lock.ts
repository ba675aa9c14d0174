import { createHash } from 'node:crypto';
import { RgSchemaError } from '../../errors.js';
import type { Connection } from '../connection/connection.js';

/** How long a process waits for another one that is declaring the same schema. */
const WAIT_SECONDS = 120;

/** MySQL lock names are at most 64 characters; long database names are hashed. */
function lockName(database: string): string {
  const name = `rg-schema:declare:${database}`;
  return name.length <= 64 ? name : `rg-schema:declare:${createHash('sha256').update(database).digest('hex').slice(0, 40)}`;
}

/**
 * Runs a schema's table creation with every other process that declares the same database held
 * off, so that the catalog `work` reads is the one it changes: two processes opening a new schema
 * at once then both succeed, the second finding the first one's tables. MySQL/MariaDB:
 * `GET_LOCK` on one pinned connection (DDL commits implicitly, so a transaction cannot serialise
 * it). SQLite: one `BEGIN IMMEDIATE` transaction around the whole creation, which SQLite's DDL
 * joins, so creation is also all or nothing.
 *
 * @example
 * ```ts
 * await withCreationLock(connection, 'rgc', () => createTables());
 * // MySQL: SELECT GET_LOCK('rg-schema:declare:rgc', 120) … SELECT RELEASE_LOCK('rg-schema:declare:rgc')
 * ```
 */
export async function withCreationLock<T>(connection: Connection, database: string, work: () => Promise<T>): Promise<T> {
  if (connection.dialect.name !== 'mysql') return connection.transaction(work);
  const name = lockName(database);
  return connection.session(async () => {
    const [row] = await connection.query<{ got: unknown }>('SELECT GET_LOCK(?, ?) AS got', [name, WAIT_SECONDS]);
    if (Number(row?.got) !== 1) {
      throw new RgSchemaError(`Another process has been declaring tables in ${database} on ${connection.display} for ${WAIT_SECONDS} s; gave up waiting. Try again, or look for a stuck process (SELECT IS_USED_LOCK('${name}')).`);
    }
    try {
      return await work();
    } finally {
      await connection.query('SELECT RELEASE_LOCK(?) AS released', [name]).catch(() => undefined);
    }
  });
}
