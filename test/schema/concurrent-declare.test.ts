import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Connection, Schema } from '../../src/index.js';
import { dialects, schemaName } from '../setup/dialects.js';

const fixture = path.resolve('test/fixtures/declare-race.ts');

function declare(env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), fixture], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe.each(dialects)('declaring one new schema from several processes at once on $name', (dialect) => {
  it('every process succeeds, three rounds in a row, and the tables and contents exist once; so do processes opening it together afterwards', async () => {
    for (let round = 0; round < 3; round++) {
      const url = dialect.name === 'sqlite' ? `sqlite://${path.join(mkdtempSync(path.join(tmpdir(), 'rg-race-')), 'race.sqlite')}` : dialect.url('race');
      const name = schemaName(`declare_race_${dialect.name}`);
      const schema = new Schema(name, { connection: url });
      await schema.drop({ force: true });
      const env = { ...process.env, RG_DB_URL: url, RG_TEST_SCHEMA: name, DJ_HOST: '' };
      const results = await Promise.all(Array.from({ length: 4 }, () => declare(env)));
      for (const r of results) {
        expect(r.output).toContain('OK 4');
        expect(r.code).toBe(0);
      }
      expect((await schema.listTables()).sort()).toEqual(['#kind', 'animal', 'visit', 'visit__note']);
      const connection = schema.connection;
      const [{ n }] = await connection.query<{ n: number | bigint }>(`SELECT count(*) AS n FROM ${connection.dialect.tableRef(schema.database, '#kind')}`) as [{ n: number | bigint }];
      expect(Number(n)).toBe(2);
      // Workers starting together on the schema that now exists: each inserts the Lookup's
      // contents again (skipping what is there), and none may fail.
      const again = await Promise.all(Array.from({ length: 6 }, () => declare(env)));
      for (const r of again) {
        expect(r.output).toContain('OK 4');
        expect(r.code).toBe(0);
      }
      await schema.drop({ force: true });
    }
    await Connection.closeAll();
  }, 180_000);
});
