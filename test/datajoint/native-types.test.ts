import 'reflect-metadata';
import { afterAll, describe, expect, it } from 'vitest';
import { Connection, Manual, Schema, resolveType, virtualSchema } from '../../src/index.js';
import { freshDatabase, inspect, mysqlUrl } from '../setup/datajoint-fixtures.js';
import { dialects, schemaName } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

const onMysql = dialects.some((d) => d.name === 'mysql');
const long = 'é'.repeat(40_000);
const row = {
  id: 1, lt: long, mt: 'medium', tt: 'tiny', tx: 'text', yr: 2024, bits: Buffer.from([0x0a, 0xbc]), tags: 'a,c',
  fixed: Buffer.from([1, 2, 0, 0]), var: Buffer.from([0, 255]), dp: 0.1, wide: 0.1, doc: { x: [1, null] }, en: 'y',
  att: { filename: 'a.bin', content: Buffer.from([0, 1, 2]) }, att2: { filename: 'b', content: Buffer.alloc(0) },
};

function plain(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v instanceof Uint8Array ? [...v]
    : v !== null && typeof v === 'object' && 'content' in v ? { ...(v as object), content: [...(v as { content: Uint8Array }).content] } : v]));
}

describe('MySQL native types and DataJoint-only types', () => {
  it('resolve as MySQL stores them', () => {
    expect(resolveType('longtext')).toMatchObject({ category: 'string', mysql: 'longtext', sqlite: 'TEXT', marker: undefined });
    expect(resolveType('year')).toMatchObject({ category: 'integer', mysql: 'year' });
    expect(resolveType('bit(12)')).toMatchObject({ category: 'bytes', mysql: 'bit(12)', length: 2, fixedLength: true });
    expect(resolveType("set('a','b')")).toMatchObject({ category: 'string', mysql: "set('a','b')" });
    expect(resolveType('binary(4)')).toMatchObject({ category: 'bytes', mysql: 'binary(4)', fixedLength: true });
    expect(resolveType('varbinary(8)')).toMatchObject({ category: 'bytes', mysql: 'varbinary(8)', fixedLength: false });
    expect(resolveType('double precision')).toMatchObject({ category: 'float', mysql: 'double' });
    expect(resolveType('float(30)')).toMatchObject({ category: 'float', mysql: 'double' });
    expect(resolveType('attach')).toMatchObject({ category: 'attach', mysql: 'longblob', marker: 'attach' });
    expect(resolveType('<attach>')).toMatchObject({ category: 'attach', mysql: 'longblob', marker: '<attach>' });
    expect(resolveType('blob@raw')).toMatchObject({ category: 'unsupported', store: 'raw', marker: 'blob@raw' });
    expect(resolveType('<blob@>')).toMatchObject({ category: 'unsupported', marker: '<blob@>' });
    expect(resolveType('<npy@cold>')).toMatchObject({ category: 'unsupported', store: 'cold' });
    expect(resolveType('geometry')).toMatchObject({ category: 'unsupported' });
    expect(resolveType('varchar(16)')).toMatchObject({ marker: undefined, dj2Marker: 'varchar(16)' });
    expect(resolveType('longblob')).toMatchObject({ marker: undefined, dj2Marker: '<blob>' });
    expect(resolveType('int32 auto_increment')).toMatchObject({ marker: 'int32', autoIncrement: true });
  });
});

describe.each(dialects)('native types declared by rg-schema, on $name', (dialect) => {
  it('round-trip every value', async () => {
    const schema = new Schema(schemaName(`native_${dialect.name}`), { connection: dialect.url('native') });
    await schema.drop({ force: true });
    @schema class Thing extends Manual {
      static override definition = `
        id: int
        ---
        lt: longtext
        mt: mediumtext
        tt: tinytext
        tx: text
        yr: year
        bits: bit(12)
        tags: set('a','b','c')
        fixed: binary(4)
        var: varbinary(8)
        dp: double precision
        wide: float(30)
        doc: json
        en: enum('x','y')
        att: attach
        att2 = null : attach
      `;
    }
    await Thing.insert1(row);
    expect(plain(await Thing.fetch1())).toEqual(plain(row));
    await expect(Thing.insert1({ ...row, id: 2, fixed: Buffer.from([1]) })).rejects.toThrow(/Thing\.fixed must be exactly 4 bytes/);
    await expect(Thing.insert1({ ...row, id: 2, var: Buffer.alloc(9) })).rejects.toThrow(/Thing\.var must be at most 8 bytes/);
    await expect(Thing.insert1({ ...row, id: 2, att: Buffer.from('x') })).rejects.toThrow(/Thing\.att must be \{ filename, content \}/);
    if (dialect.name === 'mysql') {
      const columns = await inspect(async (c) => (await c.query<import('mysql2').RowDataPacket[]>(
        'SELECT COLUMN_NAME n, COLUMN_TYPE t, COLUMN_COMMENT cm FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [schema.database, 'thing']))[0]);
      expect(columns.map((c) => `${c.n} ${c.t}${c.cm ? ` ${c.cm}` : ''}`)).toEqual([
        'id int(11)', 'lt longtext', 'mt mediumtext', 'tt tinytext', 'tx text', 'yr year(4)', 'bits bit(12)', "tags set('a','b','c')",
        'fixed binary(4)', 'var varbinary(8)', 'dp double', 'wide double', 'doc longtext', "en enum('x','y')", 'att longblob :attach:', 'att2 longblob :attach:',
      ]);
    }
    await schema.drop({ force: true });
  });
});

describe.runIf(onMysql)('native types of a table another tool created, opened virtually', () => {
  it('read what was written there, and write what it reads', async () => {
    const database = 'rgt_native_raw';
    await freshDatabase(database);
    await inspect((c) => c.query(`CREATE TABLE \`${database}\`.thing (
      id int NOT NULL, lt longtext, mt mediumtext, tt tinytext, tx text, yr year, bits bit(12), tags set('a','b','c'),
      fixed binary(4), var varbinary(8), dp double precision, wide float(30), doc json, en enum('x','y'),
      PRIMARY KEY (id))`));
    await inspect((c) => c.query(`INSERT INTO \`${database}\`.thing VALUES (1, ?, 'medium', 'tiny', 'text', 2024, b'101010111100', 'c,a', x'01020000', x'00ff', 0.1, 0.1, '{"x": [1, null]}', 'y')`, [long]));
    const lab = await virtualSchema(database, { connection: mysqlUrl });
    const thing = lab.table('Thing');
    expect(thing.info.definition).toBe([
      'id : int', '---', 'lt = null : longtext', 'mt = null : mediumtext', 'tt = null : tinytext', 'tx = null : text', 'yr = null : year',
      'bits = null : bit(12)', "tags = null : set('a','b','c')", 'fixed = null : binary(4)', 'var = null : varbinary(8)', 'dp = null : double',
      'wide = null : double', 'doc = null : json', "en = null : enum('x','y')", '',
    ].join('\n'));
    const { att: _a, att2: _b, ...columns } = row;
    expect(plain(await thing.fetch1())).toEqual(plain(columns));
    await thing.insert1({ ...columns, id: 2 });
    const [back] = await inspect(async (c) => (await c.query<import('mysql2').RowDataPacket[]>(`SELECT yr, HEX(bits) AS bits, tags, HEX(fixed) AS fixed, CONCAT(doc) AS doc FROM \`${database}\`.thing WHERE id = 2`))[0]);
    expect({ ...back }).toEqual({ yr: 2024, bits: 'ABC', tags: 'a,c', fixed: '01020000', doc: '{"x":[1,null]}' });
    await inspect((c) => c.query(`DROP DATABASE \`${database}\``));
  });
});
