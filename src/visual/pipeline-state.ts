import type { Schema } from '../schema/declare/schema.js';
import { listTableNames } from '../schema/declare/catalog.js';
import type { TableInfo } from '../schema/declare/table-info.js';
import { JobsTable, jobsTableName } from '../schema/populate/jobs.js';
import type { AutoTableState, JobRowState, StateResponse, TableState } from './api-types.js';

type Counted = { count(): Promise<number> };
type Progressing = { progress(): Promise<{ remaining: number; total: number }> };

function plain(value: unknown): string | number {
  return typeof value === 'bigint' ? Number(value) : typeof value === 'number' ? value : String(value);
}

/**
 * A jobs table read as it is, with SELECTs only: a table whose jobs table does not exist yet
 * (nobody populated it with reserveJobs) simply has no jobs. JobsTable.list() would create it.
 */
async function readJobs(info: TableInfo, present: ReadonlySet<string>): Promise<Pick<AutoTableState, 'jobs' | 'job_rows'>> {
  if (!present.has(jobsTableName(info))) return { jobs: {}, job_rows: [] };
  const jobs = new JobsTable(info);
  const { connection } = jobs;
  const q = (name: string): string => connection.dialect.quote(name);
  const counts = await connection.query<{ status: string; n: unknown }>(`SELECT ${q('status')} AS status, count(*) AS n FROM ${jobs.ref} GROUP BY ${q('status')}`);
  const columns = [...jobs.keyAttributes, 'status', 'error_message', 'host', 'pid', 'reserved_time', 'completed_time'];
  const rows = await connection.query<Record<string, unknown>>(
    `SELECT ${columns.map(q).join(', ')} FROM ${jobs.ref} WHERE ${q('status')} IN ('reserved', 'error')
      ORDER BY COALESCE(${q('completed_time')}, ${q('reserved_time')}) DESC LIMIT 50`);
  return {
    jobs: Object.fromEntries(counts.map((c) => [c.status, Number(c.n)])),
    job_rows: rows.map((r): JobRowState => ({
      key: Object.fromEntries(jobs.keyAttributes.map((k) => [k, plain(r[k])])),
      status: String(r.status), error_message: String(r.error_message ?? ''), host: String(r.host ?? ''), pid: Number(r.pid ?? 0),
      time: r.completed_time !== null && r.completed_time !== undefined ? String(r.completed_time) : r.reserved_time !== null && r.reserved_time !== undefined ? String(r.reserved_time) : null,
    })),
  };
}

/**
 * Rows per table, what populate has left, and the jobs of every auto-populated table.
 *
 * @example
 * ```ts
 * (await pipelineState(pipeline, 'sqlite://rg-data/rg.sqlite')).populate;
 * // [{ table: 'Stimulation', total: 9, remaining: 0, jobs: {}, job_rows: [] }, { table: 'SpikeTriggeredAverage', … }]
 * ```
 */
export async function pipelineState(schema: Schema, display: string): Promise<StateResponse> {
  await schema.activate();
  const present = new Set(await listTableNames(schema.connection, schema.database));
  const tables: TableState[] = [];
  const populate: AutoTableState[] = [];
  for (const info of schema.tables) {
    tables.push({ table: info.className, tier: info.tier, rows: await (info.cls as unknown as Counted).count() });
    if (info.tier === 'imported' || info.tier === 'computed') {
      const { remaining, total } = await (info.cls as unknown as Progressing).progress();
      populate.push({ table: info.className, total, remaining, ...(await readJobs(info, present)) });
    }
  }
  return { database: display, schema: schema.database, tables, populate };
}
