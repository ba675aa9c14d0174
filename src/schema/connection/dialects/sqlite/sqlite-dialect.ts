import type { Dialect } from '../../dialect.js';
import { float32Value, isFloat32Column } from '../../../util/float32.js';
import { standardString } from '../ddl-parts.js';
import { readSqliteCatalog, listSqliteTables, sqliteDatabaseExists, dropSqliteDatabase } from './sqlite-catalog.js';
import { createSqliteMetaTable, createSqliteTable, dropSqliteTable, sqliteTableRef } from './sqlite-ddl.js';
import { configureSqlite, executeSqlite, runManySqlite, sqliteErrorKind, sqliteFile, sqliteStatementWrites } from './sqlite-driver.js';

const quote = (identifier: string): string => `"${identifier.replace(/"/g, '""')}"`;

/**
 * SQLite through better-sqlite3: the embedded default. Every schema shares one file (so foreign
 * keys between schemas hold), one connection serialises all work, and what SQLite cannot keep
 * (comments, declared types) lives in the `~rg_meta` table.
 *
 * @example
 * ```ts
 * sqliteDialect.tableRef('lab', 'subject');  // '"lab.subject"'
 * ```
 */
export const sqliteDialect: Dialect = {
  name: 'sqlite',
  label: 'SQLite',
  concurrent: false,
  readOnlySession: undefined,
  connectTimeout: () => ({}),

  configure: configureSqlite,
  embeddedFile: sqliteFile,
  execute: executeSqlite,
  stream: undefined,
  runMany: runManySqlite,
  executePrepared: undefined,
  statementLimit: undefined,
  connectionId: () => 0,
  // Takes the write lock at the start, so processes sharing a file wait for each other instead of failing.
  beginTransaction: 'BEGIN IMMEDIATE',
  // populate's make begins at its first write, so workers sharing the file compute at the same time.
  statementWrites: sqliteStatementWrites,
  errorAbortsTransaction: false,
  errorKind: sqliteErrorKind,

  quote,
  tableRef: sqliteTableRef,
  stringLiteral: standardString,
  now: (digits) => (digits > 0 ? "strftime('%Y-%m-%d %H:%M:%f', 'now')" : "strftime('%Y-%m-%d %H:%M:%S', 'now')"),
  noLimit: -1,
  onDuplicate(key, secondary, mode) {
    if (mode === 'replace' && secondary.length > 0) {
      return ` ON CONFLICT (${key.map(quote).join(', ')}) DO UPDATE SET ${secondary.map((c) => `${quote(c)} = excluded.${quote(c)}`).join(', ')}`;
    }
    return ' ON CONFLICT DO NOTHING';
  },
  readFloat32: (columnSql) => columnSql,
  keyOrderedScans: false,
  groupsByEveryColumn: false,
  currentUser: "''",
  liveConnectionIds: undefined,
  endSession: undefined,
  secondsSince: (columnSql) => `((julianday('now') - julianday(${columnSql})) * 86400.0)`,
  uptimeSeconds: undefined,
  seesEveryConnection: undefined,
  sameUser: () => '1 = 1',
  lockingRead: '',
  skipLocked: '',
  updateReturning: true,
  readCommitted: undefined,

  // SQLite's INTEGER is a signed 64-bit integer. A uint64 of 2^63 or more is stored as its 8 bytes,
  // big-endian, in a BLOB: SQLite orders every BLOB after every INTEGER and BLOBs by their bytes, so
  // equality, ordering and restrictions hold over the whole uint64 range.
  uint64(value) {
    const bytes = Buffer.alloc(8);
    bytes.writeBigUInt64BE(value);
    return bytes;
  },
  // A REAL is a double: it is given the value the servers return for the float32.
  float32: (value) => float32Value(value),
  uuid: (bytes) => bytes,
  textProblem: () => undefined,
  reading(attribute) {
    const { category, mysql } = attribute.type;
    const double = category === 'float' && !isFloat32Column(mysql);
    return double || category === 'string' || category === 'enum' || category === 'date' || category === 'datetime'
      || category === 'timestamp' || category === 'time' || category === 'bytes' ? 'ready' : 'generic';
  },

  columnType: (type) => type.sqlite,
  createDatabase: createSqliteMetaTable,
  databaseExists: sqliteDatabaseExists,
  dropDatabase: dropSqliteDatabase,
  createTable: createSqliteTable,
  createLineageTable: undefined,
  dropTable: dropSqliteTable,
  listTables: listSqliteTables,
  readCatalog: readSqliteCatalog,
  // One BEGIN IMMEDIATE transaction around the whole creation, which SQLite's DDL joins, so
  // creation is also all or nothing.
  withCreationLock: (runner, _database, work) => runner.transaction(work),
};
