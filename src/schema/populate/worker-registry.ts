import type { Connection } from '../connection/connection.js';
import type { Attribute, DefaultValue } from '../definition/heading.js';
import { resolveType } from '../definition/types.js';

/**
 * The heartbeat table of fleet workers, one per database (schema). DataJoint lists only tables
 * whose names start with a letter or one of its tier prefixes, and hides `~` tables (its own
 * `~lineage`, `~~jobs`), so it neither shows nor touches this one.
 */
export const WORKER_TABLE = '~rg_worker';

/** One row of `~rg_worker`: a worker and its last sign of life, by the server's clock. */
export interface WorkerRow {
  readonly worker: string;
  readonly host: string;
  readonly pid: number;
  /** Server ids of the sessions the worker reserves and makes keys on (comma-separated in the table). */
  readonly connectionIds: number[];
  readonly started: string;
  readonly lastSeen: string;
  /** Seconds since `lastSeen`, by the server's clock. */
  readonly silentFor: number;
  readonly keysDone: number;
}

/**
 * A database's `~rg_worker` table: each worker refreshes its own row on its own connection every
 * few seconds; any worker may read all of them to find the silent ones.
 */
export class WorkerRegistry {
  readonly #schema: { readonly connection: Connection; readonly database: string };
  #declared = false;

  /** `schema` is asked for its connection at every statement: after an outage that is a new one. */
  constructor(schema: { readonly connection: Connection; readonly database: string }) {
    this.#schema = schema;
  }

  /** The schema's current connection. */
  get connection(): Connection {
    return this.#schema.connection;
  }

  /** The database (schema) the table lives in. */
  get database(): string {
    return this.#schema.database;
  }

  /** The table's quoted name. */
  get ref(): string {
    return this.connection.dialect.tableRef(this.database, WORKER_TABLE);
  }

  private q(name: string): string {
    return this.connection.dialect.quote(name);
  }

  /** Whether the table exists (reads only). */
  async exists(): Promise<boolean> {
    return (await this.connection.dialect.listTables(this.connection, this.database)).includes(WORKER_TABLE);
  }

  /** Creates the table if it is missing, with the same DDL path as every other table. */
  async declare(): Promise<void> {
    if (this.#declared) return;
    const d = this.connection.dialect;
    const column = (name: string, written: string, inKey = false, dflt?: DefaultValue): Attribute => ({
      name, type: resolveType(written)!, inKey, nullable: false, default: dflt, comment: '',
    });
    const attributes: Attribute[] = [
      column('worker', 'varchar(64)', true),
      column('host', 'varchar(255)', false, { kind: 'string', text: '' }),
      column('pid', 'int unsigned', false, { kind: 'number', text: '0' }),
      column('connection_ids', 'varchar(255)', false, { kind: 'string', text: '' }),
      column('started', 'datetime(3)'),
      column('last_seen', 'datetime(3)'),
      column('keys_done', 'int unsigned', false, { kind: 'number', text: '0' }),
    ];
    await d.withCreationLock(this.connection, this.database, async () => {
      if (await this.exists()) return;
      const statements = d.createTable({
        database: this.database, tableName: WORKER_TABLE, className: 'fleet workers', tier: 'jobs', comment: 'rg-schema fleet workers: heartbeats',
        attributes, primaryKey: ['worker'], foreignKeys: [], indexes: [],
      });
      for (const { sql, params } of statements) await this.connection.run(sql, params);
    });
    this.#declared = true;
  }

  /** Writes this worker's sign of life (inserting its row if a sweep removed it). */
  async beat(worker: { id: string; host: string; pid: number; connectionIds: readonly number[]; keysDone: number }): Promise<void> {
    await this.declare();
    const now = this.connection.dialect.now(3);
    const ids = worker.connectionIds.join(',');
    const updated = await this.connection.run(
      `UPDATE ${this.ref} SET ${this.q('last_seen')} = ${now}, ${this.q('connection_ids')} = ?, ${this.q('keys_done')} = ? WHERE ${this.q('worker')} = ?`,
      [ids, worker.keysDone, worker.id]);
    if (updated.affectedRows > 0) return;
    await this.connection.run(
      `INSERT INTO ${this.ref} (${['worker', 'host', 'pid', 'connection_ids', 'started', 'last_seen', 'keys_done'].map((c) => this.q(c)).join(', ')}) VALUES (?, ?, ?, ?, ${now}, ${now}, ?)`,
      [worker.id, worker.host, worker.pid, ids, worker.keysDone]);
  }

  /** Every registered worker with how long it has been silent. */
  async list(): Promise<WorkerRow[]> {
    const rows = await this.connection.query<Record<string, unknown>>(
      `SELECT ${this.q('worker')}, ${this.q('host')}, ${this.q('pid')}, ${this.q('connection_ids')}, ${this.q('started')}, ${this.q('last_seen')}, ${this.q('keys_done')}, ${this.connection.dialect.secondsSince(this.q('last_seen'))} AS ${this.q('silent_for')} FROM ${this.ref} ORDER BY ${this.q('host')}, ${this.q('pid')}`);
    return rows.map((r) => ({
      worker: String(r.worker),
      host: String(r.host),
      pid: Number(r.pid),
      connectionIds: String(r.connection_ids ?? '').split(',').filter((s) => s !== '').map(Number),
      started: String(r.started),
      lastSeen: String(r.last_seen),
      silentFor: Number(r.silent_for),
      keysDone: Number(r.keys_done),
    }));
  }

  /** Removes a worker's row (it stopped, or a sweep judged it gone). */
  async remove(worker: string): Promise<void> {
    await this.connection.run(`DELETE FROM ${this.ref} WHERE ${this.q('worker')} = ?`, [worker]);
  }
}
