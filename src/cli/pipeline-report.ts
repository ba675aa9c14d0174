/**
 * What `rg-pipeline status` and `check` report, found without writing: the pipeline schema is
 * opened with `createTables: false` and only once its database is known to exist, so neither
 * command creates a database, a table, a row or a folder.
 */
import { existsSync } from 'node:fs';
import { SchemaMismatchError } from '../errors.js';
import { schemaExists } from '../schema/declare/schema-presence.js';
import { redactCredentials } from '../redact.js';
import * as rgc from '../pipeline.js';
import { fleetStatus, type FleetHostStatus } from '../schema/populate/fleet-status.js';

/** One table's line of `status`. */
export interface TableStatus {
  readonly table: string;
  readonly rows: number;
  /** For auto-populated tables: keys made of the keys there are to make. */
  readonly populated?: { readonly done: number; readonly total: number };
}

/** What `rg-pipeline status --json` prints. */
export interface PipelineStatus {
  readonly database: string;
  readonly schema: string;
  /** False when nothing was loaded yet: no database (MySQL) or no tables in the file (SQLite). */
  readonly exists: boolean;
  readonly tables: readonly TableStatus[];
  /** Populate workers by host: heartbeats (`rg-pipeline worker`) and the keys each holds. */
  readonly workers: readonly FleetHostStatus[];
}

/** What `rg-pipeline check --json` prints. */
export interface PipelineCheck {
  readonly database: string;
  readonly schema: string;
  readonly connected: boolean;
  readonly exists: boolean;
  /** The tables match their declarations (no missing table, no column that differs). */
  readonly tablesMatch: boolean;
  readonly problems: ReadonlyArray<{ readonly kind: 'mismatch' | 'changed' | 'unreadable'; readonly source?: string; readonly message: string }>;
  /** Sessions whose stimulations are not loaded yet (`rg-pipeline populate` loads them). */
  readonly unpopulatedSessions: number;
  readonly ok: boolean;
}

const TABLES: ReadonlyArray<readonly [string, { count(): Promise<number> }, { progress(): Promise<{ remaining: number; total: number }> }?]> = [
  ['Subject', rgc.Subject], ['DataSource', rgc.DataSource], ['Session', rgc.Session],
  ['Stimulation', rgc.Stimulation, rgc.Stimulation], ['Neuron', rgc.Neuron], ['Spike', rgc.Spike],
  ['StaParams', rgc.StaParams], ['SpikeTriggeredAverage', rgc.SpikeTriggeredAverage, rgc.SpikeTriggeredAverage],
];

/** Opens the pipeline for reading; false when its database does not exist (nothing is created). */
async function openForReading(): Promise<boolean> {
  rgc.pipeline.configure({ createTables: false });
  return schemaExists(rgc.pipeline);
}

/** Row counts and populate progress of every pipeline table. */
export async function pipelineStatus(): Promise<PipelineStatus> {
  const exists = await openForReading();
  const where = { database: rgc.pipeline.connection.display, schema: rgc.pipeline.database };
  if (!exists) return { ...where, exists, tables: TABLES.map(([table]) => ({ table, rows: 0 })), workers: [] };
  const tables: TableStatus[] = [];
  for (const [table, cls, auto] of TABLES) {
    const rows = await cls.count();
    if (!auto) {
      tables.push({ table, rows });
      continue;
    }
    const { remaining, total } = await auto.progress();
    tables.push({ table, rows, populated: { done: total - remaining, total } });
  }
  return { ...where, exists, tables, workers: await fleetStatus([rgc.Stimulation, rgc.SpikeTriggeredAverage]) };
}

/** Connectivity, declarations against the database, and every loaded source against its checksum. */
export async function pipelineCheck(): Promise<PipelineCheck> {
  const connection = rgc.pipeline.connection;
  const where = { database: connection.display, schema: rgc.pipeline.database };
  const sqliteAbsent = connection.file !== undefined && !existsSync(connection.file);
  if (!sqliteAbsent) await connection.query('SELECT 1 AS ok');
  const exists = !sqliteAbsent && (await openForReading());
  const problems: Array<PipelineCheck['problems'][number]> = [];
  if (!exists) return { ...where, connected: !sqliteAbsent, exists, tablesMatch: true, problems, unpopulatedSessions: 0, ok: true };
  try {
    await rgc.pipeline.activate();
  } catch (error) {
    if (!(error instanceof SchemaMismatchError)) throw error;
    problems.push({ kind: 'mismatch', message: error.message });
    return { ...where, connected: true, exists, tablesMatch: false, problems, unpopulatedSessions: 0, ok: false };
  }
  for (const source of await rgc.DataSource.fetch()) {
    try {
      const { checksum } = await rgc.readSource(source.entry as Record<string, unknown>);
      if (checksum !== source.checksum) problems.push({ kind: 'changed', source: source.access, message: `${source.access} no longer has the checksum it was loaded with` });
    } catch (error) {
      problems.push({ kind: 'unreadable', source: source.access, message: `${source.access}: ${redactCredentials((error as Error).message)}` });
    }
  }
  const unpopulatedSessions = await rgc.Session.restrict('n_stimulations > 0').exclude(rgc.Stimulation).count();
  return { ...where, connected: true, exists, tablesMatch: true, problems, unpopulatedSessions, ok: problems.length === 0 };
}
