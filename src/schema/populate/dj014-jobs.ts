import { hostname } from 'node:os';
import { DuplicateError } from '../../errors.js';
import { packBlob } from '../blob/pack.js';
import type { Connection } from '../connection/connection.js';
import { retryDeadlocks } from '../connection/retry-deadlocks.js';
import type { Attribute, DefaultValue } from '../definition/heading.js';
import { resolveType } from '../definition/types.js';
import type { Schema } from '../declare/schema.js';
import type { TableInfo } from '../declare/table-info.js';
import { dj014KeyDict, dj014KeyHash } from './dj014-key-hash.js';
import { ERROR_MESSAGE_LENGTH } from './jobs-layout.js';
import { jobErrorMessage } from './job-error-message.js';
import { processAlive } from './process-alive.js';

/** The statuses of DataJoint 0.14's `~jobs` rows; a key without a row is available. */
export type Dj014JobStatus = 'reserved' | 'error' | 'ignore';

/** One row of a schema's `~jobs` table (without its blobs). */
export interface Dj014JobRow {
  readonly tableName: string;
  readonly keyHash: string;
  readonly status: Dj014JobStatus;
  readonly errorMessage: string;
  readonly user: string;
  readonly host: string;
  readonly pid: number;
  readonly connectionId: number;
  readonly timestamp: string;
}

/** Who holds a reservation: written into every row, as 0.14 does. */
export interface Dj014Worker {
  readonly host: string;
  readonly pid: number;
  readonly connectionId: number;
  readonly user: string;
}

/** The name of DataJoint 0.14's schema-wide jobs table. */
export const DJ014_JOBS_TABLE = '~jobs';


/**
 * `Name: message` as 0.14's populate writes it, cut to 2047 characters with `...truncated` (DataJoint
 * 2.3 writes the same text).
 *
 * @example
 * ```ts
 * dj014ErrorMessage(new TypeError('bad key'));  // 'TypeError: bad key'
 * ```
 */
export function dj014ErrorMessage(error: Error): string {
  return jobErrorMessage(error);
}

function column(name: string, written: string, nullable: boolean, dflt: DefaultValue | undefined, comment: string, inKey = false): Attribute {
  return { name, type: { ...resolveType(written)!, marker: undefined, dj2Marker: undefined }, inKey, nullable, default: dflt, comment };
}

/**
 * The columns of 0.14's `~jobs`, as its JobTable definition declares them (0.14.9: `error_stack`
 * is a mediumblob). On MySQL/MariaDB they give the very table 0.14 creates; on PostgreSQL and
 * SQLite, which 0.14 never ran on, each dialect's storage of the same types.
 */
const DJ014_COLUMNS: readonly Attribute[] = [
  column('table_name', 'varchar(255)', false, undefined, 'className of the table', true),
  column('key_hash', 'char(32)', false, undefined, 'key hash', true),
  column('status', "enum('reserved','error','ignore')", false, undefined, 'if tuple is missing, the job is available'),
  column('key', 'blob', true, { kind: 'null' }, 'structure containing the key'),
  column('error_message', `varchar(${ERROR_MESSAGE_LENGTH})`, false, { kind: 'string', text: '' }, 'error message returned if failed'),
  column('error_stack', 'mediumblob', true, { kind: 'null' }, 'error stack if failed'),
  column('user', 'varchar(255)', false, { kind: 'string', text: '' }, 'database user'),
  column('host', 'varchar(255)', false, { kind: 'string', text: '' }, 'system hostname'),
  column('pid', 'int unsigned', false, { kind: 'number', text: '0' }, 'system process id'),
  column('connection_id', 'bigint unsigned', false, { kind: 'number', text: '0' }, 'connection_id()'),
  column('timestamp', 'timestamp', false, { kind: 'now' }, 'automatic timestamp'),
];

/**
 * DataJoint 0.14's schema-wide jobs table `~jobs`: one row per reserved, failed or ignored key of
 * any auto-populated table of the schema, keyed by the table's name (`__stats`) and the MD5
 * `key_hash` of the key. A key is reserved by inserting its row, so a 0.14 worker and an
 * rg-schema worker can never both hold it; a finished key's row is deleted.
 *
 * @example
 * ```ts
 * const jobs = dj014Jobs(schema);
 * await jobs.list({ status: 'error' });          // what failed, from either kind of worker
 * await jobs.releaseStale();                      // reservations of connections that are gone
 * ```
 */
export class Dj014JobsTable {
  readonly schema: Schema;
  private declared = false;

  constructor(schema: Schema) {
    this.schema = schema;
  }

  /** The schema's connection. */
  get connection(): Connection {
    return this.schema.connection;
  }

  /** The quoted name of `~jobs` in the schema's database. */
  get ref(): string {
    return this.connection.dialect.tableRef(this.schema.database, DJ014_JOBS_TABLE);
  }

  private q(name: string): string {
    return this.connection.dialect.quote(name);
  }

  /** Creates `~jobs` if the database has none, as 0.14 declares it (held off from other declarers). */
  async declare(): Promise<void> {
    if (this.declared) return;
    const { connection } = this;
    const d = connection.dialect;
    const database = this.schema.database;
    await d.withCreationLock(connection, database, async () => {
      if ((await d.listTables(connection, database)).includes(DJ014_JOBS_TABLE)) return;
      for (const { sql, params } of d.createDatabase(database)) await connection.run(sql, params);
      const statements = d.createTable({
        database, tableName: DJ014_JOBS_TABLE, className: 'JobTable', tier: 'jobs', comment: `job reservation table for \`${database}\``,
        attributes: DJ014_COLUMNS, primaryKey: ['table_name', 'key_hash'], foreignKeys: [], indexes: [],
      });
      // A 0.14 worker declaring ~jobs at this moment takes none of our locks; like 0.14, tolerate it.
      for (const { sql, params } of statements) await connection.run(sql.replace(/^CREATE TABLE /, 'CREATE TABLE IF NOT EXISTS '), params);
    });
    this.declared = true;
  }

  /** This process as a reservation names it; `connectionId` is filled in per session. */
  async workerIdentity(): Promise<Dj014Worker> {
    const [row] = await this.connection.query<{ u: string }>(`SELECT ${this.connection.dialect.currentUser} AS u`);
    return { host: hostname(), pid: process.pid, connectionId: 0, user: row?.u ?? '' };
  }

  /**
   * Reserves a key of `tableName` by inserting its `reserved` row, as 0.14's `JobTable.reserve`.
   * Returns false when a row exists (another worker holds the key, or it failed or is ignored).
   */
  async reserve(tableName: string, key: Readonly<Record<string, unknown>>, worker: Dj014Worker, attributeOf?: (name: string) => Attribute | undefined): Promise<boolean> {
    return this.insertRow(tableName, key, 'reserved', worker, attributeOf);
  }

  /**
   * Inserts a key's row unless one exists (0.14 inserts, and a duplicate means the key is taken).
   * Outside a transaction an insert that InnoDB picked to break a deadlock is tried again: 0.14's
   * protocol deadlocks by design when two workers insert the row of a key while a third deletes it
   * (its completion), the case of MySQL's manual, and a retry then finds the row the other
   * inserted (taken) or none (free). 0.14 itself raises there, and its populate stops.
   */
  private async insertRow(tableName: string, key: Readonly<Record<string, unknown>>, status: Dj014JobStatus, worker: Dj014Worker, attributeOf: ((name: string) => Attribute | undefined) | undefined): Promise<boolean> {
    await this.declare();
    const columns = ['table_name', 'key_hash', 'status', 'key', 'user', 'host', 'pid', 'connection_id'];
    const values = [tableName, dj014KeyHash(key, attributeOf), status, packBlob(dj014KeyDict(key, attributeOf)), worker.user, worker.host, worker.pid, worker.connectionId];
    const insert = (): Promise<unknown> => this.connection.guarded(() => this.connection.run(
      `INSERT INTO ${this.ref} (${columns.map((c) => this.q(c)).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`, values));
    try {
      // In a transaction a deadlock has rolled all of it back: the caller's to handle.
      await (this.connection.inTransaction ? insert() : retryDeadlocks(insert));
      return true;
    } catch (error) {
      if (error instanceof DuplicateError) return false;
      throw error;
    }
  }

  /** A finished key: its row is deleted, as 0.14's `JobTable.complete`. */
  async complete(tableName: string, key: Readonly<Record<string, unknown>>, attributeOf?: (name: string) => Attribute | undefined): Promise<void> {
    await this.connection.run(`DELETE FROM ${this.ref} WHERE ${this.q('table_name')} = ? AND ${this.q('key_hash')} = ?`, [tableName, dj014KeyHash(key, attributeOf)]);
  }

  /**
   * A failed key: its row is replaced by an `error` row holding the message (truncated as 0.14
   * does) and the stack as a DataJoint blob of its text, which 0.14 unpacks to a str.
   */
  async error(tableName: string, key: Readonly<Record<string, unknown>>, error: Error, worker: Dj014Worker, attributeOf?: (name: string) => Attribute | undefined): Promise<void> {
    await this.declare();
    const message = dj014ErrorMessage(error);
    await this.write(tableName, key, 'error', worker, attributeOf, message, packBlob(error.stack ?? message));
  }

  /**
   * Marks a key of `tableName` to be skipped by every worker, rg-schema or 0.14, until cleared.
   * As 0.14's `JobTable.ignore`, only a key with no row can be ignored: returns false, and changes
   * nothing, when the key is reserved, failed or ignored already (clear its row first).
   */
  async ignore(tableName: string, key: Readonly<Record<string, unknown>>, attributeOf?: (name: string) => Attribute | undefined): Promise<boolean> {
    return this.insertRow(tableName, key, 'ignore', { ...(await this.workerIdentity()), connectionId: 0 }, attributeOf);
  }

  private async write(tableName: string, key: Readonly<Record<string, unknown>>, status: Dj014JobStatus, worker: Dj014Worker,
    attributeOf: ((name: string) => Attribute | undefined) | undefined, message: string, stack: Buffer | null): Promise<void> {
    const d = this.connection.dialect;
    const identity = ['table_name', 'key_hash'];
    const rest = ['status', 'key', 'error_message', 'error_stack', 'user', 'host', 'pid', 'connection_id', 'timestamp'];
    const values = [tableName, dj014KeyHash(key, attributeOf), status, packBlob(dj014KeyDict(key, attributeOf)), message, stack, worker.user, worker.host, worker.pid, worker.connectionId];
    // 0.14 writes with REPLACE; an upsert of every column (the timestamp renewed) leaves the same row.
    await this.connection.run(
      `INSERT INTO ${this.ref} (${[...identity, ...rest].map((c) => this.q(c)).join(', ')}) VALUES (${values.map(() => '?').join(', ')}, CURRENT_TIMESTAMP)${d.onDuplicate(identity, rest, 'replace')}`,
      values);
  }

  /** Rows, optionally of one table and/or status, oldest first. */
  async list(filter: { tableName?: string; status?: Dj014JobStatus } = {}): Promise<Dj014JobRow[]> {
    await this.declare();
    const { where, params } = this.filterWhere(filter);
    const names = ['table_name', 'key_hash', 'status', 'error_message', 'user', 'host', 'pid', 'connection_id', 'timestamp'];
    const rows = await this.connection.query<Record<string, unknown>>(
      `SELECT ${names.map((c) => this.q(c)).join(', ')} FROM ${this.ref}${where} ORDER BY ${this.q('timestamp')}, ${this.q('table_name')}, ${this.q('key_hash')}`, params);
    return rows.map((r) => ({
      tableName: String(r.table_name),
      keyHash: String(r.key_hash).trim(),
      status: String(r.status) as Dj014JobStatus,
      errorMessage: String(r.error_message ?? ''),
      user: String(r.user ?? ''),
      host: String(r.host ?? ''),
      pid: Number(r.pid ?? 0),
      connectionId: Number(r.connection_id ?? 0),
      timestamp: r.timestamp instanceof Date ? r.timestamp.toISOString() : String(r.timestamp),
    }));
  }

  /** The `key_hash`es of `tableName`'s rows of these statuses. */
  async hashes(tableName: string, statuses: readonly Dj014JobStatus[]): Promise<Set<string>> {
    await this.declare();
    const rows = await this.connection.query<{ key_hash: string }>(
      `SELECT ${this.q('key_hash')} FROM ${this.ref} WHERE ${this.q('table_name')} = ? AND ${this.q('status')} IN (${statuses.map(() => '?').join(', ')})`,
      [tableName, ...statuses]);
    return new Set(rows.map((r) => String(r.key_hash).trim()));
  }

  /** Deletes rows (of one table and/or status): errors cleared this way are retried by the next populate. */
  async clear(filter: { tableName?: string; status?: Dj014JobStatus } = {}): Promise<number> {
    await this.declare();
    const { where, params } = this.filterWhere(filter);
    return (await this.connection.run(`DELETE FROM ${this.ref}${where}`, params)).affectedRows;
  }

  /**
   * Gives back reservations whose worker is certainly gone. DataJoint 0.14 itself never does this,
   * so it is only done when asked, and conservatively: a `reserved` row is deleted only when it was
   * made by this database user (a server shows every user its own connections, so their absence is
   * proof) with a connection id that is no longer among the server's connections; on SQLite, only
   * when its host is this machine and its process no longer exists. Error and ignore rows are
   * never touched. Returns the number released.
   */
  async releaseStale(): Promise<number> {
    await this.declare();
    const live = this.connection.dialect.liveConnectionIds;
    const me = await this.workerIdentity();
    const reserved = await this.list({ status: 'reserved' });
    const sameUser = (user: string): boolean => user.split('@')[0] === me.user.split('@')[0];
    let released = 0;
    if (live !== undefined) {
      const alive = new Set((await this.connection.query<Record<string, unknown>>(live)).map((r) => Number(Object.values(r)[0])));
      for (const job of reserved) {
        if (job.connectionId === 0 || alive.has(job.connectionId) || !sameUser(job.user)) continue;
        released += await this.releaseRow(job);
      }
      return released;
    }
    for (const job of reserved) {
      if (job.host === hostname() && !processAlive(job.pid)) released += await this.releaseRow(job);
    }
    return released;
  }

  /** The WHERE clause (and its values) of a `{ tableName, status }` filter; empty for no filter. */
  private filterWhere(filter: { tableName?: string; status?: Dj014JobStatus }): { where: string; params: unknown[] } {
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (filter.tableName !== undefined) {
      conditions.push(`${this.q('table_name')} = ?`);
      params.push(filter.tableName);
    }
    if (filter.status !== undefined) {
      conditions.push(`${this.q('status')} = ?`);
      params.push(filter.status);
    }
    return { where: conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`, params };
  }

  /** Deletes one reservation unless it changed since it was read (re-reserved by a live worker). */
  private async releaseRow(job: Dj014JobRow): Promise<number> {
    return (await this.connection.run(
      `DELETE FROM ${this.ref} WHERE ${this.q('table_name')} = ? AND ${this.q('key_hash')} = ? AND ${this.q('status')} = 'reserved' AND ${this.q('connection_id')} = ? AND ${this.q('pid')} = ?`,
      [job.tableName, job.keyHash, job.connectionId, job.pid])).affectedRows;
  }
}

/**
 * The `~jobs` table of a schema, as DataJoint 0.14 keeps it: list, clear and ignore jobs, and
 * release the reservations of workers that are gone.
 *
 * @example
 * ```ts
 * await dj014Jobs(schema).clear({ tableName: '__stats', status: 'error' });
 * ```
 */
export function dj014Jobs(schema: Schema): Dj014JobsTable {
  return new Dj014JobsTable(schema);
}

/**
 * One table's view of its schema's `~jobs`, with the reservation calls populate makes: the key's
 * types come from the table's heading so its hash and blob are the ones 0.14 computes.
 */
export class Dj014TableJobs {
  readonly jobs: Dj014JobsTable;
  readonly tableName: string;
  private readonly attributeOf: (name: string) => Attribute | undefined;

  constructor(info: TableInfo) {
    this.jobs = new Dj014JobsTable(info.schema);
    this.tableName = info.tableName;
    const heading = info.resolved!.heading;
    this.attributeOf = (name) => (heading.has(name) ? heading.get(name) : undefined);
  }

  /** See {@link Dj014JobsTable.workerIdentity}. */
  workerIdentity(): Promise<Dj014Worker> {
    return this.jobs.workerIdentity();
  }

  /** See {@link Dj014JobsTable.reserve}. */
  reserve(key: Record<string, unknown>, worker: Dj014Worker): Promise<boolean> {
    return this.jobs.reserve(this.tableName, key, worker, this.attributeOf);
  }

  /** See {@link Dj014JobsTable.complete}. */
  complete(key: Record<string, unknown>): Promise<void> {
    return this.jobs.complete(this.tableName, key, this.attributeOf);
  }

  /** See {@link Dj014JobsTable.error}. */
  error(key: Record<string, unknown>, error: Error, worker: Dj014Worker): Promise<void> {
    return this.jobs.error(this.tableName, key, error, worker, this.attributeOf);
  }

  /** See {@link Dj014JobsTable.ignore}. */
  ignore(key: Record<string, unknown>): Promise<boolean> {
    return this.jobs.ignore(this.tableName, key, this.attributeOf);
  }

  /** The keys left to try: those with an `error`, `ignore` or `reserved` row are skipped, as 0.14 skips them. */
  async todo(keys: Array<Record<string, unknown>>): Promise<Array<Record<string, unknown>>> {
    const blocked = await this.jobs.hashes(this.tableName, ['error', 'ignore', 'reserved']);
    if (blocked.size === 0) return keys;
    return keys.filter((k) => !blocked.has(dj014KeyHash(k, this.attributeOf)));
  }
}
