import type { Knex } from 'knex';
import { errorCode, type ErrorKind, type RunResult, type StatementCache } from '../../dialect.js';

/** A prepared better-sqlite3 statement. */
export interface SqliteStatement {
  /** It returns rows (a SELECT, or a write with RETURNING). */
  readonly reader: boolean;
  /** It cannot change the database (sqlite3_stmt_readonly). */
  readonly readonly: boolean;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
}

/** A better-sqlite3 Database, as knex's pool hands it out. */
export interface SqliteRaw {
  prepare(sql: string): SqliteStatement;
}

/** A cached prepared statement of this SQLite connection (statements belong to their connection). */
export function preparedStatement(raw: SqliteRaw, sql: string, statements: StatementCache): SqliteStatement {
  let cache = statements.get(raw) as Map<string, SqliteStatement> | undefined;
  if (!cache) {
    cache = new Map();
    statements.set(raw, cache);
  }
  let statement = cache.get(sql);
  if (!statement) {
    statement = raw.prepare(sql);
    if (cache.size > 500) cache.clear();
    cache.set(sql, statement);
  }
  return statement;
}

function bind(params: readonly unknown[]): unknown[] {
  return params.map((p) => (p === undefined ? null : typeof p === 'boolean' ? Number(p) : p));
}

/** Whether a statement may change the database: SQLite's own answer, not a guess from its text. */
export function sqliteStatementWrites(raw: unknown, sql: string, statements: StatementCache): boolean {
  return !preparedStatement(raw as SqliteRaw, sql, statements).readonly;
}

/** Runs one statement: a SELECT gives its rows, anything else a RunResult. */
export function executeSqlite(raw: unknown, sql: string, params: readonly unknown[], statements: StatementCache): Promise<unknown[] | RunResult> {
  try {
    const statement = preparedStatement(raw as SqliteRaw, sql, statements);
    const bound = bind(params);
    if (statement.reader) return Promise.resolve(statement.all(...bound));
    const info = statement.run(...bound);
    return Promise.resolve({ affectedRows: Number(info.changes), insertId: Number(info.lastInsertRowid) });
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Runs one prepared statement for many parameter rows; better-sqlite3 is fastest this way. */
export function runManySqlite(raw: unknown, sql: string, rows: ReadonlyArray<readonly unknown[]>, statements: StatementCache): { affectedRows: number; failedRow: number | undefined; error: unknown } {
  let affectedRows = 0;
  let index = 0;
  try {
    const statement = preparedStatement(raw as SqliteRaw, sql, statements);
    for (index = 0; index < rows.length; index++) affectedRows += Number(statement.run(...bind(rows[index]!)).changes);
    return { affectedRows, failedRow: undefined, error: undefined };
  } catch (error) {
    return { affectedRows, failedRow: index, error };
  }
}

/** The database file of a SQLite config; undefined in memory. */
export function sqliteFile(config: Knex.Config): string | undefined {
  const filename = (config.connection as { filename: string }).filename;
  return filename === ':memory:' ? undefined : filename;
}

/**
 * Foreign keys on, a 30 s busy timeout, WAL for files, and 64-bit integers read exactly (the
 * heading turns the small ones into numbers).
 */
export function configureSqlite(config: Knex.Config): Knex.Config {
  const filename = (config.connection as { filename: string }).filename;
  return {
    ...config,
    pool: {
      ...config.pool,
      afterCreate(raw: { pragma(s: string): unknown; defaultSafeIntegers(on: boolean): unknown }, done: (e: Error | null, c: unknown) => void) {
        raw.pragma('foreign_keys = ON');
        raw.pragma('busy_timeout = 30000');
        if (filename !== ':memory:') raw.pragma('journal_mode = WAL');
        raw.defaultSafeIntegers(true);
        done(null, raw);
      },
    },
  };
}

/** SQLite's error codes as the layers above need them. */
export function sqliteErrorKind(error: unknown): ErrorKind {
  const c = errorCode(error);
  if (c === 'SQLITE_CONSTRAINT_PRIMARYKEY' || c === 'SQLITE_CONSTRAINT_UNIQUE') return 'duplicate';
  // ON DELETE RESTRICT is enforced by an internal trigger, so SQLite reports it as one.
  if (c === 'SQLITE_CONSTRAINT_FOREIGNKEY' || (c === 'SQLITE_CONSTRAINT_TRIGGER' && /FOREIGN KEY/.test(String((error as Error)?.message)))) return 'foreignKey';
  if (c === 'SQLITE_CANTOPEN') return 'connection';
  return 'other';
}
