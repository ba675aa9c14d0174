import { fork, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { InterruptedError, PopulateError } from '../../errors.js';
import type { ConnectionSpec } from '../connection/config.js';
import { environmentWithoutSecrets, secretsToHand } from '../connection/secrets.js';
import type { TableInfo } from '../declare/table-info.js';
import type { PopulateOptions, PopulateResult } from './auto-populate.js';
import { populateCpuShare, setPopulateCpuShare, workerCpuShare } from './cpu-share.js';
import { hostSlotsFor } from './host-slots.js';
import { JobsTable } from './jobs.js';
import { progressBar } from './progress-bar.js';
import { workerExecArgv } from './worker-loader.js';
import { makesTakeTurns } from './make-weighing.js';
import { IdleCoreStarts, ON_DUE } from './worker-starts.js';
import { KEY_BUDGET, LocalKeyBudget, type KeyBudgetGiveBack, type KeyBudgetGranted, type KeyBudgetTake } from './key-budget.js';

/** What a worker process is told: where the table is declared, and what to populate. */
export interface WorkerSpec {
  readonly module: string;
  readonly exportName: string;
  readonly restriction: unknown;
  readonly options: Pick<PopulateOptions, 'suppressErrors' | 'order' | 'limit' | 'maxCalls' | 'batch' | 'priority' | 'keepCompleted' | 'jobs' | 'releaseStale' | 'concurrency' | 'keysPerTransaction' | 'refresh'>;
  /** Whether the worker reports each key as it ends (the parent's populate has onKey or onProgress). */
  readonly reportKeys: boolean;
  /** Whether the worker reports how many keys it has ended, now and then (the parent decides on more starts by it). */
  readonly reportMade?: boolean;
  /** Whether the worker takes its keys from its parent's budget (`limit` or `maxCalls` count across every process). */
  readonly sharedBudget?: boolean;
}

/**
 * The first IPC message a worker receives: its task, the database its parent populates (password
 * included) and the secrets its parent holds. They travel over the IPC pipe so that none of them
 * is in the worker's environment or command line.
 */
export interface WorkerHandoff {
  readonly spec: WorkerSpec;
  readonly connection: ConnectionSpec;
  readonly secrets: Readonly<Record<string, string>>;
  /** Cores this worker's multi-threaded make() may use: the machine's, shared among the workers. */
  readonly cpuShare: number;
  /**
   * populate's `hostSlots` as the caller gave it; null for no limit (IPC's JSON has no Infinity);
   * absent for the host's default, under which a worker on SQLite also weighs its makes.
   */
  readonly hostSlots?: number | null;
}

/** What a worker reports back over IPC when it is done. */
export interface WorkerReport {
  readonly kind: 'report';
  readonly successCount: number;
  readonly errors: ReadonlyArray<{ key: Record<string, unknown>; message: string }>;
}

/** A key a worker made (no message) or that failed, as it ends: for the parent's onKey and onProgress. */
export interface WorkerKeyReport {
  readonly kind: 'key';
  readonly key: Record<string, unknown>;
  readonly message?: string;
}

/** How many keys a worker has ended so far and the CPU it has used, sent now and then while its parent may start more workers. */
export interface WorkerMadeReport {
  readonly kind: 'made';
  readonly made: number;
  readonly cpuMs: number;
}

/** What the parent tells a worker after its handoff: stop between keys (populate's `signal` was aborted). */
export interface WorkerStop {
  readonly kind: 'stop';
}

/** A key as IPC's JSON can carry it (bigints as strings). */
export function keyForIpc(key: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(key, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as Record<string, unknown>;
}

/** How long stopped workers get to exit after SIGINT/SIGTERM before they are killed. */
const GRACE_MS = 5_000;

/**
 * Keys of a jobGroup a worker claims at once, by default: the whole group, so that one worker
 * reads and prepares a group's shared inputs (an STA's movie) and no other worker does it again.
 * Measured on 531 STA keys of 10 stimulations: claimed a key at a time, two workers each read and
 * decompressed 8 or 9 of the 10 movies.
 */
const WHOLE_GROUP = 1_000_000;

/**
 * Populates one table with N local workers through its jobs table, and sums their results: this
 * process is the first worker, and N − 1 worker processes are started. Each process imports the
 * module that declares the table, so nothing but the database coordinates them: the same works for
 * workers on other machines. This process has the table loaded already, so it takes keys while the
 * others start (about a second each: node, then importing the module). A SIGINT or SIGTERM to this
 * process (Ctrl-C) is passed on to the workers, which stop, and this process stops after the key in
 * hand, giving back the keys it had claimed; populate() then rejects with an InterruptedError once
 * every worker has exited. A worker whose parent dies stops too.
 */
export async function populateWithWorkers(info: TableInfo, restriction: unknown, options: PopulateOptions): Promise<PopulateResult> {
  const spec = options.workerModule;
  if (!spec) {
    throw new PopulateError(`populate({ workers }) needs workerModule: { path, exportName } naming the module that declares ${info.className}, so each worker process can load it.`);
  }
  if (restriction !== undefined && (typeof restriction === 'function' || (typeof restriction === 'object' && restriction !== null && 'node' in restriction))) {
    throw new PopulateError('A restriction given to populate({ workers }) must be plain data (an object, array or string) so it can be sent to worker processes.');
  }
  const connection = info.schema.connection.targetWithSecret();
  // limit and maxCalls are the whole populate's, as DataJoint's processes share theirs.
  const cap = Math.min(options.limit ?? Infinity, options.maxCalls ?? Infinity);
  const budget = Number.isFinite(cap) ? new LocalKeyBudget(cap) : undefined;
  const grouped = ((info.cls as { jobGroup?: readonly string[] }).jobGroup ?? []).length > 0;
  const handoff: WorkerHandoff = {
    spec: {
      module: spec.path,
      exportName: spec.exportName,
      restriction,
      options: {
        // In the jobs' own order the database hands keys out by claims (a jobGroup's together), so
        // workers never list the queue and fight over keys.
        suppressErrors: options.suppressErrors ?? false,
        order: options.order ?? 'original',
        limit: options.limit, maxCalls: options.maxCalls,
        batch: options.batch ?? (grouped ? WHOLE_GROUP : undefined), priority: options.priority, keepCompleted: options.keepCompleted,
        releaseStale: options.releaseStale, concurrency: options.concurrency, keysPerTransaction: options.keysPerTransaction,
        ...(options.jobs === undefined ? {} : { jobs: options.jobs }),
        ...(options.refresh === undefined ? {} : { refresh: options.refresh }),
      },
      reportKeys: options.onKey !== undefined || options.onProgress !== undefined || options.display === true,
      reportMade: (options.workersStart ?? 'idle-cores') === 'idle-cores',
      sharedBudget: budget !== undefined,
    },
    connection: { ...connection, prefix: info.schema.database.slice(0, info.schema.database.length - info.schema.name.length) },
    secrets: secretsToHand(),
    cpuShare: workerCpuShare(options.workers ?? 1),
    ...(options.hostSlots === undefined ? {} : { hostSlots: Number.isFinite(hostSlotsFor(options.hostSlots)) ? options.hostSlots : null }),
  };
  const main = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './worker-main.ts' : './worker-main.js', import.meta.url));
  const execArgv = workerExecArgv(main, spec.path);
  const children: ChildProcess[] = [];
  let interrupted: NodeJS.Signals | undefined;
  const stop = (signal: NodeJS.Signals): void => {
    interrupted ??= signal;
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    setTimeout(() => { for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); }, GRACE_MS).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // An aborted signal stops every worker between keys, as it stops populate() in one process: the
  // keys made are kept and reported.
  const abort = (): void => {
    for (const child of children) if (child.connected) child.send({ kind: 'stop' } satisfies WorkerStop);
  };
  options.signal?.addEventListener('abort', abort, { once: true });
  // Every worker's keys, as they end: onKey for each, and onProgress over them all (counted to
  // the due jobs this process found as it started, or to the keys ended if more).
  let ended = 0;
  let dueAtStart = 0;
  // display: one bar here for every worker's keys (the worker processes draw none), drawn from
  // the first key on, when there is a total to show (an empty bar of 0/0 before is no news).
  let bar: ReturnType<typeof progressBar>;
  const keyEnded = (key: Record<string, unknown>, outcome: 'done' | Error): void => {
    ended++;
    options.onKey?.(key, outcome);
    options.onProgress?.(ended, Math.max(dueAtStart, ended));
    if (options.display) bar ??= progressBar(info.className, Math.max(dueAtStart, ended));
    bar?.update(ended, Math.max(dueAtStart, ended));
  };
  const total = Math.max(1, Math.floor(options.workers ?? 1));
  const runs: Array<Promise<PromiseSettledResult<WorkerReport>>> = [];
  // Keys the started workers have ended and the CPU they have used, by worker (their 'made' reports).
  const made: Array<{ made: number; cpuMs: number }> = [];
  let ownEnded = 0;
  const grant = (child: ChildProcess, request: KeyBudgetTake): void => {
    const count = budget?.takeNow(request.wanted) ?? request.wanted;
    const answer: KeyBudgetGranted = { kind: 'granted-keys', id: request.id, count };
    // A worker that is gone makes none of them.
    const lost = (): void => budget?.giveBack(count);
    if (!child.connected) return lost();
    child.send(answer, (error) => { if (error) lost(); });
  };
  const startWorker = (): void => {
    const index = made.push({ made: 0, cpuMs: 0 }) - 1;
    let child: ChildProcess;
    try {
      child = fork(main, [], { env: environmentWithoutSecrets(), execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    } catch (error) {
      // Out of processes or memory: reported with the run's results, not thrown through a timer.
      runs.push(Promise.resolve({ status: 'rejected', reason: new PopulateError(`A populate worker for ${info.className} could not be started: ${(error as Error).message}`, {}, { cause: error }) }));
      return;
    }
    children.push(child);
    child.send(handoff);
    if (options.signal?.aborted) child.send({ kind: 'stop' } satisfies WorkerStop);
    // Settled, never rejected: a worker may fail before the others are awaited.
    runs.push(new Promise<WorkerReport>((resolve, reject) => {
      let report: WorkerReport | undefined;
      child.on('message', (m: WorkerReport | WorkerKeyReport | WorkerMadeReport | KeyBudgetTake | KeyBudgetGiveBack) => {
        if (m.kind === 'report') report = m;
        else if (m.kind === 'made') {
          made[index] = { made: m.made, cpuMs: m.cpuMs };
        } else if (m.kind === 'take-keys') grant(child, m);
        else if (m.kind === 'give-back-keys') budget?.giveBack(m.count);
        else keyEnded(m.key, m.message === undefined ? 'done' : new PopulateError(m.message, m.key));
      });
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        if (report) resolve(report);
        else reject(new PopulateError(`A populate worker for ${info.className} exited with ${signal ?? `code ${code}`} before reporting.`));
      });
    }).then((value) => ({ status: 'fulfilled', value }), (reason: unknown) => ({ status: 'rejected', reason })));
  };
  // 'all': every worker now, as the user asked. 'idle-cores': one per idle core, while the host has a
  // core to spare and the keys left pay for a start (worker-starts.ts): a make that keeps the cores
  // busy, or a populate too short to gain, stays in this process. Never more processes than the
  // host has slots (the others would only wait for one).
  const slots = hostSlotsFor(options.hostSlots);
  const stopped = (): boolean => interrupted !== undefined || options.signal?.aborted === true;
  // Set as this process's populate ends, before its CPU share is given back: a start in flight
  // then (its question to the database unanswered) forks nothing that would not be awaited.
  let hereEnded = false;
  const jobs = !handoff.spec.reportMade || (handoff.spec.options.jobs ?? info.schema.jobs) === 'datajoint-0.14' ? undefined : new JobsTable(info);
  const starts = handoff.spec.reportMade ? new IdleCoreStarts(Math.min(total, slots) - 1, {
    worthStarting: () => !stopped() && !makesTakeTurns(info, options.hostSlots),
    // A key nobody has claimed yet, or the new worker would find nothing (jobGroups are claimed whole).
    start: async (count) => {
      if (budget?.left === 0 || (jobs && !(await jobs.anyDue())) || stopped() || hereEnded) return 0;
      for (let i = 0; i < count; i++) startWorker();
      // From now on this process shares the cores with its workers, as each of them does.
      setPopulateCpuShare(handoff.cpuShare);
      return count;
    },
    keysEnded: () => made.reduce((sum, w) => sum + w.made, ownEnded),
    treeCpuMs: () => {
      const own = process.cpuUsage();
      return made.reduce((sum, w) => sum + w.cpuMs, (own.user + own.system) / 1000);
    },
  }) : undefined;
  if (!starts) for (let i = 1; i < total; i++) startWorker();
  const here = populateHere(info, restriction, handoff, () => interrupted, {
    // Started on idle cores, workers leave this process every core until the first starts.
    shareCores: !starts,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(budget ? { budget } : {}),
    ...(handoff.spec.reportKeys ? { onKey: keyEnded, onDue: (due: number) => { dueAtStart = due; } } : {}),
    ...(starts ? {
      onEnd: () => { hereEnded = true; },
      onCounted: (due: number) => starts.counted(due),
      onOwnProgress: (done: number) => {
        ownEnded = done;
        starts.poll();
      },
    } : {}),
  });
  let reports: Array<PromiseSettledResult<WorkerReport>>;
  let own: PromiseSettledResult<PopulateResult>;
  try {
    // This process claims keys until none is left: no worker started after that would find any.
    [own] = await Promise.allSettled([here]) as [PromiseSettledResult<PopulateResult>];
    starts?.stop();
    reports = await Promise.all(runs);
  } finally {
    starts?.stop();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    options.signal?.removeEventListener('abort', abort);
    bar?.stop();
  }
  if (interrupted) {
    await giveBackOwnClaims(info, handoff.spec.options.jobs);
    throw new InterruptedError(`populate of ${info.className} was interrupted (${interrupted}); its ${children.length} worker processes were stopped, and this process gave back the keys it held. Keys the worker processes had reserved are given back on the next populate.`, interrupted);
  }
  const errors: Array<{ key: Record<string, unknown>; error: Error }> = [];
  let successCount = 0;
  if (own.status === 'fulfilled') {
    successCount += own.value.successCount;
    errors.push(...own.value.errors);
  } else {
    errors.push({ key: {}, error: own.reason as Error });
  }
  for (const r of reports) {
    if (r.status === 'fulfilled') {
      successCount += r.value.successCount;
      errors.push(...r.value.errors.map((e) => ({ key: e.key, error: new PopulateError(e.message, e.key) })));
    } else {
      errors.push({ key: {}, error: r.reason as Error });
    }
  }
  // Each worker goes on past a failing key (the others' keys are theirs to finish); without
  // suppressErrors the run then rejects, as populate() in one process does.
  const first = errors[0];
  if (first && !options.suppressErrors) {
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more failed keys; pass suppressErrors: true to get them all back)` : '';
    throw new PopulateError(`${info.className}.make failed in a worker process: ${first.error.message}${more}`, first.key, { cause: first.error });
  }
  return { successCount, errors, workersStarted: children.length };
}

/**
 * This process's share of the work: populate() here, with reservations, as the worker processes
 * do. It stops after the key in hand once the run is interrupted.
 */
async function populateHere(info: TableInfo, restriction: unknown, handoff: WorkerHandoff, interrupted: () => NodeJS.Signals | undefined,
  own: {
    shareCores: boolean; signal?: AbortSignal; budget?: LocalKeyBudget; onKey?: PopulateOptions['onKey']; onDue?: (due: number) => void;
    onCounted?: (due: number) => void; onOwnProgress?: (done: number) => void; onEnd?: () => void;
  }): Promise<PopulateResult> {
  const table = info.cls as unknown as { populate(r: unknown, o: PopulateOptions): Promise<PopulateResult> };
  const before = populateCpuShare();
  if (own.shareCores) setPopulateCpuShare(handoff.cpuShare);
  let told = false;
  try {
    return await table.populate(restriction, {
      ...handoff.spec.options, reserveJobs: true, suppressErrors: true, ...hostSlotsOf(handoff),
      ...(own.signal ? { signal: own.signal } : {}),
      ...(own.onKey ? { onKey: own.onKey } : {}),
      ...(own.onCounted ? { [ON_DUE]: own.onCounted } : {}),
      ...(own.budget ? { [KEY_BUDGET]: own.budget } : {}),
      onProgress: (done, total) => {
        if (!told) own.onDue?.(total);
        told = true;
        own.onOwnProgress?.(done);
        const signal = interrupted();
        if (signal) throw new InterruptedError(`populate of ${info.className} was interrupted (${signal})`, signal);
      },
    });
  } finally {
    own.onEnd?.();
    setPopulateCpuShare(before);
  }
}

/** After an interruption: this process's reservations go back to pending, for the next populate. */
async function giveBackOwnClaims(info: TableInfo, protocol: PopulateOptions['jobs']): Promise<void> {
  // DataJoint 0.14's ~jobs reservations go with this process's connection (releaseStale).
  if ((protocol ?? info.schema.jobs) === 'datajoint-0.14') return;
  const jobs = new JobsTable(info);
  try {
    for (const job of await jobs.list('reserved')) {
      if (job.pid !== process.pid || job.host !== hostname()) continue;
      await jobs.unclaim([job.key], { user: job.user, host: job.host, pid: job.pid, connectionId: job.connectionId, version: job.version });
    }
  } catch {
    // The run is stopping: what cannot be given back now is released as stale later.
  }
}

/** The `hostSlots` option a worker's populate takes from its handoff: none for the host's default. */
export function hostSlotsOf(handoff: WorkerHandoff): { hostSlots?: number } {
  return handoff.hostSlots === undefined ? {} : { hostSlots: handoff.hostSlots ?? Infinity };
}
