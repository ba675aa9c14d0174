/**
 * Entry point of a populate worker process: loads the module that declares the table, populates it
 * with reserveJobs, reports over IPC, and exits.
 */
import { pathToFileURL } from 'node:url';
import { Connection } from '../connection/connection.js';
import type { WorkerReport, WorkerSpec } from './workers.js';

const spec = JSON.parse(process.env.RG_WORKER_SPEC ?? '{}') as WorkerSpec;
const module = (await import(pathToFileURL(spec.module).href)) as Record<string, unknown>;
const table = module[spec.exportName] as { populate(r: unknown, o: object): Promise<{ successCount: number; errors: Array<{ key: Record<string, unknown>; error: Error }> }> } | undefined;
if (!table || typeof table.populate !== 'function') {
  console.error(`rg-schema worker: ${spec.module} does not export an auto-populated table named ${spec.exportName}.`);
  process.exit(2);
}
const result = await table.populate(spec.restriction, { ...spec.options, reserveJobs: true, suppressErrors: true });
const report: WorkerReport = {
  successCount: result.successCount,
  errors: result.errors.map((e) => ({ key: JSON.parse(JSON.stringify(e.key, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as Record<string, unknown>, message: e.error.message })),
};
await new Promise<void>((resolve) => process.send?.(report, () => resolve()) ?? resolve());
await Connection.closeAll();
process.exit(0);
