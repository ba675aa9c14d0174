import { AsyncResource } from 'node:async_hooks';
import { cpus } from 'node:os';
import { usableCores } from '../util/usable-cores.js';

/**
 * When `populate({ workers })` starts its worker processes: `'idle-cores'` (the default) one at a
 * time, only while the host has a core to spare and the keys left pay for a process's start;
 * `'all'` every one at once.
 */
export type WorkersStart = 'idle-cores' | 'all';

/**
 * A populate option of rg-schema's own (not part of PopulateOptions): called with the keys due as
 * soon as populate has counted them, before its first key, so that the starter measures the rate
 * from then and starts nothing for a populate with nothing to do.
 */
export const ON_DUE: unique symbol = Symbol('rg-schema: keys due');

/** What the starter knows at a tick. */
export interface StartReading {
  /**
   * Cores idle over the last half second or so that this populate may use: the host's idle cores,
   * but no more than the cores this process may run on (affinity, a container's CPU quota) less
   * what this process and its workers used.
   */
  readonly idleCores: number;
  /** Milliseconds since this process counted the keys due. */
  readonly elapsedMs: number;
  /** Keys ended since, in this process and the workers it started. */
  readonly ended: number;
  /** Keys due when this process began; undefined until it has counted them. */
  readonly due: number | undefined;
}

/**
 * An idle core, at least: a process that computes on one core needs this much of one to itself.
 * Below it the host is busy already (with this process's own threads, or its database server),
 * and another process only takes turns on the same cores.
 */
export const IDLE_CORE = 0.75;
/**
 * A worker process is productive about a second after it is started (node, then importing the
 * module that declares the table, then connecting) and costs about 0.3 s of CPU on the way: it
 * pays only when the keys left would take this long at the rate so far.
 */
export const START_PAYS_MS = 1_500;
/** With no key ended yet after this long, the keys are slow: a worker pays whatever is left. */
export const SLOW_FIRST_KEY_MS = 500;

/**
 * Whether to start one more worker process now. An idle core is needed, and enough work left:
 * the keys left at the rate so far take at least {@link START_PAYS_MS}, or no key has ended
 * {@link SLOW_FIRST_KEY_MS} after they were counted. Nothing starts before they are counted.
 *
 * @example
 * ```ts
 * shouldStartWorker({ idleCores: 0.95, elapsedMs: 500, ended: 100, due: 4000 });   // true: 19.5 s left
 * shouldStartWorker({ idleCores: 0.95, elapsedMs: 500, ended: 1000, due: 2000 });  // false: 0.5 s left
 * shouldStartWorker({ idleCores: 0.3, elapsedMs: 500, ended: 100, due: 4000 });    // false: no idle core
 * ```
 */
export function shouldStartWorker(reading: StartReading): boolean {
  if (!(reading.idleCores >= IDLE_CORE) || reading.due === undefined) return false;
  const left = reading.due - reading.ended;
  if (left <= 0) return false;
  if (reading.ended === 0) return reading.elapsedMs >= SLOW_FIRST_KEY_MS;
  return (left * reading.elapsedMs) / reading.ended >= START_PAYS_MS;
}

/** Idle and total time of every core since boot, in milliseconds (`os.cpus()`). */
export interface CoreTimes {
  readonly idle: number;
  readonly total: number;
  readonly cores: number;
}

/** The host's {@link CoreTimes} now. */
export function coreTimes(): CoreTimes {
  let idle = 0;
  let total = 0;
  const all = cpus();
  for (const { times } of all) {
    idle += times.idle;
    total += times.user + times.nice + times.sys + times.idle + times.irq;
  }
  return { idle, total, cores: all.length };
}

/**
 * Idle cores between two readings: the idle time of all cores over the time one core had;
 * Infinity when the host's cores cannot be read (no /proc: `os.cpus()` is empty).
 *
 * @example
 * ```ts
 * idleCoresBetween({ idle: 0, total: 0, cores: 2 }, { idle: 500, total: 1000, cores: 2 });   // 1
 * ```
 */
export function idleCoresBetween(before: CoreTimes, after: CoreTimes): number {
  if (after.cores === 0) return Infinity;
  const span = (after.total - before.total) / after.cores;
  return span > 0 ? Math.max(0, after.idle - before.idle) / span : 0;
}

/** How the starter sees the machine: replaceable in tests, where the host's load is not theirs to set. */
interface MachineReader {
  readonly hostCores: () => CoreTimes;
  readonly usableCores: () => number;
}
const REAL: MachineReader = { hostCores: coreTimes, usableCores };
let machine: MachineReader = REAL;

/** For tests: how the starter reads the host's cores and the cores it may use (undefined: the real ones). */
export function setMachineReader(reader: Partial<MachineReader> | undefined): void {
  machine = { ...REAL, ...reader };
}

/** Ticks of the starter: each compares the cores with a reading at least WINDOW_MS old. */
const TICK_MS = 250;
const WINDOW_MS = 450;
/** After a start, the next waits this long: the started process's own start keeps a core busy meanwhile. */
const AFTER_START_MS = 1_000;

/** A reading of the machine at one moment. */
interface Sample {
  readonly at: number;
  readonly host: CoreTimes;
  /** CPU milliseconds this process and its workers had used. */
  readonly treeCpuMs: number;
}

/**
 * Starts worker processes while {@link shouldStartWorker} says so, as many at a tick as there are
 * idle cores (one on a busy machine) and a second apart, until `wanted`
 * are started or {@link IdleCoreStarts.stop} is called (this process has no keys left, or the
 * populate was stopped).
 *
 * @example
 * ```ts
 * const starts = new IdleCoreStarts(3, { start: async (count) => forkWorkers(count), keysEnded: () => keysEndedByAll(), treeCpuMs: () => cpuOfAll() });
 * starts.counted(dueKeys);
 * // … as keys end: starts.poll();
 * starts.stop();
 * ```
 */
export class IdleCoreStarts {
  private due: number | undefined;
  private dueAt = 0;
  private started = 0;
  private lastStart = -Infinity;
  private starting = false;
  private readonly samples: Sample[];
  private timer: NodeJS.Timeout | undefined;
  private lastTick: number;
  /** `how.start` in the async context the starter was made in: not inside a make's transaction that polled it. */
  private readonly startOutside: (count: number) => Promise<number>;

  /**
   * `start` starts up to `count` worker processes and says how many it started (none when no job is
   * left unclaimed);
   * `worthStarting`, asked first at each tick, says no when this process knows another could not
   * help (its makes take turns on one slot, or it is stopping); `keysEnded` is the keys ended so
   * far by this process and its workers, and `treeCpuMs` the CPU time they have used.
   */
  constructor(private readonly wanted: number, private readonly how: {
    readonly start: (count: number) => Promise<number>;
    readonly worthStarting?: () => boolean;
    readonly keysEnded: () => number;
    readonly treeCpuMs: () => number;
  }) {
    this.startOutside = AsyncResource.bind((count: number) => how.start(count));
    const now = performance.now();
    this.samples = [{ at: now, host: machine.hostCores(), treeCpuMs: how.treeCpuMs() }];
    this.lastTick = now;
    if (wanted > 0) {
      this.timer = setInterval(() => this.tick(), TICK_MS);
      this.timer.unref();
    }
  }

  /** Worker processes started so far. */
  get count(): number {
    return this.started;
  }

  /** This process has counted the keys due (the rate is measured from now on). */
  counted(due: number): void {
    if (this.due !== undefined) return;
    this.due = due;
    this.dueAt = performance.now();
  }

  /**
   * Looks again if a tick is due. Called as keys end: on SQLite a populate may run for seconds
   * without giving its timers a turn (the database calls are synchronous).
   */
  poll(): void {
    if (this.timer && performance.now() - this.lastTick >= TICK_MS) this.tick();
  }

  /** No more starts. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const now = performance.now();
    this.lastTick = now;
    const sample: Sample = { at: now, host: machine.hostCores(), treeCpuMs: this.how.treeCpuMs() };
    this.samples.push(sample);
    // The oldest sample at least a window old is the baseline; older ones are no longer needed.
    while (this.samples.length > 2 && now - this.samples[1]!.at >= WINDOW_MS) this.samples.shift();
    const base = this.samples[0]!;
    if (this.starting || now - base.at < WINDOW_MS || now - this.lastStart < AFTER_START_MS) return;
    if (this.how.worthStarting && !this.how.worthStarting()) return;
    const treeCores = (sample.treeCpuMs - base.treeCpuMs) / (now - base.at);
    const idleCores = Math.min(idleCoresBetween(base.host, sample.host), machine.usableCores() - treeCores);
    if (!shouldStartWorker({ idleCores, elapsedMs: now - this.dueAt, ended: this.how.keysEnded(), due: this.due })) return;
    // A core idle each: on a big machine with many idle cores, several start together.
    const count = Math.max(1, Math.min(this.wanted - this.started, Math.floor(idleCores)));
    this.starting = true;
    this.startOutside(count).then((started) => {
      this.starting = false;
      // Also when none started (every job claimed): asked again no sooner than after a start.
      this.lastStart = performance.now();
      this.started += started;
      if (this.started >= this.wanted) this.stop();
    }, () => {
      this.starting = false;
      this.stop();
    });
  }
}
