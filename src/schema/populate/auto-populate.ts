import { DeadlockError, PopulateError, ReservationLostError } from '../../errors.js';
import { tableInfo, type TableInfo } from '../declare/table-info.js';
import type { Tier } from '../declare/tiers.js';
import { makeContext } from '../query/make-context.js';
import { Query, type Restriction } from '../query/query.js';
import type { KeyOfRow } from '../query/row-types.js';
import { Table, type RowOf, type TableClass } from '../table/table.js';
import { Dj014TableJobs } from './dj014-jobs.js';
import { announceNoKeysLeft, hostSlotsFor, sharedMakeWeight, takeHostSlot, type MakeWeight } from './host-slots.js';
import { FIRST_TIMED_MAKES, LOCKING_TRANSACTION_WORK_MS, weighingOf, weightNameOf } from './make-weighing.js';
import { progressBar } from './progress-bar.js';
import { JobsTable, type JobWorker } from './jobs.js';
import { ON_DUE, type WorkersStart } from './worker-starts.js';
import { KEY_BUDGET, type KeyBudget } from './key-budget.js';

/** Options of populate(). */
export interface PopulateOptions {
  /**
   * Coordinate with other workers (rg-schema's or DataJoint's) through the table's jobs table
   * (`~~name`, DataJoint 2.3's): missing keys are added as `pending`, each worker takes one by
   * flipping it to `reserved`, and commits its make only if it still holds the reservation.
   */
  readonly reserveJobs?: boolean;
  /** With reserveJobs: the priority of the jobs this populate adds (lower runs first; DataJoint's default 5). */
  readonly priority?: number;
  /**
   * With reserveJobs: keys a worker takes from the jobs table in one claim. The database hands them
   * out (`FOR UPDATE SKIP LOCKED`), so workers do not contend for keys and the cost per key does not
   * grow with their number; a table's `jobGroup` keys come together. Default: one key until a make
   * has been timed, then about 100 ms of make() time per claim (at most 32 keys), so quick makes
   * share one claim among many keys and a worker that dies holds back little work.
   */
  readonly batch?: number;
  /** With reserveJobs: keep a `success` row (completed time, duration) per finished key, as DataJoint's `config.jobs.keep_completed`; by default the row is deleted. */
  readonly keepCompleted?: boolean;
  /**
   * Keys whose makes commit together in one transaction. Every key stays all-or-nothing: if any
   * make of a transaction fails, the whole transaction rolls back and its keys are made again one
   * transaction each, so only the failing key is lost (make() may then run twice for the others:
   * what it does outside the database should be safe to repeat, as for any retried job). `1`
   * commits every key on its own, as DataJoint does. Default: one key per transaction until a make
   * has been timed, then about 20 ms of make()'s CPU time per transaction on a server (open at most
   * about 100 ms) and 2 ms of its wall time on SQLite (whose transaction holds the file's write
   * lock from its first write to its commit), at most 32 keys: quick makes share a commit, slow
   * ones keep their own.
   */
  readonly keysPerTransaction?: number;
  /** Keep going past a failing key; its error is returned (and recorded in the jobs table). */
  readonly suppressErrors?: boolean;
  /**
   * Make at most this many keys (a make() that fails counts; a key found made by another worker
   * does not). With `concurrency`, in all lanes together; with `workers`, in all processes together
   * (as DataJoint's `processes` share `max_calls`).
   */
  readonly maxCalls?: number;
  /** Consider at most this many keys; with `workers`, in all processes together. */
  readonly limit?: number;
  readonly order?: 'original' | 'reverse' | 'random';
  /** A progress bar with rate and ETA on a TTY (stderr); quiet otherwise. */
  readonly display?: boolean;
  /** Called after each key with the numbers done and total. */
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * With reserveJobs: first bring the jobs table up to date (give back reservations whose worker is
   * gone, add a `pending` job for each key to do), which lists keySource and the table. `false`
   * takes the jobs as they are, for a long-running worker that refreshes them itself once in a while
   * rather than on every call. Default true.
   *
   * @example
   * ```ts
   * await Sta.jobs().refresh();
   * await Sta.populate({ reserveJobs: true, refresh: false });
   * ```
   */
  readonly refresh?: boolean;
  /**
   * Called after each key is made or has failed (not for keys another worker made first), with
   * `'done'` or the key's error; keys that shared a transaction are reported when it ends. With
   * `workers`, every worker process's keys are reported here too (each one's key as plain data),
   * and `onProgress` counts them all.
   *
   * @example
   * ```ts
   * await Sta.populate({ suppressErrors: true, onKey: (key, outcome) => console.log(key, outcome === 'done' ? 'made' : outcome.message) });
   * ```
   */
  readonly onKey?: (key: Record<string, unknown>, outcome: 'done' | Error) => void;
  /**
   * Stops the populate between keys once aborted: the keys being made are finished (or rolled
   * back with their transaction), and with reserveJobs those claimed but not started go back to
   * `pending`. With `workers`, every worker process stops so, and populate() returns what they made.
   *
   * @example
   * ```ts
   * const stop = new AbortController();
   * process.once('SIGTERM', () => stop.abort());
   * await Sta.populate({ reserveJobs: true, signal: stop.signal });
   * ```
   */
  readonly signal?: AbortSignal;
  /**
   * Keys in flight at once in this process, each on its own pooled connection and in its own
   * transaction (MySQL/MariaDB only; SQLite runs one at a time). make() must then be safe to run
   * concurrently. The server can group-commit their transactions. Default 1.
   */
  readonly concurrency?: number;
  /**
   * Which jobs tables reserve keys: `'datajoint-0.14'` reserves through the schema-wide `~jobs`
   * table as DataJoint 0.14 does (implies reserveJobs), so 0.14 Python workers and rg-schema workers
   * share the keys. Default: the schema's `jobs` option, else DataJoint 2's per-table `~~name`.
   */
  readonly jobs?: 'datajoint-2' | 'datajoint-0.14';
  /**
   * With `jobs: 'datajoint-0.14'`: first delete `~jobs` reservations whose connection is gone (see
   * `Dj014JobsTable.releaseStale`). 0.14 never does; default false.
   */
  readonly releaseStale?: boolean;
  /**
   * With reserveJobs (or workers): populate processes of this host that make keys at once, at most
   * (each holds a slot while it claims and makes keys; the others wait). Default: the host's cores
   * (or `RG_HOST_SLOTS`), so that 8 workers on 2 cores work like 2 instead of taking turns on the
   * cores at every round trip. `Infinity` lifts the limit: for makes that mostly wait on something
   * other than this host (a remote file server, a GPU queue).
   */
  readonly hostSlots?: number;
  /**
   * Local workers, at most: this process and up to `workers − 1` worker processes (implies
   * reserveJobs), each importing `workerModule`; the database's jobs table coordinates them. By
   * default (`workersStart: 'idle-cores'`) a worker process is started only while the host has an
   * idle core and the keys left pay for its start, and never more processes than the host has
   * slots (`hostSlots`): workers are not started where they would only slow the populate down.
   *
   * @example
   * ```ts
   * await Sta.populate({ workers: 4, workerModule: { path: fileURLToPath(import.meta.url), exportName: 'Sta' } });
   * ```
   */
  readonly workers?: number;
  /**
   * When the worker processes of `workers` start. `'idle-cores'` (default): one per idle core at
   * a time (one on a busy machine), a second apart, each once a core has been idle for half a
   * second (the host's `os.cpus()`, so a database server's work on it counts too, bounded by the
   * cores this process may use: its CPU affinity and a cgroup's CPU quota, less what this process
   * and its workers use), while a job is due that nobody has claimed (DataJoint 2's jobs table; not
   * asked with `jobs: 'datajoint-0.14'`) and the keys left would take at least 1.5 s more at the
   * rate so far (or none has ended 0.5 s after they were counted); never more processes than the
   * host has slots. On SQLite, none while the makes are light (they take turns on one host slot).
   * A make that keeps the cores busy, such as the STA's threads, or a populate too short to gain
   * from a process's start (about 0.3 s of CPU and a second of wall time), stays in this process,
   * which uses every core until a worker starts and then its share (cores ÷ `workers`), as each
   * worker does. `'all'`: every worker process at once, each process given that share from the
   * start. `limit` and `maxCalls` count the keys of every process together: the processes take
   * them from one budget that this process holds (a worker asks it over IPC before each claim).
   *
   * @example
   * ```ts
   * await Sta.populate({ workers: 2, workersStart: 'all', workerModule: { path, exportName: 'Sta' } });
   * ```
   */
  readonly workersStart?: WorkersStart;
  /** For `workers`: the module that declares the table, and the name it exports it under. */
  readonly workerModule?: { readonly path: string; readonly exportName: string };
}

/** What `populate()` returns: the keys made, and those that failed with their errors (with `suppressErrors`). */
export interface PopulateResult {
  readonly successCount: number;
  readonly errors: ReadonlyArray<{ key: Record<string, unknown>; error: Error }>;
  /** With `workers`: the worker processes started (besides this process); see `workersStart`. */
  readonly workersStarted?: number;
}

const OPTION_NAMES = ['concurrency', 'keysPerTransaction', 'reserveJobs', 'priority', 'keepCompleted', 'batch', 'suppressErrors', 'maxCalls', 'limit', 'order', 'display', 'onProgress', 'workers', 'workersStart', 'workerModule', 'jobs', 'releaseStale', 'hostSlots', 'refresh', 'onKey', 'signal'];

type AutoClass = TableClass & { new (): AutoPopulated<object> };

/**
 * Imported and Computed tables: `populate()` calls `make(key)` for every key of `keySource` that is
 * not yet in the table, each in its own transaction with the table's Parts.
 */
export abstract class AutoPopulated<Row extends object = Record<string, unknown>> extends Table<Row> {
  /**
   * Key attributes whose keys belong together (they share inputs a make caches, e.g. an STA's
   * stimulation): with reserveJobs a worker claims the keys of one group together, in order.
   *
   * @example
   * ```ts
   * static override jobGroup = ['subject_name', 'session_date', 'stimulation_index'];
   * ```
   */
  static jobGroup: readonly string[] | undefined = undefined;

  /**
   * The order in which a claim's keys are handed out and made, within a jobGroup: key attributes,
   * each with ` DESC` for descending; the other key attributes follow, ascending. By default the
   * key attributes, ascending. A make that reuses work of the key before (an STA at fewer lags
   * from the sums of its longest) gets its keys in the order it can use.
   *
   * @example
   * ```ts
   * static override jobOrder = ['neuron_index', 'n_lags DESC'];
   * // claim: … ORDER BY priority, scheduled_time, <jobGroup>, neuron_index, n_lags DESC, <the rest> LIMIT n
   * ```
   */
  static jobOrder: readonly string[] | undefined = undefined;

  /** Computes and inserts the rows of one key (and its parts); `key` has the type of the table's primary key. */
  abstract make(key: KeyOfRow<Row>): Promise<void>;

  /** The keys to compute: by default the join of the primary-key parents, projected to their keys. */
  static keySource(this: TableClass): Query<object> {
    const info = tableInfo(this);
    info.schema.resolve();
    const parents = info.resolved!.foreignKeys.filter((fk) => fk.inKey).map((fk) => {
      const query = Query.ofTable<object>(fk.parent, fk.parent.resolved!.heading);
      const renames = Object.fromEntries(fk.attributes.map((a, i) => [a, fk.parentAttributes[i]!]).filter(([a, p]) => a !== p));
      return Object.keys(renames).length > 0 ? (query as unknown as Query<Record<string, unknown>>).proj(renames) as unknown as Query<object> : query.proj();
    });
    if (parents.length === 0) {
      throw new PopulateError(`${info.className} has no primary-key parents, so it has no default keySource. Override static keySource().`);
    }
    return parents.slice(1).reduce<Query<object>>((acc, q) => acc.join(q), parents[0]!);
  }

  /** Keys of keySource (restricted) not yet in the table. */
  static async todoKeys<C extends TableClass>(this: C, restriction?: Restriction<RowOf<C>>): Promise<Array<Record<string, unknown>>> {
    const cls = this as unknown as typeof AutoPopulated & TableClass;
    return (await cls.todoQuery(restriction as Restriction<object>).keys()) as Array<Record<string, unknown>>;
  }

  /**
   * The keys to do as a query: keySource (restricted) without the keys already in the table.
   *
   * @example
   * ```ts
   * await SpikeTriggeredAverage.todoQuery().count();
   * // SELECT COUNT(*) … FROM (keySource) WHERE NOT EXISTS (SELECT … FROM `#spike_triggered_average` …)
   * ```
   */
  static todoQuery<C extends TableClass>(this: C, restriction?: Restriction<RowOf<C>>): Query<object> {
    const cls = this as unknown as typeof AutoPopulated & TableClass;
    const source = cls.keySource();
    return (restriction === undefined ? source : source.restrict(restriction as Restriction<object>)).exclude(cls.query().proj());
  }

  /** `{ remaining, total }` over keySource. */
  static async progress<C extends TableClass>(this: C, restriction?: Restriction<RowOf<C>>): Promise<{ remaining: number; total: number }> {
    const cls = this as unknown as typeof AutoPopulated & TableClass;
    const source = cls.keySource();
    const total = await (restriction === undefined ? source : source.restrict(restriction as Restriction<object>)).count();
    const remaining = await cls.todoQuery(restriction as Restriction<object>).count();
    return { remaining, total };
  }

  /**
   * Calls make(key) for every missing key, each in its own transaction.
   *
   * @example
   * ```ts
   * const { successCount, errors } = await SpikeTriggeredAverage.populate({ suppressErrors: true });
   * ```
   */
  static async populate<C extends TableClass>(this: C, restrictionOrOptions?: Restriction<RowOf<C>> | PopulateOptions, maybeOptions: PopulateOptions = {}): Promise<PopulateResult> {
    const cls = this as unknown as AutoClass & typeof AutoPopulated;
    const isOptions = restrictionOrOptions !== undefined && restrictionOrOptions !== null && typeof restrictionOrOptions === 'object'
      && !Array.isArray(restrictionOrOptions) && !(restrictionOrOptions instanceof Query)
      && Object.keys(restrictionOrOptions).length > 0 && Object.keys(restrictionOrOptions).every((k) => OPTION_NAMES.includes(k));
    const restriction = isOptions ? undefined : (restrictionOrOptions as Restriction<object> | undefined);
    const options = isOptions ? (restrictionOrOptions as PopulateOptions) : maybeOptions;
    const info = tableInfo(cls);
    // Each key's make commits or rolls back on its own; inside an outer transaction a failed make
    // could not be undone without the others (DataJoint refuses this too).
    if (info.schema.connection.inTransaction) {
      throw new PopulateError(`${info.className}.populate() was called inside a transaction. Each key's make() runs in a transaction of its own, so that a failing key leaves nothing behind; call populate() outside connection.transaction().`);
    }
    await info.schema.activate();
    populateRuns++;
    if (options.workers !== undefined && options.workers > 1) {
      const { populateWithWorkers } = await import('./workers.js');
      return populateWithWorkers(info, restriction, options);
    }
    // DataJoint 0.14's schema-wide ~jobs (dj014-jobs.ts) stands in for the per-table jobs table.
    const dj014 = (options.jobs ?? info.schema.jobs) === 'datajoint-0.14' ? new Dj014TableJobs(info) : undefined;
    const jobs = !dj014 && options.reserveJobs ? new JobsTable(info) : undefined;
    // Claims: keys handed out by the database, not listed by each worker and fought over. The
    // populate's restriction and order need the list.
    const claiming = jobs !== undefined && restriction === undefined && (options.order ?? 'original') === 'original';
    let keys: Array<Record<string, unknown>>;
    // With claims nothing needs the list: the database hands the keys out in the jobs' order. A
    // worker's start then reads no O(N) list (with many workers on one host, each one's three
    // listings took longer than the keys' makes). A table that lists its own keys (todoKeys
    // overridden, e.g. to see them coming) still lists them.
    if (jobs && claiming) {
      keys = [];
      await jobs.declare();
      if (options.refresh !== false) {
        await jobs.releaseStale();
        await refreshJobsUnlessCurrent(cls, jobs, options.priority);
      }
    } else if (jobs && options.refresh === false) {
      // The pending jobs as they stand; without a restriction already in the jobs' order.
      keys = restriction === undefined ? await jobs.pending() : await jobs.pendingOf(await cls.todoKeys(restriction as never));
    } else if (jobs) {
      await jobs.releaseStale();
      keys = (await jobs.refreshKeys(restriction, { priority: options.priority })).todo;
      // The jobs' order (priority, then scheduled time), over the keys this populate was asked for.
      keys = await jobs.pendingOf(keys);
    } else {
      keys = await cls.todoKeys(restriction as never);
      if (dj014) {
        if (options.releaseStale) await dj014.jobs.releaseStale();
        keys = await dj014.todo(keys);
      }
    }
    if (options.order === 'reverse') keys.reverse();
    if (options.order === 'random') keys = shuffle(keys);
    if (options.limit !== undefined) keys = keys.slice(0, options.limit);
    if (options.maxCalls !== undefined) keys = keys.slice(0, options.maxCalls);
    const worker = jobs ? await jobs.workerIdentity() : undefined;
    const worker014 = dj014 ? await dj014.workerIdentity() : undefined;
    // DataJoint 2.3's job metadata columns are filled whenever the table has them, jobs or not.
    const metadata = jobs ?? new JobsTable(info);
    // The total a progress report counts to: with claims, the due jobs as the populate starts.
    const total = claiming && (options.display || options.onProgress) ? Math.min(await jobs!.dueCount(), options.limit ?? Infinity, options.maxCalls ?? Infinity) : keys.length;
    (options as { readonly [ON_DUE]?: (due: number) => void })[ON_DUE]?.(total);
    const budget = (options as { readonly [KEY_BUDGET]?: KeyBudget })[KEY_BUDGET];
    const bar = options.display ? progressBar(info.className, total) : undefined;
    const errors: Array<{ key: Record<string, unknown>; error: Error }> = [];
    let successCount = 0;
    let done = 0;
    let failure: Error | undefined;
    let next = 0;
    // Workers of one host take turns by claims, not by cores (see hostSlots); a populate without
    // jobs is one process's own and is not held back by workers running beside it.
    const hostSlots = jobs || dj014 ? hostSlotsFor(options.hostSlots) : Infinity;
    // On SQLite, whose writes take turns on one lock, makes that hardly compute (less CPU time
    // than a shared transaction's bound) gain nothing from running beside each other, and lose
    // the file's pages to the other process at every turn of the lock: such processes take the
    // first slot only, so one runs at a time. Those that compute use them all.
    // Until a process has made keys of its own it goes by what another process of the host found
    // (shareMakeWeight), and without that counts them light: eight processes that each start on a
    // key at once spend their start-up (code not yet compiled hot) on the same two cores, and
    // that cost a populate of light makes more than it gained.
    const weighed = hostSlots !== Infinity && options.hostSlots === undefined && !info.schema.connection.dialect.concurrent;
    const weightName = weightNameOf(info);
    const slotsNow = (): number => (!weighed || makeWeight() === 'heavy' ? hostSlots : 1);
    const lanes = info.schema.connection.dialect.concurrent ? Math.max(1, Math.floor(options.concurrency ?? 1)) : 1;
    /** The job of a key another worker made between its listing and its reservation here. */
    const skipMade = async (key: Record<string, unknown>): Promise<'skipped'> => {
      if (jobs) await jobs.complete(key, { keep: options.keepCompleted });
      if (dj014) await dj014.complete(key);
      return 'skipped';
    };
    /** In make's transaction, before its commit: the key's job ends, and is the reservation check. */
    const finishKey = async (key: Record<string, unknown>, started: Date, me: JobWorker | undefined): Promise<void> => {
      // make's transaction may not have begun yet (SQLite begins at the first write): the
      // reservation is checked and ended under the write lock, whatever make wrote.
      if (jobs || dj014) await info.schema.connection.ensureWriteLock();
      const duration = (Date.now() - started.getTime()) / 1000;
      await metadata.fillMetadata(key, started, duration, me?.version ?? '');
      if (jobs && me) await jobs.completeHeld(key, me, { keep: options.keepCompleted, duration });
      else if (jobs) await jobs.complete(key, { keep: options.keepCompleted, duration });
      if (dj014) await dj014.complete(key);
    };
    /**
     * One key on the session's connection, already reserved by `me` when jobs are used; `checked`
     * when the caller already knows the table does not have it.
     */
    const makeOne = async (key: Record<string, unknown>, me: JobWorker | undefined, me014?: typeof worker014, checked = false): Promise<'done' | 'skipped' | Error> => {
      if (!checked && (jobs || dj014) && await cls.query().restrict(key as never).exists()) return skipMade(key);
      for (let attempt = 1; ; attempt++) {
        const started = new Date();
        try {
          // The job's completion goes in the transaction of the rows, and is itself the check that
          // this worker still holds the key: a worker whose reservation was handed on commits nothing.
          await runMake(cls, info, [key], () => finishKey(key, started, me), timeMake);
          return 'done';
        } catch (error) {
          const wrapped = error instanceof Error ? error : new Error(String(error));
          // The server broke a lock cycle by failing this transaction, not the make: it was rolled
          // back whole, so it is simply made again (as DataJoint users rerun populate).
          if (isDeadlock(wrapped) && attempt < DEADLOCK_ATTEMPTS) {
            await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
            continue;
          }
          if (jobs && me && !(wrapped instanceof ReservationLostError)) await jobs.error(key, wrapped, me).catch(() => undefined);
          if (dj014 && me014) await dj014.error(key, wrapped, me014).catch(() => undefined);
          return wrapped;
        }
      }
    };
    /**
     * Keys already known to be missing (and held by `me` with jobs), several to a transaction when
     * they are quick. If the shared transaction fails, it rolled back whole and each key is made
     * again on its own, so the failing key's error is the one recorded. The outcomes of the keys
     * made, in order; fewer than the keys when a failure stopped the populate.
     */
    const makeKeys = async (group: ReadonlyArray<Record<string, unknown>>, me: JobWorker | undefined,
      onConnection: <T>(work: () => Promise<T>) => Promise<T>): Promise<Array<'done' | 'skipped' | Error>> => {
      if (group.length > 1) {
        try {
          await onConnection(() => runMake(cls, info, group, (key, started) => finishKey(key, started, me), timeMake));
          return group.map(() => 'done' as const);
        } catch {
          // Made again below, one transaction each.
        }
      }
      const outcomes: Array<'done' | 'skipped' | Error> = [];
      for (const key of group) {
        if (failure !== undefined || options.signal?.aborted || (outcomes.length > 0 && outcomes.at(-1) instanceof Error && !options.suppressErrors)) break;
        outcomes.push(await onConnection(() => makeOne(key, me, undefined, true)));
      }
      return outcomes;
    };
    const record = (key: Record<string, unknown>, outcome: 'done' | 'skipped' | Error): void => {
      if (outcome === 'skipped') return;
      options.onKey?.(key, outcome);
      if (outcome === 'done') successCount++;
      else if (!options.suppressErrors) {
        failure = new PopulateError(`${info.className}.make failed for key ${JSON.stringify(key, bigintSafe)}: ${outcome.message}`, key, { cause: outcome });
      } else {
        errors.push({ key, error: outcome });
      }
      done++;
      bar?.update(done);
      options.onProgress?.(done, total);
    };
    // make() alone, moving averages of its wall time and of the CPU time the process spent in it:
    // they size the transactions that quick makes share.
    let computeMs: number | undefined;
    let computeCpuMs: number | undefined;
    const weighing = weighingOf(weightName);
    const makeWeight = (): MakeWeight => weighing.weight() ?? sharedMakeWeight(weightName) ?? 'light';
    let timedMakes = 0;
    const timeMake: MakeTimer = {
      // The process's CPU time is a system call that cost ~30 µs, 3% of a trivial make: asked of
      // the first makes, then of one in CPU_SAMPLE_EVERY.
      wantsCpu: () => timedMakes < FIRST_TIMED_MAKES || timedMakes % CPU_SAMPLE_EVERY === 0,
      heard: (ms, cpuMs) => {
        timedMakes++;
        computeMs = movingAverage(computeMs, ms);
        if (cpuMs === undefined) return;
        computeCpuMs = movingAverage(computeCpuMs, cpuMs);
        if (weighed) weighing.heard(cpuMs);
      },
    };
    const fixedPerTransaction = options.keysPerTransaction === undefined ? undefined : Math.max(1, Math.floor(options.keysPerTransaction));
    // SQLite's transaction holds the file's only write lock, and computation of the keys after the
    // first would run under it: its transactions are sized by wall time, and kept short. A server
    // commits other transactions beside an open one, so there the make's CPU time sizes them: with
    // many worker processes on few cores a make's wall time grows with the wait for a core, and
    // commits would multiply just when the server has least time for them (a wall-time bound keeps
    // makes that wait on something else from holding a transaction open for long).
    const keysPerTransaction = (): number => fixedPerTransaction ?? (info.schema.connection.dialect.concurrent
      ? Math.min(keysPerSharedTransaction(computeCpuMs, SERVER_TRANSACTION_WORK_MS), keysPerSharedTransaction(computeMs, SERVER_TRANSACTION_WALL_MS))
      : keysPerSharedTransaction(computeMs, LOCKING_TRANSACTION_WORK_MS));
    const lane = async (): Promise<void> => {
      while (next < keys.length && failure === undefined && !options.signal?.aborted) {
        if (!jobs && !dj014) {
          // Nothing to reserve: the next keys of the list, as many as share a transaction.
          const group = keys.slice(next, next + keysPerTransaction());
          next += group.length;
          // Each transaction on a connection of its own: one lost with a failed transaction does
          // not take the keys made again after it down too.
          const outcomes = await makeKeys(group, undefined, (work) => info.schema.connection.session(work));
          outcomes.forEach((outcome, i) => record(group[i]!, outcome));
          continue;
        }
        // Taken from the list before any wait: the other lanes move on meanwhile.
        const key = keys[next++]!;
        // The processes of populate({ workers }) share limit and maxCalls: none is left for this one.
        if (budget && (await budget.take(1)) === 0) break;
        let slot: Awaited<ReturnType<typeof takeHostSlot>> | undefined;
        let outcome: 'done' | 'skipped' | Error = 'skipped';
        try {
          slot = await takeHostSlot(slotsNow, { signal: options.signal });
          outcome = await info.schema.connection.session(async (connectionId) => {
            const me: JobWorker | undefined = worker ? { ...worker, connectionId } : undefined;
            if (jobs && me && !(await jobs.reserve(key, me))) return 'skipped';
            const me014 = dj014 && worker014 ? { ...worker014, connectionId } : undefined;
            if (dj014 && me014 && !(await dj014.reserve(key, me014))) return 'skipped';
            return makeOne(key, me, me014);
          });
        } finally {
          slot?.release();
          // Reserved by another process, made already, or not reached: no make() was called.
          if (outcome === 'skipped') budget?.giveBack(1);
        }
        record(key, outcome);
      }
    };
    // Claims take `batch` keys at a time (a jobGroup's together).
    const batch = Math.max(1, Math.floor(options.batch ?? 1));
    // Without a `batch`, a claim takes about CLAIM_WORK_MS of work as judged by the makes so far
    // (one key until a make has been timed): quick makes pay one claim for many keys, and a worker
    // that dies holds back no more than that much work.
    let makeMs: number | undefined;
    // Never fewer keys than share a transaction: with many workers on few cores makes wait for a
    // core, their wall time grows, and claims (each a transaction of its own) would multiply.
    const claimSize = (): number => (options.batch !== undefined ? batch
      : makeMs === undefined ? 1 : Math.max(keysPerTransaction(), keysPerSharedTransaction(makeMs, CLAIM_WORK_MS, MAX_AUTO_BATCH)));
    const group = (cls as unknown as { jobGroup?: readonly string[] }).jobGroup ?? [];
    const outside = group.filter((g) => !jobs?.keyAttributes.includes(g));
    if (jobs && outside.length > 0) {
      throw new PopulateError(`${info.className}.jobGroup names ${outside.join(', ')}, which ${outside.length === 1 ? 'is' : 'are'} not among its jobs' key attributes (${jobs.keyAttributes.join(', ')}). Name attributes of its primary key that come from its parents.`);
    }
    const order = jobs ? jobs.claimOrder((cls as unknown as { jobOrder?: readonly string[] }).jobOrder ?? [], group) : [];
    const cap = Math.min(options.limit ?? Infinity, options.maxCalls ?? Infinity);
    let claimedCount = 0;
    const claimLane = async (): Promise<void> => {
      while (failure === undefined && claimedCount < cap) {
        // Taken before the claim: a process waiting for a core holds no keys; it stops waiting
        // once no key is left to claim.
        const slot = await takeHostSlot(slotsNow, { signal: options.signal, stillWanted: () => jobs!.anyDue() });
        // Nothing is left to claim: asking the claim's write lock to say so again would queue
        // every waiting process of the host behind it.
        if (!slot.wanted) {
          slot.release();
          break;
        }
        // Once stopped, nothing more is claimed, and the lane ends. Counted before any wait, so
        // that this process's lanes (concurrency) never take more than the cap between them;
        // `claimedCount` ends as the keys whose make() was called.
        let taken = options.signal?.aborted ? 0 : Math.min(claimSize(), cap - claimedCount);
        claimedCount += taken;
        let called = 0;
        let returned = 0;
        /** Keys taken and not made here (not claimed, made meanwhile, left by a failure): back to the cap and the budget. */
        const giveBack = (count: number): void => {
          if (count <= 0) return;
          returned += count;
          claimedCount -= count;
          budget?.giveBack(count);
        };
        let more: boolean;
        try {
          if (budget && taken > 0) {
            const allowed = await budget.take(taken);
            claimedCount -= taken - allowed;
            taken = allowed;
          }
          more = await info.schema.connection.session(async (connectionId) => {
            const me: JobWorker = { ...worker!, connectionId };
            const claimed = taken === 0 ? [] : await jobs!.claim(taken, me, group, order);
            // At once, not after the claim's makes: a jobGroup's claim asks for every key left.
            giveBack(taken - claimed.length);
            // One query for the whole claim: keys another worker made after they were listed.
            const made = claimed.length === 0 ? new Set<string>()
              : new Set((await cls.query().restrict(claimed as never).proj().keys()).map((k) => keyId(k as Record<string, unknown>, jobs!.keyAttributes)));
            let i = 0;
            while (i < claimed.length) {
              if (failure !== undefined || options.signal?.aborted) break;
              const key = claimed[i]!;
              if (made.has(keyId(key, jobs!.keyAttributes))) {
                record(key, await skipMade(key));
                i++;
                continue;
              }
              const group: Array<Record<string, unknown>> = [];
              const size = keysPerTransaction();
              while (i < claimed.length && group.length < size && !made.has(keyId(claimed[i]!, jobs!.keyAttributes))) group.push(claimed[i++]!);
              const started = performance.now();
              // The claim's connection throughout: its id is the one the jobs rows name.
              const outcomes = await makeKeys(group, me, (work) => work());
              called += outcomes.length;
              outcomes.forEach((outcome, j) => record(group[j]!, outcome));
              const took = (performance.now() - started) / group.length;
              makeMs = movingAverage(makeMs, took);
              // Keys a failure stopped before they were made go back with the rest of the claim.
              i -= group.length - outcomes.length;
            }
            if (i < claimed.length) await jobs!.unclaim(claimed.slice(i), me);
            return claimed.length > 0;
          });
        } finally {
          slot.release();
          giveBack(taken - returned - called);
        }
        if (!more) {
          // The host's processes waiting for a slot, to make keys of this table, leave now; not
          // when nothing was claimed for the cap or the budget: keys are still due, to another populate.
          if (hostSlots !== Infinity && !options.signal?.aborted && taken > 0) announceNoKeysLeft(weightName);
          break;
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: lanes }, claiming ? claimLane : lane));
    } finally {
      bar?.stop();
    }
    if (failure) throw failure;
    return { successCount, errors };
  }

  /**
   * The jobs table of this Imported/Computed table (DataJoint 2.3's `~~name`): refresh, list, clear
   * and ignore jobs.
   *
   * @example
   * ```ts
   * await SpikeTriggeredAverage.jobs().refresh();          // missing keys become pending jobs
   * await SpikeTriggeredAverage.jobs().list('error');      // what failed, with message and stack
   * await SpikeTriggeredAverage.jobs().clear('error');     // retry them on the next populate
   * ```
   */
  static jobs(this: TableClass): JobsTable {
    const info = tableInfo(this);
    info.schema.resolve();
    return new JobsTable(info);
  }
}

/** Work a claim takes when populate is given no `batch`, in milliseconds of make() time. */
const CLAIM_WORK_MS = 100;
/** The most keys such a claim takes. */
const MAX_AUTO_BATCH = 32;
/**
 * make() CPU time that keys share a transaction for on a server, when populate is given no
 * `keysPerTransaction`: enough that a commit (about 1 ms with its log flush on this project's test
 * machine) costs little beside it.
 */
const SERVER_TRANSACTION_WORK_MS = 20;
/**
 * The longest a shared transaction stays open on a server, by make()'s wall time: makes that wait
 * on something other than the CPU share a commit only this long.
 */
const SERVER_TRANSACTION_WALL_MS = 100;

/** How runMake tells populate what each make took: CPU time only when `wantsCpu()` said so. */
export interface MakeTimer {
  wantsCpu(): boolean;
  heard(ms: number, cpuMs: number | undefined): void;
}

/** After the first makes, one make in this many has its CPU time measured. */
const CPU_SAMPLE_EVERY = 8;
/** The most keys such a transaction takes. */
const MAX_KEYS_PER_TRANSACTION = 32;
/** Times a make is run when the server fails its transaction to break a deadlock. */
const DEADLOCK_ATTEMPTS = 4;

let populateRuns = 0;

/**
 * Which populate() of this process began last: a number that grows with each. What a make caches
 * from one populate to the next (an STA's prepared movie) is checked against the database once in
 * each: rows may have been deleted and loaded anew under the same keys meanwhile.
 *
 * @internal
 */
export function populateRun(): number {
  return populateRuns;
}

/**
 * Keys that share a transaction (or a claim) when make() takes `makeMs` (a moving average;
 * undefined before the first is timed): about `workMs` of make time, at least 1, at most `most`.
 */
/**
 * Refreshes a table's jobs (a `pending` job for each key to do that has none, or only a finished
 * one) unless one read finds nothing to add: a worker starting on a queue already refreshed lists
 * nothing. A table that overrides `todoKeys` (to order its keys, or to see them coming) is listed
 * as before. Stale reservations are not its business ({@link JobsTable.releaseStale}).
 *
 * @internal
 */
export async function refreshJobsUnlessCurrent(cls: typeof AutoPopulated & TableClass, jobs: JobsTable, priority?: number): Promise<void> {
  const listsItsOwnKeys = cls.todoKeys !== AutoPopulated.todoKeys;
  if (listsItsOwnKeys || await jobs.anyToAdd(cls.todoQuery())) await jobs.refreshKeys(undefined, { priority });
}

export function keysPerSharedTransaction(makeMs: number | undefined, workMs: number, most = MAX_KEYS_PER_TRANSACTION): number {
  if (makeMs === undefined) return 1;
  return Math.max(1, Math.min(most, Math.floor(workMs / Math.max(makeMs, 0.01))));
}

/** The moving average of make times that sizes transactions and claims: recent makes weigh most. */
function movingAverage(average: number | undefined, latest: number): number {
  return average === undefined ? latest : 0.8 * average + 0.2 * latest;
}

function isDeadlock(error: Error): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) if (e instanceof DeadlockError) return true;
  return false;
}

function keyId(key: Record<string, unknown>, attributes: readonly string[]): string {
  return JSON.stringify(attributes.map((a) => String(key[a])));
}

/**
 * make() of each key, in one transaction that may insert into the table and its parts; with
 * several keys every make runs in it in turn and `beforeCommit` follows each. On SQLite the
 * transaction takes the file's write lock at make's first write, not while make reads and
 * computes, so worker processes sharing the file compute at the same time; `beforeCommit` must
 * call `connection.ensureWriteLock()` before any check whose answer the commit relies on.
 * `timed` hears how long each make() itself took, in milliseconds of wall time and, when it wants
 * it, of the process's CPU time.
 */
export async function runMake(cls: new () => AutoPopulated<object>, info: TableInfo, keys: ReadonlyArray<Record<string, unknown>>,
  beforeCommit?: (key: Record<string, unknown>, started: Date) => Promise<void>, timed?: MakeTimer): Promise<void> {
  const allowed = new Set<TableInfo>([info, ...info.parts]);
  await info.schema.connection.transaction(async () => {
    for (const key of keys) {
      const started = new Date();
      const clock = performance.now();
      const cpu = timed?.wantsCpu() ? process.cpuUsage() : undefined;
      await makeContext.run(allowed, async () => {
        const instance = new cls();
        await instance.make(key);
      });
      if (timed) {
        const used = cpu && process.cpuUsage(cpu);
        timed.heard(performance.now() - clock, used && (used.user + used.system) / 1000);
      }
      await beforeCommit?.(key, started);
    }
  }, { lockAtFirstWrite: true });
}

function bigintSafe(_: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

function shuffle<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** Data that is read in from outside the database by make(). Table name: `_snake_name`. */
export abstract class Imported<Row extends object = Record<string, unknown>> extends AutoPopulated<Row> {
  static override readonly tier: Tier = 'imported';
}

/** Data computed from other tables by make(). Table name: `__snake_name`. */
export abstract class Computed<Row extends object = Record<string, unknown>> extends AutoPopulated<Row> {
  static override readonly tier: Tier = 'computed';
}
