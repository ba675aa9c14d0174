import type { Connection } from '../connection/connection.js';
import type { CatalogTable } from '../connection/table-declaration.js';

export type { CatalogAttribute, CatalogForeignKey, CatalogTable } from '../connection/table-declaration.js';

/**
 * Reads every table of a database (DataJoint's hidden `~` tables excluded), in name order, from the
 * dialect's catalog: information_schema on MySQL, pg_catalog on PostgreSQL, `~rg_meta` on SQLite.
 *
 * @example
 * ```ts
 * const [subject] = await readCatalog(connection, 'lab', 'subject');
 * subject.attributes[0];  // { name: 'subject_id', typeText: 'int32', inKey: true, … }
 * ```
 */
export async function readCatalog(connection: Connection, database: string, only?: string): Promise<CatalogTable[]> {
  return connection.dialect.readCatalog(connection, database, only);
}

/** Names of the tables that exist in a database, hidden ones included. */
export async function listTableNames(connection: Connection, database: string): Promise<string[]> {
  return connection.dialect.listTables(connection, database);
}
