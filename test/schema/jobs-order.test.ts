/**
 * A table's jobOrder: the order in which a claim hands its keys out within a jobGroup, on every
 * backend (the claim's ORDER BY, and the order RETURNING's rows are put back in).
 */
import 'reflect-metadata';
import { afterAll, describe, expect, it } from 'vitest';
import { Computed, Connection, Manual, PopulateError, Schema } from '../../src/index.js';
import { dialects, schemaName } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

describe.each(dialects)('jobOrder on $name', (dialect) => {
  const schema = new Schema(schemaName(`jobs_order_${dialect.name}`), { connection: dialect.url('jobs_order') });
  const made: Array<[number, number]> = [];
  @schema class Cell extends Manual<{ g: number; n: number }> { static override definition = 'g: int32\nn: int32'; }
  @schema class Sta extends Computed<{ g: number; n: number; v: number }> {
    static override definition = '-> Cell\n---\nv: int32';
    static override jobGroup = ['g'];
    static override jobOrder = ['n DESC'];
    async make(key: { g: number; n: number }): Promise<void> {
      made.push([Number(key.g), Number(key.n)]);
      await this.insert1({ ...key, v: 1 });
    }
  }

  it('hands a group\'s keys out in the order it names (n descending), the groups in theirs', async () => {
    await schema.drop({ force: true });
    made.length = 0;
    await Cell.insert([0, 1].flatMap((g) => [0, 1, 2, 3, 4].map((n) => ({ g, n }))));
    await Sta.jobs().refresh();
    expect((await Sta.populate({ reserveJobs: true, batch: 3 })).successCount).toBe(10);
    expect(made).toEqual([[0, 4], [0, 3], [0, 2], [0, 1], [0, 0], [1, 4], [1, 3], [1, 2], [1, 1], [1, 0]]);
  });

  it('refuses a name outside the jobs\' key, saying which names it takes', async () => {
    const jobOrder = Sta.jobOrder;
    Sta.jobOrder = ['v DESC'];
    try {
      await expect(Sta.populate({ reserveJobs: true })).rejects.toThrow(PopulateError);
      await expect(Sta.populate({ reserveJobs: true })).rejects.toThrow(/jobOrder names "v DESC".*g, n/);
    } finally {
      Sta.jobOrder = jobOrder;
    }
  });
});
