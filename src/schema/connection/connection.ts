import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { BlobError, ConnectionError, DeadlockError, DuplicateError, IntegrityError, QueryError } from '../../errors.js';
import type { ConnectionSpec } from './config.js';
import type { Dialect, RowBatch, RunResult, StatementCache } from './dialect.js';
import { dialectFor } from './dialects/index.js';

export type { RunResult } from './dialect.js';

/** How {@link Connection.transaction} starts its transaction. */
export interface TransactionOptions {
  /**
   * Take SQLite's write lock at the transaction's first write instead of at its start (see
   * {@link Connection.transaction}). For work whose reads before its first write need no lock
   * (populate's make: it reads upstream rows, computes, then inserts its own), so that other
   * processes sharing the file can write while it computes. MySQL/MariaDB and PostgreSQL lock per
   * row and begin as without it.
   */
  readonly lockAtFirstWrite?: boolean;
}

/** A pinned driver connection and where its transaction stands. */
interface Session {
  readonly raw: unknown;
  /** Inside `transaction()`, begun or not. */
  inTransaction: boolean;
  /** Inside a `lockAtFirstWrite` transaction that has not written yet: no BEGIN has been sent. */
  deferred: boolean;
}

const open = new Map<string, Connection>();

let savepoints = 0;

/**
 * One database target shared by every schema that names it. knex holds the pool (one connection
 * for SQLite) and the configuration; statements run on the pooled driver connections, because
 * knex's own query and transaction layers cost more per key than the whole populate() budget.
 * What differs between backends is asked of {@link Dialect}.
 */
export class Connection {
  readonly dialect: Dialect;
  readonly knex: Knex;
  readonly prefix: string;
  /** Safe to print: no password. */
  readonly display: string;
  /** The embedded database's file (SQLite); undefined for a server or an in-memory database. */
  readonly file: string | undefined;
  readonly #sessions = new AsyncLocalStorage<Session>();
  /** Private (#): never shown by console.log or util.inspect, since it holds the password. */
  readonly #spec: ConnectionSpec;
  /** The embedded database's folder, until it has been made. */
  #sqliteFolder: string | undefined;

  private constructor(spec: ConnectionSpec) {
    this.#spec = spec;
    this.dialect = dialectFor(spec.dialect);
    this.prefix = spec.prefix;
    this.display = spec.display;
    const config = this.dialect.configure({ ...spec.knexConfig });
    this.file = this.dialect.embeddedFile(config);
    // The folder is made when the first statement needs the file, not here: a Connection object
    // (made by importing a schema, or by drawing its ERD) must leave the disk alone.
    if (this.file !== undefined) this.#sqliteFolder = path.dirname(this.file);
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
    if (current) return work(this.dialect.connectionId(current.raw));
    const raw = await this.pool.acquireConnection();
    try {
      return await this.#sessions.run({ raw, inTransaction: false, deferred: false }, () => work(this.dialect.connectionId(raw)));
    } finally {
      await this.pool.releaseConnection(raw);
    }
  }

  /**
   * Runs `work` in a transaction; queries inside it use it without passing anything around. Nested
   * calls join the outer transaction. SQLite takes the write lock at the start (BEGIN IMMEDIATE) so
   * that processes sharing a file wait for each other instead of failing, and so that what `work`
   * reads stays true until it commits (read-modify-write code relies on that).
   *
   * With `{ lockAtFirstWrite: true }` (populate's make), SQLite sends no BEGIN at the start: the
   * statements before the first write run on the pinned connection each on its own, seeing the
   * latest committed data; the first statement that writes (by SQLite's own judgement,
   * sqlite3_stmt_readonly) is preceded by BEGIN IMMEDIATE, and everything after it is in the
   * transaction. Holding SQLite's single write lock through a make's computation would make workers
   * sharing a file take turns. COMMIT or ROLLBACK is sent only if BEGIN was; {@link ensureWriteLock}
   * takes the lock early. A nested `transaction()` without the option joins and takes the lock, as
   * it would have on its own. The servers begin at the start either way.
   *
   * @example
   * ```ts
   * await connection.transaction(async () => { … }, { lockAtFirstWrite: true });
   * // SQLite: SELECT …; SELECT …; BEGIN IMMEDIATE; INSERT …; INSERT …; COMMIT
   * ```
   */
  async transaction<T>(work: () => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    if (this.inTransaction) {
      if (!options.lockAtFirstWrite) await this.ensureWriteLock();
      return work();
    }
    return this.session(async () => {
      const store = this.#sessions.getStore()!;
      const deferred = options.lockAtFirstWrite === true && this.dialect.statementWrites !== undefined;
      if (!deferred) await this.#exec(store.raw, this.dialect.beginTransaction, []);
      store.inTransaction = true;
      store.deferred = deferred;
      try {
        const result = await work();
        if (!store.deferred) await this.#exec(store.raw, 'COMMIT', []);
        return result;
      } catch (error) {
        if (!store.deferred) await this.#exec(store.raw, 'ROLLBACK', []).catch(() => undefined);
        throw error;
      } finally {
        store.inTransaction = false;
        store.deferred = false;
      }
    });
  }

  /**
   * In a `lockAtFirstWrite` transaction that has not written yet, begins it now (SQLite: BEGIN
   * IMMEDIATE, waiting up to the busy timeout for another writer): what is read from here on cannot
   * change before the commit. populate's check that the worker still holds its reservation runs
   * after it, so no other process can take the key between the check and the commit even when make
   * wrote nothing. Anywhere else it does nothing.
   */
  async ensureWriteLock(): Promise<void> {
    const store = this.#sessions.getStore();
    if (!store?.deferred) return;
    // Cleared first: a concurrent statement of this session must not send a second BEGIN.
    store.deferred = false;
    try {
      await this.#exec(store.raw, this.dialect.beginTransaction, []);
    } catch (error) {
      store.deferred = true;
      throw error;
    }
  }

  /** Before a statement on the pinned connection: begins a deferred transaction if it writes. */
  async #lockIfWrites(store: Session, sql: string): Promise<void> {
    const statementWrites = this.dialect.statementWrites;
    if (!statementWrites) return;
    let writes: boolean;
    try {
      writes = statementWrites(store.raw, sql, this.#statements);
    } catch {
      // It cannot be prepared, so it will not run either: its own error comes from running it.
      writes = false;
    }
    if (writes) await this.ensureWriteLock();
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
   * Streams a SELECT's rows from a server-side cursor without holding them all in memory. The
   * connection stays pinned until the iteration ends. Only for dialects that stream
   * (`dialect.stream`); SQLite pages instead (query/stream.ts).
   */
  async *stream(sql: string, params: readonly unknown[], table?: string): AsyncGenerator<Record<string, unknown>> {
    const stream = this.dialect.stream;
    if (!stream) throw new Error(`internal: ${this.dialect.label} does not stream from a cursor`);
    const pinned = this.#sessions.getStore()?.raw;
    const raw = pinned ?? (await this.pool.acquireConnection());
    try {
      for await (const row of stream(raw, sql, params)) yield row;
    } catch (error) {
      throw this.wrapError(error, sql, params, table);
    } finally {
      if (!pinned) await this.pool.releaseConnection(raw);
    }
  }

  /**
   * Runs `work` so that its failure leaves the current transaction usable: PostgreSQL aborts a
   * transaction at its first error, so there it runs under a savepoint (rolled back to on error).
   * Elsewhere, and outside transactions, it just runs.
   *
   * @example
   * ```ts
   * await connection.guarded(() => connection.run('INSERT …'));
   * // PostgreSQL in a transaction: SAVEPOINT rg_1; INSERT …; RELEASE SAVEPOINT rg_1 (ROLLBACK TO SAVEPOINT rg_1 on error)
   * ```
   */
  async guarded<T>(work: () => Promise<T>): Promise<T> {
    if (!this.dialect.errorAbortsTransaction || !this.inTransaction) return work();
    const name = `rg_${++savepoints}`;
    const raw = this.#sessions.getStore()!.raw;
    await this.#exec(raw, `SAVEPOINT ${name}`, []);
    try {
      const result = await work();
      await this.#exec(raw, `RELEASE SAVEPOINT ${name}`, []);
      return result;
    } catch (error) {
      await this.#exec(raw, `ROLLBACK TO SAVEPOINT ${name}`, []).catch(() => undefined);
      throw error;
    }
  }

  async #statement(sql: string, params: readonly unknown[], table: string | undefined): Promise<unknown[] | RunResult> {
    const store = this.#sessions.getStore();
    if (store !== undefined) {
      if (store.deferred) await this.#lockIfWrites(store, sql);
      return this.#exec(store.raw, sql, params, table);
    }
    const raw = await this.pool.acquireConnection();
    try {
      return await this.#exec(raw, sql, params, table);
    } finally {
      await this.pool.releaseConnection(raw);
    }
  }

  async #exec(raw: unknown, sql: string, params: readonly unknown[], table?: string): Promise<unknown[] | RunResult> {
    try {
      return await this.dialect.execute(raw, sql, params, this.#statements);
    } catch (error) {
      throw this.wrapError(error, sql, params, table);
    }
  }

  readonly #statements: StatementCache = new WeakMap();
  readonly #packetLimits = new WeakMap<object, number>();

  /**
   * MySQL refuses (and then drops the connection on) any statement larger than the connection's
   * max_allowed_packet; a statement that would be is refused here first, naming the setting.
   * Backends without such a limit (`dialect.statementLimit` undefined) accept it.
   */
  async checkPacketSize(bytes: number, table?: string): Promise<void> {
    const statementLimit = this.dialect.statementLimit;
    if (!statementLimit) return;
    await this.session(async () => {
      const raw = this.#sessions.getStore()!.raw as object;
      let limit = this.#packetLimits.get(raw);
      if (limit === undefined) {
        limit = await statementLimit(raw, (sql) => this.#exec(raw, sql, []));
        this.#packetLimits.set(raw, limit);
      }
      if (bytes + 1024 > limit) {
        throw new BlobError(`${table === undefined ? 'A statement' : `An insert into ${table}`} would send ${bytes} bytes, more than the server's max_allowed_packet (${limit} bytes), so it was not sent. Raise it: SET GLOBAL max_allowed_packet=1073741824 (then reconnect), or store less per row.`);
      }
    });
  }

  /**
   * Runs one statement with large values as binary parameters: MySQL's prepared protocol (about
   * 10× faster than escaping a large blob into the text); the other drivers bind anyway.
   */
  async runPrepared(sql: string, params: readonly unknown[], table?: string): Promise<RunResult> {
    const executePrepared = this.dialect.executePrepared;
    if (!executePrepared) return this.run(sql, params, table);
    return this.session(async () => {
      const store = this.#sessions.getStore()!;
      if (store.deferred) await this.#lockIfWrites(store, sql);
      try {
        return await executePrepared(store.raw, sql, params);
      } catch (error) {
        throw this.wrapError(error, sql, params, table);
      }
    });
  }

  /**
   * Runs one prepared statement for many parameter rows, in the current transaction, where the
   * dialect does that best (`dialect.runMany`, SQLite), `batch.rows` rows a statement when a
   * batch is given; a failure names the row (`rowIndex`).
   *
   * @internal
   */
  async runMany(sql: string, rows: ReadonlyArray<readonly unknown[]>, table?: string, batch?: RowBatch): Promise<RunResult> {
    const runMany = this.dialect.runMany;
    if (!runMany) throw new Error(`internal: ${this.dialect.label} inserts with multi-row statements`);
    return this.session(async () => {
      const store = this.#sessions.getStore()!;
      if (store.deferred) await this.#lockIfWrites(store, sql);
      const result = runMany(store.raw, sql, rows, this.#statements, batch);
      if (result.failedRow !== undefined) {
        throw Object.assign(this.wrapError(result.error, sql, rows[result.failedRow] ?? [], table), { rowIndex: result.failedRow });
      }
      return { affectedRows: result.affectedRows, insertId: undefined };
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
      case 'deadlock':
        return new DeadlockError(`Deadlock${where}: ${message}. The statement may be run again.`, details);
      case 'connection':
        return new ConnectionError(`Lost or refused connection to ${this.display}: ${message}`, { cause: error });
      default:
        return new QueryError(`Query failed${where}: ${message}`, details);
    }
  }
}
