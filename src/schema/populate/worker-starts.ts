import { cpus } from 'node:os';

/**
 * When `populate({ workers })` starts its worker processes: `'idle-cores'` (the default) one at a
 * time, only while the host has a core to spare and the keys left pay for a process's start;
 * `'all'` every one at once.
 */
export type WorkersStart = 'idle-cores' | 'all';

/** What the starter knows at a tick. */
export interface StartReading {
  /** Cores of the host that were idle over the last half second or so (0 … the core count). */
  readonly idleCores: number;
  /** Milliseconds since the populate began. */
  readonly elapsedMs: number;
  /** Keys ended so far, in this process and the workers it started. */
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
 * the keys left at the rate so far take at least {@link START_PAYS_MS}, or no key has ended after
 * {@link SLOW_FIRST_KEY_MS}.
 *
 * @example
 * ```ts
 * shouldStartWorker({ idleCores: 0.95, elapsedMs: 500, ended: 100, due: 4000 });   // true: 19.5 s left
 * shouldStartWorker({ idleCores: 0.95, elapsedMs: 500, ended: 1000, due: 2000 });  // false: 0.5 s left
 * shouldStartWorker({ idleCores: 0.3, elapsedMs: 500, ended: 100, due: 4000 });    // false: no idle core
 * ```
 */
export function shouldStartWorker(reading: StartReading): boolean {
  if (!(reading.idleCores >= IDLE_CORE)) return false;
  if (reading.ended === 0) return reading.elapsedMs >= SLOW_FIRST_KEY_MS;
  const left = (reading.due ?? Infinity) - reading.ended;
  return left > 0 && (left * reading.elapsedMs) / reading.ended >= START_PAYS_MS;
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
 * Idle cores between two readings: the idle time of all cores over the time one core had.
 *
 * @example
 * ```ts
 * idleCoresBetween({ idle: 0, total: 0, cores: 2 }, { idle: 500, total: 1000, cores: 2 });   // 1
 * ```
 */
export function idleCoresBetween(before: CoreTimes, after: CoreTimes): number {
  const span = (after.total - before.total) / Math.max(1, after.cores);
  return span > 0 ? Math.max(0, after.idle - before.idle) / span : 0;
}

/** How the starter reads the host's cores: replaceable in tests, where the host's load is not theirs to set. */
let readCores: () => CoreTimes = coreTimes;

/** For tests: the reading of the host's cores the starter takes (undefined: the real one). */
export function setCoreReader(reader: (() => CoreTimes) | undefined): void {
  readCores = reader ?? coreTimes;
}

/** Ticks of the starter: each compares the cores with a reading at least WINDOW_MS old. */
const TICK_MS = 250;
const WINDOW_MS = 450;
/** After a start, the next waits this long: the started process's own start keeps a core busy meanwhile. */
const AFTER_START_MS = 1_000;

/**
 * Starts worker processes one at a time while {@link shouldStartWorker} says so, until `wanted`
 * are started or {@link IdleCoreStarts.stop} is called (this process has no keys left, or the
 * populate was stopped).
 *
 * @example
 * ```ts
 * const starts = new IdleCoreStarts(3, () => forkWorker());
 * // … as keys end: starts.ended = n; starts.due = total;
 * starts.stop();
 * ```
 */
export class IdleCoreStarts {
  /** Keys ended so far, in this process and its workers. */
  ended = 0;
  /** Keys due when this process began, once counted. */
  due: number | undefined;
  private started = 0;
  private readonly began = performance.now();
  private lastStart = -Infinity;
  private readings: Array<{ at: number; cores: CoreTimes }>;
  private timer: NodeJS.Timeout | undefined;
  private lastTick: number;

  /**
   * `start` starts a worker process; `worthStarting` (asked first at each tick) says no when this
   * process knows another one could not help (its makes take turns on one slot, or it is stopping).
   */
  constructor(private readonly wanted: number, private readonly start: () => void, private readonly worthStarting: () => boolean = () => true) {
    this.readings = [{ at: this.began, cores: readCores() }];
    this.lastTick = this.began;
    if (wanted > 0) {
      this.timer = setInterval(() => this.tick(), TICK_MS);
      this.timer.unref();
    }
  }

  /** Worker processes started so far. */
  get count(): number {
    return this.started;
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
    const cores = readCores();
    this.readings.push({ at: now, cores });
    // The oldest reading at least a window old is the baseline; older ones are no longer needed.
    while (this.readings.length > 2 && now - this.readings[1]!.at >= WINDOW_MS) this.readings.shift();
    const base = this.readings[0]!;
    if (now - base.at < WINDOW_MS || now - this.lastStart < AFTER_START_MS || !this.worthStarting()) return;
    const reading = { idleCores: idleCoresBetween(base.cores, cores), elapsedMs: now - this.began, ended: this.ended, due: this.due };
    if (!shouldStartWorker(reading)) return;
    this.started++;
    this.lastStart = now;
    if (this.started >= this.wanted) this.stop();
    this.start();
  }
}
