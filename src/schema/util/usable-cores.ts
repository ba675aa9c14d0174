import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';

/** Reads a file's text, or throws when it is not there. */
type ReadText = (file: string) => string;

const readText: ReadText = (file) => readFileSync(file, 'utf8');

/**
 * Cores this process may keep busy: `availableParallelism()` (its CPU affinity), and no more than
 * the CPU quota of its cgroup or any cgroup above it allows (cgroup v2 `cpu.max`: a container's
 * CPU limit, a systemd `CPUQuota`). A fraction when the quota is one (1.5 for "150000 100000");
 * callers that need whole cores round down, to at least one. Read once a process (`read`, for
 * tests, reads the files anew).
 *
 * @example
 * ```ts
 * usableCores();   // 2 in a container limited to 2 CPUs on a 32-core host
 * ```
 */
export function usableCores(read?: ReadText): number {
  // Read once a process: asked on every populate and every STA kernel run, and a quota seldom changes.
  if (read === undefined) return (ownCores ??= usableCores(readText));
  let cores = availableParallelism();
  for (const quota of cpuQuotas(read)) cores = Math.min(cores, quota);
  return cores;
}

let ownCores: number | undefined;

/** Whole cores this process may keep busy: {@link usableCores} rounded down, at least one. */
export function usableWholeCores(): number {
  return Math.max(1, Math.floor(usableCores()));
}

/**
 * The CPU quotas, in cores, of this process's cgroup and of every cgroup above it: cgroup v2's
 * `cpu.max` ("150000 100000"; "max …" is none), or cgroup v1's `cpu.cfs_quota_us` over
 * `cpu.cfs_period_us` (−1 is none). None where /proc/self/cgroup cannot be read.
 */
function cpuQuotas(read: ReadText): number[] {
  let lines: string[];
  try {
    lines = read('/proc/self/cgroup').split('\n');
  } catch {
    return [];
  }
  const quotas: number[] = [];
  const quota = (value: string | undefined, period: string | undefined): void => {
    if (Number(value) > 0 && Number(period) > 0) quotas.push(Number(value) / Number(period));
  };
  const attempt = (work: () => void): void => {
    try {
      work();
    } catch {
      // That cgroup has no such file: no quota set there.
    }
  };
  // "0::/kubepods/…" is the unified hierarchy (v2); "4:cpu,cpuacct:/…" a v1 hierarchy with the cpu controller.
  const v2 = lines.find((line) => line.startsWith('0::'))?.slice(3).trim();
  if (v2 !== undefined) {
    for (const dir of selfAndAncestors(v2)) {
      attempt(() => {
        const [value, period] = read(path.posix.join('/sys/fs/cgroup', dir, 'cpu.max')).trim().split(/\s+/);
        quota(value, period);
      });
    }
  }
  const v1 = lines.map((line) => line.split(':')).find((parts) => parts.length >= 3 && parts[1]!.split(',').includes('cpu'));
  if (v1) {
    for (const dir of selfAndAncestors(v1.slice(2).join(':'))) {
      attempt(() => quota(read(path.posix.join('/sys/fs/cgroup/cpu', dir, 'cpu.cfs_quota_us')).trim(), read(path.posix.join('/sys/fs/cgroup/cpu', dir, 'cpu.cfs_period_us')).trim()));
    }
  }
  return quotas;
}

/** A cgroup's path and those of the cgroups above it, up to the root. */
function selfAndAncestors(cgroup: string): string[] {
  const dirs: string[] = [];
  for (let dir = path.posix.join('/', cgroup.trim()); ; dir = path.posix.dirname(dir)) {
    dirs.push(dir);
    if (dir === '/') return dirs;
  }
}
