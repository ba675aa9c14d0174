import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, Schema, virtualSchema, type TableClass } from '../../src/index.js';
import { fixtureDatabase, fixtureText, loadFixture, mysqlUrl, type Generation, type LoadedFixture } from '../setup/datajoint-fixtures.js';
import { dialects } from '../setup/dialects.js';
import { compareCanonical, parseCanonical, type Canon } from './canonical.js';
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

  async function checkAll(tables: Record<string, TableClass>): Promise<void> {
    const blobs = await tables.BlobStore!.fetch();
    expect(blobs.map((b) => b.blob_name).sort()).toEqual(Object.keys(expected.blobs!).sort());
    expect(blobs).toHaveLength(41);
    for (const row of blobs) {
      expect(compareCanonical(row.value, expected.blobs![row.blob_name as string]!, `blobs.${String(row.blob_name)}`)).toEqual([]);
    }
    const recordings = await tables.Recording!.fetch();
    expect(recordings).toHaveLength(Object.keys(expected.recording!).length);
    for (const row of recordings) {
      expect(compareCanonical(row.data, expected.recording![`${row.subject_id},${row.session_idx}`]!, 'recording.data')).toEqual([]);
      expect([row.gain, row.offset]).toEqual([0.5, 1.25]);
    }
    const stats = await tables.Stats!.fetch();
    expect(stats).toHaveLength(Object.keys(expected.stats!).length);
    for (const row of stats) {
      expect(compareCanonical(row.summary, expected.stats![`${row.subject_id},${row.session_idx}`]!, 'stats.summary')).toEqual([]);
    }
    const [extra] = await tables.Extra!.fetch();
    const want = expected.extra as Record<string, string>;
    expect(Object.fromEntries(Object.keys(want).map((k) => [k, asText(extra![k])]))).toEqual(want);
    expect(Object.keys(extra!).sort()).toEqual(Object.keys(want).sort());
  }

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
