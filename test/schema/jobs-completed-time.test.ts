import 'reflect-metadata';
import { afterAll, describe, expect, it } from 'vitest';
import { Computed, Connection, Manual, Schema } from '../../src/index.js';
import { dialects, schemaName } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

// Completion is written inside make's transaction, where PostgreSQL's CURRENT_TIMESTAMP is the
// transaction's start: completed_time must still be when make ended, as DataJoint's is.
describe.each(dialects)('completed_time of a kept success row on $name', (dialect) => {
  const schema = new Schema(schemaName(`jobs_completed_${dialect.name}`), { connection: dialect.url('jobs_completed') });
  @schema class Key extends Manual { static override definition = 'k: int32'; }
  @schema class Slow extends Computed {
    static override definition = '-> Key';
    async make(key: Record<string, unknown>): Promise<void> {
      await new Promise((r) => setTimeout(r, 1500));
      await this.insert1({ k: key.k });
    }
  }

  it('is when make finished: at least its duration after reserved_time', async () => {
    await schema.drop({ force: true });
    await Key.insert1({ k: 1 });
    await Slow.populate({ reserveJobs: true, keepCompleted: true });
    const [job] = await Slow.jobs().list('success');
    const ms = (t: string | null): number => Date.parse(`${String(t).replace(' ', 'T')}${/Z$/.test(String(t)) ? '' : 'Z'}`);
    expect(job!.duration!).toBeGreaterThanOrEqual(1.4);
    expect(ms(job!.completedTime) - ms(job!.reservedTime)).toBeGreaterThanOrEqual(1400);
    await schema.drop({ force: true });
  });
});
