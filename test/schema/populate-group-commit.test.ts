import 'reflect-metadata';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Computed, Connection, DeadlockError, Manual, Part, PopulateError, Schema } from '../../src/index.js';
import { keysPerSharedTransaction } from '../../src/schema/populate/auto-populate.js';
import { dialects, schemaName } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

/**
 * Quick makes share a transaction (keysPerTransaction), and every key stays all-or-nothing: a
 * failing make rolls its shared transaction back, and the keys are made again one transaction each.
 */
describe.each(dialects)('keys per transaction on $name', (dialect) => {
  const schema = new Schema(schemaName(`group_commit_${dialect.name}`), { connection: dialect.url('group_commit') });
  @schema class Key extends Manual<{ k: number }> { static override definition = 'k: int32'; }
  const calls = new Map<number, number>();
  let failing = new Set<number>();
  let deadlockOnce = new Set<number>();
  let makeSleepMs = 0;
  @schema class Out extends Computed<{ k: number; v: number }> {
    static override definition = '-> Key\n---\nv: int32';
    static Piece = class extends Part { static override definition = '-> master\np: int32'; };
    async make(key: { k: number }): Promise<void> {
      calls.set(key.k, (calls.get(key.k) ?? 0) + 1);
      if (makeSleepMs > 0) await new Promise((r) => setTimeout(r, makeSleepMs));
      await this.insert1({ k: key.k, v: key.k * 2 });
      await Out.Piece.insert([{ k: key.k, p: 1 }, { k: key.k, p: 2 }] as never);
      if (deadlockOnce.delete(key.k)) throw new DeadlockError(`Deadlock in __out: simulated for key ${key.k}`);
      if (failing.has(key.k)) throw new Error(`make of ${key.k} failed`);
    }
  }

  /** Runs `work` and returns how many transactions it began (inserts inside make join them). */
  async function transactionsOf(work: () => Promise<unknown>): Promise<number> {
    const c = schema.connection;
    const original = c.transaction.bind(c);
    let began = 0;
    const spy = vi.spyOn(c, 'transaction').mockImplementation((body, options) => {
      if (!c.inTransaction) began++;
      return original(body, options);
    });
    try {
      await work();
      return began;
    } finally {
      spy.mockRestore();
    }
  }

  async function setUp(keys: number): Promise<void> {
    await schema.drop({ force: true });
    await Key.insert(Array.from({ length: keys }, (_, i) => ({ k: i + 1 })));
    calls.clear();
    failing = new Set();
    deadlockOnce = new Set();
    makeSleepMs = 0;
  }

  it('keysPerTransaction: 4 commits ten keys in three transactions', async () => {
    await setUp(10);
    const transactions = await transactionsOf(() => Out.populate({ keysPerTransaction: 4 }));
    expect(transactions).toBe(3);
    expect((await Out.query().orderBy('k').fetch()).map((r) => r.v)).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    expect(await Out.Piece.count()).toBe(20);
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
  });

  it('a failing make rolls its shared transaction back; the others are made again alone and kept', async () => {
    await setUp(10);
    failing = new Set([6]);
    const result = await Out.populate({ keysPerTransaction: 4, suppressErrors: true });
    expect(result.successCount).toBe(9);
    expect(result.errors.map((e) => e.key)).toEqual([{ k: 6 }]);
    expect(result.errors[0]!.error.message).toBe('make of 6 failed');
    expect((await Out.keys()).map((r) => Number(r.k)).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 7, 8, 9, 10]);
    // Nothing of key 6 and no second copy of the others' parts: the shared transaction left nothing.
    expect(await Out.Piece.count()).toBe(18);
    // Keys 5–8 shared a transaction that failed at 6: 5 and 6 ran twice, 7 and 8 once (alone).
    expect(Object.fromEntries(calls)).toEqual({ 1: 1, 2: 1, 3: 1, 4: 1, 5: 2, 6: 2, 7: 1, 8: 1, 9: 1, 10: 1 });
  });

  it('without suppressErrors the populate stops at the failing key; the keys before it are kept', async () => {
    await setUp(10);
    failing = new Set([6]);
    await expect(Out.populate({ keysPerTransaction: 4 })).rejects.toThrow(PopulateError);
    expect((await Out.keys()).map((r) => Number(r.k)).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
    expect(await Out.Piece.count()).toBe(10);
  });

  it('with jobs: only the failing key gets an error row; claimed keys after a stop go back to pending', async () => {
    await setUp(10);
    failing = new Set([6]);
    const result = await Out.populate({ reserveJobs: true, batch: 8, keysPerTransaction: 4, suppressErrors: true });
    expect(result.successCount).toBe(9);
    const jobs = await Out.jobs().list();
    expect(jobs.map((j) => [j.key, j.status])).toEqual([[{ k: 6 }, 'error']]);
    expect(String(jobs[0]!.errorMessage)).toContain('make of 6 failed');
    expect(await Out.Piece.count()).toBe(18);

    await setUp(10);
    failing = new Set([2]);
    await expect(Out.populate({ reserveJobs: true, batch: 8, keysPerTransaction: 4 })).rejects.toThrow(PopulateError);
    expect((await Out.keys()).map((r) => r.k)).toEqual([1]);
    const left = await Out.jobs().list();
    expect(left.filter((j) => j.status === 'error').map((j) => j.key)).toEqual([{ k: 2 }]);
    // Keys 3–8 were claimed with key 2 but never made: nobody holds them.
    expect(left.filter((j) => j.status === 'pending').map((j) => (j.key as { k: number }).k).sort((a, b) => a - b)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    expect(left.filter((j) => j.status === 'reserved')).toEqual([]);
  });

  it('by default quick makes share transactions and slow ones keep their own', async () => {
    await setUp(60);
    const quick = await transactionsOf(() => Out.populate());
    expect(await Out.count()).toBe(60);
    // Sized by the makes' own time (2 ms of make() a transaction on SQLite, 20 ms of CPU on a server).
    expect(quick).toBeLessThan(60);
    // Makes that wait (here 120 ms each) keep a transaction each: shared ones stay open ≤ 100 ms.
    await setUp(3);
    makeSleepMs = 120;
    expect(await transactionsOf(() => Out.populate())).toBe(3);
    await setUp(60);
    expect(await transactionsOf(() => Out.populate({ keysPerTransaction: 1 }))).toBe(60);
  });

  it('a make failed by a deadlock is made again, not recorded as an error', async () => {
    await setUp(4);
    deadlockOnce = new Set([2]);
    const result = await Out.populate({ reserveJobs: true, keysPerTransaction: 1, suppressErrors: true });
    expect(result).toEqual({ successCount: 4, errors: [] });
    expect(calls.get(2)).toBe(2);
    expect(await Out.jobs().list()).toEqual([]);
    expect(await Out.Piece.count()).toBe(8);
  });
});

describe('keysPerSharedTransaction', () => {
  it('shares about the given make() time a transaction, one key until a make is timed, 32 at most', () => {
    expect(keysPerSharedTransaction(undefined, 20)).toBe(1);
    expect(keysPerSharedTransaction(30, 20)).toBe(1);
    expect(keysPerSharedTransaction(5, 20)).toBe(4);
    expect(keysPerSharedTransaction(5, 2)).toBe(1);
    expect(keysPerSharedTransaction(0.5, 2)).toBe(4);
    expect(keysPerSharedTransaction(0.5, 20)).toBe(32);
    expect(keysPerSharedTransaction(0, 2)).toBe(32);
  });
});
