import type { Knex } from 'knex';
import { errorCode, type ErrorKind, type RowBatch, type RunResult, type StatementCache } from '../../dialect.js';

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
  return params.map(bound);
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

/**
 * Runs prepared statements for many parameter rows; better-sqlite3 is fastest this way. Whole
 * batches go through the batch's statement (each call into the driver then carries many rows,
 * its parameters in one reused array); the rest, row by row. A batch that fails was undone by
 * SQLite (a failing statement leaves nothing of itself), and its rows are run again one at a
 * time, so that the failing row is found and the rows before it are in, as without batches.
 */
export function runManySqlite(raw: unknown, sql: string, rows: ReadonlyArray<readonly unknown[]>, statements: StatementCache, batch?: RowBatch): { affectedRows: number; failedRow: number | undefined; error: unknown } {
  let affectedRows = 0;
  let index = 0;
  try {
    const statement = preparedStatement(raw as SqliteRaw, sql, statements);
    const size = batch?.rows ?? 1;
    if (size > 1 && rows.length >= size) {
      const many = preparedStatement(raw as SqliteRaw, batch!.sql, statements);
      const width = rows[0]!.length;
      const params = new Array<unknown>(size * width);
      for (; index + size <= rows.length; index += size) {
        let k = 0;
        for (let r = index; r < index + size; r++) {
          const row = rows[r]!;
          if (row.length !== width) throw new Error(`internal: row ${r} has ${row.length} values, the batch ${width}`);
          for (let c = 0; c < width; c++) params[k++] = bound(row[c]);
        }
        let changes: number;
        try {
          changes = Number(many.run(params).changes);
        } catch {
          break; // found row by row below
        }
        affectedRows += changes;
      }
    }
    for (; index < rows.length; index++) affectedRows += Number(statement.run(...bind(rows[index]!)).changes);
    return { affectedRows, failedRow: undefined, error: undefined };
  } catch (error) {
    return { affectedRows, failedRow: index, error };
  }
}

function bound(p: unknown): unknown {
  return p === undefined ? null : typeof p === 'boolean' ? Number(p) : p;
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
