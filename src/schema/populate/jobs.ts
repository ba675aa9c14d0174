import { hostname } from 'node:os';
import { PopulateError, ReservationLostError } from '../../errors.js';
import { unpackBlob } from '../blob/unpack.js';
import type { Connection } from '../connection/connection.js';
import type { Attribute } from '../definition/heading.js';
import { LINEAGE_TABLE } from '../declare/lineage.js';
import type { TableInfo } from '../declare/table-info.js';
import { packBlob } from '../blob/pack.js';
import { decodeValue, encodeValue } from '../query/values.js';
import { jobErrorMessage } from './job-error-message.js';
import { DEFAULT_PRIORITY, ERROR_MESSAGE_LENGTH, jobKeyAttributes, jobsDeclaration, jobsLayoutProblem, jobsTableName } from './jobs-layout.js';
import { processAlive } from './process-alive.js';
import { retryDeadlocks } from '../connection/retry-deadlocks.js';

export { ERROR_MESSAGE_LENGTH, jobsTableName } from './jobs-layout.js';

/** DataJoint 2's job statuses. */
export type JobStatus = 'pending' | 'reserved' | 'success' | 'error' | 'ignore';

/** One row of a jobs table. */
export interface JobRow {
  readonly key: Record<string, unknown>;
  readonly status: JobStatus;
  readonly priority: number;
  readonly errorMessage: string;
  /** The error's stack, as DataJoint stores it (a blob of a string); null when none. */
  readonly errorStack: string | null;
  readonly user: string;
  readonly host: string;
  readonly pid: number;
  readonly connectionId: number;
  readonly version: string;
  readonly scheduledTime: string | null;
  readonly reservedTime: string | null;
  readonly completedTime: string | null;
  /** Seconds make() took (kept with `keepCompleted`). */
  readonly duration: number | null;
}

/** Who holds a reservation: written into the jobs row, checked before a make commits. */
export interface JobWorker {
  readonly user: string;
  readonly host: string;
  readonly pid: number;
  /** The server's id of the connection that runs make (MySQL's CONNECTION_ID(), PostgreSQL's pg_backend_pid()); 0 on SQLite. */
  readonly connectionId: number;
  readonly version: string;
}

/** DataJoint 2.3's `add_job_metadata` columns, filled by make when the table has them. */
const METADATA_COLUMNS = ['_job_start_time', '_job_duration', '_job_version'] as const;

/** A key attribute and its direction, in the order a claim hands keys out. */
export interface KeyOrder {
  readonly name: string;
  readonly descending: boolean;
}

/**
 * Compares two keys by the attributes of `by` in turn, each ascending or descending: the order
 * in which a claim hands keys out.
 *
 * @example
 * ```ts
 * keys.sort(compareKeys([{ name: 'neuron_index', descending: false }, { name: 'n_lags', descending: true }]));
 * ```
 */
export function compareKeys(by: readonly KeyOrder[]): (a: Record<string, unknown>, b: Record<string, unknown>) => number {
  return (a, b) => {
    for (const { name, descending } of by) {
      const x = a[name] as number | string | bigint;
      const y = b[name] as number | string | bigint;
      if (x < y) return descending ? 1 : -1;
      if (x > y) return descending ? -1 : 1;
    }
    return 0;
  };
}

/**
 * The jobs table of an Imported or Computed table, DataJoint 2.3's per-table queue (`~~name`, see
 * jobs-layout.ts), used with DataJoint's protocol so rg-schema and DataJoint workers can share it:
 * `refresh` adds `pending` rows, a worker takes one by flipping it to `reserved` in one UPDATE
 * (rowcount 1 = its own), and before its make commits it re-reads the row under lock and goes on
 * only if it still holds it. Success deletes the row (or keeps a `success` row with
 * `keepCompleted`); failure leaves an `error` row with message and stack.
 */
export class JobsTable {
  readonly info: TableInfo;
  readonly connection: Connection;
  readonly keyAttributes: string[];
  private declared = false;
  private metadata: Promise<string[]> | undefined;

  constructor(info: TableInfo) {
    this.info = info;
    this.connection = info.schema.connection;
    this.keyAttributes = jobKeyAttributes(info);
  }

  /** The jobs table's quoted name (`~~table_name`). */
  get ref(): string {
    return this.connection.dialect.tableRef(this.info.schema.database, jobsTableName(this.info));
  }

  private q(name: string): string {
    return this.connection.dialect.quote(name);
  }

  private now(): string {
    return this.connection.dialect.now(3);
  }

  /** Completion times are written inside make's transaction, but must say when it ended (as DataJoint's do). */
  private endTime(): string {
    const d = this.connection.dialect;
    return d.statementTime?.(3) ?? d.now(3);
  }

  /**
   * Creates the jobs table as DataJoint 2.3 does, with its `~lineage` rows, unless it exists. An
   * existing table of another layout (an older rg-schema's or DataJoint's) is refused: it holds only
   * reservations and errors, so the message says to drop it.
   */
  async declare(): Promise<void> {
    if (this.declared) return;
    const d = this.connection.dialect;
    const database = this.info.schema.database;
    const name = jobsTableName(this.info);
    if (this.keyAttributes.length === 0) {
      throw new PopulateError(`${this.info.className} has no primary-key attributes from foreign keys, so it can have no jobs table (DataJoint 2.3 keys jobs by them). Populate it without reserveJobs, or make its key come from its parents.`);
    }
    const declaration = jobsDeclaration(this.info, d);
    const check = async (): Promise<void> => {
      const [found] = await d.readCatalog(this.connection, database, name);
      let problem = found === undefined ? undefined : jobsLayoutProblem(found, declaration);
      if (found === undefined) {
        // A table the catalog cannot describe (made by hand on SQLite): it must have the columns at least.
        const columns = declaration.attributes.map((a) => this.q(a.name)).join(', ');
        problem = await this.connection.query(`SELECT ${columns} FROM ${this.ref} WHERE 1 = 0`).then(() => undefined, () => 'its columns are not those of DataJoint 2.3');
      }
      if (problem !== undefined) {
        throw new PopulateError(`The jobs table ${this.ref} of ${this.info.className} is not laid out as DataJoint 2.3 lays it out (${problem}). It holds only reservations and errors: drop it (DROP TABLE ${this.ref};) and populate again, and it is made anew.`);
      }
    };
    // Reading first, without the creation lock: on SQLite that lock is the write lock, which a
    // worker's make holds for as long as it runs.
    if ((await d.listTables(this.connection, database)).includes(name)) {
      await check();
      this.declared = true;
      return;
    }
    await d.withCreationLock(this.connection, database, async () => {
      if ((await d.listTables(this.connection, database)).includes(name)) {
        await check();
        return;
      }
      for (const { sql, params } of d.createTable(declaration)) await this.connection.run(sql, params);
      if (d.createLineageTable) {
        // DataJoint records a jobs table's key attributes as originating in the jobs table itself.
        for (const { sql, params } of d.createLineageTable(database)) await this.connection.run(sql, params);
        const lineage = d.tableRef(database, LINEAGE_TABLE);
        await this.connection.run(`DELETE FROM ${lineage} WHERE ${this.q('table_name')} = ?`, [name]);
        if (this.keyAttributes.length > 0) {
          await this.connection.run(
            `INSERT INTO ${lineage} (${this.q('table_name')}, ${this.q('attribute_name')}, ${this.q('lineage')}) VALUES ${this.keyAttributes.map(() => '(?, ?, ?)').join(', ')}`,
            this.keyAttributes.flatMap((k) => [name, k, `${database}.${name}.${k}`]));
        }
      }
    });
    this.declared = true;
  }

  private keyAttribute(name: string): Attribute {
    return this.info.resolved!.heading.get(name);
  }

  /** The key's values as bound parameters, in key order. */
  keyValues(key: Record<string, unknown>): unknown[] {
    return this.keyAttributes.map((k) => encodeValue(this.keyAttribute(k), key[k], jobsTableName(this.info), key, this.connection.dialect));
  }

  /** `a = ? AND b = ?` over the key attributes. */
  keyWhere(): string {
    return this.keyAttributes.map((k) => `${this.q(k)} = ?`).join(' AND ');
  }

  /** A key read back from the jobs table, as fetch would return it. */
  decodeKey(raw: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(this.keyAttributes.map((k) => {
      const attribute = this.keyAttribute(k);
      const value = raw[k];
      if (value === null || value === undefined) return [k, null];
      const reading = this.connection.dialect.reading(attribute);
      return [k, reading === 'ready' ? value : reading === 'generic' ? decodeValue(attribute, value) : reading(value)];
    }));
  }

  /** The identity a worker writes into its reservations: the database user, host, process, and code version. */
  async workerIdentity(version = ''): Promise<JobWorker> {
    const [row] = await this.connection.query<{ u: string }>(`SELECT ${this.connection.dialect.currentUser} AS u`);
    return { host: hostname(), pid: process.pid, connectionId: 0, user: row?.u ?? '', version };
  }

  /**
   * Adds a `pending` row for each key to do that has no jobs row yet (DataJoint's `refresh`); a
   * `success` row kept for a key whose rows are gone is made `pending` again. The keys to do are
   * keySource's (restricted) not in the table. Returns the number added.
   *
   * @example
   * ```ts
   * await Sta.jobs().refresh();                      // every missing key becomes a pending job
   * await Sta.jobs().refresh({ subject_name: 'KO' }, { priority: 1 });
   * ```
   */
  async refresh(restriction?: unknown, options: { priority?: number } = {}): Promise<{ added: number }> {
    const { added } = await this.refreshKeys(restriction, options);
    return { added };
  }

  /** {@link refresh}, also returning the keys to do it found. */
  async refreshKeys(restriction?: unknown, options: { priority?: number } = {}): Promise<{ added: number; todo: Array<Record<string, unknown>> }> {
    await this.declare();
    const priority = Math.trunc(options.priority ?? DEFAULT_PRIORITY);
    // The jobs first, then the keys to do: a key finished in between had its jobs row when the
    // jobs were read (its rows and the row's removal commit together), so it is not added again.
    const existing = new Map((await this.connection.query<Record<string, unknown>>(
      `SELECT ${[...this.keyAttributes, 'status'].map((c) => this.q(c)).join(', ')} FROM ${this.ref}`)).map((r) => [this.id(this.decodeKey(r)), String(r.status)]));
    const todo = await (this.info.cls as unknown as { todoKeys(r?: unknown): Promise<Array<Record<string, unknown>>> }).todoKeys(restriction);
    const fresh: Array<Record<string, unknown>> = [];
    for (const key of todo) {
      const status = existing.get(this.id(key));
      if (status === undefined) fresh.push(key);
      else if (status === 'success') {
        // DataJoint replaces the row with a fresh pending one: nothing of the finished job stays.
        const reset = [`${this.q('status')} = 'pending'`, `${this.q('priority')} = ?`, `${this.q('created_time')} = ${this.now()}`, `${this.q('scheduled_time')} = ${this.now()}`,
          ...['reserved_time', 'completed_time', 'duration', 'error_stack'].map((c) => `${this.q(c)} = NULL`),
          ...['error_message', 'user', 'host', 'version'].map((c) => `${this.q(c)} = ''`),
          ...['pid', 'connection_id'].map((c) => `${this.q(c)} = 0`)].join(', ');
        await this.connection.run(`UPDATE ${this.ref} SET ${reset} WHERE ${this.keyWhere()} AND ${this.q('status')} = 'success'`, [priority, ...this.keyValues(key)]);
      }
    }
    const columns = [...this.keyAttributes, 'status', 'priority', 'created_time', 'scheduled_time'].map((c) => this.q(c)).join(', ');
    const tuple = `(${[...this.keyAttributes.map(() => '?'), "'pending'", String(priority), this.now(), this.now()].join(', ')})`;
    const skip = this.connection.dialect.onDuplicate(this.keyAttributes, [], 'skip');
    let added = 0;
    for (let i = 0; i < fresh.length; i += 200) {
      const chunk = fresh.slice(i, i + 200);
      added += (await retryDeadlocks(() => this.connection.run(`INSERT INTO ${this.ref} (${columns}) VALUES ${chunk.map(() => tuple).join(', ')}${skip}`, chunk.flatMap((k) => this.keyValues(k))))).affectedRows;
    }
    if (added > 0) {
      // Another worker may have added, made and completed one of these keys between our reading
      // the keys to do and our insert: its pending row would then stand for work already done.
      const target = this.connection.dialect.tableRef(this.info.schema.database, this.info.tableName);
      const same = this.keyAttributes.map((c) => `${target}.${this.q(c)} = ${this.ref}.${this.q(c)}`).join(' AND ');
      await retryDeadlocks(() => this.connection.run(`DELETE FROM ${this.ref} WHERE ${this.q('status')} = 'pending' AND EXISTS (SELECT 1 FROM ${target} WHERE ${same})`));
    }
    return { added: Math.min(added, fresh.length), todo };
  }

  /**
   * Whether {@link refresh} would change anything: a key of `todo` (the table's keys to do, as a
   * query) has no job, or only a finished (`success`) one. One read that stops at the first such
   * key, so a worker starting on a refreshed queue lists nothing.
   *
   * @example
   * ```ts
   * if (await jobs.anyToAdd(Sta.todoQuery())) await jobs.refresh();
   * // SELECT 1 AS fresh FROM (…keys to do…) AS todo WHERE NOT EXISTS
   * //   (SELECT 1 FROM `~~sta` AS job WHERE job.k = todo.k AND job.status <> 'success') LIMIT 1
   * ```
   */
  async anyToAdd(todo: { toSQL(): { sql: string; params: unknown[] } }): Promise<boolean> {
    await this.declare();
    const { sql, params } = todo.toSQL();
    const same = this.keyAttributes.map((c) => `job.${this.q(c)} = todo.${this.q(c)}`).join(' AND ');
    const rows = await this.connection.query<Record<string, unknown>>(
      `SELECT 1 AS fresh FROM (${sql}) AS todo WHERE NOT EXISTS (SELECT 1 FROM ${this.ref} AS job WHERE ${same} AND job.${this.q('status')} <> 'success') LIMIT 1`, params);
    return rows.length > 0;
  }

  /** The number of `pending` jobs that are due. */
  async dueCount(): Promise<number> {
    await this.declare();
    const [row] = await this.connection.query<{ n: unknown }>(
      `SELECT COUNT(*) AS n FROM ${this.ref} WHERE ${this.q('status')} = 'pending' AND ${this.q('scheduled_time')} <= ${this.now()}`);
    return Number(row?.n ?? 0);
  }

  /** Keys of `pending` jobs that are due, most urgent first (priority, then scheduled time). */
  async pending(): Promise<Array<Record<string, unknown>>> {
    await this.declare();
    const rows = await this.connection.query<Record<string, unknown>>(
      `SELECT ${this.keyAttributes.map((c) => this.q(c)).join(', ')} FROM ${this.ref} WHERE ${this.q('status')} = 'pending' AND ${this.q('scheduled_time')} <= ${this.now()} ORDER BY ${this.q('priority')}, ${this.q('scheduled_time')}`);
    return rows.map((r) => this.decodeKey(r));
  }

  /** Whether any `pending` job is due: one indexed read, for a worker deciding whether to wait for work. */
  async anyDue(): Promise<boolean> {
    await this.declare();
    const rows = await this.connection.query<Record<string, unknown>>(
      `SELECT 1 AS due FROM ${this.ref} WHERE ${this.q('status')} = 'pending' AND ${this.q('scheduled_time')} <= ${this.now()} LIMIT 1`);
    return rows.length > 0;
  }

  /**
   * Of `keys` (in the order the table lists its keys to do), those with a due `pending` job, most
   * urgent first; keys of equal priority and scheduled time keep their order (a table's todoKeys
   * may group them, as the STA groups a stimulation's).
   */
  async pendingOf(keys: ReadonlyArray<Record<string, unknown>>): Promise<Array<Record<string, unknown>>> {
    await this.declare();
    const rows = await this.connection.query<Record<string, unknown>>(
      `SELECT ${this.keyAttributes.map((c) => this.q(c)).join(', ')}, ${this.q('priority')}, ${this.q('scheduled_time')} FROM ${this.ref} WHERE ${this.q('status')} = 'pending' AND ${this.q('scheduled_time')} <= ${this.now()}`);
    const at = (v: unknown): number | string => (v instanceof Date ? v.getTime() : String(v));
    const when = new Map(rows.map((r) => [this.id(this.decodeKey(r)), { priority: Number(r.priority), time: at(r.scheduled_time) }]));
    return keys.flatMap((k, i) => {
      const w = when.get(this.id(k));
      return w === undefined ? [] : [{ k, i, ...w }];
    }).sort((a, b) => a.priority - b.priority || (a.time < b.time ? -1 : a.time > b.time ? 1 : a.i - b.i)).map((x) => x.k);
  }

  /**
   * Takes a pending, due key in one atomic UPDATE (DataJoint's reservation): true when this worker
   * now holds it, false when another worker took it first or it is not pending.
   */
  async reserve(key: Record<string, unknown>, worker: JobWorker): Promise<boolean> {
    const result = await retryDeadlocks(() => this.connection.run(
      `UPDATE ${this.ref} SET ${this.q('status')} = 'reserved', ${this.q('reserved_time')} = ${this.now()}, ${this.q('user')} = ?, ${this.q('host')} = ?, ${this.q('pid')} = ?, ${this.q('connection_id')} = ?, ${this.q('version')} = ?
        WHERE ${this.keyWhere()} AND ${this.q('status')} = 'pending' AND ${this.q('scheduled_time')} <= ${this.now()}`,
      [worker.user, worker.host, worker.pid, worker.connectionId, worker.version, ...this.keyValues(key)]));
    return result.affectedRows === 1;
  }

  /**
   * Takes up to `n` due pending keys in one atomic step, handed out rather than fought over: rows
   * another worker is taking are skipped (`FOR UPDATE SKIP LOCKED`), so the database's cost per key
   * does not grow with the number of workers. PostgreSQL: one `UPDATE … WHERE (key) IN (SELECT …
   * FOR UPDATE SKIP LOCKED LIMIT n) RETURNING`; MySQL/MariaDB: a READ COMMITTED transaction of
   * `SELECT … FOR UPDATE SKIP LOCKED LIMIT n` and the UPDATE; SQLite: `UPDATE … RETURNING` under its
   * write lock. With `group` (the table's jobGroup), the keys come from the group of the most urgent
   * pending key, in order, so a worker gets a run of keys that share their inputs.
   *
   * @example
   * ```ts
   * await jobs.claim(4, worker, ['subject_name', 'session_date', 'stimulation_index']);
   * // [{ …, neuron_index: 1 }, { …, neuron_index: 2 }, …] all of one stimulation
   * ```
   */
  async claim(n: number, worker: JobWorker, group: readonly string[] = [], within: readonly KeyOrder[] = this.claimOrder([], group)): Promise<Array<Record<string, unknown>>> {
    const d = this.connection.dialect;
    const keys = this.keyAttributes.map((c) => this.q(c)).join(', ');
    const due = `${this.q('status')} = 'pending' AND ${this.q('scheduled_time')} <= ${this.now()}`;
    const order = `ORDER BY ${[this.q('priority'), this.q('scheduled_time'), ...group.map((g) => this.q(g)), ...within.map((o) => `${this.q(o.name)}${o.descending ? ' DESC' : ''}`)].join(', ')}`;
    const set = `${this.q('status')} = 'reserved', ${this.q('reserved_time')} = ${this.now()}, ${this.q('user')} = ?, ${this.q('host')} = ?, ${this.q('pid')} = ?, ${this.q('connection_id')} = ?, ${this.q('version')} = ?`;
    const who = [worker.user, worker.host, worker.pid, worker.connectionId, worker.version];
    const tuple = (cols: readonly string[]): string => (cols.length === 1 ? this.q(cols[0]!) : `(${cols.map((c) => this.q(c)).join(', ')})`);
    const select = (inGroup: boolean): string => `SELECT ${keys} FROM ${this.ref} WHERE ${due}${inGroup
      ? ` AND ${tuple(group)} = (SELECT ${group.map((g) => this.q(g)).join(', ')} FROM ${this.ref} WHERE ${due} ${order} LIMIT 1)` : ''} ${order} LIMIT ${Math.max(1, Math.floor(n))}${d.skipLocked}`;
    const attempt = async (inGroup: boolean): Promise<Array<Record<string, unknown>>> => {
      if (d.updateReturning) {
        const rows = await this.connection.query<Record<string, unknown>>(
          `UPDATE ${this.ref} SET ${set} WHERE ${tuple(this.keyAttributes)} IN (${select(inGroup)}) RETURNING ${keys}`, who);
        return rows.map((r) => this.decodeKey(r));
      }
      return this.connection.session(async () => {
        if (d.readCommitted) await this.connection.run(d.readCommitted);
        return this.connection.transaction(async () => {
          const picked = (await this.connection.query<Record<string, unknown>>(select(inGroup))).map((r) => this.decodeKey(r));
          if (picked.length === 0) return [];
          await this.connection.run(`UPDATE ${this.ref} SET ${set} WHERE ${picked.map(() => `(${this.keyWhere()})`).join(' OR ')}`,
            [...who, ...picked.flatMap((k) => this.keyValues(k))]);
          return picked;
        });
      });
    };
    let claimed = await retryDeadlocks(() => attempt(group.length > 0));
    // The most urgent group may be all taken by other workers at this instant: any due key then.
    if (claimed.length === 0 && group.length > 0) claimed = await retryDeadlocks(() => attempt(false));
    // RETURNING gives them in no particular order: the group's order, then the key's.
    return claimed.sort(compareKeys([...group.map((name) => ({ name, descending: false })), ...within]));
  }

  /**
   * The order of a claim's keys within its group: a table's `jobOrder` (key attributes, each with
   * an optional ` DESC`), then the other key attributes, ascending. Names outside the key are refused.
   */
  claimOrder(jobOrder: readonly string[], group: readonly string[] = []): KeyOrder[] {
    const named = jobOrder.map((spec) => {
      const match = /^\s*(\w+)(?:\s+(ASC|DESC))?\s*$/i.exec(spec);
      if (!match || !this.keyAttributes.includes(match[1]!)) {
        throw new PopulateError(`${this.info.className}.jobOrder names ${JSON.stringify(spec)}: give key attributes of its jobs (${this.keyAttributes.join(', ')}), each optionally followed by DESC.`);
      }
      return { name: match[1]!, descending: match[2]?.toUpperCase() === 'DESC' };
    });
    const rest = this.keyAttributes.filter((k) => !group.includes(k) && !named.some((o) => o.name === k)).map((name) => ({ name, descending: false }));
    return [...named.filter((o) => !group.includes(o.name)), ...rest];
  }

  /** Gives keys this worker claimed but did not start back as `pending`. */
  async unclaim(keys: ReadonlyArray<Record<string, unknown>>, worker: JobWorker): Promise<void> {
    for (const key of keys) {
      await this.connection.run(`UPDATE ${this.ref} SET ${this.q('status')} = 'pending', ${this.q('reserved_time')} = NULL WHERE ${this.keyWhere()} AND ${this.q('status')} = 'reserved' AND ${this.q('connection_id')} = ? AND ${this.q('pid')} = ?`,
        [...this.keyValues(key), worker.connectionId, worker.pid]);
    }
  }

  /**
   * Inside make's transaction, before it commits: re-reads the key's jobs row under lock and throws
   * {@link ReservationLostError} unless it is still `reserved` by this connection, host and process.
   */
  async confirm(key: Record<string, unknown>, worker: JobWorker): Promise<void> {
    // On SQLite make's transaction may not have begun (it begins at the first write): the check
    // must run under the write lock, or another process could take the key before the commit.
    await this.connection.ensureWriteLock();
    const [row] = await this.connection.query<Record<string, unknown>>(
      `SELECT ${this.q('status')}, ${this.q('connection_id')}, ${this.q('host')}, ${this.q('pid')} FROM ${this.ref} WHERE ${this.keyWhere()}${this.connection.dialect.lockingRead}`, this.keyValues(key));
    const held = row !== undefined && row.status === 'reserved' && Number(row.connection_id) === worker.connectionId && row.host === worker.host && Number(row.pid) === worker.pid;
    if (!held) {
      const now = row === undefined ? 'gone' : `${String(row.status)} by ${String(row.host)} pid ${String(row.pid)} connection ${String(row.connection_id)}`;
      throw new ReservationLostError(`${this.info.className}: the reservation of key ${JSON.stringify(key, bigintSafe)} was taken away while make ran (its jobs row is ${now}); the make was rolled back and nothing was committed.`, key);
    }
  }

  /**
   * Inside make's transaction, before it commits: ends the job of a key this worker holds, in one
   * statement that is also the check that it still holds it. The row is deleted (or kept as
   * `success` with the time and duration) only where it is `reserved` by this connection, host and
   * process; when no row matches, the reservation was handed on while make ran, and this throws
   * {@link ReservationLostError} so that make's transaction rolls back. One write instead of a
   * locking read and a write: jobs add no statement to the commit of a key.
   *
   * @example
   * ```ts
   * await jobs.completeHeld(key, worker);
   * // DELETE FROM `lab`.`~~done` WHERE `k` = ? AND `status` = 'reserved' AND `connection_id` = ? AND `host` = ? AND `pid` = ?
   * ```
   */
  async completeHeld(key: Record<string, unknown>, worker: JobWorker, options: { keep?: boolean; duration?: number } = {}): Promise<void> {
    const { held, heldValues } = this.heldBy(key, worker);
    const result = options.keep
      ? await this.connection.run(`UPDATE ${this.ref} SET ${this.q('status')} = 'success', ${this.q('completed_time')} = ${this.endTime()}, ${this.q('duration')} = ? WHERE ${held}`,
        [options.duration ?? null, ...heldValues])
      : await this.connection.run(`DELETE FROM ${this.ref} WHERE ${held}`, heldValues);
    if (result.affectedRows !== 1) await this.confirm(key, worker);
  }

  /** The condition (and its values) that matches a key's jobs row only while `worker` holds its reservation. */
  private heldBy(key: Record<string, unknown>, worker: JobWorker): { held: string; heldValues: unknown[] } {
    return {
      held: `${this.keyWhere()} AND ${this.q('status')} = 'reserved' AND ${this.q('connection_id')} = ? AND ${this.q('host')} = ? AND ${this.q('pid')} = ?`,
      heldValues: [...this.keyValues(key), worker.connectionId, worker.host, worker.pid],
    };
  }

  /** A finished key: its job row is deleted, or kept as `success` with the time and duration. */
  async complete(key: Record<string, unknown>, options: { keep?: boolean; duration?: number } = {}): Promise<void> {
    if (options.keep) {
      await this.connection.run(`UPDATE ${this.ref} SET ${this.q('status')} = 'success', ${this.q('completed_time')} = ${this.endTime()}, ${this.q('duration')} = ? WHERE ${this.keyWhere()}`,
        [options.duration ?? null, ...this.keyValues(key)]);
    } else {
      await this.connection.run(`DELETE FROM ${this.ref} WHERE ${this.keyWhere()}`, this.keyValues(key));
    }
  }

  /**
   * A failed key: the worker's reservation becomes an `error` row with the message (cut to 2047
   * characters, ending in `...truncated`) and the stack as a DataJoint blob of a string.
   */
  async error(key: Record<string, unknown>, error: Error, worker: JobWorker): Promise<void> {
    // PostgreSQL text cannot hold NUL, and a message that cannot be written would leave the key
    // reserved by a live connection for ever: every backend stores U+FFFD in its place.
    const message = jobErrorMessage(error).replaceAll('\u0000', '\uFFFD');
    const stack = packBlob(error.stack ?? message);
    const { held, heldValues } = this.heldBy(key, worker);
    await this.connection.run(
      `UPDATE ${this.ref} SET ${this.q('status')} = 'error', ${this.q('completed_time')} = ${this.endTime()}, ${this.q('error_message')} = ?, ${this.q('error_stack')} = ? WHERE ${held}`,
      [message, stack, ...heldValues]);
  }

  /** Marks a key to be skipped by populate (its row becomes, or is added as, `ignore`). */
  async ignore(key: Record<string, unknown>): Promise<void> {
    await this.declare();
    const keys = this.keyValues(key);
    await this.connection.run(`UPDATE ${this.ref} SET ${this.q('status')} = 'ignore' WHERE ${this.keyWhere()}`, keys);
    await this.connection.run(
      `INSERT INTO ${this.ref} (${[...this.keyAttributes, 'status', 'priority', 'created_time', 'scheduled_time'].map((c) => this.q(c)).join(', ')}) VALUES (${[...keys.map(() => '?'), "'ignore'", String(DEFAULT_PRIORITY), this.now(), this.now()].join(', ')})${this.connection.dialect.onDuplicate(this.keyAttributes, [], 'skip')}`,
      keys);
  }

  /** Jobs, optionally of one status. */
  async list(status?: JobStatus): Promise<JobRow[]> {
    await this.declare();
    const where = status === undefined ? '' : ` WHERE ${this.q('status')} = ?`;
    const rows = await this.connection.query<Record<string, unknown>>(`SELECT * FROM ${this.ref}${where}`, status === undefined ? [] : [status]);
    const time = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v));
    return rows.map((r) => ({
      key: this.decodeKey(r),
      status: r.status as JobStatus,
      priority: Number(r.priority),
      errorMessage: String(r.error_message ?? ''),
      errorStack: r.error_stack === null || r.error_stack === undefined ? null : String(unpackBlob(r.error_stack as Uint8Array)),
      user: String(r.user ?? ''),
      host: String(r.host ?? ''),
      pid: Number(r.pid ?? 0),
      connectionId: Number(r.connection_id ?? 0),
      version: String(r.version ?? ''),
      scheduledTime: time(r.scheduled_time),
      reservedTime: time(r.reserved_time),
      completedTime: time(r.completed_time),
      duration: r.duration === null || r.duration === undefined ? null : Number(r.duration),
    }));
  }

  /** Removes jobs (all, or of one status): errors are cleared to be retried. */
  async clear(status?: JobStatus): Promise<number> {
    await this.declare();
    const where = status === undefined ? '' : ` WHERE ${this.q('status')} = ?`;
    return (await this.connection.run(`DELETE FROM ${this.ref}${where}`, status === undefined ? [] : [status])).affectedRows;
  }

  /**
   * Gives reservations whose worker is gone back as `pending`. On a server: the reserving
   * connection is no longer in the process list (pg_stat_activity); a MySQL user who sees only its
   * own connections judges only its own reservations. On SQLite: the reserving process on this host
   * no longer exists. Returns the number released.
   */
  async releaseStale(): Promise<number> {
    await this.declare();
    const d = this.connection.dialect;
    const back = `${this.q('status')} = 'pending', ${this.q('reserved_time')} = NULL`;
    if (d.liveConnectionIds !== undefined) {
      let scope = '';
      if (d.seesEveryConnection !== undefined) {
        const [row] = await this.connection.query<{ n: unknown }>(d.seesEveryConnection);
        if (Number(row?.n ?? 0) === 0) scope = ` AND ${d.sameUser(this.q('user'))}`;
      }
      return (await retryDeadlocks(() => this.connection.run(
        `UPDATE ${this.ref} SET ${back} WHERE ${this.q('status')} = 'reserved' AND ${this.q('connection_id')} NOT IN (${d.liveConnectionIds})${scope}`))).affectedRows;
    }
    let released = 0;
    for (const job of await this.list('reserved')) {
      if (job.host === hostname() && !processAlive(job.pid)) {
        released += (await this.connection.run(`UPDATE ${this.ref} SET ${back} WHERE ${this.keyWhere()} AND ${this.q('status')} = 'reserved' AND ${this.q('pid')} = ?`,
          [...this.keyValues(job.key), job.pid])).affectedRows;
      }
    }
    return released;
  }

  /** The job metadata columns (`_job_start_time`, `_job_duration`, `_job_version`) the table has, asked once. */
  metadataColumns(): Promise<string[]> {
    this.metadata ??= (async () => {
      const [found] = await this.connection.dialect.readCatalog(this.connection, this.info.schema.database, this.info.tableName);
      const names = new Set(found?.attributes.map((a) => a.name) ?? []);
      return METADATA_COLUMNS.filter((c) => names.has(c));
    })();
    return this.metadata;
  }

  /**
   * Inside make's transaction: fills DataJoint 2.3's job metadata columns of the rows make inserted,
   * where the table has them (`config.jobs.add_job_metadata`).
   */
  async fillMetadata(key: Record<string, unknown>, started: Date, duration: number, version: string): Promise<void> {
    const columns = await this.metadataColumns();
    if (columns.length === 0) return;
    const values: Record<string, unknown> = {
      // DataJoint writes the worker's local time (datetime.fromtimestamp).
      _job_start_time: localDateTime(started),
      _job_duration: duration,
      _job_version: version,
    };
    const table = this.connection.dialect.tableRef(this.info.schema.database, this.info.tableName);
    const heading = this.info.resolved!.heading;
    const where = heading.primaryKey.filter((k) => k in key);
    await this.connection.run(`UPDATE ${table} SET ${columns.map((c) => `${this.q(c)} = ?`).join(', ')} WHERE ${where.map((k) => `${this.q(k)} = ?`).join(' AND ') || '1 = 1'}`,
      [...columns.map((c) => values[c]), ...where.map((k) => encodeValue(heading.get(k), key[k], this.info.tableName, key, this.connection.dialect))]);
  }

  /** A string that identifies a key among the jobs. */
  id(key: Record<string, unknown>): string {
    return JSON.stringify(this.keyAttributes.map((a) => String(key[a])));
  }
}

function bigintSafe(_: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

function localDateTime(d: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}
