import { createHash } from 'node:crypto';
import { RgSchemaError } from '../../../../errors.js';
import type { SqlRunner } from '../../dialect.js';

/** How long a process waits for another one that is declaring the same schema. */
export const CREATION_WAIT_SECONDS = 120;

/** MySQL lock names are at most 64 characters; long database names are hashed. */
function lockName(database: string): string {
  const name = `rg-schema:declare:${database}`;
  return name.length <= 64 ? name : `rg-schema:declare:${createHash('sha256').update(database).digest('hex').slice(0, 40)}`;
}

/**
 * MySQL/MariaDB's creation lock: `GET_LOCK` on one pinned connection (DDL commits implicitly, so a
 * transaction cannot serialise it).
 *
 * @example
 * ```ts
 * await withMysqlCreationLock(connection, 'rgc', () => createTables());
 * // SELECT GET_LOCK('rg-schema:declare:rgc', 120) … SELECT RELEASE_LOCK('rg-schema:declare:rgc')
 * ```
 */
export async function withMysqlCreationLock<T>(connection: SqlRunner, database: string, work: () => Promise<T>): Promise<T> {
  const name = lockName(database);
  return connection.session(async () => {
    const [row] = await connection.query<{ got: unknown }>('SELECT GET_LOCK(?, ?) AS got', [name, CREATION_WAIT_SECONDS]);
    if (Number(row?.got) !== 1) {
      throw new RgSchemaError(`Another process has been declaring tables in ${database} on ${connection.display} for ${CREATION_WAIT_SECONDS} s; gave up waiting. Try again, or look for a stuck process (SELECT IS_USED_LOCK('${name}')).`);
    }
    try {
      return await work();
    } finally {
      await connection.query('SELECT RELEASE_LOCK(?) AS released', [name]).catch(() => undefined);
    }
  });
}
