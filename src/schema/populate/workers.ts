import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PopulateError } from '../../errors.js';
import type { TableInfo } from '../declare/table-info.js';
import type { PopulateOptions, PopulateResult } from './auto-populate.js';
import { workerExecArgv } from './worker-loader.js';

/** What a worker process is told: where the table is declared, and what to populate. */
export interface WorkerSpec {
  readonly module: string;
  readonly exportName: string;
  readonly restriction: unknown;
  readonly options: Pick<PopulateOptions, 'suppressErrors' | 'order' | 'limit' | 'maxCalls'>;
}

/** What a worker reports back over IPC. */
export interface WorkerReport {
  readonly successCount: number;
  readonly errors: ReadonlyArray<{ key: Record<string, unknown>; message: string }>;
}

/**
 * Starts N local worker processes that populate one table through its jobs table, and sums their
 * results. Each process imports the module that declares the table, so nothing but the database
 * coordinates them: the same works for workers on other machines.
 */
export async function populateWithWorkers(info: TableInfo, restriction: unknown, options: PopulateOptions): Promise<PopulateResult> {
  const spec = options.workerModule;
  if (!spec) {
    throw new PopulateError(`populate({ workers }) needs workerModule: { path, exportName } naming the module that declares ${info.className}, so each worker process can load it.`);
  }
  if (restriction !== undefined && (typeof restriction === 'function' || (typeof restriction === 'object' && restriction !== null && 'node' in restriction))) {
    throw new PopulateError('A restriction given to populate({ workers }) must be plain data (an object, array or string) so it can be sent to worker processes.');
  }
  const payload: WorkerSpec = {
    module: spec.path,
    exportName: spec.exportName,
    restriction,
    options: { suppressErrors: options.suppressErrors ?? false, order: options.order ?? 'random', limit: options.limit, maxCalls: options.maxCalls },
  };
  const main = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './worker-main.ts' : './worker-main.js', import.meta.url));
  const execArgv = workerExecArgv(main, spec.path);
  const runs = Array.from({ length: options.workers ?? 1 }, () => new Promise<WorkerReport>((resolve, reject) => {
    const child = fork(main, [], { env: { ...process.env, RG_WORKER_SPEC: JSON.stringify(payload) }, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let report: WorkerReport | undefined;
    child.on('message', (m) => { report = m as WorkerReport; });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (report) resolve(report);
      else reject(new PopulateError(`A populate worker for ${info.className} exited with ${signal ?? `code ${code}`} before reporting.`));
    });
  }));
  const reports = await Promise.allSettled(runs);
  const errors: Array<{ key: Record<string, unknown>; error: Error }> = [];
  let successCount = 0;
  for (const r of reports) {
    if (r.status === 'fulfilled') {
      successCount += r.value.successCount;
      errors.push(...r.value.errors.map((e) => ({ key: e.key, error: new PopulateError(e.message, e.key) })));
    } else {
      errors.push({ key: {}, error: r.reason as Error });
    }
  }
  return { successCount, errors };
}
