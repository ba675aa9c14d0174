import type { Connection } from '../connection/connection.js';

/**
 * Runs a schema's table creation with every other process that declares the same database held
 * off, so that the catalog `work` reads is the one it changes: two processes opening a new schema
 * at once then both succeed, the second finding the first one's tables. MySQL/MariaDB: `GET_LOCK`
 * on one pinned connection (DDL commits implicitly). PostgreSQL: one transaction holding an
 * advisory lock (its DDL is transactional, so creation is all or nothing). SQLite: one
 * `BEGIN IMMEDIATE` transaction, which SQLite's DDL joins.
 *
 * @example
 * ```ts
 * await withCreationLock(connection, 'rgc', () => createTables());
 * // MySQL: SELECT GET_LOCK('rg-schema:declare:rgc', 120) … SELECT RELEASE_LOCK('rg-schema:declare:rgc')
 * ```
 */
export async function withCreationLock<T>(connection: Connection, database: string, work: () => Promise<T>): Promise<T> {
  return connection.dialect.withCreationLock(connection, database, work);
}
