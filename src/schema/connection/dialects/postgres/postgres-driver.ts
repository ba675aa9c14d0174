import type { Knex } from 'knex';
import type Cursor from 'pg-cursor';
import { errorCode, type ErrorKind, type RunResult } from '../../dialect.js';
import { postgresPlaceholders } from './postgres-placeholders.js';
import { POSTGRES_TYPES } from './postgres-values.js';

/** A pg Client, as knex's pool hands it out. */
export interface PostgresRaw {
  readonly processID: number | null;
  query(config: { text: string; values?: unknown[]; types?: typeof POSTGRES_TYPES }): Promise<{ command: string; rowCount: number | null; rows: unknown[]; fields: unknown[] }>;
  query<T extends object>(cursor: T): T;
}

/** Rows a streaming cursor fetches per round trip. */
const CURSOR_ROWS = 1000;

/**
 * Runs one statement with its values bound as parameters (`$1`, `$2`, … in the extended
 * protocol; a Buffer travels as binary): a statement that returns rows gives them, anything else
 * a RunResult with the rows it touched.
 */
export async function executePostgres(raw: unknown, sql: string, params: readonly unknown[]): Promise<unknown[] | RunResult> {
  const client = raw as PostgresRaw;
  const text = postgresPlaceholders(sql, params.length);
  const result = await client.query(params.length === 0 ? { text, types: POSTGRES_TYPES } : { text, values: params as unknown[], types: POSTGRES_TYPES });
  if (result.command === 'SELECT' || result.fields.length > 0) return result.rows;
  return { affectedRows: result.rowCount ?? 0, insertId: undefined };
}

/**
 * Streams a SELECT's rows from a server-side portal (pg-cursor): the server holds the result and
 * sends {@link CURSOR_ROWS} rows per request, so memory stays bounded however many rows there are.
 */
export async function* streamPostgres(raw: unknown, sql: string, params: readonly unknown[]): AsyncGenerator<Record<string, unknown>> {
  const client = raw as PostgresRaw;
  // pg-cursor loads pg: imported here, so only processes that stream from PostgreSQL load them.
  const { default: PgCursor } = await import('pg-cursor') as { default: typeof Cursor };
  const cursor = client.query(new PgCursor<Record<string, unknown>>(postgresPlaceholders(sql, params.length), params as unknown[], { types: POSTGRES_TYPES }));
  try {
    for (;;) {
      const rows = await cursor.read(CURSOR_ROWS);
      if (rows.length === 0) return;
      yield* rows;
    }
  } finally {
    await cursor.close().catch(() => undefined);
  }
}

/**
 * Every new session speaks the same dialect whatever the server's defaults: UTC (timestamps read
 * back as written), ISO dates, intervals as `HH:MM:SS`, doubles printed in full (PostgreSQL 12+
 * prints the shortest text that reads back bit for bit), standard string literals (the DDL's
 * quoting relies on it), hex bytea. A hook the config already has runs after.
 */
export function configurePostgres(config: Knex.Config): Knex.Config {
  const userHook = (config.pool as { afterCreate?: (raw: unknown, done: (e: Error | null, c: unknown) => void) => void } | undefined)?.afterCreate;
  const setup = "SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3; "
    + "SET standard_conforming_strings = on; SET bytea_output = 'hex'; SET client_encoding = 'UTF8'";
  return {
    ...config,
    pool: {
      ...config.pool,
      afterCreate(raw: PostgresRaw, done: (e: Error | null, c: unknown) => void) {
        raw.query({ text: setup }).then(() => {
          if (userHook) userHook(raw, done);
          else done(null, raw);
        }, (error: Error) => done(error, raw));
      },
    },
  };
}

/** SQLSTATEs of connection trouble (class 08, admin shutdown, bad password, no such database). */
const CONNECTION_STATES = /^(08|57P0[123]|28|3D000)/;

/** PostgreSQL's SQLSTATE codes (and Node's socket errors) as the layers above need them. */
export function postgresErrorKind(error: unknown): ErrorKind {
  const c = errorCode(error);
  if (c === '23505') return 'duplicate';
  // deadlock_detected, serialization_failure, lock_not_available
  if (c === '40P01' || c === '40001' || c === '55P03') return 'deadlock';
  if (c === '23503') return 'foreignKey';
  if (c === '54000') return 'packet';
  if (CONNECTION_STATES.test(c) || c === 'ECONNREFUSED' || c === 'ECONNRESET' || c === 'ENOTFOUND' || c === 'EPIPE') return 'connection';
  if (c === '' && /Connection terminated|connection is closed|Client has encountered a connection error/i.test(String((error as Error)?.message))) return 'connection';
  return 'other';
}
