import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IdleCoreStarts, idleCoresBetween, IDLE_CORE, setMachineReader, shouldStartWorker, SLOW_FIRST_KEY_MS } from '../../src/schema/populate/worker-starts.js';

describe('shouldStartWorker', () => {
  it('starts a worker only with an idle core and enough work left for it', () => {
    const busy = { elapsedMs: 500, ended: 100, due: 4000 };
    expect(shouldStartWorker({ ...busy, idleCores: IDLE_CORE })).toBe(true);
    expect(shouldStartWorker({ ...busy, idleCores: IDLE_CORE - 0.01 })).toBe(false);
    expect(shouldStartWorker({ ...busy, idleCores: Number.NaN })).toBe(false);
    // 100 keys in 500 ms: 300 keys left take 1.5 s, 299 take 1.495 s.
    expect(shouldStartWorker({ idleCores: 1, elapsedMs: 500, ended: 100, due: 400 })).toBe(true);
    expect(shouldStartWorker({ idleCores: 1, elapsedMs: 500, ended: 100, due: 399 })).toBe(false);
    expect(shouldStartWorker({ idleCores: 1, elapsedMs: 500, ended: 100, due: 100 })).toBe(false);
    // Not counted yet: nothing starts.
    expect(shouldStartWorker({ idleCores: 1, elapsedMs: 5000, ended: 0, due: undefined })).toBe(false);
  });

  it('with no key ended, waits SLOW_FIRST_KEY_MS before it counts the keys as slow', () => {
    expect(shouldStartWorker({ idleCores: 2, elapsedMs: SLOW_FIRST_KEY_MS - 1, ended: 0, due: 10 })).toBe(false);
    expect(shouldStartWorker({ idleCores: 2, elapsedMs: SLOW_FIRST_KEY_MS, ended: 0, due: 10 })).toBe(true);
    // Nothing due: nothing to start for, however long the wait.
    expect(shouldStartWorker({ idleCores: 2, elapsedMs: 60_000, ended: 0, due: 0 })).toBe(false);
  });

  it('idleCoresBetween: idle time of all cores over the time one core had', () => {
    expect(idleCoresBetween({ idle: 1000, total: 4000, cores: 2 }, { idle: 1500, total: 5000, cores: 2 })).toBe(1);
    expect(idleCoresBetween({ idle: 1000, total: 4000, cores: 4 }, { idle: 1100, total: 6000, cores: 4 })).toBe(0.2);
    expect(idleCoresBetween({ idle: 1000, total: 4000, cores: 2 }, { idle: 1000, total: 4000, cores: 2 })).toBe(0);
    // os.cpus() empty (no /proc): the host's idle cores are not known, only the process's own bound counts.
    expect(idleCoresBetween({ idle: 0, total: 0, cores: 0 }, { idle: 0, total: 0, cores: 0 })).toBe(Infinity);
  });
});

/** A host of `hostCores` cores, `idle` of them idle, of which `usable` are this process's to use. */
function idleHost(hostCores: number, idle: number, usable: number): void {
  setMachineReader({ hostCores: () => ({ idle: idle * performance.now(), total: hostCores * performance.now(), cores: hostCores }), usableCores: () => usable });
}

/**
 * A starter of up to `wanted` workers whose `start` answers with `answer` (how many it started of
 * those asked), told that 1,000 keys are due and 10 have ended: enough work left for any start.
 */
function countedStarts(wanted: number, answer: (count: number) => Promise<number>, treeCpuMs = (): number => 0) {
  const start = vi.fn(answer);
  const starts = new IdleCoreStarts(wanted, { start, keysEnded: () => 10, treeCpuMs });
  starts.counted(1_000);
  return { start, starts };
}

describe('IdleCoreStarts (fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
    idleHost(2, 1, 8);
  });
  afterEach(() => {
    setMachineReader(undefined);
    vi.useRealTimers();
  });

  it('starts nothing before the keys are counted, then one worker a second on 2 cores, at most `wanted`', async () => {
    const start = vi.fn(async (count: number) => count);
    const starts = new IdleCoreStarts(2, { start, keysEnded: () => 10, treeCpuMs: () => 0 });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(start).not.toHaveBeenCalled();
    starts.counted(1_000);
    await vi.advanceTimersByTimeAsync(300);
    expect(start.mock.calls).toEqual([[1]]);
    await vi.advanceTimersByTimeAsync(700);
    expect(start).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(start.mock.calls).toEqual([[1], [1]]);
    expect(starts.count).toBe(2);
  });

  it('starts as many at once as there are idle cores, up to `wanted`', async () => {
    idleHost(16, 16, 16);
    const { start, starts } = countedStarts(5, async (count) => count);
    // The first tick with half a second of readings behind it: 500 ms.
    await vi.advanceTimersByTimeAsync(600);
    expect(start.mock.calls).toEqual([[5]]);
    expect(starts.count).toBe(5);
  });

  it('a start that found every job claimed is asked again only a second later', async () => {
    const { start, starts } = countedStarts(3, async () => 0);
    await vi.advanceTimersByTimeAsync(600);
    expect(start).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(800);
    expect(start).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(start).toHaveBeenCalledTimes(2);
    expect(starts.count).toBe(0);
    starts.stop();
  });

  it('counts the cores this process tree uses against the usable ones: 1.5 of 2 busy leaves no idle core', async () => {
    idleHost(2, 2, 2);
    const { start, starts } = countedStarts(3, async (count) => count, () => 1.5 * performance.now());
    await vi.advanceTimersByTimeAsync(5_000);
    expect(start).not.toHaveBeenCalled();
    starts.stop();
  });

  it('stop() ends the starts, also while one is in flight', async () => {
    let answer: (started: number) => void = () => undefined;
    const { start, starts } = countedStarts(3, () => new Promise<number>((resolve) => { answer = resolve; }));
    await vi.advanceTimersByTimeAsync(600);
    expect(start).toHaveBeenCalledTimes(1);
    starts.stop();
    answer(1);
    starts.poll();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(start).toHaveBeenCalledTimes(1);
  });
});

/** What a populate made: its result, the keys each process made, the distinct keys, and the pid of the process that called populate. */
interface Populated {
  result: { successCount: number; errors: unknown[]; workersStarted: number };
  byPid: Record<string, number>;
  items: number;
  parent: number;
}

/**
 * populate({ workers }) of the slot pipeline in a process of its own (its own temporary directory
 * for the host's slots), whose reading of the host's cores is `idleCores` idle cores of 2 at every
 * tick, on a machine of 8 usable cores: the host's real load is not this test's to set.
 */
async function populateWithIdleCores(table: 'Timed' | 'Light', items: number, options: string, idleCores: number, env: Record<string, string> = {}): Promise<Populated> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rg-starts-'));
  const fixture = path.resolve('test/fixtures/slot-pipeline.ts');
  const starts = path.resolve('src/schema/populate/worker-starts.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', `
    const { setMachineReader } = await import(${JSON.stringify(starts)});
    setMachineReader({ hostCores: () => { const ms = performance.now(); return { idle: ${idleCores} * ms, total: 2 * ms, cores: 2 }; }, usableCores: () => 8 });
    const m = await import(${JSON.stringify(fixture)});
    await m.Item.insert(Array.from({ length: ${items} }, (_, item) => ({ item })));
    const result = await m.${table}.populate({ ${options}, workerModule: { path: ${JSON.stringify(fixture)}, exportName: '${table}' } });
    const rows = await m.${table}.fetch();
    const byPid = {};
    for (const r of rows) byPid[r.worker_pid] = (byPid[r.worker_pid] ?? 0) + 1;
    const items = new Set(rows.map((r) => r.item)).size;
    process.stdout.write(JSON.stringify({ result, byPid, items, parent: process.pid }) + '\\n', () => process.exit(0));
  `], { env: { ...process.env, TMPDIR: dir, RG_HOST_SLOTS: '', RG_DB_URL: `sqlite://${path.join(dir, 'starts.sqlite')}`, RG_TEST_SCHEMA: 'rgt_workers_start', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
  const line = out.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as Populated;
}

describe("populate({ workers }) starts worker processes on idle cores ('idle-cores', the default)", () => {
  // Both take over 1.5 s in one process: 250 keys of 8 ms of CPU; 6000 of 0.3 ms, light, so that
  // only one process of the host makes them at a time (on SQLite).
  it.each([
    ['while the host has no idle core', 'Timed', 250, 0.5],
    ['on SQLite for makes that take turns on one slot (light ones), idle cores or not', 'Light', 6000, 2],
  ] as const)('starts none %s: this process makes every key', async (_, table, items, idleCores) => {
    const { result, byPid, parent } = await populateWithIdleCores(table, items, 'workers: 3', idleCores);
    expect(result).toEqual({ successCount: items, errors: [], workersStarted: 0 });
    expect(byPid).toEqual({ [parent]: items });
  }, 120_000);

  it('starts them while cores are idle and keys are left, and they make keys too', async () => {
    // 8 ms of CPU a key: 600 keys take this process about 5 s, so both starts pay. Three slots
    // on the host: never more processes than slots.
    const { result, byPid, items, parent } = await populateWithIdleCores('Timed', 600, 'workers: 3', 2, { RG_HOST_SLOTS: '3' });
    expect(result).toEqual({ successCount: 600, errors: [], workersStarted: 2 });
    expect(items).toBe(600);
    expect(byPid[parent]).toBeGreaterThan(0);
    expect(Object.keys(byPid).length).toBeGreaterThan(1);
  }, 120_000);

  it('never more processes than the host has slots', async () => {
    const { result, byPid, items } = await populateWithIdleCores('Timed', 600, 'workers: 4', 2, { RG_HOST_SLOTS: '2' });
    expect(result).toEqual({ successCount: 600, errors: [], workersStarted: 1 });
    expect(items).toBe(600);
    expect(Object.keys(byPid)).toHaveLength(2);
  }, 120_000);

  it("'all' starts every worker process at once, idle cores or not", async () => {
    const { result, items } = await populateWithIdleCores('Timed', 300, "workers: 3, workersStart: 'all'", 0);
    expect(result).toEqual({ successCount: 300, errors: [], workersStarted: 2 });
    expect(items).toBe(300);
  }, 120_000);
});
