import { tableInfo, type TableInfo } from '../declare/table-info.js';
import type { TableClass } from '../table/table.js';
import { jobsTableName } from './jobs.js';
import { WORKER_TABLE, WorkerRegistry } from './worker-registry.js';

/** One worker as `status` shows it. */
export interface FleetWorkerStatus {
  /** The `~rg_worker` id; undefined for a reservation of a worker that keeps no heartbeat (DataJoint's, or `populate --reserve-jobs`). */
  readonly worker: string | undefined;
  readonly pid: number;
  /** The server time of its last heartbeat (undefined without one). */
  readonly lastSeen: string | undefined;
  /** Seconds since then, by the server's clock. */
  readonly silentFor: number | undefined;
  readonly keysDone: number | undefined;
  /** Keys it has reserved now, over the tables asked about. */
  readonly keysHeld: number;
}

/** Workers of one host. */
export interface FleetHostStatus {
  readonly host: string;
  readonly workers: readonly FleetWorkerStatus[];
}

/**
 * The workers around some auto-populated tables, by host: each heartbeat in `~rg_worker` and the
 * keys each worker holds in the tables' jobs tables, plus reservations of workers without a
 * heartbeat. Reads only: a missing table counts as empty.
 *
 * @example
 * ```ts
 * for (const { host, workers } of await fleetStatus([SpikeTriggeredAverage])) console.log(host, workers.length);
 * ```
 */
export async function fleetStatus(tables: readonly TableClass[]): Promise<FleetHostStatus[]> {
  const infos = tables.map((t) => tableInfo(t));
  const byWorker = new Map<string, { host: string; worker?: string; pid: number; lastSeen?: string; silentFor?: number; keysDone?: number; keysHeld: number }>();
  const key = (host: string, pid: number): string => `${host}\u0000${pid}`;
  for (const schema of new Set(infos.map((i) => i.schema))) {
    const connection = schema.connection;
    const present = await connection.dialect.listTables(connection, schema.database);
    if (present.includes(WORKER_TABLE)) {
      for (const w of await new WorkerRegistry(schema).list()) {
        byWorker.set(key(w.host, w.pid), { host: w.host, worker: w.worker, pid: w.pid, lastSeen: w.lastSeen, silentFor: w.silentFor, keysDone: w.keysDone, keysHeld: 0 });
      }
    }
    for (const info of infos.filter((i: TableInfo) => i.schema === schema)) {
      if (!present.includes(jobsTableName(info))) continue;
      const q = (n: string): string => connection.dialect.quote(n);
      const rows = await connection.query<{ host: unknown; pid: unknown; n: unknown }>(
        `SELECT ${q('host')} AS host, ${q('pid')} AS pid, count(*) AS n FROM ${connection.dialect.tableRef(schema.database, jobsTableName(info))} WHERE ${q('status')} = 'reserved' GROUP BY ${q('host')}, ${q('pid')}`);
      for (const r of rows) {
        const k = key(String(r.host), Number(r.pid));
        const entry = byWorker.get(k) ?? { host: String(r.host), pid: Number(r.pid), keysHeld: 0 };
        entry.keysHeld += Number(r.n);
        byWorker.set(k, entry);
      }
    }
  }
  const hosts = new Map<string, FleetWorkerStatus[]>();
  for (const e of byWorker.values()) {
    const list = hosts.get(e.host) ?? [];
    list.push({ worker: e.worker, pid: e.pid, lastSeen: e.lastSeen, silentFor: e.silentFor, keysDone: e.keysDone, keysHeld: e.keysHeld });
    hosts.set(e.host, list);
  }
  return [...hosts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([host, workers]) => ({ host, workers: workers.sort((a, b) => a.pid - b.pid) }));
}
