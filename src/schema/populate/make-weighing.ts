import path from 'node:path';
import type { TableInfo } from '../declare/table-info.js';
import { hostSlotsFor, shareMakeWeight, type MakeWeight } from './host-slots.js';

/** Makes a process times before it weighs them (and tells the host's other processes). */
const WEIGHED_MAKES = 5;
/** Makes whose CPU time is measured before populate samples one in a few. */
export const FIRST_TIMED_MAKES = WEIGHED_MAKES * 3;
/**
 * The most CPU time a make spends inside a shared transaction where a transaction locks the whole
 * database (SQLite): short, as other processes wait. Makes under it are light: on SQLite they gain
 * nothing from running beside each other.
 */
export const LOCKING_TRANSACTION_WORK_MS = 2;

/** A make of at least this much CPU time is heavy at once, without waiting for WEIGHED_MAKES of them. */
const HEAVY_AT_ONCE_MS = 100;

/**
 * What this process has found one table's makes to weigh, from the CPU time of its last few makes,
 * and tells the host's other processes (shareMakeWeight). Kept across populate calls: a fleet
 * worker populates in passes, and a process that has made fewer than WEIGHED_MAKES keys in each
 * would never weigh them.
 */
export class MakeWeighing {
  private readonly recentCpuMs: number[] = [];
  private told: MakeWeight | undefined;

  constructor(private readonly table: string) {}

  /**
   * The least of the last WEIGHED_MAKES makes (a process's first makes also compile its code: a
   * cold first make of a light table took over 2 ms, and a moving average stayed above that for a
   * dozen keys); before that many, heavy if one took HEAVY_AT_ONCE_MS (makes of seconds would
   * otherwise take turns on one slot, a make a turn, until each process had timed five).
   */
  weight(): MakeWeight | undefined {
    if (this.recentCpuMs.length >= WEIGHED_MAKES) return Math.min(...this.recentCpuMs) < LOCKING_TRANSACTION_WORK_MS ? 'light' : 'heavy';
    return this.recentCpuMs.some((ms) => ms >= HEAVY_AT_ONCE_MS) ? 'heavy' : undefined;
  }

  heard(cpuMs: number): void {
    this.recentCpuMs.push(cpuMs);
    if (this.recentCpuMs.length > WEIGHED_MAKES) this.recentCpuMs.shift();
    const weight = this.weight();
    if (weight === undefined || weight === this.told) return;
    shareMakeWeight(this.table, weight);
    this.told = weight;
  }
}

const weighings = new Map<string, MakeWeighing>();

/**
 * The process's weighing of a table's makes (see {@link weightNameOf}), made on first use.
 *
 * @example
 * ```ts
 * weighingOf(weightNameOf(info)).heard(0.4);   // a make of 0.4 ms of CPU
 * ```
 */
export function weighingOf(table: string): MakeWeighing {
  let weighing = weighings.get(table);
  if (!weighing) weighings.set(table, (weighing = new MakeWeighing(table)));
  return weighing;
}

/**
 * A table's name on this host, for weighing its makes: its database file's full path (an
 * in-memory database is this process's own), its database and its name.
 *
 * @example
 * ```ts
 * weightNameOf(tableInfo(Sta));   // '/data/rgc.sqlite\0main\0__spike_triggered_average'
 * ```
 */
export function weightNameOf(info: TableInfo): string {
  const file = info.schema.connection.file;
  return `${file === undefined ? `memory of ${process.pid}` : path.resolve(file)}\0${info.schema.database}\0${info.tableName}`;
}

/**
 * Whether this process's makes of a table take turns on the host's first slot: on a database that
 * takes its writes in turns (SQLite), under the host's default slots, once they weigh light. More
 * local processes would then only wait for that slot.
 *
 * @example
 * ```ts
 * if (!makesTakeTurns(info, options.hostSlots)) startAnotherWorker();
 * ```
 */
export function makesTakeTurns(info: TableInfo, hostSlots: number | undefined): boolean {
  if (hostSlots !== undefined || info.schema.connection.dialect.concurrent || hostSlotsFor(undefined) === Infinity) return false;
  return weighingOf(weightNameOf(info)).weight() === 'light';
}
