import { existsSync } from 'node:fs';
import { listTableNames } from './catalog.js';
import type { Schema } from './schema.js';

/**
 * Whether a schema's database exists, found without creating anything: on MySQL/MariaDB the
 * database `<prefix><name>`, on SQLite the file with at least one of the schema's tables. Read-only
 * tools ask this before opening a schema with `createTables: false`.
 *
 * @example
 * ```ts
 * if (!(await schemaExists(pipeline))) console.log('nothing loaded yet');
 * // MySQL: SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?
 * ```
 */
export async function schemaExists(schema: Schema): Promise<boolean> {
  const connection = schema.connection;
  if (connection.dialect.name === 'mysql') {
    const rows = await connection.query('SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [schema.database]);
    return rows.length > 0;
  }
  if (connection.file !== undefined && !existsSync(connection.file)) return false;
  return (await listTableNames(connection, schema.database)).length > 0;
}
