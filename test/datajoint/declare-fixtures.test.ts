import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, Manual, Schema } from '../../src/index.js';
import { fixtureDatabase, freshDatabase, inspect, loadFixture, mysqlUrl, type Generation, type LoadedFixture } from '../setup/datajoint-fixtures.js';
import { dialects } from '../setup/dialects.js';
import { declareFixtureClasses } from './fixture-classes.js';

const onMysql = dialects.some((d) => d.name === 'mysql');

afterAll(() => Connection.closeAll());

/** Every table's SHOW CREATE TABLE, by name, with the database name taken out. */
async function createStatements(database: string): Promise<Record<string, string>> {
  return inspect(async (c) => {
    const [tables] = await c.query<import('mysql2').RowDataPacket[]>('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME', [database]);
    const out: Record<string, string> = {};
    for (const { t } of tables) {
      const [[row]] = await c.query<import('mysql2').RowDataPacket[]>(`SHOW CREATE TABLE \`${database}\`.\`${t}\``);
      out[t as string] = (row!['Create Table'] as string).replace(/ AUTO_INCREMENT=\d+/, '');
    }
    return out;
  });
}

describe.runIf(onMysql).each(['dj23', 'dj014'] as Generation[])('classes written like the %s fixture', (generation) => {
  let fixture: LoadedFixture;
  beforeAll(async () => {
    fixture = await loadFixture(generation);
  });
  afterAll(() => fixture?.release());

  it('pass the catalog check against the database DataJoint wrote, inherited key columns without markers included', async () => {
    const schema = new Schema(fixtureDatabase(generation), { connection: mysqlUrl, prefix: '' });
    const { Session } = declareFixtureClasses(schema, generation) as Record<string, typeof Manual>;
    await expect(schema.activate()).resolves.toBeUndefined();
    expect(await Session!.count()).toBe(3);
    const before = await createStatements(fixture.database);
    await schema.activate();
    expect(await createStatements(fixture.database)).toEqual(before);
  });

  it('declare, into an empty database, the very tables DataJoint declared: same SHOW CREATE TABLE, comments, markers, json and ~lineage', async () => {
    const database = `rgt_fresh_${generation}`;
    await freshDatabase(database);
    const schema = new Schema(database, { connection: mysqlUrl, prefix: '' });
    declareFixtureClasses(schema, generation);
    await schema.activate();
    const ours = await createStatements(database);
    const theirs = await createStatements(fixture.database);
    delete theirs['~log'];
    expect(Object.keys(ours)).toEqual(Object.keys(theirs));
    for (const table of Object.keys(theirs)) expect(`${table}: ${ours[table]}`).toBe(`${table}: ${theirs[table]}`);
    const lineage = (db: string) => inspect(async (c) => {
      const [rows] = await c.query<import('mysql2').RowDataPacket[]>(`SELECT table_name, attribute_name, lineage FROM \`${db}\`.\`~lineage\` ORDER BY table_name, attribute_name`);
      return rows.map((r) => [r.table_name, r.attribute_name, (r.lineage as string).replace(`${db}.`, '<db>.')]);
    });
    if (generation === 'dj23') expect(await lineage(database)).toEqual(await lineage(fixture.database));
    await schema.drop({ force: true });
  });
});
