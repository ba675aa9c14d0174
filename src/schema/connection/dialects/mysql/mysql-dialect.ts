import type { Dialect } from '../../dialect.js';
import { isFloat32Column } from '../../../util/float32.js';
import { listMysqlTables, mysqlDatabaseExists, readMysqlCatalog } from './mysql-catalog.js';
import { createMysqlTable, mysqlQuote, mysqlString, mysqlTableRef } from './mysql-ddl.js';
import { configureMysql, executeMysql, executeMysqlPrepared, mysqlErrorKind, mysqlPacketLimit, streamMysql, type MysqlRaw } from './mysql-driver.js';
import { withMysqlCreationLock } from './mysql-lock.js';

/**
 * MySQL and MariaDB through mysql2: DataJoint's home. Values travel escaped into the statement
 * text (mysql2's escaper), large blobs as binary parameters of a prepared statement; each schema
 * is a database.
 *
 * @example
 * ```ts
 * mysqlDialect.tableRef('lab', 'subject');  // '`lab`.`subject`'
 * ```
 */
export const mysqlDialect: Dialect = {
  name: 'mysql',
  label: 'MySQL/MariaDB',
  concurrent: true,
  readOnlySession: 'SET SESSION TRANSACTION READ ONLY',
  connectTimeout: (ms) => ({ connectTimeout: ms }),

  configure: configureMysql,
  embeddedFile: () => undefined,
  execute: executeMysql,
  stream: streamMysql,
  runMany: undefined,
  executePrepared: executeMysqlPrepared,
  statementLimit: mysqlPacketLimit,
  connectionId: (raw) => Number((raw as MysqlRaw).threadId ?? 0),
  beginTransaction: 'START TRANSACTION',
  statementWrites: undefined,
  errorAbortsTransaction: false,
  errorKind: mysqlErrorKind,

  quote: mysqlQuote,
  tableRef: mysqlTableRef,
  stringLiteral: mysqlString,
  now: (digits) => (digits > 0 ? `NOW(${digits})` : 'NOW()'),
  noLimit: Number.MAX_SAFE_INTEGER,
  onDuplicate(key, secondary, mode) {
    if (mode === 'replace' && secondary.length > 0) return ` ON DUPLICATE KEY UPDATE ${secondary.map((c) => `${mysqlQuote(c)} = VALUES(${mysqlQuote(c)})`).join(', ')}`;
    // INSERT IGNORE would also swallow missing parents; a no-op update skips only duplicates.
    return ` ON DUPLICATE KEY UPDATE ${mysqlQuote(key[0]!)} = ${mysqlQuote(key[0]!)}`;
  },
  // MySQL prints a FLOAT with 6 significant digits and would lose the rest of the float32.
  readFloat32: (columnSql) => `CAST(${columnSql} AS DOUBLE)`,
  keyOrderedScans: true,
  groupsByEveryColumn: false,
  currentUser: 'CURRENT_USER()',
  liveConnectionIds: 'SELECT ID FROM information_schema.PROCESSLIST',
  endSession: 'KILL ?',
  secondsSince: (columnSql) => `TIMESTAMPDIFF(MICROSECOND, ${columnSql}, NOW(6)) / 1e6`,
  uptimeSeconds: "(SELECT CAST(VARIABLE_VALUE AS DOUBLE) FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'UPTIME')",
  seesEveryConnection: "SELECT COUNT(*) AS n FROM information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE = 'PROCESS' AND GRANTEE = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')",
  sameUser: (column) => `SUBSTRING_INDEX(${column}, '@', 1) = SUBSTRING_INDEX(CURRENT_USER(), '@', 1)`,
  lockingRead: ' FOR UPDATE',
  skipLocked: ' FOR UPDATE SKIP LOCKED',
  updateReturning: false,
  readCommitted: 'SET TRANSACTION ISOLATION LEVEL READ COMMITTED',

  uint64: (value) => value,
  // The exact float32: MySQL's FLOAT holds no more.
  float32: (value) => value,
  uuid: (bytes) => bytes,
  textProblem: () => undefined,
  reading(attribute) {
    const { category, intBytes, mysql } = attribute.type;
    // 4-byte floats come back through float32Value on every backend, so all give the same number.
    const double = category === 'float' && !isFloat32Column(mysql);
    return (category === 'integer' && (intBytes ?? 4) < 8) || double || category === 'string'
      || category === 'enum' || category === 'date' || category === 'datetime' || category === 'timestamp'
      || category === 'time' || category === 'decimal' || category === 'bytes' ? 'ready' : 'generic';
  },

  columnType: (type) => type.mysql,
  createDatabase: (database) => [{ sql: `CREATE DATABASE IF NOT EXISTS ${mysqlQuote(database)}`, params: [] }],
  databaseExists: mysqlDatabaseExists,
  dropDatabase: async (runner, database) => {
    await runner.run(`DROP DATABASE IF EXISTS ${mysqlQuote(database)}`);
  },
  createTable: createMysqlTable,
  createLineageTable: (database) => [{
    sql: `CREATE TABLE IF NOT EXISTS ${mysqlTableRef(database, '~lineage')} (
  \`table_name\` varchar(64) NOT NULL COMMENT 'table name within the schema',
  \`attribute_name\` varchar(64) NOT NULL COMMENT 'attribute name',
  \`lineage\` varchar(255) NOT NULL COMMENT 'origin: schema.table.attribute',
  PRIMARY KEY (\`table_name\`,\`attribute_name\`)
) ENGINE=InnoDB`,
    params: [],
  }],
  dropTable: (database, table) => [{ sql: `DROP TABLE IF EXISTS ${mysqlTableRef(database, table)}`, params: [] }],
  listTables: listMysqlTables,
  readCatalog: readMysqlCatalog,
  withCreationLock: withMysqlCreationLock,
};
