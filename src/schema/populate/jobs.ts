import { hostname } from 'node:os';
import { DuplicateError } from '../../errors.js';
import type { Connection } from '../connection/connection.js';
import type { Attribute, DefaultValue } from '../definition/heading.js';
import { resolveType } from '../definition/types.js';
import type { TableInfo } from '../declare/table-info.js';
import { packBlob } from '../blob/pack.js';
import { encodeValue } from '../query/values.js';

/** DataJoint 2's job statuses. */
export type JobStatus = 'pending' | 'reserved' | 'success' | 'error' | 'ignore';

export const ERROR_MESSAGE_LENGTH = 2047;

/** One row of a jobs table. */
export interface JobRow {
  readonly key: Record<string, unknown>;
  readonly status: JobStatus;
  readonly priority: number;
  readonly errorMessage: string;
  readonly host: string;
  readonly pid: number;
  readonly connectionId: number;
  readonly reservedTime: string | null;
}

/** `__spike_triggered_average` → `~~spike_triggered_average`: one jobs table per auto-populated table. */
export function jobsTableName(info: TableInfo): string {
  return `~~${info.tableName.replace(/^_+/, '')}`;
}

/**
 * The jobs table of an Imported or Computed table, with DataJoint 2's columns and statuses, so
 * rg-schema and DataJoint workers can share it. A key is taken only by inserting (or atomically
 * flipping a `pending` row to) its reservation: two workers can never both hold it.
 */
export class JobsTable {
  readonly info: TableInfo;
  readonly connection: Connection;
  readonly keyAttributes: string[];
  private declared = false;

  constructor(info: TableInfo) {
    this.info = info;
    this.connection = info.schema.connection;
    const fromParents = new Set(info.resolved!.foreignKeys.filter((fk) => fk.inKey).flatMap((fk) => fk.attributes));
    this.keyAttributes = info.resolved!.heading.primaryKey.filter((k) => fromParents.has(k));
  }

  /** The jobs table's quoted name (`~~table_name`). */
  get ref(): string {
    return this.connection.dialect.tableRef(this.info.schema.database, jobsTableName(this.info));
  }

  private q(name: string): string {
    return this.connection.dialect.quote(name);
  }

  /** Creates the jobs table if it does not exist, through the dialect's DDL (held off from other declarers). */
  async declare(): Promise<void> {
    if (this.declared) return;
    const d = this.connection.dialect;
    const heading = this.info.resolved!.heading;
    const database = this.info.schema.database;
    const name = jobsTableName(this.info);
    const column = (attribute: string, written: string, dflt?: DefaultValue): Attribute => ({
      name: attribute, type: resolveType(written)!, inKey: false, nullable: dflt?.kind === 'null', default: dflt, comment: '',
    });
    const text = (t: string): DefaultValue => ({ kind: 'string', text: t });
    const number = (t: string): DefaultValue => ({ kind: 'number', text: t });
    const none: DefaultValue = { kind: 'null' };
    const attributes: Attribute[] = [
      ...this.keyAttributes.map((k) => ({ ...heading.get(k), inKey: true, nullable: false, default: undefined })),
      column('status', "enum('pending','reserved','success','error','ignore')"),
      column('priority', 'int', number('5')),
      column('created_time', 'datetime(6)'),
      column('scheduled_time', 'datetime(6)'),
      column('reserved_time', 'datetime(6)', none),
      column('completed_time', 'datetime(6)', none),
      column('duration', 'float', none),
      column('error_message', `varchar(${ERROR_MESSAGE_LENGTH})`, text('')),
      column('error_stack', 'mediumblob', none),
      column('user', 'varchar(255)', text('')),
      column('host', 'varchar(255)', text('')),
      column('pid', 'int unsigned', number('0')),
      column('connection_id', 'bigint unsigned', number('0')),
      column('version', 'varchar(255)', text('')),
    ];
    await d.withCreationLock(this.connection, database, async () => {
      if ((await d.listTables(this.connection, database)).includes(name)) return;
      const statements = d.createTable({
        database, tableName: name, className: `${this.info.className} jobs`, tier: 'jobs', comment: `Job queue for ${this.info.className}`,
        attributes, primaryKey: this.keyAttributes, foreignKeys: [], indexes: [],
      });
      for (const { sql, params } of statements) await this.connection.run(sql, params);
    });
    this.declared = true;
  }

  private now(): string {
    return this.connection.dialect.now(6);
  }

  private keyValues(key: Record<string, unknown>): unknown[] {
    const heading = this.info.resolved!.heading;
    return this.keyAttributes.map((k) => encodeValue(heading.get(k), key[k], jobsTableName(this.info), key, this.connection.dialect));
  }

  private keyWhere(): string {
    return this.keyAttributes.map((k) => `${this.q(k)} = ?`).join(' AND ');
  }

  /** The identity of this worker, written into reservations for stale detection. */
  async workerIdentity(): Promise<{ host: string; pid: number; connectionId: number; user: string }> {
    const [row] = await this.connection.query<{ u: string }>(`SELECT ${this.connection.dialect.currentUser} AS u`);
    return { host: hostname(), pid: process.pid, connectionId: 0, user: row?.u ?? '' };
  }

  /**
   * Reserves a key in one atomic statement: an INSERT of the reservation, or, when DataJoint left a
   * `pending` row, an UPDATE from pending to reserved. Returns false when another worker holds it
   * (or it is in error or ignored).
   */
  async reserve(key: Record<string, unknown>, worker: { host: string; pid: number; connectionId: number; user: string }): Promise<boolean> {
    await this.declare();
    const keys = this.keyValues(key);
    const columns = [...this.keyAttributes, 'status', 'priority', 'created_time', 'scheduled_time', 'reserved_time', 'user', 'host', 'pid', 'connection_id'];
    const values = [...keys.map(() => '?'), "'reserved'", '5', this.now(), this.now(), this.now(), '?', '?', '?', '?'];
    try {
      await this.connection.guarded(() => this.connection.run(`INSERT INTO ${this.ref} (${columns.map((c) => this.q(c)).join(', ')}) VALUES (${values.join(', ')})`,
        [...keys, worker.user, worker.host, worker.pid, worker.connectionId]));
      return true;
    } catch (error) {
      if (!(error instanceof DuplicateError)) throw error;
    }
    const result = await this.connection.run(
      `UPDATE ${this.ref} SET ${this.q('status')} = 'reserved', ${this.q('reserved_time')} = ${this.now()}, ${this.q('user')} = ?, ${this.q('host')} = ?, ${this.q('pid')} = ?, ${this.q('connection_id')} = ?
        WHERE ${this.keyWhere()} AND ${this.q('status')} = 'pending' AND ${this.q('scheduled_time')} <= ${this.now()}`,
      [worker.user, worker.host, worker.pid, worker.connectionId, ...keys]);
    return result.affectedRows === 1;
  }

  /** A finished key: its reservation is removed, as DataJoint does by default. */
  async complete(key: Record<string, unknown>): Promise<void> {
    await this.connection.run(`DELETE FROM ${this.ref} WHERE ${this.keyWhere()}`, this.keyValues(key));
  }

  /** A failed key: the reservation becomes an error row with the message and stack. */
  async error(key: Record<string, unknown>, error: Error, worker: { host: string; pid: number; connectionId: number; user: string }): Promise<void> {
    await this.declare();
    let message = `${error.name}: ${error.message}`;
    if (message.length > ERROR_MESSAGE_LENGTH) message = `${message.slice(0, ERROR_MESSAGE_LENGTH - 12)}...truncated`;
    const stack = packBlob(error.stack ?? message);
    const keys = this.keyValues(key);
    await this.connection.run(`DELETE FROM ${this.ref} WHERE ${this.keyWhere()}`, keys);
    const columns = [...this.keyAttributes, 'status', 'priority', 'created_time', 'scheduled_time', 'completed_time', 'error_message', 'error_stack', 'user', 'host', 'pid', 'connection_id'];
    const values = [...keys.map(() => '?'), "'error'", '5', this.now(), this.now(), this.now(), '?', '?', '?', '?', '?', '?'];
    await this.connection.run(`INSERT INTO ${this.ref} (${columns.map((c) => this.q(c)).join(', ')}) VALUES (${values.join(', ')})`,
      [...keys, message, stack, worker.user, worker.host, worker.pid, worker.connectionId]);
  }

  /** Marks a key to be skipped by populate. */
  async ignore(key: Record<string, unknown>): Promise<void> {
    await this.declare();
    const keys = this.keyValues(key);
    await this.connection.run(`DELETE FROM ${this.ref} WHERE ${this.keyWhere()}`, keys);
    await this.connection.run(`INSERT INTO ${this.ref} (${[...this.keyAttributes, 'status', 'created_time', 'scheduled_time'].map((c) => this.q(c)).join(', ')}) VALUES (${[...keys.map(() => '?'), "'ignore'", this.now(), this.now()].join(', ')})`, keys);
  }

  /** Jobs, optionally of one status. */
  async list(status?: JobStatus): Promise<JobRow[]> {
    await this.declare();
    const where = status === undefined ? '' : ` WHERE ${this.q('status')} = ?`;
    const rows = await this.connection.query<Record<string, unknown>>(`SELECT * FROM ${this.ref}${where}`, status === undefined ? [] : [status]);
    const heading = this.info.resolved!.heading;
    return rows.map((r) => ({
      key: Object.fromEntries(this.keyAttributes.map((k) => [k, heading.get(k).type.intBytes && heading.get(k).type.intBytes! < 8 ? Number(r[k]) : r[k]])),
      status: r.status as JobStatus,
      priority: Number(r.priority),
      errorMessage: String(r.error_message ?? ''),
      host: String(r.host ?? ''),
      pid: Number(r.pid ?? 0),
      connectionId: Number(r.connection_id ?? 0),
      reservedTime: r.reserved_time === null || r.reserved_time === undefined ? null : String(r.reserved_time),
    }));
  }

  /** Removes jobs (all, or of one status): errors are cleared to be retried. */
  async clear(status?: JobStatus): Promise<number> {
    await this.declare();
    const where = status === undefined ? '' : ` WHERE ${this.q('status')} = ?`;
    return (await this.connection.run(`DELETE FROM ${this.ref}${where}`, status === undefined ? [] : [status])).affectedRows;
  }

  /**
   * Gives back reservations whose worker is gone. On MySQL/MariaDB: the reserving connection is no
   * longer in the process list. On SQLite: the reserving process on this host no longer exists.
   * Returns the number released.
   */
  async releaseStale(): Promise<number> {
    await this.declare();
    const live = this.connection.dialect.liveConnectionIds;
    if (live !== undefined) {
      return (await this.connection.run(
        `DELETE FROM ${this.ref} WHERE ${this.q('status')} = 'reserved' AND ${this.q('connection_id')} NOT IN (${live})`)).affectedRows;
    }
    const reserved = await this.list('reserved');
    let released = 0;
    for (const job of reserved) {
      if (job.host === hostname() && !processAlive(job.pid)) {
        await this.complete(job.key);
        released++;
      }
    }
    return released;
  }

  /** Key attributes of rows that block a key from being populated (reserved, error, ignore). */
  async blocked(): Promise<Array<Record<string, unknown>>> {
    await this.declare();
    return (await this.list()).filter((j) => j.status !== 'pending' && j.status !== 'success').map((j) => j.key);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
