import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { PopulateError, ReservationLostError } from '../../errors.js';
import type { Connection } from '../connection/connection.js';
import { findDataJointConfig } from '../connection/datajoint-settings.js';
import type { Schema } from '../declare/schema.js';
import { tableInfo, type TableInfo } from '../declare/table-info.js';
import { encodeValue } from '../query/values.js';
import type { TableClass } from '../table/table.js';
import { refreshJobsUnlessCurrent, type AutoPopulated } from './auto-populate.js';
import { jobsTableName, JobsTable } from './jobs.js';
import { isLockConflict, isOutage } from './worker-faults.js';
import { WorkerRegistry, type WorkerRow } from './worker-registry.js';

/** Seconds of silence after which a worker's reservations are given back, unless configured. */
export const DEFAULT_STALE_AFTER = 90;

/** What a fleet worker reports, one object per event (`rg-pipeline worker --json` prints each as a line). */
export type FleetEvent =
  | { event: 'start'; worker: string; host: string; pid: number; tables: string[]; staleAfter: number; heartbeat: number }
  | { event: 'key'; table: string; outcome: 'done' | 'error' | 'conflict' | 'lost'; key?: Record<string, unknown>; message?: string; seconds: number }
  | { event: 'idle'; seconds: number }
  | { event: 'unreachable'; retryIn: number; message: string }
  | { event: 'back'; after: number }
  | { event: 'swept'; worker: string; host: string; pid: number; silentFor: number; keys: number; sessions: number }
  | { event: 'stop'; reason: FleetStopReason; keys: number; errors: number };

/** Why a fleet worker stopped. */
export type FleetStopReason = 'max-keys' | 'max-time' | 'done' | 'stopped' | 'given-back';

/** Options of {@link runFleetWorker}. */
export interface FleetWorkerOptions {
  /** The auto-populated tables to work on; they run in dependency order. */
  readonly tables: readonly TableClass[];
  /** Stop after this many keys made (successes and recorded errors). */
  readonly maxKeys?: number;
  /** Stop taking keys after this many seconds. */
  readonly maxTime?: number;
  /** Stop when no key is left to make or held by another worker (errors and ignored keys aside). */
  readonly untilDone?: boolean;
  /** Longest idle sleep, in seconds (the sleep doubles from 0.5 s while nothing is left). Default 60. */
  readonly idleMax?: number;
  /**
   * Seconds without a heartbeat after which another worker gives this one's reservations back and
   * ends its sessions. Default: RG_WORKER_STALE_AFTER, datajoint.json `jobs.worker_stale_after`, else 90.
   */
  readonly staleAfter?: number;
  /** Seconds between heartbeats. Default: a third of `staleAfter`, at most 5. */
  readonly heartbeat?: number;
  /** Called with every event. */
  readonly onEvent?: (event: FleetEvent) => void;
}

/** What a worker did. */
export interface FleetResult {
  readonly reason: FleetStopReason;
  readonly keys: number;
  readonly errors: number;
}

/** A running worker: wait for it, ask it to stop after the key in hand, or make it give that key back now. */
export interface FleetWorker {
  /** This worker's id in `~rg_worker`. */
  readonly id: string;
  readonly finished: Promise<FleetResult>;
  /** Finish the key in hand (with the quick keys sharing its transaction), give back the keys claimed but not started, then stop. */
  stop(): void;
  /** Give the key in hand back (its transaction rolled back, its jobs row pending) and stop now. */
  giveBack(): Promise<void>;
}

type AutoClass = TableClass & typeof AutoPopulated;

/**
 * The stale time: the option, else RG_WORKER_STALE_AFTER, else datajoint.json's
 * `jobs.worker_stale_after` (nested or flat), else {@link DEFAULT_STALE_AFTER}.
 */
export function resolveStaleAfter(option: number | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): number {
  if (option !== undefined) return option;
  const fromEnv = Number(env.RG_WORKER_STALE_AFTER);
  if (env.RG_WORKER_STALE_AFTER !== undefined && env.RG_WORKER_STALE_AFTER !== '' && Number.isFinite(fromEnv) && fromEnv > 0) return fromEnv;
  const file = findDataJointConfig(cwd);
  if (file) {
    try {
      const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      const nested = (json.jobs as Record<string, unknown> | undefined)?.worker_stale_after;
      const value = Number(nested ?? json['jobs.worker_stale_after']);
      if (Number.isFinite(value) && value > 0) return value;
    } catch {
      // An unreadable datajoint.json is reported where the connection is resolved.
    }
  }
  return DEFAULT_STALE_AFTER;
}

/**
 * Starts a long-running populate worker: over the tables in dependency order, it claims keys from
 * the jobs table in the jobs' order (a jobGroup's keys together, quick makes sharing transactions,
 * as `populate({ reserveJobs: true })` does) and refreshes a table's jobs only when it starts and
 * when they run out, not for every key; it sleeps with back-off when nothing is left, reconnects when the
 * database goes away, heartbeats into `~rg_worker` on its own connection, and gives back the keys
 * of workers that have been silent for `staleAfter` seconds (ending their server sessions, so a
 * worker that comes back cannot commit).
 *
 * @example
 * ```ts
 * const worker = startFleetWorker({ tables: [SpikeTriggeredAverage], staleAfter: 60 });
 * process.once('SIGTERM', () => worker.stop());
 * const { keys } = await worker.finished;
 * ```
 */
export function startFleetWorker(options: FleetWorkerOptions): FleetWorker {
  return new FleetWorkerRun(options).handle();
}

/**
 * Runs a fleet worker until it stops (see {@link startFleetWorker}).
 *
 * @example
 * ```ts
 * await runFleetWorker({ tables: [SpikeTriggeredAverage], untilDone: true });
 * ```
 */
export function runFleetWorker(options: FleetWorkerOptions): Promise<FleetResult> {
  return startFleetWorker(options).finished;
}

/** The longest delay setTimeout keeps (2³¹ − 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

class FleetWorkerRun {
  readonly options: FleetWorkerOptions;
  readonly tables: AutoClass[];
  readonly infos: TableInfo[];
  readonly schemas: Schema[];
  readonly registries: WorkerRegistry[];
  readonly id: string;
  readonly host = hostname();
  readonly pid = process.pid;
  readonly staleAfter: number;
  readonly heartbeatSeconds: number;
  readonly started = Date.now();
  keys = 0;
  errors = 0;
  stopRequested = false;
  givenBack = false;
  /** Tables whose jobs to refresh before the next claim: all at first, then each whose pending jobs ran out. */
  readonly unrefreshed: Set<AutoClass>;
  /** Aborts the populate in progress: the worker stops after the keys in hand. */
  pass: AbortController | undefined;
  /** The server session the key in hand is reserved and made on. */
  workSession: { schema: Schema; id: number } | undefined;
  /** When the heartbeat last reached the server without a gap; sweeping waits a stale time after any gap. */
  healthySince = Date.now();
  lastBeat = 0;
  beating = false;
  timer: NodeJS.Timeout | undefined;
  wake: (() => void) | undefined;

  constructor(options: FleetWorkerOptions) {
    this.options = options;
    if (options.tables.length === 0) throw new PopulateError('A fleet worker needs at least one auto-populated table.');
    this.infos = orderByDependency(options.tables.map((t) => {
      const info = tableInfo(t);
      if (info.tier !== 'imported' && info.tier !== 'computed') throw new PopulateError(`${info.className} is not an Imported or Computed table; a worker populates only those.`);
      return info;
    }));
    this.tables = this.infos.map((i) => i.cls as unknown as AutoClass);
    this.unrefreshed = new Set(this.tables);
    this.schemas = [...new Set(this.infos.map((i) => i.schema))];
    const dj014 = this.schemas.find((s) => s.jobs === 'datajoint-0.14');
    if (dj014) {
      // Heartbeats and sweeps work on DataJoint 2's per-table jobs tables; 0.14's ~jobs never gives a key back.
      throw new PopulateError(`Schema ${dj014.name} reserves through DataJoint 0.14's ~jobs table; a fleet worker uses DataJoint 2's per-table jobs tables. Run populate({ jobs: 'datajoint-0.14' }) in each worker for a mixed 0.14 fleet, or drop the schema's jobs option.`);
    }
    this.registries = this.schemas.map((s) => new WorkerRegistry(s));
    this.id = `${this.host.slice(0, 40)}:${this.pid}:${randomBytes(4).toString('hex')}`;
    this.staleAfter = resolveStaleAfter(options.staleAfter);
    this.heartbeatSeconds = options.heartbeat ?? Math.min(5, this.staleAfter / 3);
  }

  handle(): FleetWorker {
    const finished = this.run();
    return {
      id: this.id,
      finished,
      stop: () => {
        this.stopRequested = true;
        this.pass?.abort();
        this.wake?.();
      },
      giveBack: () => this.giveBack(),
    };
  }

  get stopping(): boolean {
    return this.stopRequested || this.givenBack || (this.options.maxTime !== undefined && Date.now() - this.started >= this.options.maxTime * 1000);
  }

  emit(event: FleetEvent): void {
    this.options.onEvent?.(event);
  }

  get fleetCapable(): boolean {
    return this.schemas.every((s) => s.connection.dialect.concurrent);
  }

  async run(): Promise<FleetResult> {
    await this.untilReachable(async () => {
      for (const s of this.schemas) await s.activate();
    });
    this.emit({ event: 'start', worker: this.id, host: this.host, pid: this.pid, tables: this.infos.map((i) => i.className), staleAfter: this.staleAfter, heartbeat: this.heartbeatSeconds });
    if (this.fleetCapable) {
      await this.untilReachable(() => this.beat());
      this.healthySince = Date.now();
      this.timer = setInterval(() => void this.tick(), this.heartbeatSeconds * 1000);
    }
    let reason: FleetStopReason = 'stopped';
    let idle = 0;
    let giveBackMine = true;
    try {
      for (;;) {
        if (this.stopRequested || this.givenBack) break;
        if (this.options.maxKeys !== undefined && this.keys >= this.options.maxKeys) { reason = 'max-keys'; break; }
        if (this.options.maxTime !== undefined && Date.now() - this.started >= this.options.maxTime * 1000) { reason = 'max-time'; break; }
        let outcome: 'made' | 'raced' | 'nothing' | 'done';
        try {
          if (giveBackMine) {
            // Any reservation of ours is an orphan here: we hold no key between keys.
            await this.releaseMine();
            giveBackMine = false;
          }
          outcome = await this.onePass();
        } catch (error) {
          if (this.givenBack || this.stopRequested) break;
          if (isLockConflict(error)) {
            // Workers refreshing or reserving the same jobs at once can deadlock; the server rolled one back.
            await sleep(50 + Math.random() * 200);
            continue;
          }
          if (!isOutage(error)) throw error;
          await this.reconnect(error);
          giveBackMine = true;
          // As when it started: reservations of sessions the outage ended are given back.
          for (const cls of this.tables) this.unrefreshed.add(cls);
          continue;
        }
        if (outcome === 'made') { idle = 0; continue; }
        if (outcome === 'done') { reason = 'done'; break; }
        if (outcome === 'raced') { await sleep(20 + Math.random() * 100); continue; }
        idle = idle === 0 ? 0.5 : Math.min(idle * 2, this.options.idleMax ?? 60);
        const until = this.options.maxTime === undefined ? idle : Math.min(idle, Math.max(0, this.options.maxTime - (Date.now() - this.started) / 1000));
        this.emit({ event: 'idle', seconds: until });
        await this.sleepUnlessWoken(until * 1000);
      }
    } finally {
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      if (!this.givenBack && this.fleetCapable) {
        for (const r of this.registries) await r.remove(this.id).catch(() => undefined);
      }
    }
    if (this.givenBack) reason = 'given-back';
    const result = { reason, keys: this.keys, errors: this.errors };
    this.emit({ event: 'stop', ...result });
    return result;
  }

  async sleepUnlessWoken(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
    this.wake = undefined;
  }

  /**
   * The keys of the first table (in dependency order) that has pending jobs, claimed and made until
   * none is left or the worker is to stop. A table's jobs are refreshed (stale reservations given
   * back, missing keys added) when the worker starts and whenever its pending jobs run out, not for
   * every key: that lists keySource and the jobs, O(N) for a queue of N keys.
   */
  async onePass(): Promise<'made' | 'raced' | 'nothing' | 'done'> {
    for (const cls of this.tables) {
      for (;;) {
        if (this.stopping) return 'nothing';
        const refreshing = this.unrefreshed.has(cls);
        if (refreshing) {
          await this.onWorkSession(tableInfo(cls).schema, () => this.refreshJobs(cls));
          this.unrefreshed.delete(cls);
        }
        const pass = await this.claimAndMake(cls);
        if (pass.made > 0) return 'made';
        if (pass.raced > 0) return 'raced';
        // No pending job was left: refresh before the next claim, at once unless just done.
        this.unrefreshed.add(cls);
        if (refreshing) break;
      }
    }
    // Nothing made: either others hold what is left, or we lost races for free keys.
    let free = 0;
    let held = 0;
    let later = 0;
    for (const cls of this.tables) {
      const left = await this.left(cls);
      free += left.free;
      held += left.held;
      later += left.later;
    }
    if (free > 0) return 'raced';
    // Jobs scheduled later are waited for as idle time (backing off), not raced for: that looped
    // every ~70 ms, refreshing the jobs each time, until they were due.
    if (held === 0 && later === 0 && this.options.untilDone) return 'done';
    return 'nothing';
  }

  /** Gives back reservations whose worker is gone and adds a pending job for each key to do. */
  async refreshJobs(cls: AutoClass): Promise<void> {
    const jobs = cls.jobs();
    await jobs.releaseStale();
    await refreshJobsUnlessCurrent(cls, jobs);
  }

  /**
   * Claims pending keys of one table and makes them (populate's claims: a jobGroup's keys
   * together, quick makes sharing transactions), all on the work session, reporting each key,
   * until none is pending or the worker is to stop. Keys claimed but not started go back to
   * pending when it stops; a key that hit a lock conflict goes back too.
   */
  async claimAndMake(cls: AutoClass): Promise<{ made: number; raced: number }> {
    const info = tableInfo(cls);
    const abort = new AbortController();
    this.pass = abort;
    const untilMaxTime = this.options.maxTime === undefined ? Infinity : Math.max(0, this.started + this.options.maxTime * 1000 - Date.now());
    // A longer delay than a timer holds would fire at once; the loop checks the time between passes anyway.
    const deadline = untilMaxTime <= MAX_TIMER_MS ? setTimeout(() => abort.abort(), untilMaxTime) : undefined;
    const reporter = new KeyReporter(info.className, (event) => this.emit(event));
    let made = 0;
    let raced = 0;
    let outage: Error | undefined;
    const conflicts: Array<Record<string, unknown>> = [];
    const onKey = (key: Record<string, unknown>, outcome: 'done' | Error): void => {
      if (outcome !== 'done' && isOutage(outcome)) {
        // The session is gone (server, network, or our own give-back): no key is at fault.
        outage ??= outcome;
        abort.abort();
        return;
      }
      if (outcome === 'done') {
        this.keys++;
        made++;
        reporter.add({ outcome: 'done' });
      } else if (outcome instanceof ReservationLostError) {
        // Judged silent and given to another worker while make ran: rolled back, nothing committed.
        raced++;
        reporter.add({ outcome: 'lost', key, message: outcome.message });
      } else if (isLockConflict(outcome)) {
        raced++;
        conflicts.push(key);
        reporter.add({ outcome: 'conflict', key, message: outcome.message });
      } else {
        this.keys++;
        this.errors++;
        made++;
        reporter.add({ outcome: 'error', key, message: outcome.message });
      }
    };
    const left = this.options.maxKeys === undefined ? undefined : Math.max(0, this.options.maxKeys - this.keys);
    try {
      if (this.stopping || left === 0) return { made, raced };
      await this.onWorkSession(info.schema, () => cls.populate({
        reserveJobs: true, refresh: false, suppressErrors: true, onKey, signal: abort.signal, ...(left === undefined ? {} : { maxCalls: left }),
      }));
    } finally {
      if (deadline) clearTimeout(deadline);
      this.pass = undefined;
      reporter.flush();
    }
    if (outage) throw outage;
    for (const key of conflicts) await this.putBack(info, key);
    return { made, raced };
  }

  /**
   * Keys of a table not yet made: free to take now (pending and due, or without a job yet), held
   * by a reservation, or pending but scheduled later. Errors and ignored keys do not count.
   */
  async left(cls: AutoClass): Promise<{ free: number; held: number; later: number }> {
    const todo = await cls.todoKeys();
    if (todo.length === 0) return { free: 0, held: 0, later: 0 };
    const jobs = cls.jobs();
    const id = (k: Record<string, unknown>): string => JSON.stringify(jobs.keyAttributes.map((a) => String(k[a])));
    const status = new Map((await jobs.list()).map((j) => [id(j.key), j.status]));
    const due = new Set((await jobs.pending()).map(id));
    let free = 0;
    let held = 0;
    let later = 0;
    for (const k of todo) {
      const s = status.get(id(k));
      if (s === undefined || (s === 'pending' && due.has(id(k)))) free++;
      else if (s === 'pending') later++;
      else if (s === 'reserved') held++;
    }
    return { free, held, later };
  }

  /** Runs work with one server session pinned, whose id the heartbeat publishes. */
  async onWorkSession<T>(schema: Schema, work: () => Promise<T>): Promise<T> {
    const connection = schema.connection;
    if (!connection.dialect.concurrent) return work();
    return connection.session(async (id) => {
      this.workSession = { schema, id };
      try {
        return await work();
      } finally {
        this.workSession = undefined;
      }
    });
  }

  /** Heartbeat: our row, then (when we have been reachable for a stale time) the silent workers. */
  async tick(): Promise<void> {
    if (this.beating || this.givenBack) return;
    this.beating = true;
    try {
      const gap = this.lastBeat > 0 && Date.now() - this.lastBeat > this.heartbeatSeconds * 2000 + 1000;
      await this.beat();
      // We were silent too: other workers' rows are old for the same reason ours was.
      if (gap) this.healthySince = Date.now();
      if (Date.now() - this.healthySince >= this.staleAfter * 1000) await this.sweep();
    } catch {
      this.healthySince = Date.now();
    } finally {
      this.beating = false;
    }
  }

  async beat(): Promise<void> {
    const ids = this.workSession ? [this.workSession.id] : [];
    for (const r of this.registries) await r.beat({ id: this.id, host: this.host, pid: this.pid, connectionIds: ids, keysDone: this.keys });
    this.lastBeat = Date.now();
  }

  /** Gives back the reservations of workers silent for longer than the stale time, ending their sessions first. */
  async sweep(): Promise<void> {
    for (const registry of this.registries) {
      const connection = registry.connection;
      const silent = (await registry.list()).filter((w) => w.worker !== this.id && w.silentFor > this.staleAfter);
      if (silent.length === 0) continue;
      const uptime = connection.dialect.uptimeSeconds === undefined ? Infinity
        : Number((await connection.query<{ up: unknown }>(`SELECT ${connection.dialect.uptimeSeconds} AS up`))[0]?.up ?? 0);
      for (const w of silent) await this.giveBackFor(registry, w, uptime);
    }
  }

  async giveBackFor(registry: WorkerRegistry, w: WorkerRow, uptime: number): Promise<void> {
    const connection = registry.connection;
    const tables = this.infos.filter((i) => i.schema.connection === connection);
    const sessions = new Set<number>();
    // Session ids from before the server's last start are meaningless now (and may name a live session).
    if (w.silentFor < uptime) {
      for (const id of w.connectionIds) sessions.add(id);
      for (const info of tables) {
        for (const job of await new JobsTable(info).list('reserved')) {
          if (job.host === w.host && job.pid === w.pid && job.connectionId > 0) sessions.add(job.connectionId);
        }
      }
    }
    // First end its sessions: their transactions roll back and release their locks, and a worker
    // that comes back finds its connection gone instead of committing.
    for (const id of sessions) await endSession(connection, id);
    let keys = 0;
    for (const info of tables) keys += await releaseReservations(connection, info, w.host, w.pid);
    await registry.remove(w.worker);
    this.emit({ event: 'swept', worker: w.worker, host: w.host, pid: w.pid, silentFor: Math.round(w.silentFor * 10) / 10, keys, sessions: sessions.size });
  }

  /** Our own reservations back to pending (after an outage, the key in hand's transaction is gone). */
  async releaseMine(): Promise<void> {
    for (const info of this.infos) await releaseReservations(info.schema.connection, info, this.host, this.pid);
  }

  /** A key whose make hit a lock conflict goes back to pending instead of staying an error. */
  async putBack(info: TableInfo, key: Record<string, unknown>): Promise<void> {
    const connection = info.schema.connection;
    const jobs = new JobsTable(info);
    const heading = info.resolved!.heading;
    const q = (n: string): string => connection.dialect.quote(n);
    const values = jobs.keyAttributes.map((k) => encodeValue(heading.get(k), key[k], jobsTableName(info), key, connection.dialect));
    await connection.run(
      `UPDATE ${jobs.ref} SET ${q('status')} = 'pending', ${q('reserved_time')} = NULL, ${q('error_message')} = '', ${q('error_stack')} = NULL
        WHERE ${jobs.keyAttributes.map((k) => `${q(k)} = ?`).join(' AND ')} AND ${q('host')} = ? AND ${q('pid')} = ? AND ${q('status')} IN ('error', 'reserved')`,
      [...values, this.host, this.pid]);
  }

  /** Retries `work` through outages, with back-off, saying so once per outage. */
  async untilReachable(work: () => Promise<void>): Promise<void> {
    for (;;) {
      try {
        return await work();
      } catch (error) {
        if (!isOutage(error) || this.stopRequested || this.givenBack) throw error;
        await this.reconnect(error);
      }
    }
  }

  /** Waits until every schema's server answers again, doubling the wait from 1 s up to 30 s. */
  async reconnect(error: unknown): Promise<void> {
    const lost = Date.now();
    this.healthySince = Date.now();
    let wait = 1;
    let first = true;
    for (;;) {
      // A pool whose connections died with the server or the network is dropped; the schemas open a new one.
      for (const s of this.schemas) if (!s.connection.closed) void s.connection.close().catch(() => undefined);
      const message = error instanceof Error ? error.message : String(error);
      this.emit({ event: 'unreachable', retryIn: first ? 0 : wait, message });
      if (!first) await this.sleepUnlessWoken(wait * 1000);
      if (this.stopRequested || this.givenBack) return;
      first = false;
      try {
        for (const s of this.schemas) await s.connection.query('SELECT 1');
        this.healthySince = Date.now();
        this.emit({ event: 'back', after: Math.round((Date.now() - lost) / 100) / 10 });
        return;
      } catch (next) {
        error = next;
        wait = Math.min(wait * 2, 30);
      }
    }
  }

  async giveBack(): Promise<void> {
    if (this.givenBack) return;
    this.givenBack = true;
    this.pass?.abort();
    this.wake?.();
    if (this.timer) clearInterval(this.timer);
    const session = this.workSession;
    if (session && session.schema.connection.dialect.endSession !== undefined) {
      // Ending our own work session from another one rolls back the key in hand on the server.
      await endSession(session.schema.connection, session.id);
    }
    if (this.fleetCapable) {
      await this.releaseMine().catch(() => undefined);
      for (const r of this.registries) await r.remove(this.id).catch(() => undefined);
    }
  }
}

type KeyReport = Omit<Extract<FleetEvent, { event: 'key' }>, 'event' | 'table' | 'seconds'>;

/**
 * `key` events with their seconds: keys reported together (they shared a transaction) share the
 * time since the previous report evenly. Emitted once the synchronous burst of reports ends.
 */
class KeyReporter {
  private readonly pending: KeyReport[] = [];
  private since = performance.now();

  constructor(private readonly table: string, private readonly emit: (event: FleetEvent) => void) {}

  add(report: KeyReport): void {
    if (this.pending.push(report) === 1) queueMicrotask(() => this.flush());
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const now = performance.now();
    const seconds = (now - this.since) / 1000 / this.pending.length;
    this.since = now;
    for (const r of this.pending.splice(0)) this.emit({ event: 'key', table: this.table, ...r, seconds });
  }
}

/** Ends a server session (MySQL KILL, PostgreSQL pg_terminate_backend); one already gone is fine. */
async function endSession(connection: Connection, id: number): Promise<void> {
  const sql = connection.dialect.endSession;
  if (sql === undefined) return;
  await connection.run(sql, [id]).catch(() => undefined);
}

/** Sets a worker's reserved rows of a table back to pending; returns how many. */
async function releaseReservations(connection: Connection, info: TableInfo, host: string, pid: number): Promise<number> {
  const jobs = new JobsTable(info);
  await jobs.declare();
  const q = (n: string): string => connection.dialect.quote(n);
  return (await connection.run(
    `UPDATE ${jobs.ref} SET ${q('status')} = 'pending', ${q('reserved_time')} = NULL WHERE ${q('status')} = 'reserved' AND ${q('host')} = ? AND ${q('pid')} = ?`,
    [host, pid])).affectedRows;
}

/** Parents before children: a table's ancestors are a strict superset of each ancestor's. */
function orderByDependency(infos: TableInfo[]): TableInfo[] {
  const ancestors = new Map<TableInfo, Set<TableInfo>>();
  const of = (info: TableInfo): Set<TableInfo> => {
    const known = ancestors.get(info);
    if (known) return known;
    const set = new Set<TableInfo>();
    ancestors.set(info, set);
    info.schema.resolve();
    for (const fk of info.resolved?.foreignKeys ?? []) {
      const parent = fk.parent as TableInfo;
      set.add(parent);
      for (const a of of(parent)) set.add(a);
    }
    return set;
  };
  return [...infos].sort((a, b) => of(a).size - of(b).size);
}
