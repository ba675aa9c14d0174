import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { ConnectionError, DuplicateError, IntegrityError, QueryError } from '../../errors.js';
import type { ConnectionSpec } from './config.js';
import { mysqlDialect, sqliteDialect, type Dialect } from './dialect.js';

/** Result of a statement that returns no rows. */
export interface RunResult {
  readonly affectedRows: number;
  readonly insertId: number | undefined;
}

const open = new Map<string, Connection>();

/**
 * One database target shared by every schema that names it: a knex pool (one connection for
 * SQLite) and the transaction of the current async context.
 */
export class Connection {
  readonly dialect: Dialect;
  readonly knex: Knex;
  readonly prefix: string;
  /** Safe to print: no password. */
  readonly display: string;
  readonly #transactions = new AsyncLocalStorage<Knex.Transaction>();

  private constructor(spec: ConnectionSpec) {
    this.dialect = spec.dialect === 'mysql' ? mysqlDialect : sqliteDialect;
    this.prefix = spec.prefix;
    this.display = spec.display;
    const config = { ...spec.knexConfig };
    if (spec.dialect === 'sqlite') {
      const filename = (config.connection as { filename: string }).filename;
      if (filename !== ':memory:') mkdirSync(path.dirname(filename), { recursive: true });
      config.pool = {
        ...config.pool,
        afterCreate(raw: { pragma(s: string): unknown; defaultSafeIntegers(on: boolean): unknown }, done: (e: Error | null, c: unknown) => void) {
          raw.pragma('foreign_keys = ON');
          raw.pragma('busy_timeout = 30000');
          if (filename !== ':memory:') raw.pragma('journal_mode = WAL');
          // 64-bit integers come back exactly; the heading turns the small ones into numbers.
          raw.defaultSafeIntegers(true);
          done(null, raw);
        },
      };
    }
    this.knex = knexFactory(config);
  }

  /** The shared connection for a target; the same spec gives the same object. */
  static for(spec: ConnectionSpec): Connection {
    const existing = open.get(spec.key);
    if (existing) return existing;
    const connection = new Connection(spec);
    open.set(spec.key, connection);
    return connection;
  }

  /** Closes every open connection (tests and command-line tools call this on exit). */
  static async closeAll(): Promise<void> {
    const all = [...open.values()];
    open.clear();
    await Promise.all(all.map((c) => c.knex.destroy()));
  }

  async close(): Promise<void> {
    for (const [key, value] of open) if (value === this) open.delete(key);
    await this.knex.destroy();
  }

  /** The transaction of the current async context, or the pool. */
  get executor(): Knex | Knex.Transaction {
    return this.#transactions.getStore() ?? this.knex;
  }

  get inTransaction(): boolean {
    return this.#transactions.getStore() !== undefined;
  }

  /**
   * Runs `work` in a transaction; queries inside it use it without passing anything around. Nested
   * calls join the outer transaction.
   */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.inTransaction) return work();
    return this.knex.transaction((trx) => this.#transactions.run(trx, work));
  }

  /** Runs a SELECT and returns its rows. Values are bound, never spliced. */
  async query<Row = Record<string, unknown>>(sql: string, params: readonly unknown[] = [], table?: string): Promise<Row[]> {
    const result = await this.#raw(sql, params, table);
    return (this.dialect.name === 'mysql' ? (result as unknown[])[0] : result) as Row[];
  }

  /** Runs a statement that returns no rows. */
  async run(sql: string, params: readonly unknown[] = [], table?: string): Promise<RunResult> {
    const result = await this.#raw(sql, params, table);
    if (this.dialect.name === 'mysql') {
      const header = (result as [{ affectedRows?: number; insertId?: number }])[0];
      return { affectedRows: header?.affectedRows ?? 0, insertId: header?.insertId };
    }
    const info = result as { changes?: number | bigint; lastInsertRowid?: number | bigint } | undefined;
    return { affectedRows: Number(info?.changes ?? 0), insertId: info?.lastInsertRowid === undefined ? undefined : Number(info.lastInsertRowid) };
  }

  /**
   * Runs one statement as a server-side prepared statement (MySQL `execute`): large blobs travel
   * as binary parameters instead of being escaped into the SQL text, about 10× faster.
   */
  async runPrepared(sql: string, params: readonly unknown[], table?: string): Promise<RunResult> {
    if (this.dialect.name !== 'mysql') return this.run(sql, params, table);
    const client = this.executor.client as { acquireConnection(): Promise<unknown>; releaseConnection(c: unknown): Promise<unknown> };
    type Header = { affectedRows?: number; insertId?: number };
    const raw = (await client.acquireConnection()) as {
      execute(sql: string, params: unknown[], done: (error: Error | null, result: Header) => void): void;
      unprepare?(sql: string): void;
    };
    try {
      const header = await new Promise<Header>((resolve, reject) => {
        raw.execute(sql, params as unknown[], (error, result) => (error ? reject(error) : resolve(result)));
      });
      raw.unprepare?.(sql);
      return { affectedRows: header?.affectedRows ?? 0, insertId: header?.insertId };
    } catch (error) {
      throw this.wrapError(error, sql, params, table);
    } finally {
      if (!this.inTransaction) await client.releaseConnection(raw);
    }
  }

  /**
   * SQLite: runs one prepared statement for many parameter rows on the connection, in the current
   * transaction. better-sqlite3 is fastest this way; a statement is prepared once and cached.
   */
  async runMany(sql: string, rows: ReadonlyArray<readonly unknown[]>, table?: string): Promise<RunResult> {
    const client = this.executor.client as { acquireConnection(): Promise<unknown>; releaseConnection(c: unknown): Promise<unknown> };
    const db = (await client.acquireConnection()) as { prepare(sql: string): { run(...p: unknown[]): { changes: number } } };
    let affectedRows = 0;
    let current: readonly unknown[] = [];
    let index = 0;
    try {
      let statement = this.#prepared.get(sql);
      if (!statement) {
        statement = db.prepare(sql);
        this.#prepared.set(sql, statement);
      }
      for (index = 0; index < rows.length; index++) {
        current = rows[index]!;
        affectedRows += Number(statement.run(...current).changes);
      }
      return { affectedRows, insertId: undefined };
    } catch (error) {
      throw Object.assign(this.wrapError(error, sql, current, table), { rowIndex: index });
    } finally {
      if (!this.inTransaction) await client.releaseConnection(db);
    }
  }

  readonly #prepared = new Map<string, { run(...p: unknown[]): { changes: number } }>();

  async #raw(sql: string, params: readonly unknown[], table: string | undefined): Promise<unknown> {
    try {
      return await this.executor.raw(sql, params as Knex.RawBinding[]);
    } catch (error) {
      throw this.wrapError(error, sql, params, table);
    }
  }

  /** Turns a driver error into one of ours, keeping the SQL, the parameters and the cause. */
  wrapError(error: unknown, sql: string, params: readonly unknown[], table?: string): Error {
    if (error instanceof QueryError) return error;
    const full = (error as Error)?.message ?? String(error);
    // knex repeats the whole statement in its messages; the statement is kept on .sql instead.
    const message = full.length > 400 ? `${full.slice(0, 200)} … ${full.slice(-160)}` : full;
    const details = { sql, params, cause: error, ...(table === undefined ? {} : { table }) };
    const where = table === undefined ? '' : ` in ${table}`;
    switch (this.dialect.errorKind(error)) {
      case 'duplicate':
        return new DuplicateError(`Duplicate entry${where}: ${message}. Use skipDuplicates to ignore existing rows, or replace to overwrite them.`, details);
      case 'foreignKey':
        return new IntegrityError(`Foreign key violated${where}: ${message}. Insert the parent row first, or delete dependent rows first.`, details);
      case 'connection':
        return new ConnectionError(`Lost or refused connection to ${this.display}: ${message}`, { cause: error });
      default:
        return new QueryError(`Query failed${where}: ${message}`, details);
    }
  }
}
