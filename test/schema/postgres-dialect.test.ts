import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConnectionSpec, resolveType } from '../../src/index.js';
import { postgresPlaceholders } from '../../src/schema/connection/dialects/postgres/postgres-placeholders.js';
import { definitionTypeOf, enumTypeName, postgresColumnType, postgresMarker } from '../../src/schema/connection/dialects/postgres/postgres-types.js';
import { timeFromInterval } from '../../src/schema/connection/dialects/postgres/postgres-values.js';
import { createEnumType, indexName } from '../../src/schema/connection/dialects/postgres/postgres-ddl.js';
import { postgresDialect } from '../../src/schema/connection/dialects/postgres/postgres-dialect.js';

const connection = (spec: ReturnType<typeof resolveConnectionSpec>): Record<string, unknown> => spec.knexConfig.connection as Record<string, unknown>;

describe('PostgreSQL settings', () => {
  it('postgres:// and postgresql:// URLs: user, password, host, port and database, the password kept out of display', () => {
    const spec = resolveConnectionSpec({ connection: 'postgres://alice:s%40cret@db.lab.org:6543/lab', env: {} });
    expect([spec.dialect, spec.display, spec.knexConfig.client]).toEqual(['postgres', 'postgres://alice@db.lab.org:6543/lab', 'pg']);
    expect(connection(spec)).toMatchObject({ host: 'db.lab.org', port: 6543, user: 'alice', password: 's@cret', database: 'lab' });
    const defaults = resolveConnectionSpec({ connection: 'postgresql://db', env: { RG_DB_PASSWORD: 'from-env' } });
    expect([defaults.display, connection(defaults).password]).toEqual(['postgres://postgres@db:5432/postgres', 'from-env']);
    expect(resolveConnectionSpec({ env: { RG_DB_URL: 'postgres://u@h/x' }, cwd: tmpdir() }).display).toBe('postgres://u@h:5432/x');
    expect(resolveConnectionSpec({ connection: { client: 'pg', connection: { host: 'h' } }, env: {} }).dialect).toBe('postgres');
  });

  it("DataJoint 2's DJ_BACKEND=postgresql and database.backend / database.name choose PostgreSQL, port 5432 and database postgres by default", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-pg-settings-'));
    mkdirSync(path.join(dir, '.git'));
    expect(resolveConnectionSpec({ cwd: dir, env: { DJ_HOST: 'db', DJ_BACKEND: 'postgresql', DJ_USER: 'u' } }).display).toBe('postgres://u@db:5432/postgres');
    expect(resolveConnectionSpec({ cwd: dir, env: { DJ_HOST: 'db', DJ_BACKEND: 'postgresql', DJ_DATABASE_NAME: 'lab' } }).display).toBe('postgres://postgres@db:5432/lab');
    writeFileSync(path.join(dir, 'datajoint.json'), JSON.stringify({ database: { host: 'pg.lab', backend: 'postgresql', name: 'science', port: 5433 } }));
    const spec = resolveConnectionSpec({ cwd: dir, env: {} });
    expect([spec.dialect, spec.display]).toEqual(['postgres', 'postgres://postgres@pg.lab:5433/science']);
    expect(resolveConnectionSpec({ cwd: dir, env: { DJ_BACKEND: 'mysql' } }).display).toBe('mysql://root@pg.lab:5433');
    expect(() => resolveConnectionSpec({ cwd: dir, env: { DJ_BACKEND: 'oracle' } })).toThrow(/asks for the oracle backend; rg-schema connects to MySQL\/MariaDB \(mysql\), PostgreSQL \(postgresql\) and SQLite/);
  });
});

describe('PostgreSQL placeholders', () => {
  it('turns ? into $n outside literals, quoted names, dollar quotes and comments', () => {
    expect(postgresPlaceholders('SELECT * FROM "t?" WHERE a = ? AND b = \'?\'\'?\' AND c = ?', 2)).toBe('SELECT * FROM "t?" WHERE a = $1 AND b = \'?\'\'?\' AND c = $2');
    expect(postgresPlaceholders("x = E'\\'?' AND y = ? -- ?\n AND z = ? /* ? */", 2)).toBe("x = E'\\'?' AND y = $1 -- ?\n AND z = $2 /* ? */");
    expect(postgresPlaceholders('DO $tag$ ? $tag$; SELECT ?, $$?$$', 1)).toBe('DO $tag$ ? $tag$; SELECT $1, $$?$$');
    expect(postgresPlaceholders("meta ? 'key'", 0)).toBe("meta ? 'key'");
    expect(() => postgresPlaceholders('a = ?', 2)).toThrow(/2 parameters for 1 placeholders/);
  });
});

describe('PostgreSQL types, as DataJoint 2 lays them out', () => {
  it('names enum types by the MD5 of the sorted values, as DataJoint does', () => {
    expect(enumTypeName(['M', 'F', 'U'])).toBe('enum_e54fc739');
    expect(enumTypeName(['pending', 'reserved', 'success', 'error', 'ignore'])).toBe('enum_609a743e');
    expect(createEnumType('lab', ["it's", 'b']).sql).toBe(`DO $rg$ BEGIN CREATE TYPE "lab"."${enumTypeName(["it's", 'b'])}" AS ENUM ('it''s','b'); EXCEPTION WHEN duplicate_object THEN NULL; END $rg$`);
    expect(createEnumType('lab', ['$rg$']).sql).toMatch(/^DO \$rg0\$ BEGIN .* END \$rg0\$$/);
    expect(indexName('~~stats', ['status', 'priority', 'scheduled_time'])).toBe('idx_~~stats_status_priority_scheduled_time');
  });

  it('maps every type to a column that holds all its values, with a marker where the column alone would read back otherwise', () => {
    const cases: Array<[string, string, string | undefined]> = [
      ['int32', 'integer', 'int32'], ['int8', 'smallint', 'int8'], ['uint32', 'bigint', 'uint32'], ['uint64', 'numeric(20,0)', 'uint64'],
      ['int', 'integer', undefined], ['smallint unsigned', 'integer', 'smallint unsigned'], ['tinyint', 'smallint', 'tinyint'],
      ['int unsigned', 'bigint', 'int unsigned'], ['bigint unsigned', 'numeric(20,0)', 'bigint unsigned'], ['mediumint', 'integer', 'mediumint'],
      ['float', 'real', undefined], ['float32', 'real', 'float32'], ['double', 'double precision', undefined], ['decimal(6,2)', 'numeric(6,2)', undefined],
      ['decimal(5,0) unsigned', 'numeric(5,0)', 'decimal(5,0) unsigned'], ['bool', 'boolean', undefined], ['varchar(16)', 'varchar(16)', undefined],
      ['char(8)', 'char(8)', undefined], ['longtext', 'text', undefined], ['text', 'text', 'text'], ['date', 'date', undefined],
      ['datetime', 'timestamp', undefined], ['datetime(3)', 'timestamp(3)', undefined], ['timestamp', 'timestamp(0)', 'timestamp'],
      ['time', 'interval(0)', 'time'], ['time(4)', 'interval(4)', 'time(4)'], ['json', 'jsonb', undefined], ['uuid', 'uuid', 'uuid'],
      ['longblob', 'bytea', undefined], ['mediumblob', 'bytea', 'mediumblob'], ['<blob>', 'bytea', '<blob>'], ['bytes', 'bytea', 'bytes'],
      ['binary(16)', 'bytea', 'binary(16)'], ["enum('M','F','U')", '"lab"."enum_e54fc739"', undefined],
    ];
    expect(cases.map(([t]) => [t, postgresColumnType(resolveType(t)!, 'lab'), postgresMarker(resolveType(t)!)])).toEqual(cases);
  });

  it('reads an unmarked column back as DataJoint does, in MySQL spelling', () => {
    expect(['integer', 'smallint', 'bigint', 'real', 'double precision', 'boolean', 'jsonb', 'bytea', 'text', 'numeric(6,2)', 'character varying(16)', 'character(3)',
      'timestamp without time zone', 'timestamp(3) without time zone', 'interval(2)'].map((t) => definitionTypeOf(t))).toEqual([
      'int', 'smallint', 'bigint', 'float', 'double', 'bool', 'json', 'longblob', 'longtext', 'decimal(6,2)', 'varchar(16)', 'char(3)',
      'datetime', 'datetime(3)', 'time(2)',
    ]);
    expect(definitionTypeOf('"lab".enum_e54fc739', ['M', 'F', "it's"])).toBe("enum('M','F','it''s')");
  });

  it('reads intervals as MySQL prints times: [-]HH:MM:SS and the declared digits, days counted in hours', () => {
    expect(timeFromInterval('-838:59:59', 0)).toBe('-838:59:59');
    expect(timeFromInterval('00:00:01.5', 4)).toBe('00:00:01.5000');
    expect(timeFromInterval('-00:00:00.25', 2)).toBe('-00:00:00.25');
    expect(timeFromInterval('1 day 02:00:00', 0)).toBe('26:00:00');
    expect(timeFromInterval('-1 days +02:00:00', 0)).toBe('-22:00:00');
    expect(timeFromInterval('12:34:56', 0)).toBe('12:34:56');
  });

  it('skips or replaces duplicates by the primary key, as DataJoint does on PostgreSQL', () => {
    expect(postgresDialect.onDuplicate(['a', 'b'], ['c'], 'skip')).toBe(' ON CONFLICT ("a", "b") DO NOTHING');
    expect(postgresDialect.onDuplicate(['a'], ['c', 'd'], 'replace')).toBe(' ON CONFLICT ("a") DO UPDATE SET "c" = EXCLUDED."c", "d" = EXCLUDED."d"');
    expect(postgresDialect.uuid(Buffer.from('00112233445566778899aabbccddeeff', 'hex'))).toBe('00112233-4455-6677-8899-aabbccddeeff');
    expect(postgresDialect.textProblem('a\0b')).toMatch(/U\+0000/);
    expect(postgresDialect.textProblem('ok')).toBeUndefined();
  });
});
