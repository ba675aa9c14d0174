import type { Knex } from 'knex';
import { errorCode, type ErrorKind, type RunResult } from '../../dialect.js';
import { installExactDoubles } from '../../exact-doubles.js';

/** mysql2's callback connection, as knex's pool hands it out. */
export interface MysqlRaw {
  threadId: number | null;
  query(sql: string, done?: (error: Error | null, result: unknown) => void): { stream(options?: object): NodeJS.ReadableStream };
  /** `values` null: the text is sent as it is (with `[]`, or none, mysql2 scans it for placeholders first). */
  query(sql: string, values: null, done?: (error: Error | null, result: unknown) => void): { stream(options?: object): NodeJS.ReadableStream };
  execute(sql: string, params: unknown[], done: (error: Error | null, result: unknown) => void): void;
  escape(value: unknown): string;
  unprepare?(sql: string): void;
}

// mysql2's text protocol reads some doubles one unit in the last place off; every read is exact.
installExactDoubles();

/**
 * Puts values into MySQL text at the `?` placeholders that stand outside quoted literals and
 * identifiers, escaping each with the driver's own escaper. A `?` inside a user's raw SQL string
 * literal stays a question mark.
 *
 * @example
 * ```ts
 * formatMysql("SELECT * FROM t WHERE a = ? AND b = '?'", [1], escape);  // "SELECT * FROM t WHERE a = 1 AND b = '?'"
 * ```
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

/** Runs one statement as text with escaped values: a SELECT gives its rows, anything else a RunResult. */
export function executeMysql(raw: unknown, sql: string, params: readonly unknown[]): Promise<unknown[] | RunResult> {
  const mysql = raw as MysqlRaw;
  const text = formatMysql(sql, params, (v) => mysql.escape(v));
  return new Promise((resolve, reject) => {
    // The values are in the text already: null spares mysql2 a scan of the whole text for
    // placeholders, made on this thread before the statement goes out.
    mysql.query(text, null, (error, result) => {
      if (error) reject(error);
      else if (Array.isArray(result)) resolve(result);
      else {
        const header = result as { affectedRows?: number; insertId?: number };
        resolve({ affectedRows: header.affectedRows ?? 0, insertId: header.insertId });
      }
    });
  });
}

/** Streams a SELECT's rows from mysql2's row stream (the server sends them as they are read). */
export async function* streamMysql(raw: unknown, sql: string, params: readonly unknown[]): AsyncGenerator<Record<string, unknown>> {
  const mysql = raw as MysqlRaw;
  const rows = mysql.query(formatMysql(sql, params, (v) => mysql.escape(v)), null).stream({ highWaterMark: 1000 });
  for await (const row of rows as AsyncIterable<Record<string, unknown>>) yield row;
}

/**
 * Runs one statement as a server-side prepared statement (mysql2's `execute`): large blobs travel
 * as binary parameters instead of being escaped into the SQL text, about 10× faster.
 */
export async function executeMysqlPrepared(raw: unknown, sql: string, params: readonly unknown[]): Promise<RunResult> {
  const mysql = raw as MysqlRaw;
  const header = await new Promise<{ affectedRows?: number; insertId?: number }>((resolve, reject) => {
    mysql.execute(sql, params as unknown[], (error, result) => (error ? reject(error) : resolve(result as { affectedRows?: number })));
  });
  mysql.unprepare?.(sql);
  return { affectedRows: header.affectedRows ?? 0, insertId: header.insertId };
}

/** The connection's max_allowed_packet: MySQL refuses (and then drops the connection on) any larger statement. */
export async function mysqlPacketLimit(_raw: unknown, execute: (sql: string) => Promise<unknown[] | RunResult>): Promise<number> {
  const [row] = (await execute('SELECT @@max_allowed_packet AS m')) as Array<{ m: unknown }>;
  return Number(row?.m ?? Number.POSITIVE_INFINITY);
}

/**
 * Every new session works in UTC: TIMESTAMP values are kept in UTC and converted through the
 * session's time zone; in UTC no value falls into a daylight-saving gap, and the text read back is
 * the text written. A hook the config already has runs after.
 */
export function configureMysql(config: Knex.Config): Knex.Config {
  const userHook = (config.pool as { afterCreate?: (raw: unknown, done: (e: Error | null, c: unknown) => void) => void } | undefined)?.afterCreate;
  return {
    ...config,
    pool: {
      ...config.pool,
      afterCreate(raw: MysqlRaw, done: (e: Error | null, c: unknown) => void) {
        raw.query("SET time_zone = '+00:00'", (error) => {
          if (error || !userHook) done(error, raw);
          else userHook(raw, done);
        });
      },
    },
  };
}

/** mysql2's error codes as the layers above need them. */
export function mysqlErrorKind(error: unknown): ErrorKind {
  const c = errorCode(error);
  if (c === 'ER_DUP_ENTRY') return 'duplicate';
  if (c === 'ER_LOCK_DEADLOCK' || c === 'ER_LOCK_WAIT_TIMEOUT') return 'deadlock';
  if (c.startsWith('ER_NO_REFERENCED_ROW') || c.startsWith('ER_ROW_IS_REFERENCED')) return 'foreignKey';
  if (c === 'ER_NET_PACKET_TOO_LARGE' || c === 'EPIPE') return 'packet';
  if (c === 'PROTOCOL_CONNECTION_LOST' || c === 'ECONNREFUSED' || c === 'ECONNRESET' || c === 'ER_ACCESS_DENIED_ERROR') return 'connection';
  return 'other';
}
