import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { usableCores } from '../../src/schema/util/usable-cores.js';

/** A reader of these files only; any other is not there. */
function files(contents: Record<string, string>): (file: string) => string {
  return (file) => {
    const text = contents[file];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
    return text;
  };
}

describe('usableCores', () => {
  const cores = availableParallelism();

  it('takes the least CPU quota of the cgroup v2 and the cgroups above it, "max" being none', () => {
    expect(usableCores(files({
      '/proc/self/cgroup': '0::/kubepods/pod1/c1\n',
      '/sys/fs/cgroup/kubepods/pod1/c1/cpu.max': 'max 100000\n',
      '/sys/fs/cgroup/kubepods/pod1/cpu.max': '50000 100000\n',
      '/sys/fs/cgroup/kubepods/cpu.max': '400000 100000\n',
    }))).toBe(Math.min(cores, 0.5));
  });

  it('reads cgroup v1 quotas too (cpu.cfs_quota_us over cpu.cfs_period_us, −1 being none)', () => {
    expect(usableCores(files({
      '/proc/self/cgroup': '5:memory:/x\n4:cpu,cpuacct:/docker/abc\n0::/\n',
      '/sys/fs/cgroup/cpu/docker/abc/cpu.cfs_quota_us': '-1\n',
      '/sys/fs/cgroup/cpu/docker/abc/cpu.cfs_period_us': '100000\n',
      '/sys/fs/cgroup/cpu/docker/cpu.cfs_quota_us': '25000\n',
      '/sys/fs/cgroup/cpu/docker/cpu.cfs_period_us': '100000\n',
    }))).toBe(Math.min(cores, 0.25));
  });

  it('is the CPU affinity without a quota, or without /proc at all', () => {
    expect(usableCores(files({ '/proc/self/cgroup': '0::/user.slice\n', '/sys/fs/cgroup/user.slice/cpu.max': 'max 100000\n' }))).toBe(cores);
    expect(usableCores(files({}))).toBe(cores);
  });
});
