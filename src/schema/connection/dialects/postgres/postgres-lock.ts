import { createHash } from 'node:crypto';
import { RgSchemaError } from '../../../../errors.js';
import type { SqlRunner } from '../../dialect.js';
import { errorCode } from '../../dialect.js';

/** How long a process waits for another one that is declaring the same schema. */
const WAIT_SECONDS = 120;

/** A 64-bit advisory-lock key for a schema (the first 8 bytes of a SHA-256, signed). */
export function creationLockKey(database: string): bigint {
  return createHash('sha256').update(`rg-schema:declare:${database}`).digest().readBigInt64BE(0);
}

/**
 * PostgreSQL's creation lock: one transaction (PostgreSQL's DDL is transactional, so creation is
 * all or nothing) that first takes a transaction-scoped advisory lock on the schema's name; a
 * second process waits for it, up to two minutes.
 *
 * @example
 * ```ts
 * await withPostgresCreationLock(connection, 'rgc', () => createTables());
 * // BEGIN; SET LOCAL lock_timeout = '120s'; SELECT pg_advisory_xact_lock($1); … COMMIT
 * ```
 */
export async function withPostgresCreationLock<T>(runner: SqlRunner, database: string, work: () => Promise<T>): Promise<T> {
  return runner.transaction(async () => {
    await runner.run(`SET LOCAL lock_timeout = '${WAIT_SECONDS}s'`);
    try {
      await runner.query('SELECT pg_advisory_xact_lock(?) AS locked', [creationLockKey(database).toString()]);
    } catch (error) {
      if (errorCode((error as { cause?: unknown }).cause ?? error) !== '55P03') throw error;
      throw new RgSchemaError(`Another process has been declaring tables in ${database} on ${runner.display} for ${WAIT_SECONDS} s; gave up waiting. Try again, or look for a stuck process (SELECT pid, query FROM pg_stat_activity WHERE wait_event_type = 'Lock').`, { cause: error });
    }
    return work();
  });
}
