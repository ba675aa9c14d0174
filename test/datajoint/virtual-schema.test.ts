import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Connection, Lookup, Manual, Part, PopulateError, RgSchemaError, Schema, UnsupportedTypeError, tableInfo, virtualSchema,
  type TableClass,
} from '../../src/index.js';
import { Computed } from '../../src/index.js';
import { fixtureDatabase, freshDatabase, inspect, loadFixture, mysqlUrl, type Generation, type LoadedFixture } from '../setup/datajoint-fixtures.js';
import { dialects, schemaName } from '../setup/dialects.js';

const onMysql = dialects.some((d) => d.name === 'mysql');

afterAll(() => Connection.closeAll());

const foreignKeys = (cls: TableClass) => tableInfo(cls).resolved!.foreignKeys.map((fk) => ({
  parent: fk.parent.className, attributes: fk.attributes.join(','), parentAttributes: fk.parentAttributes.join(','), inKey: fk.inKey, nullable: fk.nullable,
}));

describe.runIf(onMysql).each(['dj23', 'dj014'] as Generation[])('a virtual schema of the %s fixture', (generation) => {
  let fixture: LoadedFixture;
  const database = fixtureDatabase(generation);
  beforeAll(async () => {
    fixture = await loadFixture(generation);
  });
  afterAll(() => fixture?.release());

  it('has every table as a class with its tier, key, heading, parts and foreign keys (renamed ones too)', async () => {
    const lab = await virtualSchema(database, { connection: mysqlUrl });
    expect(Object.keys(lab.tables).sort()).toEqual(['Attachment', 'BlobStore', 'Extra', 'Probe', 'Recording', 'Recording.Channel', 'Session', 'Stats', 'Subject']);
    expect(lab.skipped).toEqual([]);
    expect(Object.fromEntries(Object.entries(lab.tables).map(([n, c]) => [n, tableInfo(c).tier]))).toEqual({
      Attachment: 'manual', BlobStore: 'manual', Extra: 'manual', Probe: 'lookup', Recording: 'imported', 'Recording.Channel': 'part', Session: 'manual', Stats: 'computed', Subject: 'manual',
    });
    expect(lab.Recording!.Channel).toBe(lab.tables['Recording.Channel']);
    expect(lab.table('Session').heading.primaryKey).toEqual(['subject_id', 'session_idx']);
    expect(lab.table('Session').heading.secondary).toEqual(['started', 'probe', 'backup_probe', 'notes']);
    expect(foreignKeys(lab.table('Session'))).toEqual([
      { parent: 'Subject', attributes: 'subject_id', parentAttributes: 'subject_id', inKey: true, nullable: false },
      { parent: 'Probe', attributes: 'probe', parentAttributes: 'probe', inKey: false, nullable: true },
      { parent: 'Probe', attributes: 'backup_probe', parentAttributes: 'probe', inKey: false, nullable: false },
    ]);
    expect(foreignKeys(lab.table('Recording.Channel'))).toEqual([
      { parent: 'Recording', attributes: 'subject_id,session_idx', parentAttributes: 'subject_id,session_idx', inKey: true, nullable: false },
      { parent: 'Probe', attributes: 'ref_probe', parentAttributes: 'probe', inKey: false, nullable: false },
    ]);
    const types = Object.fromEntries(lab.table('Subject').heading.attributes.map((a) => [a.name, a.type.category]));
    expect(types).toEqual({ subject_id: 'integer', subject_name: 'string', sex: 'enum', dob: 'date', weight: 'decimal', meta: 'json', uid: 'uuid' });
    expect(lab.table('Attachment').heading.get('att').type.category).toBe('attach');
    expect(() => lab.table('Nope')).toThrow(/has no table class Nope\. Its tables are: .*Subject/);
  });

  it('queries, fetches blobs, and inserts into Manual tables (never into Computed ones)', async () => {
    const lab = await virtualSchema(database, { connection: mysqlUrl });
    expect(await lab.table('Session').join(lab.table('Subject')).restrict({ sex: 'F' }).count()).toBe(2);
    expect(await lab.table('Session').restrict({ probe: null }).fetch('subject_id', 'session_idx', 'notes')).toEqual([{ subject_id: 1, session_idx: 2, notes: 'no probe' }]);
    const traces = await lab.table('Recording.Channel').restrict({ subject_id: 2 }).fetch();
    expect(traces.map((t) => [t.channel, (t.trace as { shape: number[]; get(i: number, j: number): number }).shape, (t.trace as { get(i: number, j: number): number }).get(0, 0)])).toEqual([[0, [2, 3], 0], [1, [2, 3], 1]]);
    await lab.table('Subject').insert1({ subject_id: 3, subject_name: 'carol', dob: '2022-05-06', meta: { k: [1, 2] }, uid: '00112233-4455-6677-8899-aabbccddeeff' });
    await lab.table('Session').insert1({ subject_id: 3, session_idx: 1, started: '2024-06-01 10:00:00', backup_probe: 'np1' });
    expect(await lab.table('Subject').restrict({ subject_id: 3 }).fetch1()).toEqual({
      subject_id: 3, subject_name: 'carol', sex: 'U', dob: '2022-05-06', weight: null, meta: { k: [1, 2] }, uid: '00112233-4455-6677-8899-aabbccddeeff',
    });
    await expect(lab.table('Stats').insert1({ subject_id: 3, session_idx: 1, mean_val: 1, summary: 1 })).rejects.toThrow(PopulateError);
    await lab.table('Recording').insert1({ subject_id: 3, session_idx: 1, data: [1], gain: 1, offset: 0 }, { allowDirectInsert: true });
    const stats = lab.table('Stats') as unknown as { populate(o: object): Promise<{ errors: ReadonlyArray<{ error: Error }> }> };
    const { errors } = await stats.populate({ suppressErrors: true });
    expect(errors.map((e) => e.error.message)).toEqual([expect.stringMatching(/^Stats was opened from the database, so it has no make\(\)/)]);
  });

  it('reads and writes attachments in DataJoint\'s layout (file name, NUL, bytes)', async () => {
    const lab = await virtualSchema(database, { connection: mysqlUrl });
    await inspect((c) => c.query(`INSERT INTO \`${database}\`.attachment VALUES (2, ?)`, [Buffer.concat([Buffer.from('from python.bin'), Buffer.from([0, 1, 2, 0, 255])])]));
    const content = Buffer.from([104, 105, 0, 10]);
    await lab.table('Attachment').insert1({ subject_id: 1, att: { filename: 'notes é.txt', content } });
    const rows = await lab.table('Attachment').fetch();
    expect(rows.map((r) => [r.subject_id, (r.att as { filename: string }).filename, [...(r.att as { content: Uint8Array }).content]])).toEqual([
      [1, 'notes é.txt', [104, 105, 0, 10]], [2, 'from python.bin', [1, 2, 0, 255]],
    ]);
    const [raw] = await inspect(async (c) => (await c.query<import('mysql2').RowDataPacket[]>(`SELECT att FROM \`${database}\`.attachment WHERE subject_id = 1`))[0]);
    expect((raw!.att as Buffer).equals(Buffer.concat([Buffer.from('notes é.txt'), Buffer.from([0]), content]))).toBe(true);
    await expect(lab.table('Attachment').insert1({ subject_id: 3, att: { filename: 'a/b', content } })).rejects.toThrow(/att needs a filename/);
  });

  it('opens external-store, object, spatial and custom-codec columns, and refuses to fetch them, naming the column and store', async () => {
    await inspect((c) => c.query(`CREATE TABLE \`${database}\`.\`external\` (
      ext_id int NOT NULL COMMENT ':int32:',
      raw binary(16) DEFAULT NULL COMMENT ':blob@shared:',
      obj json DEFAULT NULL COMMENT ':<object@archive>:',
      place point DEFAULT NULL,
      graph longblob DEFAULT NULL COMMENT ':<graph>:',
      note varchar(20) NOT NULL DEFAULT '' COMMENT ':varchar(20):',
      _job_version varchar(64) DEFAULT '',
      PRIMARY KEY (ext_id)) ENGINE=InnoDB COMMENT 'stores'`));
    await inspect((c) => c.query(`INSERT INTO \`${database}\`.\`external\` (ext_id, raw, note) VALUES (1, x'00112233445566778899aabbccddeeff', 'one')`));
    const lab = await virtualSchema(database, { connection: mysqlUrl });
    const ext = lab.table('External');
    expect(ext.heading.names).toEqual(['ext_id', 'raw', 'obj', 'place', 'graph', 'note']);
    expect(ext.heading.attributes.map((a) => [a.name, a.type.category, a.type.store])).toEqual([
      ['ext_id', 'integer', undefined], ['raw', 'unsupported', 'shared'], ['obj', 'unsupported', 'archive'],
      ['place', 'unsupported', undefined], ['graph', 'unsupported', undefined], ['note', 'string', undefined],
    ]);
    await expect(ext.fetch()).rejects.toThrow(UnsupportedTypeError);
    await expect(ext.fetch()).rejects.toThrow(/Attribute "raw" uses DataJoint's external store "shared" \(blob@shared\)/);
    await expect(ext.fetch('obj')).rejects.toThrow(/"obj" uses DataJoint's object storage|"obj" uses DataJoint's store "archive"/);
    expect(await ext.fetch('ext_id', 'note')).toEqual([{ ext_id: 1, note: 'one' }]);
    expect(await ext.count()).toBe(1);
    await ext.insert1({ ext_id: 2, note: 'two' });
    await expect(ext.insert1({ ext_id: 3, raw: Buffer.alloc(16) })).rejects.toThrow(/"raw" uses DataJoint's external store "shared"/);
    expect(await ext.fetch('ext_id')).toEqual([{ ext_id: 1 }, { ext_id: 2 }]);
  });

  it('leaves out tables it cannot name as DataJoint would, and says why', async () => {
    await inspect((c) => c.query(`CREATE TABLE \`${database}\`.\`Odd Table\` (id int PRIMARY KEY)`));
    await inspect((c) => c.query(`CREATE TABLE \`${database}\`.by_name (name varchar(64) NOT NULL PRIMARY KEY,
      FOREIGN KEY (name) REFERENCES \`${database}\`.subject (subject_name))`).catch(async () => {
      await c.query(`CREATE UNIQUE INDEX by_subject_name ON \`${database}\`.subject (subject_name)`);
      await c.query(`CREATE TABLE \`${database}\`.by_name (name varchar(64) NOT NULL PRIMARY KEY, FOREIGN KEY (name) REFERENCES \`${database}\`.subject (subject_name))`);
    }));
    await inspect((c) => c.query(`CREATE TABLE \`${database}\`.by_name_note (name varchar(64) NOT NULL PRIMARY KEY, FOREIGN KEY (name) REFERENCES \`${database}\`.by_name (name))`));
    const lab = await virtualSchema(database, { connection: mysqlUrl });
    expect(lab.skipped).toEqual([
      { table: 'Odd Table', reason: 'its name is not a DataJoint table name' },
      { table: 'by_name', reason: 'its foreign key (name) references subject(subject_name), not that table\'s primary key' },
      { table: 'by_name_note', reason: 'its parent by_name was skipped' },
    ]);
    expect(await lab.table('Subject').count()).toBe(3);
    await expect(virtualSchema('rgt_no_such_database', { connection: mysqlUrl })).rejects.toThrow(/Database "rgt_no_such_database" has no tables/);
  });

  it('follows foreign keys into other databases', async () => {
    const other = `rgt_refs_${generation}`;
    await freshDatabase(other);
    await inspect((c) => c.query(`CREATE TABLE \`${other}\`.note (subject_id int NOT NULL, note_id int NOT NULL, body varchar(100) NOT NULL,
      PRIMARY KEY (subject_id, note_id), FOREIGN KEY (subject_id) REFERENCES \`${database}\`.subject (subject_id) ON UPDATE CASCADE)`));
    const notes = await virtualSchema(other, { connection: mysqlUrl });
    const note = notes.table('Note');
    expect(note.info.definition).toContain(`-> ${database}.Subject`);
    await note.insert1({ subject_id: 1, note_id: 1, body: 'hello' });
    expect(await note.join((note.info.resolved!.foreignKeys[0]!.parent.cls as TableClass)).fetch('subject_name', 'body')).toEqual([{ subject_name: 'alice', body: 'hello' }]);
    await inspect((c) => c.query(`DROP DATABASE \`${other}\``));
  });
});

describe.each(dialects)('a virtual schema of a database rg-schema declared, on $name', (dialect) => {
  const connection = dialect.url('virtual');
  const name = schemaName(`virtual_${dialect.name}`);

  it('gives back the tables, their definitions and their rows', async () => {
    const schema = new Schema(name, { connection });
    await schema.drop({ force: true });
    @schema class Rig extends Lookup {
      static override definition = 'rig: char(4)\n---\nroom = "A" : varchar(8)';
      static override contents = [{ rig: 'r1' }];
    }
    @schema class Mouse extends Manual {
      static override definition = '# a mouse\nmouse_id: int32\n---\nborn = null : date\ntags = null : json\ndoc = null : <attach>';
    }
    @schema class Scan extends Manual {
      static override definition = `
        -> Mouse
        scan: uint16
        ---
        -> [nullable] Rig
        -> Rig.proj(spare='rig')
        movie: <blob>
        unique index(spare, scan)
      `;
      static Frame = class extends Part {
        static override definition = '-> master\nframe: int32\n---\nvalue: float64';
      };
    }
    @schema class Summary extends Computed {
      static override definition = '-> Scan\n---\nmean: float64';
      async make(): Promise<void> {}
    }
    await schema.activate();
    await Mouse.insert1({ mouse_id: 1, tags: ['a'], doc: { filename: 'x.txt', content: Buffer.from('x') } });
    await Scan.insert1({ mouse_id: 1, scan: 7, rig: null, spare: 'r1', movie: [1, 2, 3] });
    await Scan.Frame.insert([{ mouse_id: 1, scan: 7, frame: 0, value: 0.5 }]);

    const lab = await virtualSchema(name, { connection });
    expect(Object.keys(lab.tables).sort()).toEqual(['Mouse', 'Rig', 'Scan', 'Scan.Frame', 'Summary']);
    expect(lab.table('Scan').info.definition).toBe([
      '-> Mouse', 'scan : uint16', '---', '-> [nullable] Rig', '-> Rig.proj(spare=\'rig\')', 'movie : <blob>', 'unique index(spare, scan)', '',
    ].join('\n'));
    expect(lab.table('Scan.Frame').info.definition).toBe('-> master\nframe : int32\n---\nvalue : float64\n');
    expect(lab.table('Mouse').info.definition).toBe('# a mouse\nmouse_id : int32\n---\nborn = null : date\ntags = null : json\ndoc = null : <attach>\n');
    expect(await lab.table('Rig').fetch()).toEqual([{ rig: 'r1', room: 'A' }]);
    const [mouse] = await lab.table('Mouse').fetch();
    expect([mouse!.tags, (mouse!.doc as { filename: string }).filename]).toEqual([['a'], 'x.txt']);
    expect(Array.from(((await lab.table('Scan').fetch1()).movie as { data: Float64Array }).data)).toEqual([1, 2, 3]);
    expect(await lab.table('Scan.Frame').fetch()).toEqual([{ mouse_id: 1, scan: 7, frame: 0, value: 0.5 }]);
    await lab.table('Rig').insert1({ rig: 'r2', room: 'B' });
    expect(await Rig.count()).toBe(2);
    expect(tableInfo(lab.table('Summary')).tier).toBe('computed');
    await expect(virtualSchema('Bad-Name', { connection })).rejects.toThrow(RgSchemaError);
    await schema.drop({ force: true });
  });
});
