import 'reflect-metadata';
import { afterAll, describe, expect, it } from 'vitest';
import { Computed, Connection, DataLossError, Lookup, Manual, Part, Schema, SchemaMismatchError, tableInfo, TABLE_METADATA_KEY } from '../../src/index.js';
import { dialects, schemaName } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

describe.each(dialects)('declaring on $name', (dialect) => {
  const connection = dialect.url('declare');
  const name = schemaName(`declare_${dialect.name}`);

  function pipeline(suffix: string) {
    const schema = new Schema(`${name}${suffix}`, { connection });
    @schema
    class Animal extends Manual {
      static override definition = `
        # an experimental animal
        animal_id: int unsigned       # lab number
        ---
        species = 'mouse' : varchar(32)
        born = null : date
        `;
    }
    @schema
    class Probe extends Lookup {
      static override definition = `
        probe: char(8)
        ---
        channels: uint16
        `;
      static override contents = [{ probe: 'np1', channels: 384 }, { probe: 'np2', channels: 384 }];
    }
    @schema
    class Recording extends Manual {
      static override definition = `
        -> Animal
        rec: int32
        ---
        -> [nullable] Probe
        gain = 1.0 : float64     # volts per bit
        raw = null : longblob
        started = CURRENT_TIMESTAMP : timestamp
        state = 'new' : enum('new', 'done')
        unique index(gain, state)
        `;
      static Channel = class extends Part {
        static override definition = `
          -> master
          channel: smallint unsigned
          ---
          -> Probe.proj(spare_probe='probe')
          `;
      };
    }
    @schema
    class Summary extends Computed {
      static override definition = `
        -> Recording
        ---
        n: int64
        `;
      async make(): Promise<void> {}
    }
    return { schema, Animal, Probe, Recording, Summary };
  }

  it('creates tables with DataJoint names, keys, foreign keys and comments, as the catalog shows', async () => {
    const { schema, Recording, Probe } = pipeline('');
    await schema.drop({ force: true });
    await schema.activate();
    expect(await schema.listTables()).toEqual(['#probe', '__summary', 'animal', 'recording', 'recording__channel']);
    expect(Reflect.getOwnMetadata(TABLE_METADATA_KEY, Recording).tableName).toBe('recording');
    expect(tableInfo(Recording.Channel).tableName).toBe('recording__channel');
    expect(await Probe.count()).toBe(2);
    const c = schema.connection;
    if (dialect.name === 'mysql') {
      const cols = await c.query<{ n: string; t: string; k: string; cm: string; nl: string }>(
        'SELECT COLUMN_NAME n, COLUMN_TYPE t, COLUMN_KEY k, COLUMN_COMMENT cm, IS_NULLABLE nl FROM information_schema.COLUMNS WHERE TABLE_SCHEMA=? AND TABLE_NAME=? ORDER BY ORDINAL_POSITION', [schema.database, 'recording']);
      expect(cols.map((r) => [r.n, r.t.replace(/^((?:tiny|small|medium|big)?int)\(\d+\)/, '$1'), r.k, r.cm, r.nl])).toEqual([
        ['animal_id', 'int unsigned', 'PRI', 'lab number', 'NO'],
        ['rec', 'int', 'PRI', ':int32:', 'NO'],
        ['probe', 'char(8)', 'MUL', '', 'YES'],
        ['gain', 'double', 'MUL', ':float64:volts per bit', 'NO'],
        ['raw', 'longblob', '', ':<blob>:', 'YES'],
        ['started', 'timestamp', '', '', 'NO'],
        ['state', "enum('new','done')", '', ":enum('new', 'done'):", 'NO'],
      ]);
      const fks = await c.query<{ t: string; col: string; rt: string; rc: string; upd: string; del: string }>(
        `SELECT k.TABLE_NAME t, k.COLUMN_NAME col, k.REFERENCED_TABLE_NAME rt, k.REFERENCED_COLUMN_NAME rc, r.UPDATE_RULE upd, r.DELETE_RULE del
           FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r
             ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
          WHERE k.TABLE_SCHEMA = ? ORDER BY t, col`, [schema.database]);
      expect(fks.map((f) => [f.t, f.col, f.rt, f.rc, f.upd, f.del]).sort()).toEqual([
        ['__summary', 'animal_id', 'recording', 'animal_id', 'CASCADE', 'RESTRICT'],
        ['__summary', 'rec', 'recording', 'rec', 'CASCADE', 'RESTRICT'],
        ['recording', 'animal_id', 'animal', 'animal_id', 'CASCADE', 'RESTRICT'],
        ['recording', 'probe', '#probe', 'probe', 'CASCADE', 'RESTRICT'],
        ['recording__channel', 'animal_id', 'recording', 'animal_id', 'CASCADE', 'RESTRICT'],
        ['recording__channel', 'rec', 'recording', 'rec', 'CASCADE', 'RESTRICT'],
        ['recording__channel', 'spare_probe', '#probe', 'probe', 'CASCADE', 'RESTRICT'],
      ]);
      const [table] = await c.query<{ cm: string; e: string }>('SELECT TABLE_COMMENT cm, ENGINE e FROM information_schema.TABLES WHERE TABLE_SCHEMA=? AND TABLE_NAME=?', [schema.database, 'animal']);
      expect(table).toEqual({ cm: 'an experimental animal', e: 'InnoDB' });
      const unique = await c.query<{ col: string }>("SELECT COLUMN_NAME col FROM information_schema.STATISTICS WHERE TABLE_SCHEMA=? AND TABLE_NAME='recording' AND NON_UNIQUE=0 AND INDEX_NAME<>'PRIMARY' ORDER BY SEQ_IN_INDEX", [schema.database]);
      expect(unique.map((u) => u.col)).toEqual(['gain', 'state']);
    } else if (dialect.name === 'postgres') {
      const cols = await c.query<{ n: string; t: string; cm: string | null; nl: boolean; d: string | null }>(
        `SELECT a.attname n, format_type(a.atttypid, a.atttypmod) t, col_description(a.attrelid, a.attnum) cm, NOT a.attnotnull nl, pg_get_expr(d.adbin, d.adrelid) d
           FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
          WHERE a.attrelid = ?::regclass AND a.attnum > 0 ORDER BY a.attnum`, [`"${schema.database}"."recording"`]);
      expect(cols.map((r) => [r.n, r.t, r.cm, r.nl, r.d])).toEqual([
        ['animal_id', 'bigint', null, false, null],
        ['rec', 'integer', ':int32:', false, null],
        ['probe', 'character(8)', null, true, null],
        ['gain', 'double precision', ':float64:volts per bit', false, '1.0'],
        ['raw', 'bytea', ':<blob>:', true, null],
        ['started', 'timestamp(0) without time zone', ':timestamp:', false, 'CURRENT_TIMESTAMP(0)'],
        ['state', `${schema.database}.enum_e37f92a5`, ":enum('new', 'done'):", false, `'new'::${schema.database}.enum_e37f92a5`],
      ]);
      const fks = await c.query<{ name: string; t: string; cols: string[]; rt: string; upd: string; del: string }>(
        `SELECT con.conname "name", cl.relname t, ARRAY(SELECT attname::text FROM pg_attribute WHERE attrelid = con.conrelid AND attnum = ANY(con.conkey) ORDER BY attnum) cols,
                rc.relname rt, con.confupdtype::text upd, con.confdeltype::text del
           FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid JOIN pg_class rc ON rc.oid = con.confrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
          WHERE n.nspname = ? AND con.contype = 'f' ORDER BY 1`, [schema.database]);
      // PostgreSQL names foreign keys itself (<table>_<columns>_fkey); c = cascade, r = restrict.
      expect(fks.map((f) => [f.name, f.t, f.cols, f.rt, f.upd, f.del])).toEqual([
        ['__summary_animal_id_rec_fkey', '__summary', ['animal_id', 'rec'], 'recording', 'c', 'r'],
        ['recording__channel_animal_id_rec_fkey', 'recording__channel', ['animal_id', 'rec'], 'recording', 'c', 'r'],
        ['recording__channel_spare_probe_fkey', 'recording__channel', ['spare_probe'], '#probe', 'c', 'r'],
        ['recording_animal_id_fkey', 'recording', ['animal_id'], 'animal', 'c', 'r'],
        ['recording_probe_fkey', 'recording', ['probe'], '#probe', 'c', 'r'],
      ]);
      const [table] = await c.query<{ cm: string }>(`SELECT obj_description(?::regclass, 'pg_class') cm`, [`"${schema.database}"."animal"`]);
      expect(table).toEqual({ cm: 'an experimental animal' });
      const indexes = await c.query<{ name: string; def: string }>('SELECT indexname "name", indexdef def FROM pg_indexes WHERE schemaname = ? AND tablename = ? ORDER BY 1', [schema.database, 'recording']);
      expect(indexes.map((i) => i.name)).toEqual(['idx_recording_gain_state', 'recording_pkey']);
      expect(indexes[0]!.def).toMatch(/^CREATE UNIQUE INDEX idx_recording_gain_state ON .* USING btree \(gain, state\)$/);
      const [enumType] = await c.query<{ labels: string[] }>(`SELECT array_agg(enumlabel::text ORDER BY enumsortorder) labels FROM pg_enum WHERE enumtypid = ?::regtype`, [`"${schema.database}".enum_e37f92a5`]);
      expect(enumType!.labels).toEqual(['new', 'done']);
    } else {
      const ref = (t: string) => `${schema.database}.${t}`;
      const cols = await c.query<{ name: string; type: string; notnull: bigint; pk: bigint }>(`SELECT name, type, "notnull", pk FROM pragma_table_info(?)`, [ref('recording')]);
      expect(cols.map((r) => [r.name, r.type, Number(r.notnull), Number(r.pk)])).toEqual([
        ['animal_id', 'INTEGER', 1, 1], ['rec', 'INTEGER', 1, 2], ['probe', 'TEXT', 0, 0], ['gain', 'REAL', 1, 0],
        ['raw', 'BLOB', 0, 0], ['started', 'TEXT', 1, 0], ['state', 'TEXT', 1, 0],
      ]);
      const fks = await c.query<{ table: string; from: string; to: string; on_update: string; on_delete: string }>(`SELECT "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list(?)`, [ref('recording__channel')]);
      expect(fks.map((f) => [f.table, f.from, f.to, f.on_update, f.on_delete]).sort()).toEqual([
        [ref('#probe'), 'spare_probe', 'probe', 'CASCADE', 'RESTRICT'],
        [ref('recording'), 'animal_id', 'animal_id', 'CASCADE', 'RESTRICT'],
        [ref('recording'), 'rec', 'rec', 'CASCADE', 'RESTRICT'],
      ]);
      const [meta] = await c.query<{ declaration: string }>('SELECT declaration FROM "~rg_meta" WHERE database_name=? AND table_name=?', [schema.database, 'recording']);
      const declaration = JSON.parse(meta!.declaration);
      expect(declaration.attributes.find((a: { name: string }) => a.name === 'gain')).toMatchObject({ type: 'float64', comment: 'volts per bit' });
      expect(declaration.indexes).toEqual([{ unique: true, attributes: ['gain', 'state'] }]);
      const [fkOn] = await c.query<{ foreign_keys: bigint }>('PRAGMA foreign_keys');
      expect(Number(fkOn!.foreign_keys)).toBe(1);
    }
    expect(await Recording.describe()).toBe([
      '-> Animal', 'rec : int32', '---', '-> [nullable] Probe', 'gain = 1.0 : float64  # volts per bit',
      'raw = null : <blob>', 'started = CURRENT_TIMESTAMP : timestamp', "state = 'new' : enum('new', 'done')", 'unique index(gain, state)', '',
    ].join('\n').replace('gain = 1.0', dialect.name === 'mysql' ? 'gain = 1' : 'gain = 1.0'));
  });

  it('checks an existing table against its declaration and refuses a mismatch', async () => {
    const first = pipeline('_m');
    await first.schema.drop({ force: true });
    await first.schema.activate();
    const again = new Schema(`${name}_m`, { connection });
    @again class Animal extends Manual {
      static override definition = 'animal_id: int unsigned\n---\nspecies: varchar(32)\nborn = null : date';
    }
    await expect(again.activate()).resolves.toBeUndefined();
    const changed = new Schema(`${name}_m`, { connection });
    @changed class Animal2 extends Manual {
      static override definition = 'animal_id: int unsigned\n---\nspecies: varchar(32)';
    }
    void Animal; void Animal2;
    const renamed = new Schema(`${name}_m`, { connection });
    renamed.declare({ Animal: class extends Manual { static override definition = 'animal_id: bigint\n---\nspecies: varchar(32)\nborn = null : date'; } }.Animal);
    await expect(renamed.activate()).rejects.toThrow(SchemaMismatchError);
    await expect(renamed.activate()).rejects.toThrow(/animal_id is int unsigned in the database but bigint in the definition/);
  });

  it('creates nothing when declaration fails part-way', async () => {
    const schema = new Schema(`${name}_f`, { connection });
    await schema.drop({ force: true });
    @schema class Good extends Manual { static override definition = 'id: int'; }
    @schema class Bad extends Manual { static override definition = '-> Good\n---\nx: varchr(2)'; }
    void Good; void Bad;
    await expect(schema.activate()).rejects.toThrow(/Unknown type/);
    expect(await schema.listTables()).toEqual([]);
  });

  it('drops with dependents, refusing without force when data would be lost', async () => {
    const { schema, Animal, Recording } = pipeline('_d');
    await schema.drop({ force: true });
    await Animal.insert1({ animal_id: 1 });
    await Recording.insert1({ animal_id: 1, rec: 1 });
    await expect(Animal.drop()).rejects.toThrow(DataLossError);
    expect(await schema.listTables()).toContain('animal');
    await Animal.drop({ force: true });
    expect(await schema.listTables()).toEqual(['#probe']);
    await expect(schema.drop()).rejects.toThrow(/would delete data \(Probe: 2 rows\)/);
    await schema.drop({ force: true });
    expect(await schema.listTables()).toEqual([]);
  });

  it("declares the seed's five tables as the seed wrote them", async () => {
    const schema = new Schema(`${name}_seed`, { connection });
    await schema.drop({ force: true });
    @schema class Subject extends Manual {
      static override definition = `
      subject_id: int auto_increment
      ---
      subject_name: varchar(128)
      `;
    }
    @schema class Session extends Manual {
      static override definition = `
      session_id: int auto_increment
      ---
      sample_number: int
      session_date: date
      ->Subject
      `;
    }
    @schema class Stimulation extends Manual {
      static override definition = `
      stimulation_id: int auto_increment
      ---
      fps: float
      movie: longblob
      movie_shape: longblob
      n_frames: int
      pixel_size: float
      stim_height: int
      stim_width: int
      stimulus_onset: float
      x_block_size: int
      y_block_size: int
      ->Session
      `;
    }
    @schema class SpikeGroup extends Manual {
      static override definition = `
      spike_group_id: int auto_increment
      ---
      ->Stimulation
      `;
    }
    @schema class Spike extends Manual {
      static override definition = `
      spike_id: int auto_increment
      ---
      spike_time: float
      spike_movie_time: float
      sta = NULL : longblob
      ->SpikeGroup
      `;
    }
    void Stimulation; void SpikeGroup;
    await schema.activate();
    expect(await schema.listTables()).toEqual(['session', 'spike', 'spike_group', 'stimulation', 'subject']);
    await Subject.insert1({ subject_name: 'KO (chx10)' });
    const { subject_id } = (await Subject.fetch1()) as { subject_id: number };
    await Session.insert1({ sample_number: 1, session_date: '2008-06-06', subject_id });
    expect(await Session.fetch()).toEqual([{ session_id: 1, sample_number: 1, session_date: '2008-06-06', subject_id: 1 }]);
    expect(Spike.heading.attributes.map((a) => [a.name, a.inKey, a.nullable])).toEqual([
      ['spike_id', true, false], ['spike_time', false, false], ['spike_movie_time', false, false], ['sta', false, true], ['spike_group_id', false, false],
    ]);
  });
});
