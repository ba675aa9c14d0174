import type { Knex } from 'knex';
import type { Attribute } from '../definition/heading.js';
import type { AttributeType } from '../definition/types.js';
import type { CatalogTable, Statement, TableDeclaration } from './table-declaration.js';

/** The backends rg-schema runs on. */
export type DialectName = 'sqlite' | 'mysql' | 'postgres';

/** What a driver error means to the layers above. */
export type ErrorKind = 'duplicate' | 'foreignKey' | 'packet' | 'connection' | 'deadlock' | 'other';

/** Result of a statement that returns no rows. */
export interface RunResult {
  readonly affectedRows: number;
  readonly insertId: number | undefined;
}

/** What catalog reading and DDL run their statements on (a Connection). */
export interface SqlRunner {
  /** Runs a SELECT and returns its rows (values bound or escaped by the dialect). */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[], table?: string): Promise<Row[]>;
  /** Runs a statement that returns no rows. */
  run(sql: string, params?: readonly unknown[], table?: string): Promise<RunResult>;
  /** Runs `work` with one connection pinned; `connectionId` is the server's id for it (0 on SQLite). */
  session<T>(work: (connectionId: number) => Promise<T>): Promise<T>;
  /** Runs `work` in one transaction (nested calls join it). */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  /** The target, safe to print (no password). */
  readonly display: string;
}

/** Prepared statements a driver connection keeps, by SQL text (SQLite). */
export type StatementCache = WeakMap<object, Map<string, unknown>>;

/**
 * How a value of an attribute comes back from the driver: `'ready'` when the driver already gives
 * the documented JS value, `'generic'` for the shared decoding (query/values.ts), or the dialect's
 * own function.
 */
export type ValueReading = 'ready' | 'generic' | ((raw: unknown) => unknown);

/** Driver-level behaviour: pools, statements, streaming, errors, transactions. */
export interface DriverDialect {
  /** Adds the dialect's session set-up (time zone, escapes, pragmas, type parsers) to a knex config. */
  configure(config: Knex.Config): Knex.Config;
  /** The file an embedded database lives in (SQLite); undefined for a server or an in-memory database. */
  embeddedFile(config: Knex.Config): string | undefined;
  /** Runs one statement on a pooled driver connection: rows for a SELECT, a RunResult otherwise. */
  execute(raw: unknown, sql: string, params: readonly unknown[], statements: StatementCache): Promise<unknown[] | RunResult>;
  /**
   * Streams a SELECT's rows from a server-side cursor, holding a bounded number of them; undefined
   * where the backend has none to spare (SQLite pages instead, see query/stream.ts).
   */
  readonly stream: ((raw: unknown, sql: string, params: readonly unknown[]) => AsyncIterable<Record<string, unknown>>) | undefined;
  /**
   * Runs many parameter rows through prepared statements (SQLite, where that is fastest): `sql`
   * takes one row; `batch`, when given, is the same statement for `batch.rows` rows at once, used
   * for as many whole batches as there are (fewer calls into the driver), `sql` for the rest.
   * Undefined where multi-row INSERTs are sent as text instead.
   */
  readonly runMany: ((raw: unknown, sql: string, rows: ReadonlyArray<readonly unknown[]>, statements: StatementCache, batch?: RowBatch) => { affectedRows: number; failedRow: number | undefined; error: unknown }) | undefined;
  /** Sends one large statement with its values as binary parameters (MySQL's prepared protocol); undefined: execute() already binds. */
  readonly executePrepared: ((raw: unknown, sql: string, params: readonly unknown[]) => Promise<RunResult>) | undefined;
  /** The largest statement the server accepts, asked once per connection (MySQL's max_allowed_packet); undefined: no such limit. */
  readonly statementLimit: ((raw: unknown, execute: (sql: string) => Promise<unknown[] | RunResult>) => Promise<number>) | undefined;
  /** The server's id of a driver connection (MySQL's thread id, PostgreSQL's backend pid); 0 on SQLite. */
  connectionId(raw: unknown): number;
  /** Starts a transaction. */
  readonly beginTransaction: string;
  /**
   * Whether a statement writes to the database, as the engine judges it (SQLite's
   * sqlite3_stmt_readonly: an `INSERT … RETURNING` writes, a SELECT does not): a
   * `lockAtFirstWrite` transaction sends its BEGIN before the first one that does. Undefined where
   * transactions begin at their start (the servers lock per row, so nothing is gained by waiting).
   */
  readonly statementWrites: ((raw: unknown, sql: string, statements: StatementCache) => boolean) | undefined;
  /**
   * PostgreSQL aborts a transaction at its first error: statements that may fail inside one (and
   * whose failure is handled) run under a savepoint.
   */
  readonly errorAbortsTransaction: boolean;
  /** Classifies a driver error. */
  errorKind(error: unknown): ErrorKind;
  /** Several connections work at once (server backends): populate may run keys concurrently. */
  readonly concurrent: boolean;
  /** The statement that makes a session refuse every write and DDL; undefined where the driver opens the file read-only (SQLite). */
  readonly readOnlySession: string | undefined;
  /** The driver's connection options that give up connecting after `ms` milliseconds. */
  connectTimeout(ms: number): Record<string, unknown>;
}

/** How SQL is spelled. */
export interface SpellingDialect {
  /** Quotes one identifier. */
  quote(identifier: string): string;
  /**
   * The full table reference. MySQL has databases and PostgreSQL schemas; in SQLite every schema
   * shares one file (so that foreign keys between schemas hold) and the schema is part of the
   * table's quoted name.
   */
  tableRef(database: string, table: string): string;
  /** A string literal that reads back as exactly `text`. */
  stringLiteral(text: string): string;
  /** The current time as `YYYY-MM-DD HH:MM:SS` with `digits` fractional digits. */
  now(digits: number): string;
  /**
   * The time at which the statement runs, where `now` would give the transaction's start
   * (PostgreSQL); absent where `now` already is the statement's time.
   */
  readonly statementTime?: (digits: number) => string;
  /** The LIMIT value that means no limit (for an OFFSET alone). */
  readonly noLimit: number;
  /**
   * The clause after `INSERT … VALUES …` that skips rows whose key exists (`skip`) or overwrites
   * their other attributes (`replace`).
   */
  onDuplicate(key: readonly string[], secondary: readonly string[], mode: 'skip' | 'replace'): string;
  /** The SELECT expression that reads a 4-byte float column without losing digits. */
  readFloat32(columnSql: string): string;
  /** A table read without ORDER BY comes back in primary-key order (InnoDB's clustered index; SQLite's rowid order is not that). */
  readonly keyOrderedScans: boolean;
  /** GROUP BY must name every selected column (PostgreSQL cannot see that a subquery's key determines them). */
  readonly groupsByEveryColumn: boolean;
  /** SQL expression for the database user of this session, for the jobs tables. */
  readonly currentUser: string;
  /** A subquery of the ids of the server's live connections (for stale reservations); undefined on SQLite. */
  readonly liveConnectionIds: string | undefined;
  /**
   * The statement (one `?`: a connection id) that ends another session of the server, rolling back
   * its transaction (MySQL `KILL`, PostgreSQL `pg_terminate_backend`); undefined on SQLite.
   */
  readonly endSession: string | undefined;
  /** An expression for the seconds from a datetime column to the server's clock now. */
  secondsSince(columnSql: string): string;
  /** An expression for the seconds since the server started (session ids of an earlier run mean nothing now); undefined on SQLite. */
  readonly uptimeSeconds: string | undefined;
  /**
   * A SELECT giving `n` > 0 when this session sees every connection of the server in
   * `liveConnectionIds` (MySQL shows a user without the PROCESS privilege only its own); undefined
   * where every session sees all (PostgreSQL's pg_stat_activity) or there is no server (SQLite).
   */
  readonly seesEveryConnection: string | undefined;
  /** An SQL condition: the user name written in `column` (`name@host`) is this session's user. */
  sameUser(column: string): string;
  /** What ends a SELECT that locks the rows it reads until the transaction ends (`FOR UPDATE`); '' where the transaction holds the write lock already (SQLite). */
  readonly lockingRead: string;
  /** A locking read that passes over rows other transactions hold (`FOR UPDATE SKIP LOCKED`); '' on SQLite, whose writers take turns. */
  readonly skipLocked: string;
  /** An UPDATE can return the rows it changed (`RETURNING`) and take a LIMITed subquery of its own table (PostgreSQL, SQLite; not MySQL). */
  readonly updateReturning: boolean;
  /** The statement that makes the next transaction READ COMMITTED, where that is not the default (MySQL). */
  readonly readCommitted: string | undefined;
}

/** How values the backends do not all hold natively are stored and read. */
export interface ValueDialect {
  /** A uint64 of 2^63 or more. */
  uint64(value: bigint): unknown;
  /** A 4-byte float (already rounded to float32) as the column takes it. */
  float32(value: number): number;
  /** A UUID (16 bytes) as the column takes it. */
  uuid(bytes: Buffer): unknown;
  /** Why the backend cannot hold this text, or undefined. */
  textProblem(text: string): string | undefined;
  /** How values of the attribute come back from the driver. */
  reading(attribute: Attribute): ValueReading;
}

/** Databases, tables and catalogs. */
export interface SchemaDialect {
  /** The column type that stores an attribute type in a table of `database`. */
  columnType(type: AttributeType, database: string): string;
  /** Creates the database (MySQL), schema (PostgreSQL) or bookkeeping table (SQLite) if needed. */
  createDatabase(database: string): Statement[];
  /** Whether the database exists. */
  databaseExists(runner: SqlRunner, database: string): Promise<boolean>;
  /** Drops a database's remaining storage (its tables are gone already). */
  dropDatabase(runner: SqlRunner, database: string): Promise<void>;
  /** The statements that create one table, in order. */
  createTable(table: TableDeclaration): Statement[];
  /**
   * Creates DataJoint 2's `~lineage` table of a database if it is missing, in DataJoint's own
   * layout for the backend; undefined where DataJoint keeps none (SQLite).
   */
  readonly createLineageTable: ((database: string) => Statement[]) | undefined;
  /** The statements that drop one table, in order. */
  dropTable(database: string, table: string): Statement[];
  /** Names of the tables that exist in a database, sorted. */
  listTables(runner: SqlRunner, database: string): Promise<string[]>;
  /** Every table of a database as its catalog describes it (DataJoint's hidden `~` tables excluded unless named by `only`), in name order. */
  readCatalog(runner: SqlRunner, database: string, only?: string): Promise<CatalogTable[]>;
  /**
   * Runs a schema's table creation with every other process that declares the same database held
   * off, so that the catalog `work` reads is the one it changes.
   */
  withCreationLock<T>(runner: SqlRunner, database: string, work: () => Promise<T>): Promise<T>;
}

/** A statement of `rows` rows' worth of parameters, for {@link Dialect.runMany}. */
export interface RowBatch {
  readonly sql: string;
  readonly rows: number;
}

/**
 * One backend: everything that differs between SQLite, MySQL/MariaDB and PostgreSQL below the
 * query algebra. Each backend is one object (src/schema/connection/dialects/); the layers above
 * ask it and never test its name.
 *
 * @example
 * ```ts
 * const { dialect } = schema.connection;
 * dialect.tableRef('lab_rgc', 'subject');   // MySQL `lab_rgc`.`subject`, PostgreSQL "lab_rgc"."subject", SQLite "lab_rgc.subject"
 * dialect.onDuplicate(['id'], ['x'], 'skip'); // MySQL ' ON DUPLICATE KEY UPDATE `id` = `id`', others ' ON CONFLICT DO NOTHING'
 * ```
 */
export interface Dialect extends DriverDialect, SpellingDialect, ValueDialect, SchemaDialect {
  readonly name: DialectName;
  /** The backend's name for messages: `SQLite`, `MySQL/MariaDB`, `PostgreSQL`. */
  readonly label: string;
}

/** The `code` of a driver error, or ''. */
export function errorCode(error: unknown): string {
  const e = error as { code?: unknown } | null;
  return typeof e?.code === 'string' ? e.code : '';
}
