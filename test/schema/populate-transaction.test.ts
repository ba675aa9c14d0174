import 'reflect-metadata';
import { afterAll, describe, expect, it } from 'vitest';
import { Computed, Connection, Manual, Part, PopulateError, Schema } from '../../src/index.js';
import { dialects, schemaName } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

describe.each(dialects)('populate and outer transactions on $name', (dialect) => {
  const schema = new Schema(schemaName(`populate_txn_${dialect.name}`), { connection: dialect.url('populate_txn') });
  let failOn: number | undefined;
  @schema class Key extends Manual<{ k: number }> { static override definition = 'k: int32'; }
  @schema class Out extends Computed<{ k: number; v: number }> {
    static override definition = '-> Key\n---\nv: int32';
    static Bit = class extends Part<{ k: number; b: number }> { static override definition = '-> master\nb: int8'; };
    async make(key: { k: number }): Promise<void> {
      await this.insert1({ k: key.k, v: key.k });
      if (key.k === failOn) throw new Error('boom');
      await Out.Bit.insert1({ k: key.k, b: 1 } as never);
    }
  }

  it('populate refuses to run inside a transaction, and writes nothing', async () => {
    await schema.drop({ force: true });
    await Key.insert([{ k: 1 }, { k: 2 }, { k: 3 }]);
    failOn = 2;
    const inside = schema.connection.transaction(() => Out.populate({ suppressErrors: true }));
    await expect(inside).rejects.toThrow(PopulateError);
    await expect(inside).rejects.toThrow(/inside a transaction.*outside connection\.transaction\(\)/s);
    expect(await Out.count()).toBe(0);
    // Outside a transaction key 2 fails whole: no master row without its part.
    const result = await Out.populate({ suppressErrors: true });
    expect(result.successCount).toBe(2);
    expect((await Out.query().orderBy('k').fetch()).map((r) => r.k)).toEqual([1, 3]);
    expect(await Out.Bit.count()).toBe(2);
    failOn = undefined;
  });
});
