import 'reflect-metadata';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Computed, Connection, Manual, Schema } from '../../src/index.js';
import { dialects, schemaName } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

/**
 * What jobs add to each key, statement by statement: the claim (one per batch), one query for the
 * batch's keys made elsewhere, and inside make's transaction one write that both ends the job and
 * checks the reservation. No locking read of the jobs row, no per-key existence check.
 */
describe.each(dialects)('the statements jobs add per key on $name', (dialect) => {
  const schema = new Schema(schemaName(`jobs_statements_${dialect.name}`), { connection: dialect.url('jobs_statements') });
  @schema class Key extends Manual<{ k: number }> { static override definition = 'k: int32'; }
  let makeSleepMs = 0;
  @schema class Out extends Computed<{ k: number; v: number }> {
    static override definition = '-> Key\n---\nv: int32';
    async make(key: { k: number }): Promise<void> {
      if (makeSleepMs > 0) await new Promise((r) => setTimeout(r, makeSleepMs));
      await this.insert1({ k: key.k, v: key.k * 2 });
    }
  }
  const claimsIn = (statements: string[]): string[] => statements.filter((s) => s.includes('~~out') && /ORDER BY \W?priority\W?[^)]* LIMIT \d+/.test(s));

  /** The SQL of every query() and run() of the schema's connection while `work` runs, in order. */
  async function traced(work: () => Promise<unknown>): Promise<string[]> {
    const c = schema.connection;
    const query = vi.spyOn(c, 'query');
    const run = vi.spyOn(c, 'run');
    try {
      await work();
      const calls = [...query.mock.calls.map((call, i) => [query.mock.invocationCallOrder[i]!, call[0]] as const),
        ...run.mock.calls.map((call, i) => [run.mock.invocationCallOrder[i]!, call[0]] as const)];
      return calls.sort((a, b) => a[0] - b[0]).map(([, sql]) => sql);
    } finally {
      query.mockRestore();
      run.mockRestore();
    }
  }

  it.each([1, 4])('batch %i: one claim per batch, one made-elsewhere query per claim, one job write per key', async (batch) => {
    await schema.drop({ force: true });
    await Key.insert(Array.from({ length: 8 }, (_, i) => ({ k: i + 1 })));
    await Out.jobs().refresh();
    // A key made by someone else after it was listed: its job ends without a make.
    await Out.insert1({ k: 3, v: 6 }, { allowDirectInsert: true });
    const statements = await traced(() => Out.populate({ reserveJobs: true, batch }));
    const jobs = statements.filter((s) => s.includes('~~out'));
    // A claim picks keys by priority with a LIMIT (in a SELECT, or inside its UPDATE … RETURNING).
    const claims = jobs.filter((s) => /ORDER BY \W?priority\W?[^)]* LIMIT \d+/.test(s));
    const held = jobs.filter((s) => /^\s*DELETE/.test(s) && /status\W+ = 'reserved'/.test(s) && s.includes('connection_id'));
    const lockingReads = jobs.filter((s) => /^\s*SELECT/.test(s) && /FOR UPDATE/.test(s) && !/SKIP LOCKED/.test(s));
    // Queries whose first FROM is the table itself (the refresh's listing reads keys FROM Key).
    const madeElsewhere = statements.filter((s) => /^\s*SELECT\b/.test(s) && (/\bFROM\s+(\S+)/.exec(s)?.[1] ?? '').includes('__out'));
    // 8 keys: 7 made, key 3 skipped; one more claim finds the queue empty.
    expect(await Out.count()).toBe(8);
    expect((await Out.query().orderBy('k').fetch()).map((r) => r.v)).toEqual([2, 4, 6, 8, 10, 12, 14, 16]);
    expect(held).toHaveLength(7);
    expect(lockingReads).toHaveLength(0);
    const claimCount = Math.ceil(8 / batch) + 1;
    expect(claims.length).toBe(claimCount);
    expect(madeElsewhere.length).toBe(Math.ceil(8 / batch));
    expect(await Out.jobs().list()).toEqual([]);
  });

  it('without a batch, quick makes share a claim among many keys, and slow ones claim one at a time', async () => {
    await schema.drop({ force: true });
    await Key.insert(Array.from({ length: 60 }, (_, i) => ({ k: i + 1 })));
    await Out.jobs().refresh();
    const quick = claimsIn(await traced(() => Out.populate({ reserveJobs: true })));
    expect(await Out.count()).toBe(60);
    // The first claim takes one key (nothing timed yet), later ones about 100 ms of make() each.
    expect(quick[0]).toMatch(/LIMIT 1\b/);
    expect(quick.some((s) => !/LIMIT 1\b/.test(s))).toBe(true);
    expect(quick.length).toBeLessThanOrEqual(20);
    await schema.drop({ force: true });
    await Key.insert([{ k: 1 }, { k: 2 }, { k: 3 }]);
    await Out.jobs().refresh();
    makeSleepMs = 120;
    try {
      const slow = claimsIn(await traced(() => Out.populate({ reserveJobs: true })));
      // Each make takes longer than a claim's worth: one key per claim, then the empty one.
      expect(slow).toHaveLength(4);
      expect(slow.every((s) => /LIMIT 1\b/.test(s))).toBe(true);
    } finally {
      makeSleepMs = 0;
    }
    expect(await Out.count()).toBe(3);
  });

  /** The rows each query() returned while `work` ran, in order, with its SQL. */
  async function rowsRead(work: () => Promise<unknown>): Promise<Array<{ sql: string; rows: number }>> {
    const query = vi.spyOn(schema.connection, 'query');
    try {
      await work();
      const results = await Promise.all(query.mock.results.map((r) => r.value as Promise<unknown[]>));
      return query.mock.calls.map((call, i) => ({ sql: call[0], rows: results[i]!.length }));
    } finally {
      query.mockRestore();
    }
  }

  it('a worker starting on a refreshed queue lists neither the jobs nor the keys to do before its first claim', async () => {
    await schema.drop({ force: true });
    await Key.insert(Array.from({ length: 50 }, (_, i) => ({ k: i + 1 })));
    await Out.jobs().refresh();
    const reads = await rowsRead(() => Out.populate({ reserveJobs: true }));
    const firstClaim = reads.findIndex((r) => r.sql.includes('~~out') && /ORDER BY \W?priority\W?[^)]* LIMIT \d+/.test(r.sql));
    expect(firstClaim).toBeGreaterThan(0);
    // Before it, of the jobs, the table and its keys (the schema's catalog aside): only the
    // question whether anything is to be added, which finds nothing. The old start read the 50
    // jobs, the 50 keys to do, and the 50 pending jobs.
    const ofKeys = reads.slice(0, firstClaim).filter((r) => /~~out|__out|key[`"]/.test(r.sql));
    expect(ofKeys.map((r) => r.rows)).toEqual(ofKeys.map(() => 0));
    expect(ofKeys.filter((r) => /LIMIT 1$/.test(r.sql))).toHaveLength(1);
    expect(await Out.count()).toBe(50);
  });

  it('a worker starting on a queue that lacks keys adds them (new keys, and finished jobs whose rows were deleted) and makes them', async () => {
    await schema.drop({ force: true });
    await Key.insert(Array.from({ length: 5 }, (_, i) => ({ k: i + 1 })));
    await Out.jobs().refresh();
    await Out.populate({ reserveJobs: true, keepCompleted: true });
    expect((await Out.jobs().list()).map((j) => j.status)).toEqual(Array(5).fill('success'));
    await Out.restrict({ k: 2 }).deleteQuick();
    await Key.insert1({ k: 6 });
    const { successCount } = await Out.populate({ reserveJobs: true, keepCompleted: true });
    expect(successCount).toBe(2);
    expect((await Out.query().orderBy('k').fetch()).map((r) => r.k)).toEqual([1, 2, 3, 4, 5, 6]);
    // Nothing to add now: the start's question finds nothing, and nothing is made again.
    expect((await Out.populate({ reserveJobs: true, keepCompleted: true })).successCount).toBe(0);
  });
});
