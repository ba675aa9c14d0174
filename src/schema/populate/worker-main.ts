/**
 * Entry point of a populate worker process: receives its task, database and secrets from its
 * parent over IPC (never through the environment), loads the module that declares the table,
 * populates it with reserveJobs, reports over IPC, and exits. It stops when its parent goes away.
 */
import { pathToFileURL } from 'node:url';
import { setProcessConnection } from '../connection/config.js';
import { Connection } from '../connection/connection.js';
import { setProcessSecrets } from '../connection/secrets.js';
import { setPopulateCpuShare } from './cpu-share.js';
import { IpcKeyBudget, KEY_BUDGET, type KeyBudgetGranted } from './key-budget.js';
import { hostSlotsOf, keyForIpc, type WorkerHandoff, type WorkerKeyReport, type WorkerMadeReport, type WorkerReport, type WorkerStop } from './workers.js';

// One listener from the start: IPC delivers messages that arrive together in one go, so a stop
// sent right after the handoff would pass a listener added once the handoff is read.
const stop = new AbortController();
// The keys of limit and maxCalls are the parent's to hand out (key-budget.ts).
const budget = new IpcKeyBudget((message) => process.send?.(message));
const handoff = await new Promise<WorkerHandoff>((resolve) => {
  process.on('message', (m: WorkerHandoff | WorkerStop | KeyBudgetGranted) => {
    if (!('kind' in m)) resolve(m);
    else if (m.kind === 'granted-keys') budget.granted(m);
    else stop.abort();
  });
});
// An orphaned worker must not go on computing (and holding reservations) for nobody.
process.on('disconnect', () => process.exit(1));
setProcessSecrets(handoff.secrets);
setProcessConnection(handoff.connection);
// Before the module loads: N workers each running a kernel on every core would oversubscribe them.
setPopulateCpuShare(handoff.cpuShare);
const { spec } = handoff;
const module = (await import(pathToFileURL(spec.module).href)) as Record<string, unknown>;
const table = module[spec.exportName] as { populate(r: unknown, o: object): Promise<{ successCount: number; errors: Array<{ key: Record<string, unknown>; error: Error }> }> } | undefined;
if (!table || typeof table.populate !== 'function') {
  console.error(`rg-schema worker: ${spec.module} does not export an auto-populated table named ${spec.exportName}.`);
  process.exit(2);
}
// The parent may start more workers, and decides by the keys ended so far: a count, now and then.
let made = 0;
let toldAt = 0;
const MADE_EVERY_MS = 200;
const onKey = (key: Record<string, unknown>, outcome: 'done' | Error): void => {
  if (spec.reportKeys) process.send?.({ kind: 'key', key: keyForIpc(key), ...(outcome === 'done' ? {} : { message: outcome.message }) } satisfies WorkerKeyReport);
  made++;
  if (spec.reportMade && performance.now() - toldAt >= MADE_EVERY_MS) {
    toldAt = performance.now();
    const cpu = process.cpuUsage();
    process.send?.({ kind: 'made', made, cpuMs: (cpu.user + cpu.system) / 1000 } satisfies WorkerMadeReport);
  }
};
// A stop from the parent (its populate's signal was aborted) ends this populate between keys, and
// what was made is reported.
const result = await table.populate(spec.restriction, {
  ...spec.options, reserveJobs: true, suppressErrors: true, ...hostSlotsOf(handoff), signal: stop.signal, ...(spec.reportKeys || spec.reportMade ? { onKey } : {}),
  ...(spec.sharedBudget ? { [KEY_BUDGET]: budget } : {}),
});
const report: WorkerReport = {
  kind: 'report',
  successCount: result.successCount,
  errors: result.errors.map((e) => ({ key: keyForIpc(e.key), message: e.error.message })),
};
await new Promise<void>((resolve) => process.send?.(report, () => resolve()) ?? resolve());
process.removeAllListeners('disconnect');
await Connection.closeAll();
process.exit(0);
