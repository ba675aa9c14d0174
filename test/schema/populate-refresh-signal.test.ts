/**
 * populate()'s options for a long-running worker: `refresh: false` takes the jobs table as it is,
 * `onKey` hears every key's outcome, and `signal` stops between keys, giving the keys claimed but
 * not started back as pending.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { Computed, Connection, Manual, Schema } from '../../src/index.js';
import { dialects, schemaName, type TestDialect } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

const N = 12;

function pipeline(url: string) {
  const schema = new Schema(schemaName('populate-refresh-signal'), { connection: url });
  @schema class Src extends Manual<{ k: number }> {
    static override definition = 'k: int';
  }
  @schema class Out extends Computed<{ k: number; v: number }> {
    static override definition = '-> Src\n---\nv: int';
    async make(key: { k: number }): Promise<void> {
      if (key.k === 4) throw new Error('key 4 fails on purpose');
      await this.insert1({ k: key.k, v: key.k * 2 });
    }
  }
  return { schema, Src, Out };
}

async function statuses(p: ReturnType<typeof pipeline>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const job of await p.Out.jobs().list()) counts[job.status] = (counts[job.status] ?? 0) + 1;
  return counts;
}

describe.each(dialects)('populate options for workers on $name', (dialect: TestDialect) => {
  let p: ReturnType<typeof pipeline>;
  beforeEach(async () => {
    p = pipeline(dialect.url('populate-refresh-signal'));
    await p.schema.drop({ force: true });
    await p.Src.insert(Array.from({ length: N }, (_, k) => ({ k })));
  });

  it('refresh: false makes only the pending jobs there are, and onKey hears each key', async () => {
    expect(await p.Out.populate({ reserveJobs: true, refresh: false })).toEqual({ successCount: 0, errors: [] });
    expect(await p.Out.jobs().list()).toEqual([]);
    await p.Out.jobs().refresh();
    await p.Src.insert([{ k: 100 }]);
    const heard: Array<[number, string]> = [];
    const result = await p.Out.populate({
      reserveJobs: true, refresh: false, suppressErrors: true,
      onKey: (key, outcome) => heard.push([Number(key.k), outcome === 'done' ? 'done' : outcome.message]),
    });
    expect(result.successCount).toBe(N - 1);
    expect(heard).toEqual(Array.from({ length: N }, (_, k) => [k, k === 4 ? 'key 4 fails on purpose' : 'done']));
    // Key 100 came after the refresh: no job, so not made.
    expect(await p.Out.count()).toBe(N - 1);
    expect(await statuses(p)).toEqual({ error: 1 });
  });

  it('signal stops between keys and gives the keys claimed but not started back', async () => {
    await p.Out.jobs().refresh();
    const stop = new AbortController();
    let heard = 0;
    // A claim of several keys: the batch is set, so the first claim takes 8 of them.
    const result = await p.Out.populate({
      reserveJobs: true, batch: 8, keysPerTransaction: 1, suppressErrors: true, signal: stop.signal,
      onKey: () => { if (++heard === 3) stop.abort(); },
    });
    expect(result.successCount).toBe(3);
    expect(await p.Out.count()).toBe(3);
    expect(await statuses(p)).toEqual({ pending: N - 3 });
  });
});
