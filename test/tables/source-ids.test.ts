import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/index.js';
import * as rgc from '../../src/pipeline.js';
import { dialects } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

const session = { subject_name: 'M', sample_number: 1, session_date: '2020-01-01', stimulations: [{
  fps: 60, n_frames: 2, pixel_size: 8.3, stim_height: 10, stim_width: 10, stimulus_onset: 0, x_block_size: 5, y_block_size: 10,
  movie: [[[1, -1]]], spikes: [[0.01]],
}] };

describe('DataSource ids', () => {
  it('hold no secret: the same source has the same id with and without its password', () => {
    const withPassword = rgc.sourceId({ type: 'database/mysql', access: 'mysql://me:hunter2@db/lab' });
    expect(withPassword).toBe(rgc.sourceId({ type: 'database/mysql', access: 'mysql://me@db/lab' }));
    expect(withPassword).not.toBe(rgc.sourceId({ type: 'database/mysql', access: 'mysql://me@db/other' }));
    // Ids of sources without credentials are what they were before (no migration for them).
    const entry = { type: 'file/pickle', access: '/data/ret1_data.pkl', access2: '' };
    expect(rgc.sourceId(entry)).toBe(createHash('sha256').update(JSON.stringify(['file/pickle', '/data/ret1_data.pkl', ''])).digest('hex').slice(0, 16));
  });
});

describe.each(dialects)('migrating ids stored before on $name', (dialect) => {
  it('renames ids derived from a password; sessions follow through the foreign key', async () => {
    rgc.pipeline.configure({ connection: dialect.url('source-ids'), prefix: `rgt_ids_${dialect.name}_` });
    await rgc.pipeline.drop({ force: true });
    const server = createServer((_, res) => res.end(JSON.stringify([session])));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const access = `http://me:hunter2@127.0.0.1:${(server.address() as AddressInfo).port}/data.json`;
    try {
      const summary = await rgc.loadManifest([{ type: 'http/json', access }]);
      expect(summary.sources[0]!.status).toBe('loaded');
      const id = rgc.sourceId({ type: 'http/json', access });
      // What 0.1 stored: the hash of the entry with its password.
      const old = createHash('sha256').update(JSON.stringify(['http/json', access, null])).digest('hex').slice(0, 16);
      const connection = rgc.DataSource.query().connection;
      await connection.run(`UPDATE ${rgc.DataSource.fullTableName} SET source_id = ? WHERE source_id = ?`, [old, id]);
      expect((await rgc.Session.fetch('source_id')).map((r) => r.source_id)).toEqual([old]);
      expect(await rgc.migrateSourceIds()).toBe(1);
      expect((await rgc.DataSource.fetch('source_id')).map((r) => r.source_id)).toEqual([id]);
      expect((await rgc.Session.fetch('source_id')).map((r) => r.source_id)).toEqual([id]);
      expect(await rgc.migrateSourceIds()).toBe(0);
      // Loading again finds the source under its new id: unchanged, not loaded twice.
      expect((await rgc.loadManifest([{ type: 'http/json', access }])).sources[0]!.status).toBe('unchanged');
    } finally {
      server.close();
      await rgc.pipeline.drop({ force: true });
    }
  });
});
