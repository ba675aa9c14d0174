import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Computed, Connection, Imported, Manual, Part, Schema, lineageRows, tableInfo } from '../../src/index.js';
import { inspect, loadFixture, mysqlUrl, type LoadedFixture } from '../setup/datajoint-fixtures.js';
import { dialects } from '../setup/dialects.js';
import { declareFixtureClasses } from './fixture-classes.js';

const onMysql = dialects.some((d) => d.name === 'mysql');
const DB = 'dj23_fixture';

afterAll(() => Connection.closeAll());

type Row = [string, string, string];

async function lineage(): Promise<Row[]> {
  return inspect(async (c) => {
    const [rows] = await c.query<import('mysql2').RowDataPacket[]>(`SELECT table_name, attribute_name, lineage FROM \`${DB}\`.\`~lineage\` ORDER BY table_name, attribute_name`);
    return rows.map((r) => [r.table_name, r.attribute_name, r.lineage] as Row);
  });
}

/** The rows DataJoint wrote for `original`, as it would write them for a table declared the same way under `copy`. */
function analogous(rows: readonly Row[], renames: Record<string, string>): Row[] {
  return rows.filter(([t]) => t in renames).map(([t, a, l]) => {
    const [db, table, attribute] = l.split('.') as [string, string, string];
    return [renames[t]!, a, `${db}.${renames[table] ?? table}.${attribute}`] as Row;
  }).sort((x, y) => x.join().localeCompare(y.join()));
}

describe.runIf(onMysql)('~lineage rows for tables rg-schema declares in a DataJoint 2.3 database', () => {
  let fixture: LoadedFixture;
  let original: Row[];
  beforeAll(async () => {
    fixture = await loadFixture('dj23');
    original = await lineage();
  });
  afterAll(() => fixture?.release());

  it('are exactly the rows DataJoint 2.3 wrote for the same kinds of tables (own keys, inherited, renamed, secondary, Parts)', async () => {
    expect(original).toHaveLength(17);
    const schema = new Schema(DB, { connection: mysqlUrl, prefix: '' });
    const { Subject } = declareFixtureClasses(schema, 'dj23');
    // The same definitions as Session, Recording (with its Part) and Stats, under new names.
    @schema class RgSession extends Manual {
      static override definition = '# a recording session\n-> Subject\nsession_idx: int16\n---\nstarted: datetime\n-> [nullable] Probe\n-> Probe.proj(backup_probe=\'probe\')\nnotes = \'\' : varchar(255)';
    }
    @schema class RgRecording extends Imported {
      static override definition = '-> RgSession\n---\ndata: <blob>\ngain: float32\noffset: float64';
      static Channel = class extends Part {
        static override definition = '-> master\nchannel: int16\n---\ntrace: <blob>\n-> Probe.proj(ref_probe=\'probe\')';
      };
      async make(): Promise<void> {}
    }
    @schema class RgStats extends Computed {
      static override definition = '-> RgRecording\n---\nmean_val: float64\nsummary: <blob>';
      async make(): Promise<void> {}
    }
    @schema class RgNote extends Manual {
      static override definition = '-> Subject\n---\nnote: varchar(255)';
    }
    void RgStats; void RgNote;
    await schema.activate();
    const now = await lineage();
    const renames = { session: 'rg_session', _recording: '_rg_recording', _recording__channel: '_rg_recording__channel', __stats: '__rg_stats' };
    expect(now.filter(([t]) => Object.values(renames).includes(t)).sort((x, y) => x.join().localeCompare(y.join()))).toEqual(analogous(original, renames));
    expect(now.filter(([t]) => t === 'rg_note')).toEqual([['rg_note', 'subject_id', `${DB}.subject.subject_id`]]);
    expect(now.filter(([t]) => !t.includes('rg_'))).toEqual(original);
    // A table whose own types say neither generation is spelled the way the database is (2.x here).
    const [note] = await inspect(async (c) => (await c.query<import('mysql2').RowDataPacket[]>(`SELECT COLUMN_COMMENT AS cm FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'rg_note' AND COLUMN_NAME = 'note'`, [DB]))[0]);
    expect(note!.cm).toBe(':varchar(255):');
    expect(lineageRows(tableInfo(RgSession)).map((r) => r.attribute_name)).toEqual(['subject_id', 'session_idx', 'probe', 'backup_probe']);
    await RgNote.drop();
    expect((await lineage()).filter(([t]) => t === 'rg_note')).toEqual([]);

    // Alone in its schema, a table spelled neither way follows the database: DataJoint 2 wrote it.
    const alone = new Schema(DB, { connection: mysqlUrl, prefix: '', context: { Subject } });
    @alone class RgDoc extends Manual {
      static override definition = '-> Subject\n---\ndoc = null : json';
    }
    await RgDoc.declare();
    const [doc] = await inspect(async (c) => (await c.query<import('mysql2').RowDataPacket[]>(`SHOW CREATE TABLE \`${DB}\`.rg_doc`))[0]);
    expect(doc!['Create Table']).toContain("`doc` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL COMMENT ':json:' CHECK (json_valid(`doc`))");
    expect((await lineage()).filter(([t]) => t === 'rg_doc')).toEqual([['rg_doc', 'subject_id', `${DB}.subject.subject_id`]]);
    await RgDoc.insert1({ subject_id: 1, doc: { a: [1, 2] } });
    expect((await RgDoc.fetch1()).doc).toEqual({ a: [1, 2] });
  });

  it('rebuildLineage() writes what DataJoint wrote for its own tables', async () => {
    await inspect((c) => c.query(`DELETE FROM \`${DB}\`.\`~lineage\``));
    const schema = new Schema(DB, { connection: mysqlUrl, prefix: '' });
    declareFixtureClasses(schema, 'dj23');
    await schema.rebuildLineage();
    expect(await lineage()).toEqual(original);
  });
});
