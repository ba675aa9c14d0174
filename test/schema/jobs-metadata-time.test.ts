import 'reflect-metadata';
import { afterAll, describe, expect, it } from 'vitest';
import { Computed, Connection, Manual, Schema } from '../../src/index.js';
import { dialects, schemaName } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

// DataJoint 2.3's _update_job_metadata writes datetime.fromtimestamp(start), the worker's local wall-clock time, so a mixed fleet on a
// machine not in UTC records start times hours apart.
describe.runIf(dialects.some((d) => d.name === 'mysql'))('_job_start_time as DataJoint writes it', () => {
  const url = dialects.find((d) => d.name === 'mysql')!.url('jobs-meta');
  it('is the local wall-clock time of the worker, as datetime.fromtimestamp gives it', async () => {
    const saved = process.env.TZ;
    process.env.TZ = 'Asia/Tokyo';
    try {
      const schema = new Schema(schemaName('jobs_meta_time'), { connection: url });
      @schema class Key extends Manual { static override definition = 'k: int32'; }
      @schema class Out extends Computed {
        static override definition = '-> Key';
        async make(key: Record<string, unknown>): Promise<void> { await this.insert1({ k: key.k }); }
      }
      await schema.drop({ force: true });
      await Key.insert1({ k: 1 });
      await schema.activate();
      const c = schema.connection;
      const table = c.dialect.tableRef(schema.database, '__out');
      await c.run(`ALTER TABLE ${table} ADD COLUMN _job_start_time datetime(3) NULL, ADD COLUMN _job_duration double NULL, ADD COLUMN _job_version varchar(64) DEFAULT ''`);
      const before = new Date();
      await Out.populate();
      const [row] = await c.query<{ t: string }>(`SELECT _job_start_time AS t FROM ${table}`);
      const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
      const local = `${before.getFullYear()}-${pad(before.getMonth() + 1)}-${pad(before.getDate())} ${pad(before.getHours())}`;
      expect(String(row!.t).slice(0, 13)).toBe(local);
      await schema.drop({ force: true });
    } finally {
      if (saved === undefined) delete process.env.TZ; else process.env.TZ = saved;
    }
  });
});
