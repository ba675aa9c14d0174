import 'reflect-metadata';
import { afterAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/index.js';
import { KEY_BUDGET, LocalKeyBudget, type KeyBudget } from '../../src/schema/populate/key-budget.js';
import { dialects, schemaName, servers, type TestDialect } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

type Pipeline = typeof import('../fixtures/jobs-pipeline.js');

/** A worker process's budget as it behaves: every answer a few milliseconds later, over IPC. */
class SlowBudget implements KeyBudget {
  readonly events: string[] = [];
  constructor(private readonly local: LocalKeyBudget) {}
  async take(wanted: number): Promise<number> {
    await new Promise((r) => setTimeout(r, 3));
    const granted = this.local.takeNow(wanted);
    this.events.push(`take ${wanted} -> ${granted}`);
    return granted;
  }
  giveBack(count: number): void {
    this.events.push(`give back ${count}`);
    this.local.giveBack(count);
  }
}

/** The jobs fixture on the dialect's database, emptied, with items 1000… (the broken ones left out). */
async function setUp(dialect: TestDialect, items: number): Promise<Pipeline> {
  process.env.RG_DB_URL = dialect.url('populate-key-budget');
  process.env.RG_TEST_SCHEMA = schemaName(`key_budget_${dialect.name}`);
  // A module instance per backend, so its schema connects to the database named above.
  const m = (await import(/* @vite-ignore */ `../fixtures/jobs-pipeline.js?key-budget-${dialect.name}`)) as Pipeline;
  await m.schema.drop({ force: true });
  await m.Item.insert(Array.from({ length: items }, (_, i) => ({ item_id: 1000 + i })).filter((r) => !m.broken(r.item_id)));
  return m;
}

// The populate of one process of populate({ workers }) with the budget its parent shares out
// (key-budget.ts): what it takes, gives back, and makes.
describe.each(dialects)('a populate that shares a key budget, on $name', (dialect: TestDialect) => {
  it('a jobGroup claim gives back what it did not claim at once, before its keys are made', async () => {
    const m = await setUp(dialect, 40);
    const budget = new SlowBudget(new LocalKeyBudget(100));
    const made: string[] = [];
    const result = await m.Pair.populate({
      reserveJobs: true, batch: 1_000_000, maxCalls: 100, [KEY_BUDGET]: budget,
      onKey: () => { if (made.length === 0) made.push(`first key made after: ${budget.events.join(', ')}`); },
    } as never);
    // Three lanes of 39 items: the first claim asks for all 100, gets one lane's 39, and gives 61
    // back before it makes any of them (other processes claim the next lanes meanwhile).
    expect(made).toEqual(['first key made after: take 100 -> 100, give back 61']);
    expect(result.successCount).toBe(100);
    expect(budget.events).toEqual(['take 100 -> 100', 'give back 61', 'take 61 -> 61', 'give back 22', 'take 22 -> 22']);
    expect(await m.Pair.count()).toBe(100);
    expect(await m.MakeCall.count()).toBe(100);
  }, 60_000);

  it('keys made meanwhile elsewhere go back: the budget counts make() calls', async () => {
    const m = await setUp(dialect, 12);
    await m.Work.jobs().refresh();
    // Made by "another process" after the jobs were refreshed: the claim finds them made.
    await m.Work.insert([1000, 1001].map((item_id) => ({ item_id, value: 0, worker: 'elsewhere' })), { allowDirectInsert: true });
    const budget = new SlowBudget(new LocalKeyBudget(5));
    const result = await m.Work.populate({ reserveJobs: true, refresh: false, batch: 12, [KEY_BUDGET]: budget } as never);
    expect(result.successCount).toBe(5);
    expect(await m.MakeCall.count()).toBe(5);
    expect(budget.events).toContain('give back 2');
  }, 60_000);

});

// Several lanes of one process (concurrency), on the servers that run them.
describe.each(servers)('populate({ concurrency }) and its cap, on $name', (dialect: TestDialect) => {
  it('lanes never make more than maxCalls between them', async () => {
    const m = await setUp(dialect, 60);
    const result = await m.Work.populate({ reserveJobs: true, concurrency: 4, maxCalls: 6 });
    expect(result.successCount).toBe(6);
    expect(await m.MakeCall.count()).toBe(6);
  }, 60_000);

  it('with listed keys, lanes waiting for the budget never take a key past the list', async () => {
    const m = await setUp(dialect, 3);
    const budget = new SlowBudget(new LocalKeyBudget(10));
    const result = await m.Work.populate('item_id > 0', { reserveJobs: true, concurrency: 4, [KEY_BUDGET]: budget } as never);
    expect(result).toMatchObject({ successCount: 3, errors: [] });
    expect(await m.MakeCall.count()).toBe(3);
  }, 60_000);
});
