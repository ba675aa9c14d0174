import type { Dialect, DialectName } from '../dialect.js';
import { mysqlDialect } from './mysql/mysql-dialect.js';
import { postgresDialect } from './postgres/postgres-dialect.js';
import { sqliteDialect } from './sqlite/sqlite-dialect.js';

const DIALECTS: Record<DialectName, Dialect> = { sqlite: sqliteDialect, mysql: mysqlDialect, postgres: postgresDialect };

/**
 * The dialect adapter of a backend.
 *
 * @example
 * ```ts
 * dialectFor('postgres').quote('subject');  // '"subject"'
 * ```
 */
export function dialectFor(name: DialectName): Dialect {
  return DIALECTS[name];
}
