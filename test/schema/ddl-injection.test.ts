/**
 * Every quoted place of the DDL (enum values, defaults, column and table comments, names) with
 * quotes and backslashes: the table gets exactly the columns declared, and reads back exactly the
 * values written, on every dialect.
 */
import 'reflect-metadata';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { Connection, Manual, Schema } from '../../src/index.js';
import { keepBackslashEscapes } from '../../src/schema/connection/config.js';
import { dialects, schemaName } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

// Each value ends in a backslash or holds quotes: written naively into MySQL, `'a\'` would swallow
// its closing quote and the rest of the line would become SQL (here: an extra column).
const nasty = ['a\\', "b'", 'c\\\', `pwned` int, x enum(\'', 'd"\\"', '\\\\'];
const enumSpelled = nasty.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ');
const defaultValue = nasty[2]!;
const columnComment = "it's a \\' trap \\";
const tableComment = "table \\' comment, `x` int) -- \\";

describe.each(dialects)('DDL literals on $name', (dialect) => {
  it('declares exactly the columns written, with exactly the values written', async () => {
    const schema = new Schema(schemaName(`ddl_injection_${dialect.name}`), { connection: dialect.url('ddl-injection') });
    await schema.drop({ force: true });
    @schema
    class Trap extends Manual {
      static override definition = `
        # ${tableComment}
        id: int
        ---
        kind = '${defaultValue.replace(/'/g, "''")}' : enum(${enumSpelled})   # ${columnComment}
        note = "x\\""" : varchar(32)   # a default is literal; a doubled quote is one quote
      `;
    }
    @schema
    class Tr$Ünïcode extends Manual {
      static override definition = `
        id: int
      `;
    }
    await schema.activate();
    const [table] = (await schema.catalog()).filter((t) => t.name === 'trap');
    expect(table!.attributes.map((a) => a.name)).toEqual(['id', 'kind', 'note']);
    expect(table!.attributes[1]!.type?.enumValues).toEqual(nasty);
    expect(table!.attributes[1]!.comment).toBe(columnComment);
    expect(table!.comment).toBe(tableComment);
    for (const [i, value] of nasty.entries()) await Trap.insert1({ id: i, kind: value });
    await Trap.insert1({ id: 99 });
    const rows = await Trap.orderBy('id').fetch();
    expect(rows.map((r) => r.kind)).toEqual([...nasty, defaultValue]);
    expect(rows.at(-1)!.note).toBe('x\\"');
    await expect(Trap.insert1({ id: 100, kind: 'pwned' })).rejects.toThrow();
    expect(await Tr$Ünïcode.count()).toBe(0);
    // Declared again, it matches the catalog (no false mismatch from the escaping).
    const again = new Schema(schema.name, { connection: dialect.url('ddl-injection') });
    const definition = (Trap as unknown as { definition: string }).definition;
    again.declare(class Trap extends Manual { static override definition = definition; });
    await expect(again.activate()).resolves.toBeUndefined();
    await schema.drop({ force: true });
  });
});

describe.runIf(dialects.some((d) => d.name === 'mysql'))('MySQL sessions', () => {
  it('never run in NO_BACKSLASH_ESCAPES, under which escaped backslashes would read as two characters', async () => {
    const url = new URL(dialects.find((d) => d.name === 'mysql')!.url('x'));
    const raw = await mysql.createConnection({ host: url.hostname, port: Number(url.port), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) });
    await raw.query("SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',NO_BACKSLASH_ESCAPES')");
    expect(((await raw.query('SELECT @@SESSION.sql_mode AS m')) as unknown as Array<Array<{ m: string }>>)[0]![0]!.m).toContain('NO_BACKSLASH_ESCAPES');
    await new Promise<void>((resolve, reject) => keepBackslashEscapes((raw as unknown as { connection: Parameters<typeof keepBackslashEscapes>[0] }).connection, (e) => (e ? reject(e) : resolve())));
    const [rows] = (await raw.query("SELECT @@SESSION.sql_mode AS m, 'a\\\\' AS s")) as unknown as [Array<{ m: string; s: string }>];
    const row = rows[0];
    expect(row!.m).not.toContain('NO_BACKSLASH_ESCAPES');
    expect(row!.m).toContain('STRICT_TRANS_TABLES');
    expect(row!.s).toBe('a\\');
    await raw.end();
    // Pooled connections get the same treatment.
    const connection = Connection.for((await import('../../src/index.js')).resolveConnectionSpec({ connection: url.toString() }));
    const [mode] = await connection.query<{ m: string }>('SELECT @@SESSION.sql_mode AS m');
    expect(mode!.m).not.toContain('NO_BACKSLASH_ESCAPES');
  });
});
