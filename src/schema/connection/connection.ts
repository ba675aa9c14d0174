import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { BlobError, ConnectionError, DuplicateError, IntegrityError, QueryError } from '../../errors.js';
import type { ConnectionSpec } from './config.js';
import { mysqlDialect, sqliteDialect, type Dialect } from './dialect.js';
import { installExactDoubles } from './exact-doubles.js';
import { execute, formatMysql, preparedStatement, type MysqlRaw, type RawConnection, type SqliteRaw, type SqliteStatement } from './driver.js';

function threadId(raw: RawConnection): number {
  return Number((raw as MysqlRaw).threadId ?? 0);
}

/** Result of a statement that returns no rows. */
export interface RunResult {
  readonly affectedRows: number;
  readonly insertId: number | undefined;
}

const open = new Map<string, Connection>();

// mysql2's text protocol reads some doubles one unit in the last place off; every read is exact.
installExactDoubles();

/**
 * One database target shared by every schema that names it. knex holds the pool (one connection
 * for SQLite) and the configuration; statements run on the pooled driver connections, because
 * knex's own query and transaction layers cost more per key than the whole populate() budget.
 */
export class Connection {
  readonly dialect: Dialect;
  readonly knex: Knex;
  readonly prefix: string;
  /** Safe to print: no password. */
  readonly display: string;
  /** The embedded database's file (SQLite); undefined for a server or an in-memory database. */
  readonly file: string | undefined;
  readonly #sessions = new AsyncLocalStorage<{ raw: RawConnection; inTransaction: boolean }>();
  /** Private (#): never shown by console.log or util.inspect, since it holds the password. */
  readonly #spec: ConnectionSpec;
  /** The embedded database's folder, until it has been made. */
  #sqliteFolder: string | undefined;

  private constructor(spec: ConnectionSpec) {
    this.#spec = spec;
    this.dialect = spec.dialect === 'mysql' ? mysqlDialect : sqliteDialect;
    this.prefix = spec.prefix;
    this.display = spec.display;
    const config = { ...spec.knexConfig };
    if (spec.dialect === 'sqlite') {
      const filename = (config.connection as { filename: string }).filename;
      // The folder is made when the first statement needs the file, not here: a Connection object
      // (made by importing a schema, or by drawing its ERD) must leave the disk alone.
      if (filename !== ':memory:') this.#sqliteFolder = path.dirname(filename);
      this.file = filename === ':memory:' ? undefined : filename;
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
    } else {
      this.file = undefined;
    }
    if (spec.dialect === 'mysql') {
      const userHook = (config.pool as { afterCreate?: (raw: unknown, done: (e: Error | null, c: unknown) => void) => void } | undefined)?.afterCreate;
      config.pool = {
        ...config.pool,
        // TIMESTAMP values are kept in UTC and converted through the session's time zone; in UTC
        // no value falls into a daylight-saving gap, and the text read back is the text written.
        afterCreate(raw: MysqlRaw, done: (e: Error | null, c: unknown) => void) {
          raw.query("SET time_zone = '+00:00'", (error) => {
            if (error || !userHook) done(error, raw);
            else userHook(raw, done);
          });
        },
      };
    }
    // Failures reach the caller as errors that name the target; knex's own console logging would
    // only repeat them.
    const quiet = (): void => undefined;
    this.knex = knexFactory({ ...config, log: { warn: quiet, error: quiet, deprecate: quiet, debug: quiet } });
  }

  /** The shared connection for a target; the same spec gives the same object. */
  static for(spec: ConnectionSpec): Connection {
    const existing = open.get(spec.key);
    if (existing) return existing;
    const connection = new Connection(spec);
    open.set(spec.key, connection);
    return connection;
  }

  /**
   * The resolved target, password included: for handing to a worker process over its IPC channel
   * (never through its environment or command line). Do not print it.
   */
  targetWithSecret(): ConnectionSpec {
    return this.#spec;
  }

  /** Closes every open connection (tests and command-line tools call this on exit). */
  static async closeAll(): Promise<void> {
    const all = [...open.values()];
    open.clear();
    await Promise.all(all.map((c) => c.close()));
  }

  /** True once closed: schemas then open a new connection on their next use. */
  get closed(): boolean {
    return this.#closed;
  }

  #closed = false;

  /** Closes this connection's pool; schemas that use it reconnect on their next statement. */
  async close(): Promise<void> {
    for (const [key, value] of open) if (value === this) open.delete(key);
    this.#closed = true;
    await this.knex.destroy();
  }

  /** The knex pool, for acquiring and releasing driver connections; failures name the target. */
  private get pool(): { acquireConnection(): Promise<unknown>; releaseConnection(c: unknown): Promise<unknown> } {
    const client = this.knex.client as { acquireConnection(): Promise<unknown>; releaseConnection(c: unknown): Promise<unknown> };
    return {
      acquireConnection: async () => {
        if (this.#sqliteFolder !== undefined) {
          mkdirSync(this.#sqliteFolder, { recursive: true });
          this.#sqliteFolder = undefined;
        }
        try {
          return await client.acquireConnection();
        } catch (error) {
          throw new ConnectionError(`Cannot connect to ${this.display}: ${(error as Error).message}`, { cause: error });
        }
      },
      releaseConnection: (c) => client.releaseConnection(c),
    };
  }

  /** True inside `transaction()` (in this async context). */
  get inTransaction(): boolean {
    return this.#sessions.getStore()?.inTransaction ?? false;
  }

  /**
   * Runs `work` with one driver connection pinned to its async context: every statement inside uses
   * it. populate() reserves a job and runs its make() on one connection, so the connection id in
   * the jobs table is the one whose death means the worker is gone.
   */
  async session<T>(work: (connectionId: number) => Promise<T>): Promise<T> {
    const current = this.#sessions.getStore();
    if (current) return work(threadId(current.raw));
    const raw = (await this.pool.acquireConnection()) as RawConnection;
    try {
      return await this.#sessions.run({ raw, inTransaction: false }, () => work(threadId(raw)));
    } finally {
      await this.pool.releaseConnection(raw);
    }
  }

  /**
   * Runs `work` in a transaction; queries inside it use it without passing anything around. Nested
   * calls join the outer transaction. SQLite takes the write lock at the start (BEGIN IMMEDIATE) so
   * that processes sharing a file wait for each other instead of failing.
   */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.inTransaction) return work();
    return this.session(async () => {
      const store = this.#sessions.getStore()!;
      const begin = this.dialect.name === 'mysql' ? 'START TRANSACTION' : 'BEGIN IMMEDIATE';
      await this.#exec(store.raw, begin, []);
      store.inTransaction = true;
      try {
        const result = await work();
        await this.#exec(store.raw, 'COMMIT', []);
        return result;
      } catch (error) {
        await this.#exec(store.raw, 'ROLLBACK', []).catch(() => undefined);
        throw error;
      } finally {
        store.inTransaction = false;
      }
    });
  }

  /** Runs a SELECT and returns its rows. Values are bound, never spliced. */
  async query<Row = Record<string, unknown>>(sql: string, params: readonly unknown[] = [], table?: string): Promise<Row[]> {
    return (await this.#statement(sql, params, table)) as Row[];
  }

  /** Runs a statement that returns no rows. */
  async run(sql: string, params: readonly unknown[] = [], table?: string): Promise<RunResult> {
    const result = await this.#statement(sql, params, table);
    return Array.isArray(result) ? { affectedRows: 0, insertId: undefined } : result;
  }

  /**
   * Streams a SELECT's rows (MySQL) without holding them all in memory. The connection stays
   * pinned until the iteration ends.
   */
  async *stream(sql: string, params: readonly unknown[], table?: string): AsyncGenerator<Record<string, unknown>> {
    const pinned = this.#sessions.getStore()?.raw;
    const raw = (pinned ?? (await this.pool.acquireConnection())) as MysqlRaw;
    try {
      const rows = raw.query(formatMysql(sql, params, (v) => raw.escape(v))).stream({ highWaterMark: 1000 });
      for await (const row of rows as AsyncIterable<Record<string, unknown>>) yield row;
    } catch (error) {
      throw this.wrapError(error, sql, params, table);
    } finally {
      if (!pinned) await this.pool.releaseConnection(raw);
    }
  }

  async #statement(sql: string, params: readonly unknown[], table: string | undefined): Promise<unknown[] | RunResult> {
    const pinned = this.#sessions.getStore()?.raw;
    if (pinned) return this.#exec(pinned, sql, params, table);
    const raw = (await this.pool.acquireConnection()) as RawConnection;
    try {
      return await this.#exec(raw, sql, params, table);
    } finally {
      await this.pool.releaseConnection(raw);
    }
  }

  async #exec(raw: RawConnection, sql: string, params: readonly unknown[], table?: string): Promise<unknown[] | RunResult> {
    try {
      return await execute(this.dialect.name, raw, sql, params, this.#statements);
    } catch (error) {
      throw this.wrapError(error, sql, params, table);
    }
  }

  readonly #statements = new WeakMap<object, Map<string, SqliteStatement>>();
  readonly #packetLimits = new WeakMap<object, number>();

  /**
   * MySQL refuses (and then drops the connection on) any statement larger than the connection's
   * max_allowed_packet; a statement that would be is refused here first, naming the setting.
   */
  async checkPacketSize(bytes: number, table?: string): Promise<void> {
    if (this.dialect.name !== 'mysql') return;
    await this.session(async () => {
      const raw = this.#sessions.getStore()!.raw;
      let limit = this.#packetLimits.get(raw);
      if (limit === undefined) {
        const [row] = (await this.#exec(raw, 'SELECT @@max_allowed_packet AS m', [])) as Array<{ m: unknown }>;
        limit = Number(row?.m ?? Number.POSITIVE_INFINITY);
        this.#packetLimits.set(raw, limit);
      }
      if (bytes + 1024 > limit) {
        throw new BlobError(`${table === undefined ? 'A statement' : `An insert into ${table}`} would send ${bytes} bytes, more than the server's max_allowed_packet (${limit} bytes), so it was not sent. Raise it: SET GLOBAL max_allowed_packet=1073741824 (then reconnect), or store less per row.`);
      }
    });
  }

  /**
   * Runs one statement as a server-side prepared statement (MySQL `execute`): large blobs travel
   * as binary parameters instead of being escaped into the SQL text, about 10× faster.
   */
  async runPrepared(sql: string, params: readonly unknown[], table?: string): Promise<RunResult> {
    if (this.dialect.name !== 'mysql') return this.run(sql, params, table);
    return this.session(async () => {
      const raw = this.#sessions.getStore()!.raw as MysqlRaw;
      try {
        const header = await new Promise<{ affectedRows?: number; insertId?: number }>((resolve, reject) => {
          raw.execute(sql, params as unknown[], (error, result) => (error ? reject(error) : resolve(result as { affectedRows?: number })));
        });
        raw.unprepare?.(sql);
        return { affectedRows: header.affectedRows ?? 0, insertId: header.insertId };
      } catch (error) {
        throw this.wrapError(error, sql, params, table);
      }
    });
  }

  /**
   * SQLite: runs one prepared statement for many parameter rows, in the current transaction.
   * better-sqlite3 is fastest this way; the statement is prepared once and cached.
   */
  async runMany(sql: string, rows: ReadonlyArray<readonly unknown[]>, table?: string): Promise<RunResult> {
    return this.session(async () => {
      const raw = this.#sessions.getStore()!.raw as SqliteRaw;
      let affectedRows = 0;
      let index = 0;
      try {
        const statement = preparedStatement(raw, sql, this.#statements);
        for (index = 0; index < rows.length; index++) affectedRows += Number(statement.run(...rows[index]!).changes);
        return { affectedRows, insertId: undefined };
      } catch (error) {
        throw Object.assign(this.wrapError(error, sql, rows[index] ?? [], table), { rowIndex: index });
      }
    });
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
