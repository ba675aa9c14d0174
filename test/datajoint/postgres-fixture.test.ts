import 'reflect-metadata';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, Schema, codegen, tableInfo, virtualSchema, type TableClass } from '../../src/index.js';
import { fixtureText } from '../setup/datajoint-fixtures.js';
import { dialects } from '../setup/dialects.js';
import { inspectPostgres, loadPostgresFixture, PG_FIXTURE_SCHEMA, PG_URL, type LoadedPostgresFixture } from '../setup/postgres-fixtures.js';
import { parseCanonical, type Canon } from './canonical.js';
import { checkFixtureValues } from './fixture-values.js';
import { declareFixtureClasses } from './fixture-classes.js';

const onPostgres = dialects.some((d) => d.name === 'postgres');

afterAll(() => Connection.closeAll());

/** What pg_catalog says of a schema's tables, its own name replaced by `<db>`, jobs tables left out. */
async function catalogOf(c: pg.Client, schema: string, jobs = false): Promise<Record<string, unknown>> {
  const anon = (v: unknown): unknown => (typeof v === 'string' ? v.split(`${schema}.`).join('<db>.').split(`"${schema}"`).join('<db>') : v);
  const tables = (await c.query<{ name: string; comment: string | null }>(
    `SELECT c.relname AS name, obj_description(c.oid, 'pg_class') AS comment FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind = 'r' AND (c.relname LIKE '~~%') = $2 ORDER BY c.relname`, [schema, jobs])).rows;
  const out: Record<string, unknown> = {};
  for (const t of tables) {
    const oid = `"${schema}"."${t.name}"`;
    const columns = (await c.query(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
              pg_get_expr(d.adbin, d.adrelid) AS dflt, col_description(a.attrelid, a.attnum) AS comment
         FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, [oid])).rows;
    const constraints = (await c.query(
      'SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass ORDER BY conname', [oid])).rows;
    const indexes = (await c.query('SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 ORDER BY indexname', [schema, t.name])).rows;
    out[t.name] = JSON.parse(JSON.stringify({ comment: t.comment, columns, constraints, indexes }), (_k, v: unknown) => anon(v));
  }
  out['enum types'] = (await c.query(
    `SELECT t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
       JOIN pg_enum e ON e.enumtypid = t.oid WHERE n.nspname = $1 AND (t.typname = 'enum_609a743e') = $2 GROUP BY t.typname ORDER BY t.typname`, [schema, jobs])).rows;
  return out;
}

async function lineageOf(c: pg.Client, schema: string, jobs = false): Promise<string[][]> {
  const rows = (await c.query<{ t: string; a: string; l: string }>(`SELECT table_name AS t, attribute_name AS a, lineage AS l FROM "${schema}"."~lineage" WHERE (table_name LIKE '~~%') = $1 ORDER BY 1, 2`, [jobs])).rows;
  return rows.map((r) => [r.t, r.a, r.l.replace(`${schema}.`, '<db>.')]);
}

/** The extra row as DataJoint on PostgreSQL printed it: booleans as Python's True/False, bytes as hex. */
function asText(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return String(value);
}

describe.runIf(onPostgres)('the database DataJoint 2.3 wrote on PostgreSQL (dj23-postgres.sql)', () => {
  let fixture: LoadedPostgresFixture;
  const expected = parseCanonical(fixtureText('dj23-postgres-values.json.gz')) as Record<string, Record<string, Canon>>;
  beforeAll(async () => {
    fixture = await loadPostgresFixture();
  });
  afterAll(() => fixture?.release());

  async function checkAll(tables: Record<string, TableClass>): Promise<void> {
    await checkFixtureValues(tables, expected, asText);
    // The one uuid DataJoint 2.3 cannot read back on PostgreSQL (it was set by plain SQL).
    expect(await tables.Subject!.restrict({ subject_id: 1 }).fetch1('uid', 'meta', 'weight', 'sex')).toEqual({
      uid: '3c1f0e0c-1d2b-4c5d-8e9f-0a1b2c3d4e5f', meta: { a: 1, tags: ['x', 'y'] }, weight: '21.50', sex: 'F',
    });
  }

  it('every value equals what DataJoint read back, through a virtual schema and through declared classes', async () => {
    const lab = await virtualSchema(PG_FIXTURE_SCHEMA, { connection: PG_URL });
    expect(Object.keys(lab.tables).sort()).toEqual(['Attachment', 'BlobStore', 'Extra', 'Probe', 'Recording', 'Recording.Channel', 'Session', 'Stats', 'Subject']);
    expect(lab.skipped).toEqual([]);
    const heading = Object.fromEntries(lab.table('Session').heading.attributes.map((a) => [a.name, a.type.marker ?? a.type.declared]));
    // Inherited columns carry no comment on PostgreSQL: their types come from the parents' markers.
    expect(heading).toEqual({ subject_id: 'int32', session_idx: 'int16', started: 'datetime', probe: 'varchar(16)', backup_probe: 'varchar(16)', notes: 'varchar(255)' });
    expect(tableInfo(lab.table('Session')).resolved!.foreignKeys.map((fk) => [fk.parent.className, fk.attributes.join(), fk.parentAttributes.join(), fk.nullable])).toEqual([
      ['Subject', 'subject_id', 'subject_id', false], ['Probe', 'probe', 'probe', true], ['Probe', 'backup_probe', 'probe', false],
    ]);
    await checkAll(lab.tables);
    const schema = new Schema(PG_FIXTURE_SCHEMA, { connection: PG_URL, prefix: '' });
    await checkAll(declareFixtureClasses(schema, 'dj23') as Record<string, TableClass>);
  });

  it('codegen writes its classes in DataJoint 2 spelling, inherited columns as -> Parent lines, types read through the markers', async () => {
    const { code } = await codegen(PG_FIXTURE_SCHEMA, { connection: PG_URL });
    expect(code).toContain("export const schema = new Schema('dj23_fixture', { prefix: '', spelling: '2.x' });");
    expect(code).toContain('export class Recording extends Imported<RecordingRow> {');
    expect(code).toContain('  static Channel = class Channel extends Part<RecordingChannelRow> {');
    expect(code).toContain("      -> Probe.proj(ref_probe='probe')");
    expect(code).toContain('    -> [nullable] Probe');
    expect(code).toContain('    subject_id : int32  # subject number');
    expect(code).toContain("    sex = 'U' : enum('M','F','U')  # sex");
    expect(code).toContain('    lt = null : longtext');
    expect(code).toContain('    ts = CURRENT_TIMESTAMP : datetime');
    expect(code).toContain('export interface ExtraRow {\n  extra_id: Key<number>;\n  big: bigint;\n  flag: boolean;\n  raw: Buffer | null;');
  });

  it('the classes DataJoint declared it with pass the catalog check, and activating them changes nothing', async () => {
    const before = await inspectPostgres((c) => catalogOf(c, PG_FIXTURE_SCHEMA));
    const schema = new Schema(PG_FIXTURE_SCHEMA, { connection: PG_URL, prefix: '' });
    const { Session } = declareFixtureClasses(schema, 'dj23') as Record<string, TableClass>;
    await expect(schema.activate()).resolves.toBeUndefined();
    expect(await Session!.count()).toBe(3);
    expect(await inspectPostgres((c) => catalogOf(c, PG_FIXTURE_SCHEMA))).toEqual(before);
  });

  it('declared into an empty schema, the same classes give DataJoint\'s tables: types, enum types, defaults, comments and markers, keys, ~lineage', async () => {
    const fresh = 'rgt_fresh_dj23_pg';
    const schema = new Schema(fresh, { connection: PG_URL, prefix: '' });
    await schema.drop({ force: true });
    declareFixtureClasses(schema, 'dj23');
    await schema.activate();
    const [ours, theirs] = await inspectPostgres(async (c) => [await catalogOf(c, fresh), await catalogOf(c, PG_FIXTURE_SCHEMA)]);
    expect(Object.keys(ours!)).toEqual(Object.keys(theirs!));
    for (const table of Object.keys(theirs!)) expect({ [table]: ours![table] }).toEqual({ [table]: theirs![table] });
    const [ourLineage, theirLineage] = await inspectPostgres(async (c) => [await lineageOf(c, fresh), await lineageOf(c, PG_FIXTURE_SCHEMA)]);
    expect(ourLineage).toEqual(theirLineage);
    await schema.drop({ force: true });
  });

  it('the jobs tables rg-schema makes are the ones DataJoint 2.3 made: columns, enum type, defaults, comments, index, ~lineage', async () => {
    const fresh = 'rgt_fresh_dj23_pg_jobs';
    const schema = new Schema(fresh, { connection: PG_URL, prefix: '' });
    await schema.drop({ force: true });
    const { Recording, Stats } = declareFixtureClasses(schema, 'dj23') as unknown as Record<string, { jobs(): { declare(): Promise<void> } }>;
    await schema.activate();
    await Recording!.jobs().declare();
    await Stats!.jobs().declare();
    const [ours, theirs] = await inspectPostgres(async (c) => [await catalogOf(c, fresh, true), await catalogOf(c, PG_FIXTURE_SCHEMA, true)]);
    expect(Object.keys(ours!)).toEqual(['~~recording', '~~stats', 'enum types']);
    for (const table of Object.keys(theirs!)) expect({ [table]: ours![table] }).toEqual({ [table]: theirs![table] });
    const [ourLineage, theirLineage] = await inspectPostgres(async (c) => [await lineageOf(c, fresh, true), await lineageOf(c, PG_FIXTURE_SCHEMA, true)]);
    expect(ourLineage).toEqual(theirLineage);
    await schema.drop({ force: true });
  });
});
