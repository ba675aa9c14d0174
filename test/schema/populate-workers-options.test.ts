import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Connection, PopulateError } from '../../src/index.js';

afterAll(() => Connection.closeAll());

/** `work` with every make() of the fixture (in this process and the workers it starts) `ms` slower. */
async function withMakeMs<T>(ms: number, work: () => Promise<T>): Promise<T> {
  process.env.RG_TEST_MAKE_MS = String(ms);
  try {
    return await work();
  } finally {
    delete process.env.RG_TEST_MAKE_MS;
  }
}

// populate({ workers }) hands every populate option to its worker processes, and rejects as
// populate() in one process does when a key fails without suppressErrors.
describe('populate({ workers }) keeps the options populate() documents', () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'rg-workers-options-')), 'shared.sqlite');
  process.env.RG_DB_URL = `sqlite://${file}`;
  process.env.RG_TEST_SCHEMA = 'rgt_workers_options';
  const fixture = path.resolve('test/fixtures/jobs-pipeline.ts');
  type Pipeline = typeof import('../fixtures/jobs-pipeline.js');
  const spec = '../fixtures/jobs-pipeline.js?workers-options';
  const load = async (): Promise<Pipeline> => (await import(/* @vite-ignore */ spec)) as Pipeline;

  /**
   * `populate` with this process's first make waiting (before it writes) until a worker process has
   * made a key: every process takes part however slowly the workers start.
   */
  async function firstWaitingForAWorker<T>(m: Pipeline, populate: () => Promise<T>): Promise<{ result: T; workerMade: boolean }> {
    let workerMade = false;
    m.hooks.beforeMake = async () => {
      for (const until = Date.now() + 60_000; !workerMade && Date.now() < until; await new Promise((r) => setTimeout(r, 20))) {
        workerMade = (await m.MakeCall.restrict(`worker <> 'rg-${process.pid}'`).count()) > 0;
      }
    };
    try {
      return { result: await populate(), workerMade };
    } finally {
      delete m.hooks.beforeMake;
    }
  }

  it('keepCompleted and priority reach the workers: success rows are kept', async () => {
    const m = await load();
    await m.schema.drop({ force: true });
    await m.Item.insert([1, 2, 3, 4].map((item_id) => ({ item_id })));
    const result = await m.Work.populate({ workers: 2, workersStart: 'all', workerModule: { path: fixture, exportName: 'Work' }, keepCompleted: true, priority: 2 });
    expect(result.successCount).toBe(4);
    const jobs = await m.Work.jobs().list();
    expect(jobs.map((j) => [j.status, j.priority])).toEqual([['success', 2], ['success', 2], ['success', 2], ['success', 2]]);
  }, 120_000);

  it('without suppressErrors a failing key makes populate reject, as it does in one process', async () => {
    const m = await load();
    await m.schema.drop({ force: true });
    await m.Item.insert([4, 5, 6].map((item_id) => ({ item_id }))); // item 5 is broken
    await expect(m.Work.populate({ workers: 2, workersStart: 'all', workerModule: { path: fixture, exportName: 'Work' } })).rejects.toThrow(PopulateError);
  }, 120_000);

  it('onKey and onProgress hear every key of every worker process, failures with their message', async () => {
    const m = await load();
    await m.schema.drop({ force: true });
    const items = Array.from({ length: 600 }, (_, i) => i + 1);
    await m.Item.insert(items.map((item_id) => ({ item_id })));
    const heard = new Map<number, string>();
    const progress: Array<[number, number]> = [];
    // This process's first make waits for the worker process's first key: both make keys.
    const { result, workerMade } = await firstWaitingForAWorker(m, () => m.Work.populate({
      workers: 2, workersStart: 'all', workerModule: { path: fixture, exportName: 'Work' }, suppressErrors: true,
      onKey: (key, outcome) => heard.set(Number(key.item_id), outcome === 'done' ? 'done' : outcome.message),
      onProgress: (done, total) => progress.push([done, total]),
    }));
    expect(workerMade).toBe(true);
    const failing = items.filter((i) => m.broken(i));
    expect(result.successCount).toBe(items.length - failing.length);
    expect([...heard.keys()].sort((a, b) => a - b)).toEqual(items);
    for (const i of failing) expect(heard.get(i)).toContain(`item ${i} is broken`);
    expect([...heard.values()].filter((v) => v === 'done')).toHaveLength(result.successCount);
    // Both processes made keys, and the worker process's were heard here too.
    const makers = new Set((await m.Work.query().fetch()).map((r) => r.worker));
    expect(makers.size).toBe(2);
    expect(progress.map(([done]) => done)).toEqual(items.map((_, i) => i + 1));
    expect(progress.at(-1)).toEqual([600, 600]);
  }, 120_000);

  it('display draws one bar for the keys of every worker, counted to the end', async () => {
    const m = await load();
    await m.schema.drop({ force: true });
    await m.Item.insert(Array.from({ length: 80 }, (_, i) => ({ item_id: 200 + i * 37 })));
    const drawn: string[] = [];
    const tty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
    Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => { drawn.push(String(chunk)); return true; });
    try {
      const result = await m.Work.populate({ workers: 2, workersStart: 'all', workerModule: { path: fixture, exportName: 'Work' }, display: true });
      expect(result.successCount).toBe(80);
    } finally {
      write.mockRestore();
      if (tty) Object.defineProperty(process.stderr, 'isTTY', tty);
      else delete (process.stderr as { isTTY?: boolean }).isTTY;
    }
    const text = drawn.join('').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    expect(text).toContain('Work |');
    expect(text).toContain('80/80 keys');
  }, 120_000);

  // DataJoint's populate(max_calls=N, processes=P) calls make() N times in all.
  it.each([
    ['maxCalls, keys claimed from the jobs table', { maxCalls: 150 }, undefined],
    ['limit, keys listed under a restriction', { limit: 150 }, 'item_id < 100000'],
  ])('%s: counted across every process, not per process', async (_, cap, restriction) => {
    const m = await load();
    await m.schema.drop({ force: true });
    const items = Array.from({ length: 400 }, (_, i) => i + 1).filter((i) => !m.broken(i)).slice(0, 300);
    await m.Item.insert(items.map((item_id) => ({ item_id })));
    // This process's first make waits (before it writes) until a worker process has made a key,
    // so that every process takes part however slowly they start. A slot each: SQLite's light
    // makes would otherwise take turns on one (host-slots.ts).
    const options = { workers: 3, workersStart: 'all' as const, hostSlots: 3, workerModule: { path: fixture, exportName: 'Work' }, ...cap };
    const { result, workerMade } = await firstWaitingForAWorker(m, () => withMakeMs(10, () => (restriction === undefined ? m.Work.populate(options) : m.Work.populate(restriction, options))));
    expect(workerMade).toBe(true);
    expect(result.successCount).toBe(150);
    expect(await m.Work.count()).toBe(150);
    const calls = await m.MakeCall.query().fetch();
    expect(calls).toHaveLength(150);
    // Every process took part: the budget was shared.
    expect(new Set(calls.map((c) => c.worker)).size).toBeGreaterThan(1);
    expect(calls.filter((c) => c.worker === `rg-${process.pid}`).length).toBeGreaterThan(0);
    // The rest is still to do.
    expect((await m.Work.populate({ reserveJobs: true })).successCount).toBe(150);
  }, 120_000);

  it('refresh: false reaches the workers: only the jobs already pending are made', async () => {
    const m = await load();
    await m.schema.drop({ force: true });
    await m.Item.insert([1, 2, 3, 4].map((item_id) => ({ item_id })));
    await m.Work.jobs().refresh();
    await m.Item.insert([6, 7, 8].map((item_id) => ({ item_id })));
    const result = await m.Work.populate({ workers: 2, workersStart: 'all', workerModule: { path: fixture, exportName: 'Work' }, refresh: false });
    expect(result.successCount).toBe(4);
    expect((await m.Work.query().fetch()).map((r) => r.item_id).sort()).toEqual([1, 2, 3, 4]);
    expect(await m.Work.jobs().list()).toEqual([]);
  }, 120_000);

  it('an aborted signal stops every worker between keys: what was made is returned, nothing stays reserved', async () => {
    const m = await load();
    await m.schema.drop({ force: true });
    const items = Array.from({ length: 400 }, (_, i) => 1000 + i).filter((i) => !m.broken(i)).slice(0, 300);
    await m.Item.insert(items.map((item_id) => ({ item_id })));
    const stop = new AbortController();
    const result = await m.Work.populate({
      workers: 2, workersStart: 'all', workerModule: { path: fixture, exportName: 'Work' }, onKey: () => stop.abort(), signal: stop.signal,
    });
    const made = await m.Work.count();
    expect(result.successCount).toBe(made);
    expect(made).toBeGreaterThan(0);
    expect(made).toBeLessThan(300);
    expect((await m.Work.jobs().list()).map((j) => j.status).filter((s) => s !== 'pending')).toEqual([]);
    // The rest is made by the next populate.
    expect((await m.Work.populate({ reserveJobs: true })).successCount).toBe(300 - made);
  }, 120_000);
});
