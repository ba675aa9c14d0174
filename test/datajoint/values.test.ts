import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, Schema, virtualSchema, type TableClass } from '../../src/index.js';
import { fixtureDatabase, fixtureText, loadFixture, mysqlUrl, type Generation, type LoadedFixture } from '../setup/datajoint-fixtures.js';
import { dialects } from '../setup/dialects.js';
import { compareCanonical, parseCanonical, type Canon } from './canonical.js';
import { checkFixtureValues } from './fixture-values.js';
import { declareFixtureClasses } from './fixture-classes.js';

const onMysql = dialects.some((d) => d.name === 'mysql');

afterAll(() => Connection.closeAll());

/** The extra row as DataJoint printed it: every value as text (booleans as 0/1, bytes as hex). */
function asText(value: unknown): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return String(value);
}

describe.runIf(onMysql).each(['dj23', 'dj014'] as Generation[])('every value of the %s fixture, as DataJoint read it back', (generation) => {
  let fixture: LoadedFixture;
  const expected = parseCanonical(fixtureText(`${generation}-values.json.gz`)) as Record<string, Record<string, Canon>>;
  beforeAll(async () => {
    fixture = await loadFixture(generation);
  });
  afterAll(() => fixture?.release());

  const checkAll = (tables: Record<string, TableClass>): Promise<void> => checkFixtureValues(tables, expected, asText);

  it('opened as a virtual schema', async () => {
    const lab = await virtualSchema(fixtureDatabase(generation), { connection: mysqlUrl });
    await checkAll(lab.tables);
  });

  it('through classes declared like DataJoint declared them', async () => {
    const schema = new Schema(fixtureDatabase(generation), { connection: mysqlUrl, prefix: '' });
    await checkAll(declareFixtureClasses(schema, generation) as Record<string, TableClass>);
  });

  it('the comparison fails when a value differs', () => {
    expect(compareCanonical(3, expected.blobs!.py_int!)).toEqual(['$: expected 42, got Number 3']);
    expect(compareCanonical(42.5, expected.blobs!.py_int!)).toHaveLength(1);
    expect(compareCanonical(new Float32Array([1, 2]), expected.blobs!.f32_2d!)).toHaveLength(1);
  });
});
