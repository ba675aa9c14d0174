import type { Dialect } from '../../dialect.js';
import { standardString } from '../ddl-parts.js';
import { dropPostgresDatabase, listPostgresTables, postgresDatabaseExists, readPostgresCatalog } from './postgres-catalog.js';
import { createPostgresTable, postgresQuote, postgresTableRef } from './postgres-ddl.js';
import { configurePostgres, executePostgres, postgresErrorKind, streamPostgres, type PostgresRaw } from './postgres-driver.js';
import { withPostgresCreationLock } from './postgres-lock.js';
import { postgresColumnType } from './postgres-types.js';
import { postgresReading } from './postgres-values.js';

const hex = (bytes: Buffer): string => bytes.toString('hex');

/**
 * PostgreSQL through pg, laid out as DataJoint 2 lays it out: each schema is a PostgreSQL schema
 * (namespace) of the connected database, types follow DataJoint's core-type mapping, comments
 * carry `:type:` markers, enums are types of their own. Values are bound as parameters (`$n`);
 * bytea travels as binary parameters.
 *
 * @example
 * ```ts
 * postgresDialect.tableRef('lab', 'subject');  // '"lab"."subject"'
 * ```
 */
export const postgresDialect: Dialect = {
  name: 'postgres',
  label: 'PostgreSQL',
  concurrent: true,
  readOnlySession: 'SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY',
  connectTimeout: (ms) => ({ connectionTimeoutMillis: ms }),

  configure: configurePostgres,
  embeddedFile: () => undefined,
  execute: executePostgres,
  stream: streamPostgres,
  runMany: undefined,
  executePrepared: undefined,
  statementLimit: undefined,
  connectionId: (raw) => Number((raw as PostgresRaw).processID ?? 0),
  beginTransaction: 'BEGIN',
  statementWrites: undefined,
  errorAbortsTransaction: true,
  errorKind: postgresErrorKind,

  quote: postgresQuote,
  tableRef: postgresTableRef,
  stringLiteral: standardString,
  now: (digits) => `CURRENT_TIMESTAMP(${digits})`,
  statementTime: () => 'clock_timestamp()',
  noLimit: Number.MAX_SAFE_INTEGER,
  onDuplicate(key, secondary, mode) {
    const target = `(${key.map(postgresQuote).join(', ')})`;
    if (mode === 'replace' && secondary.length > 0) {
      return ` ON CONFLICT ${target} DO UPDATE SET ${secondary.map((c) => `${postgresQuote(c)} = EXCLUDED.${postgresQuote(c)}`).join(', ')}`;
    }
    return ` ON CONFLICT ${target} DO NOTHING`;
  },
  readFloat32: (columnSql) => columnSql,
  keyOrderedScans: false,
  groupsByEveryColumn: true,
  currentUser: 'current_user',
  liveConnectionIds: 'SELECT pid FROM pg_stat_activity',
  endSession: 'SELECT pg_terminate_backend(?)',
  secondsSince: (columnSql) => `EXTRACT(EPOCH FROM (clock_timestamp() AT TIME ZONE 'UTC' - ${columnSql}))::float8`,
  uptimeSeconds: 'EXTRACT(EPOCH FROM (clock_timestamp() - pg_postmaster_start_time()))::float8',
  seesEveryConnection: undefined,
  sameUser: (column) => `${column} = current_user`,
  lockingRead: ' FOR UPDATE',
  skipLocked: ' FOR UPDATE SKIP LOCKED',
  updateReturning: true,
  readCommitted: undefined,

  uint64: (value) => value,
  float32: (value) => value,
  uuid: (bytes) => `${hex(bytes.subarray(0, 4))}-${hex(bytes.subarray(4, 6))}-${hex(bytes.subarray(6, 8))}-${hex(bytes.subarray(8, 10))}-${hex(bytes.subarray(10, 16))}`,
  textProblem: (text) => (text.includes('\0') ? 'holds U+0000 (NUL), which PostgreSQL text cannot store' : undefined),
  reading: postgresReading,

  columnType: postgresColumnType,
  createDatabase: (database) => [{ sql: `CREATE SCHEMA IF NOT EXISTS ${postgresQuote(database)}`, params: [] }],
  databaseExists: postgresDatabaseExists,
  dropDatabase: dropPostgresDatabase,
  createTable: createPostgresTable,
  createLineageTable: (database) => [{
    sql: `CREATE TABLE IF NOT EXISTS ${postgresTableRef(database, '~lineage')} ("table_name" VARCHAR(64) NOT NULL, "attribute_name" VARCHAR(64) NOT NULL, "lineage" VARCHAR(255) NOT NULL, PRIMARY KEY ("table_name","attribute_name"))`,
    params: [],
  }],
  dropTable: (database, table) => [{ sql: `DROP TABLE IF EXISTS ${postgresTableRef(database, table)}`, params: [] }],
  listTables: listPostgresTables,
  readCatalog: readPostgresCatalog,
  withCreationLock: withPostgresCreationLock,
};
