import { usableWholeCores } from '../util/usable-cores.js';

let share: number | undefined;

/**
 * Cores one of N local populate workers may keep busy: the cores this process may use (usableCores:
 * affinity, a cgroup's CPU quota) divided among the workers, at least one. Multi-threaded work in make() (the STA kernel) sizes itself by this, so
 * N workers together never run more threads than there are cores.
 *
 * @example
 * ```ts
 * workerCpuShare(2); // 1 on a 2-core machine, 4 on an 8-core one
 * ```
 */
export function workerCpuShare(workers: number): number {
  return Math.max(1, Math.floor(usableWholeCores() / Math.max(1, Math.floor(workers))));
}

/** Records the cores this process may use as a populate worker (undefined: not a worker, every core). */
export function setPopulateCpuShare(cores: number | undefined): void {
  share = cores === undefined ? undefined : Math.max(1, Math.floor(cores));
}

/** The cores this process may use as one of several local populate workers; undefined when it is not one. */
export function populateCpuShare(): number | undefined {
  return share;
}
