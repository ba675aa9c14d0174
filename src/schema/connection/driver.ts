import type { RunResult } from './connection.js';
import type { DialectName } from './config.js';

/** A pooled driver connection: mysql2's callback connection or a better-sqlite3 Database. */
export type RawConnection = MysqlRaw | SqliteRaw;

export interface MysqlRaw {
  threadId: number | null;
  query(sql: string, done?: (error: Error | null, result: unknown) => void): { stream(options?: object): NodeJS.ReadableStream };
  execute(sql: string, params: unknown[], done: (error: Error | null, result: unknown) => void): void;
  escape(value: unknown): string;
  unprepare?(sql: string): void;
}

export interface SqliteStatement {
  readonly reader: boolean;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
}

export interface SqliteRaw {
  prepare(sql: string): SqliteStatement;
}

/**
 * Puts values into MySQL text at the `?` placeholders that stand outside quoted literals and
 * identifiers, escaping each with the driver's own escaper. A `?` inside a user's raw SQL string
 * literal stays a question mark.
 */
export function formatMysql(sql: string, params: readonly unknown[], escape: (v: unknown) => string): string {
  if (params.length === 0) return sql;
  let out = '';
  let next = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (quote !== undefined) {
      if (c === '\\' && quote !== '`') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"' || c === '`') {
      quote = c;
    } else if (c === '?') {
      if (next >= params.length) throw new Error(`internal: more placeholders than the ${params.length} parameters`);
      out += sql.slice(start, i) + escapeMysql(params[next++], escape);
      start = i + 1;
    }
  }
  if (next !== params.length) throw new Error(`internal: ${params.length} parameters for ${next} placeholders`);
  return out + sql.slice(start);
}

function escapeMysql(value: unknown, escape: (v: unknown) => string): string {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) return escape(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  return escape(value);
}

/** A cached prepared statement of this SQLite connection (statements belong to their connection). */
export function preparedStatement(raw: SqliteRaw, sql: string, statements: WeakMap<object, Map<string, SqliteStatement>>): SqliteStatement {
  let cache = statements.get(raw);
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

/** Runs one statement on a raw connection; SELECTs give rows, others a RunResult. */
export function execute(dialect: DialectName, raw: RawConnection, sql: string, params: readonly unknown[], statements: WeakMap<object, Map<string, SqliteStatement>>): Promise<unknown[] | RunResult> {
  if (dialect === 'mysql') {
    const mysql = raw as MysqlRaw;
    const text = formatMysql(sql, params, (v) => mysql.escape(v));
    return new Promise((resolve, reject) => {
      mysql.query(text, (error, result) => {
        if (error) reject(error);
        else if (Array.isArray(result)) resolve(result);
        else {
          const header = result as { affectedRows?: number; insertId?: number };
          resolve({ affectedRows: header.affectedRows ?? 0, insertId: header.insertId });
        }
      });
    });
  }
  try {
    const statement = preparedStatement(raw as SqliteRaw, sql, statements);
    const bound = params.map((p) => (p === undefined ? null : typeof p === 'boolean' ? Number(p) : p));
    if (statement.reader) return Promise.resolve(statement.all(...bound));
    const info = statement.run(...bound);
    return Promise.resolve({ affectedRows: Number(info.changes), insertId: Number(info.lastInsertRowid) });
  } catch (error) {
    return Promise.reject(error);
  }
}
