import 'reflect-metadata';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { Computed, Connection, Manual, Schema } from '../../src/index.js';
import { dialects, schemaName } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

// On MariaDB, SUPER without PROCESS shows only the user's own threads in the process list: such a
// user must not judge other users' reservations stale (only PROCESS lets one see every connection).
describe.runIf(dialects.some((d) => d.name === 'mysql'))('releaseStale by a MariaDB user with SUPER but not PROCESS', () => {
  const root = dialects.find((d) => d.name === 'mysql')!.url('review-super');
  const name = schemaName('review_jobs_super');

  it('never releases a reservation whose connection is alive', async () => {
    const declare = (schema: Schema) => {
      @schema class Key extends Manual { static override definition = 'k: int32'; }
      @schema class Out extends Computed {
        static override definition = '-> Key';
        async make(): Promise<void> {}
      }
      return { Key, Out };
    };
    const admin = new Schema(name, { connection: root });
    const { Key, Out } = declare(admin);
    await admin.drop({ force: true });
    await Key.insert1({ k: 1 });
    await Out.jobs().declare();
    const c = admin.connection;
    await c.run("DROP USER IF EXISTS 'rgt_jobs_super'@'%'");
    await c.run("CREATE USER 'rgt_jobs_super'@'%' IDENTIFIED BY 'super-pw'");
    await c.run(`GRANT ALL PRIVILEGES ON \`${admin.database}\`.* TO 'rgt_jobs_super'@'%'`);
    await c.run("GRANT SUPER ON *.* TO 'rgt_jobs_super'@'%'");
    // A live worker (root): its connection stays open while it "computes".
    const worker = await mysql.createConnection(root);
    try {
      const [[{ id }]] = (await worker.query('SELECT CONNECTION_ID() AS id')) as unknown as [[{ id: number }]];
      await worker.query(`INSERT INTO \`${admin.database}\`.\`~~out\` (k, status, priority, user, host, pid, connection_id) VALUES (1, 'reserved', 5, 'root@localhost', 'elsewhere', 1, ?)`, [id]);
      const url = new URL(root);
      const { Out: SuperOut } = declare(new Schema(name, { connection: `mysql://rgt_jobs_super:super-pw@${url.hostname}:${url.port}` }));
      expect(await SuperOut.jobs().releaseStale()).toBe(0);
      expect((await Out.jobs().list()).map((j) => j.status)).toEqual(['reserved']);
    } finally {
      await worker.end();
      await c.run("DROP USER IF EXISTS 'rgt_jobs_super'@'%'");
      await admin.drop({ force: true });
    }
  });
});
