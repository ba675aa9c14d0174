import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { PopulateError } from '../../src/errors.js';
import { announceNoKeysLeft, hostSlotsFor, shareMakeWeight, sharedMakeWeight } from '../../src/schema/populate/host-slots.js';

const SLOTS_MODULE = path.resolve('src/schema/populate/host-slots.ts');

interface Held { pid: number; start: number; end: number }

/**
 * A process that takes a slot of `slots`, holds it `holdMs`, and prints when. Each test gives its
 * processes a temporary directory of their own, so slots of other tests running beside it do not count.
 */
function holder(dir: string, slots: number, holdMs: number, extra = ''): { output: () => string; done: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', `
    const { takeHostSlot } = await import(${JSON.stringify(SLOTS_MODULE)});
    const slot = await takeHostSlot(${slots});
    const start = performance.timeOrigin + performance.now();
    console.log('GOT');
    ${extra}
    await new Promise((r) => setTimeout(r, ${holdMs}));
    const end = performance.timeOrigin + performance.now();
    slot.release();
    console.log(JSON.stringify({ pid: process.pid, start, end }));
  `], { env: { ...process.env, TMPDIR: dir, RG_HOST_SLOTS: '' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  return { output: () => out, done: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

/** A process that runs `code` (with takeHostSlot and the module's other exports in scope) in `dir`'s slots. */
function slotProcess(dir: string, code: string): { output: () => string; done: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', `
    const { takeHostSlot, sharedMakeWeight } = await import(${JSON.stringify(SLOTS_MODULE)});
    ${code}
  `], { env: { ...process.env, TMPDIR: dir }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  return { output: () => out, done: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

/** Waits until a process has printed `word` (10 s at most). */
async function saidBy(p: { output: () => string }, word: string): Promise<void> {
  for (let i = 0; i < 400 && !p.output().includes(word); i++) await new Promise((r) => setTimeout(r, 25));
  if (!p.output().includes(word)) throw new Error(`the process did not say ${word} within 10 s; it said: ${p.output()}`);
}

/** A fresh slots directory whose only slot another process holds for `holdMs`, once it holds it. */
async function heldSlot(holdMs: number): Promise<{ dir: string; busy: ReturnType<typeof holder> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rg-slots-'));
  const busy = holder(dir, 1, holdMs);
  await saidBy(busy, 'GOT');
  return { dir, busy };
}

/** The JSON line of a process's output. */
function jsonLine<T>(output: string): T {
  return JSON.parse(output.split('\n').find((l) => l.startsWith('{'))!) as T;
}

/** The JSON line a process printed. */
function reportOf<T>(p: { output: () => string }): T {
  return jsonLine<T>(p.output());
}

/** Runs `work` in this process as if its temporary directory were `dir` (where the slots are). */
function inSlotsOf<T>(dir: string, work: () => T): T {
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    return work();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
}

function held(output: string): Held {
  return jsonLine<Held>(output);
}

/** The most intervals that contain one instant. */
function mostAtOnce(intervals: readonly Held[]): number {
  return Math.max(...intervals.map((a) => intervals.filter((b) => b.start <= a.start && a.start < b.end).length));
}

describe('host slots: populate processes of one host that make keys at once', () => {
  it('with one slot, processes hold it one after another', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-slots-'));
    const holders = Array.from({ length: 4 }, () => holder(dir, 1, 150));
    expect(await Promise.all(holders.map((h) => h.done))).toEqual([0, 0, 0, 0]);
    const intervals = holders.map((h) => held(h.output()));
    expect(mostAtOnce(intervals)).toBe(1);
  }, 60_000);

  it('with two slots, never more than two at once', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-slots-'));
    const holders = Array.from({ length: 5 }, () => holder(dir, 2, 200));
    expect(await Promise.all(holders.map((h) => h.done))).toEqual([0, 0, 0, 0, 0]);
    expect(mostAtOnce(holders.map((h) => held(h.output())))).toBeLessThanOrEqual(2);
  }, 60_000);

  it('a process that dies holding a slot gives it up', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-slots-'));
    const victim = holder(dir, 1, 60_000, "process.kill(process.pid, 'SIGKILL');");
    const next = holder(dir, 1, 10);
    expect(await victim.done).toBeNull();
    expect(await next.done).toBe(0);
    expect(next.output()).toContain('GOT');
  }, 60_000);

  it('a holder that is stuck (a stopped process) holds the others back for 30 s, not for good', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-slots-'));
    const stuck = holder(dir, 1, 10, "console.log('PID ' + process.pid); process.kill(process.pid, 'SIGSTOP');");
    for (let i = 0; i < 200 && !stuck.output().includes('PID'); i++) await new Promise((r) => setTimeout(r, 50));
    const waitedFrom = Date.now();
    const next = holder(dir, 1, 10);
    expect(await next.done).toBe(0);
    const waited = held(next.output()).start - waitedFrom;
    process.kill(Number(/PID (\d+)/.exec(stuck.output())![1]), 'SIGKILL');
    await stuck.done;
    expect(waited).toBeGreaterThan(29_000);
    expect(waited).toBeLessThan(50_000);
  }, 90_000);

  it('a process waiting for a slot stops waiting once there is nothing left for it to do', async () => {
    const { dir, busy } = await heldSlot(4_000);
    const waiter = slotProcess(dir, `
      let asked = 0;
      const started = Date.now();
      const slot = await takeHostSlot(1, { stillWanted: async () => ++asked < 3 });
      console.log(JSON.stringify({ asked, waited: Date.now() - started }));
      slot.release();
    `);
    expect(await waiter.done).toBe(0);
    const { asked, waited } = reportOf<{ asked: number; waited: number }>(waiter);
    // Asked as the wait began and then now and then while the slot was held: the third answer
    // (no) ended the wait.
    expect(asked).toBe(3);
    expect(waited).toBeLessThan(3_000);
    expect(await busy.done).toBe(0);
  }, 60_000);

  it('a waiting process hears at once that a table\'s keys are all claimed, and leaves without a slot', async () => {
    const { dir, busy } = await heldSlot(6_000);
    const waiter = slotProcess(dir, `
      const asks = [];
      const slot = await takeHostSlot(1, { askEveryMs: 5000, stillWanted: async () => { asks.push(Date.now()); console.log('ASKED'); return asks.length < 2; } });
      console.log(JSON.stringify({ asks, wanted: slot.wanted }));
      slot.release();
    `);
    await saidBy(waiter, 'ASKED');
    await new Promise((r) => setTimeout(r, 150));
    inSlotsOf(dir, () => announceNoKeysLeft('some table'));
    expect(await waiter.done).toBe(0);
    const { asks, wanted } = reportOf<{ asks: number[]; wanted: boolean }>(waiter);
    // Asked as the wait began, and again on the news: the next question without news would
    // have come 5 s after the first.
    expect(asks).toHaveLength(2);
    expect(asks[1]! - asks[0]!).toBeLessThan(2_000);
    // The wait ended without a slot, and says so: the caller claims nothing.
    expect(wanted).toBe(false);
    expect(await busy.done).toBe(0);
  }, 60_000);

  it('one process\'s takes for two tables: the first\'s "nothing left" is not the second\'s', async () => {
    const { dir, busy } = await heldSlot(2_000);
    // Two populates in one process share its one turn; only the first asks while it is taken.
    const both = slotProcess(dir, `
      const [a, b] = await Promise.all([
        takeHostSlot(1, { stillWanted: async () => false }),
        takeHostSlot(1, { stillWanted: async () => true }),
      ]);
      console.log(JSON.stringify({ a: a.wanted, b: b.wanted }));
      a.release(); b.release();
    `);
    expect(await both.done).toBe(0);
    expect(reportOf(both)).toEqual({ a: false, b: true });
    expect(await busy.done).toBe(0);
  }, 60_000);

  it('a waiter whose count of slots grows while it waits takes the new slot', async () => {
    const { dir, busy } = await heldSlot(6_000);
    const waiter = slotProcess(dir, `
      console.log('WAITING');
      const slot = await takeHostSlot(() => (sharedMakeWeight('a table') === 'heavy' ? 2 : 1));
      console.log(JSON.stringify({ got: Date.now(), wanted: slot.wanted }));
      slot.release();
    `);
    await saidBy(waiter, 'WAITING');
    await new Promise((r) => setTimeout(r, 300));
    inSlotsOf(dir, () => {
      expect(sharedMakeWeight('a table')).toBeUndefined();
      shareMakeWeight('a table', 'heavy');
      expect(sharedMakeWeight('a table')).toBe('heavy');
      expect(sharedMakeWeight('another table')).toBeUndefined();
    });
    expect(await waiter.done).toBe(0);
    const { got, wanted } = reportOf<{ got: number; wanted: boolean }>(waiter);
    expect(wanted).toBe(true);
    // The second slot, taken while the holder of the first still held it.
    expect(await busy.done).toBe(0);
    expect(got).toBeLessThan(held(busy.output()).end);
  }, 60_000);

  it('one process holds one slot for all its lanes, and gives it up when the last lets go', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-slots-'));
    // Two takes in one process with a single slot: the second does not wait for the first.
    const nested = holder(dir, 1, 100, `
      const inner = await takeHostSlot(1);
      console.log('NESTED');
      slot.release(); slot.release();
      await new Promise((r) => setTimeout(r, 300));
      console.log('STILL ' + Date.now());
      inner.release();
    `);
    for (let i = 0; i < 200 && !nested.output().includes('NESTED'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(nested.output()).toContain('NESTED');
    const after = holder(dir, 1, 10);
    expect(await nested.done).toBe(0);
    expect(await after.done).toBe(0);
    // The outer slot's double release did not free the slot while the inner take still held it.
    const stillAt = Number(/STILL (\d+)/.exec(nested.output())![1]);
    expect(held(after.output()).start).toBeGreaterThan(stillAt);
  }, 60_000);
});

describe('how many host slots', () => {
  const setting = process.env.RG_HOST_SLOTS;
  afterEach(() => {
    if (setting === undefined) delete process.env.RG_HOST_SLOTS;
    else process.env.RG_HOST_SLOTS = setting;
  });

  it('defaults to the cores, RG_HOST_SLOTS sets it for a deployment, and the option for a call', () => {
    process.env.RG_HOST_SLOTS = '';
    expect(hostSlotsFor(undefined)).toBe(availableParallelism());
    process.env.RG_HOST_SLOTS = ' 3 ';
    expect(hostSlotsFor(undefined)).toBe(3);
    process.env.RG_HOST_SLOTS = 'Infinity';
    expect(hostSlotsFor(undefined)).toBe(Infinity);
    expect(hostSlotsFor(5)).toBe(5);
  });

  it('refuses what is not a number of slots, saying where it came from', () => {
    expect(() => hostSlotsFor(0)).toThrow(PopulateError);
    expect(() => hostSlotsFor(2.5)).toThrow("populate's hostSlots (2.5) is not a number of host slots: give a whole number of at least 1, or Infinity for no limit.");
    process.env.RG_HOST_SLOTS = 'four';
    expect(() => hostSlotsFor(undefined)).toThrow('RG_HOST_SLOTS="four" is not a number of host slots');
  });
});

interface Made { item: number; worker_pid: number; started: number; ended: number }

/** populate({ workers }) of a slot-pipeline table on a SQLite file, in a process of its own. */
async function populateWorkers(table: 'Timed' | 'Light', items: number, options: string, env: Record<string, string>): Promise<{ result: { successCount: number; errors: unknown[] }; rows: Made[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rg-slots-'));
  const fixture = path.resolve('test/fixtures/slot-pipeline.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', `
    const m = await import(${JSON.stringify(fixture)});
    await m.Item.insert(Array.from({ length: ${items} }, (_, item) => ({ item })));
    const result = await m.${table}.populate({ ${options}, workerModule: { path: ${JSON.stringify(fixture)}, exportName: '${table}' } });
    console.log(JSON.stringify({ result, rows: await m.${table}.fetch() }));
    process.exit(0);
  `], { env: { ...process.env, TMPDIR: dir, RG_HOST_SLOTS: '', RG_DB_URL: `sqlite://${path.join(dir, 'slots.sqlite')}`, RG_TEST_SCHEMA: 'rgt_host_slots', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
  return jsonLine<{ result: { successCount: number; errors: unknown[] }; rows: Made[] }>(out);
}

/** Makes of one process that ran while a make of another did. */
function overlapping(rows: readonly Made[]): Made[] {
  return rows.filter((a) => rows.some((b) => b.worker_pid !== a.worker_pid && b.started < a.ended && a.started < b.ended));
}

describe('populate({ workers, hostSlots })', () => {
  it('on SQLite, workers of a light make take turns on one slot from their first key', async () => {
    // Two slots on the host; the make computes 0.3 ms. A worker that has made nothing yet counts
    // its makes light (and one that has, says so): none runs beside another, even at the start.
    const { result, rows } = await populateWorkers('Light', 3000, "workers: 3, workersStart: 'all'", { RG_HOST_SLOTS: '2' });
    expect(result).toEqual({ successCount: 3000, errors: [], workersStarted: 2 });
    expect(overlapping(rows)).toEqual([]);
  }, 120_000);

  it('on SQLite, workers that have not made a key yet use every slot once another found the makes heavy', async () => {
    // 8 ms of CPU per key: the calling process finds it and says so; the worker processes it
    // starts take the second slot before their own first make.
    const { result, rows } = await populateWorkers('Timed', 400, "workers: 3, workersStart: 'all'", { RG_HOST_SLOTS: '2' });
    expect(result).toEqual({ successCount: 400, errors: [], workersStarted: 2 });
    const firstOf = new Map<number, Made>();
    for (const r of [...rows].sort((a, b) => a.started - b.started)) if (!firstOf.has(r.worker_pid)) firstOf.set(r.worker_pid, r);
    // Some worker's very first make ran beside another process's make.
    expect([...firstOf.values()].some((first) => overlapping(rows).includes(first))).toBe(true);
  }, 120_000);

  it('with hostSlots: 1 the makes of three worker processes never overlap', async () => {
    const { result, rows } = await populateWorkers('Timed', 720, "workers: 3, workersStart: 'all', hostSlots: 1", {});
    expect(result).toEqual({ successCount: 720, errors: [], workersStarted: 2 });
    expect(rows.map((r) => r.item).sort((a, b) => a - b)).toEqual(Array.from({ length: 720 }, (_, i) => i));
    expect(overlapping(rows)).toEqual([]);
    // The worker processes started while keys were left, and took some of them in turn (a turn
    // lasts 5 s while others wait: 720 keys of 8 ms take longer).
    expect(new Set(rows.map((r) => r.worker_pid)).size).toBeGreaterThan(1);
  }, 120_000);
});
