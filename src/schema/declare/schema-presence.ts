import { existsSync } from 'node:fs';
import type { Schema } from './schema.js';

/**
 * Whether a schema's database exists, found without creating anything: on MySQL/MariaDB the
 * database `<prefix><name>`, on PostgreSQL the schema of that name, on SQLite the file with at
 * least one of the schema's tables. Read-only
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
  if (connection.file !== undefined && !existsSync(connection.file)) return false;
  return connection.dialect.databaseExists(connection, schema.database);
}
