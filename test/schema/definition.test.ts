import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { DefinitionError, Manual, Part, Schema, parseDefinition, resolveType, snakeCase, tableNameFor } from '../../src/index.js';

function errorOf(fn: () => unknown): DefinitionError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DefinitionError);
    return e as DefinitionError;
  }
  throw new Error('expected a DefinitionError');
}

describe('definition parser', () => {
  it('reads the table comment, key, divider, defaults and comments with line numbers', () => {
    const parsed = parseDefinition('Session', `
      # a recording session
      -> Subject
      session_date: date          # day of the recording
      ---
      notes = '' : varchar(255)   # free text
      weight = 1.5 : float
      `);
    expect(parsed.comment).toBe('a recording session');
    expect(parsed.lines).toEqual([
      expect.objectContaining({ kind: 'foreignKey', line: 3, ref: 'Subject', inKey: true, nullable: false, unique: false, renames: {} }),
      expect.objectContaining({ kind: 'attribute', line: 4, name: 'session_date', type: 'date', inKey: true, default: undefined, comment: 'day of the recording' }),
      expect.objectContaining({ kind: 'attribute', line: 6, name: 'notes', type: 'varchar(255)', inKey: false, default: "''", comment: 'free text' }),
      expect.objectContaining({ kind: 'attribute', line: 7, name: 'weight', default: '1.5', type: 'float' }),
    ]);
  });

  it('reads every foreign-key form', () => {
    const lines = parseDefinition('T', `
      ->Subject
      ---
      -> [nullable] Other
      -> [unique] Third
      -> [nullable, unique] Fourth
      -> Parent.proj(new_id='old_id', b="a")
      -> other_schema.Table
      -> master
    `).lines;
    expect(lines.map((l) => l.kind === 'foreignKey' && [l.ref, l.nullable, l.unique, l.renames])).toEqual([
      ['Subject', false, false, {}],
      ['Other', true, false, {}],
      ['Third', false, true, {}],
      ['Fourth', true, true, {}],
      ['Parent', false, false, { new_id: 'old_id', b: 'a' }],
      ['other_schema.Table', false, false, {}],
      ['master', false, false, {}],
    ]);
  });

  it('reads indexes, quoted colons and hashes, and enum types', () => {
    const lines = parseDefinition('T', `
      id: int
      ---
      label = "a:b#c" : varchar(16)  # with punctuation
      state = 'on' : enum('on', 'off')
      index(label, state)
      unique index(state)
    `).lines;
    expect(lines[1]).toMatchObject({ name: 'label', default: '"a:b#c"', type: 'varchar(16)', comment: 'with punctuation' });
    expect(lines[2]).toMatchObject({ name: 'state', type: "enum('on', 'off')" });
    expect(lines[3]).toMatchObject({ kind: 'index', unique: false, attributes: ['label', 'state'] });
    expect(lines[4]).toMatchObject({ kind: 'index', unique: true, attributes: ['state'] });
  });

  it('names the table and line of a syntax error and says how to fix it', () => {
    const e = errorOf(() => parseDefinition('Session', `
      id: int
      this is not valid
    `));
    expect(e.table).toBe('Session');
    expect(e.line).toBe(3);
    expect(e.message).toContain('this is not valid');
    expect(e.message).toContain('Fix:');
  });

  it('refuses a nullable dependency in the primary key', () => {
    expect(errorOf(() => parseDefinition('T', '-> [nullable] P\nid: int')).message).toMatch(/primary key cannot be nullable/);
  });

  it('refuses unknown dependency options and bad projections', () => {
    expect(errorOf(() => parseDefinition('T', '-> [optional] P')).message).toMatch(/Unknown dependency option/);
    expect(errorOf(() => parseDefinition('T', '-> P.proj(a=b)')).message).toMatch(/projection/);
  });
});

describe('types', () => {
  it('maps 0.x spellings to plain columns and DataJoint 2 core types to markers', () => {
    expect(resolveType('int unsigned')).toMatchObject({ mysql: 'int unsigned', marker: undefined, unsigned: true });
    expect(resolveType('smallint unsigned auto_increment')).toMatchObject({ mysql: 'smallint unsigned', autoIncrement: true });
    expect(resolveType('int32')).toMatchObject({ mysql: 'int', marker: 'int32' });
    expect(resolveType('uint8')).toMatchObject({ mysql: 'tinyint unsigned', marker: 'uint8' });
    expect(resolveType('int64')).toMatchObject({ mysql: 'bigint', marker: 'int64', intBytes: 8 });
    expect(resolveType('float32')).toMatchObject({ mysql: 'float', marker: 'float32' });
    expect(resolveType('float64')).toMatchObject({ mysql: 'double', marker: 'float64' });
    expect(resolveType('decimal(8,3)')).toMatchObject({ mysql: 'decimal(8,3)', category: 'decimal' });
    expect(resolveType('bool')).toMatchObject({ mysql: 'tinyint(1)', category: 'bool' });
    expect(resolveType('uuid')).toMatchObject({ mysql: 'binary(16)', marker: 'uuid' });
    expect(resolveType('<blob>')).toMatchObject({ mysql: 'longblob', marker: '<blob>' });
    expect(resolveType('bytes')).toMatchObject({ mysql: 'longblob', marker: 'bytes' });
    expect(resolveType('longblob')).toMatchObject({ mysql: 'longblob', marker: undefined });
    expect(resolveType('timestamp')).toMatchObject({ mysql: 'timestamp' });
    expect(resolveType('json')).toMatchObject({ mysql: 'json' });
    expect(resolveType('enum("a","b")')).toMatchObject({ enumValues: ['a', 'b'] });
    expect(resolveType('varchr(3)')).toBeUndefined();
  });

  it('names tables as DataJoint does', () => {
    expect(snakeCase('SpikeTriggeredAverage')).toBe('spike_triggered_average');
    expect(tableNameFor('manual', 'Subject')).toBe('subject');
    expect(tableNameFor('lookup', 'StaParams')).toBe('#sta_params');
    expect(tableNameFor('imported', 'Stimulation')).toBe('_stimulation');
    expect(tableNameFor('computed', 'SpikeTriggeredAverage')).toBe('__spike_triggered_average');
    expect(tableNameFor('part', 'Unit', '__sorting')).toBe('__sorting__unit');
  });
});

describe('declaration errors', () => {
  const schema = (): Schema => new Schema('rgt_errors', { connection: 'sqlite::memory:' });

  function declareError(definitions: Record<string, string>): DefinitionError {
    const s = schema();
    return errorOf(() => {
      for (const [name, definition] of Object.entries(definitions)) {
        const cls = { [name]: class extends Manual { static override definition = definition; } }[name]!;
        s.declare(cls);
      }
      s.resolve();
    });
  }

  it('an unknown type', () => {
    const e = declareError({ Thing: 'id: int\n---\nx: varchr(3)' });
    expect([e.table, e.line]).toEqual(['Thing', 3]);
    expect(e.message).toMatch(/Unknown type "varchr\(3\)"/);
  });
  it('an unknown parent', () => {
    expect(declareError({ Thing: '-> Nowhere\nid: int' }).message).toMatch(/Unknown parent "Nowhere"/);
  });
  it('a duplicate attribute', () => {
    expect(declareError({ Thing: 'id: int\n---\nx: int\nx: float' }).message).toMatch(/declared twice/);
  });
  it('an attribute that duplicates one from a foreign key', () => {
    expect(declareError({ P: 'id: int', Thing: '-> P\nid: int' }).message).toMatch(/declared twice/);
  });
  it('an invalid default', () => {
    expect(declareError({ Thing: 'id: int\n---\nx = abc : int' }).message).toMatch(/Invalid default/);
    expect(declareError({ Thing: "id: int\n---\nx = 'z' : enum('a','b')" }).message).toMatch(/not one of/);
    expect(declareError({ Thing: "id: int\n---\nx = 'yesterday' : date" }).message).toMatch(/not a date/);
    expect(declareError({ Thing: 'id: int\n---\nx = -1 : int unsigned' }).message).toMatch(/unsigned/);
    expect(declareError({ Thing: 'id: int\n---\nx = 0 : longblob' }).message).toMatch(/blob can only default to NULL/);
  });
  it('a blob in the primary key', () => {
    expect(declareError({ Thing: 'id: longblob' }).message).toMatch(/cannot be part of the primary key/);
  });
  it('a nullable primary-key attribute', () => {
    expect(declareError({ Thing: 'id = NULL : int' }).message).toMatch(/cannot be NULL/);
  });
  it('a table without a primary key', () => {
    expect(declareError({ Thing: '---\nx: int' }).message).toMatch(/no primary key/);
  });
  it('a foreign-key cycle', () => {
    const e = declareError({ A: '-> B\nid: int', B: '-> A\nk: int' });
    expect(e.message).toMatch(/cycle: (A -> B -> A|B -> A -> B)/);
  });
  it('a Part without a master', () => {
    const s = schema();
    const e = errorOf(() => s.declare(class Orphan extends Part { static override definition = 'id: int'; }));
    expect(e.message).toMatch(/needs its master/);
  });
  it('-> master outside a Part', () => {
    expect(declareError({ Thing: '-> master\nid: int' }).message).toMatch(/only meaningful inside a Part/);
  });
  it('a class without a definition', () => {
    const s = schema();
    expect(errorOf(() => s.declare(class Empty extends Manual {})).message).toMatch(/no definition/);
  });
});

describe('references across schemas and Parts declared apart', () => {
  it('resolves -> otherSchema.Table through the context, and -> Name from a context class', () => {
    const lab = new Schema('rgt_lab_refs', { connection: 'sqlite::memory:' });
    const Animal = class Animal extends Manual { static override definition = 'animal: int'; };
    lab.declare(Animal);
    const analysis = new Schema('rgt_analysis_refs', { connection: 'sqlite::memory:', context: { lab, Animal } });
    const Weighing = class Weighing extends Manual { static override definition = '-> lab.Animal\nweighing: int'; };
    const Note = class Note extends Manual { static override definition = '-> Animal\nnote: int'; };
    analysis.declare(Weighing);
    analysis.declare(Note);
    analysis.resolve();
    const fk = Reflect.getOwnMetadata('rg-schema:table', Weighing).resolved.foreignKeys[0];
    expect([fk.parent.schema.name, fk.parent.tableName, fk.attributes]).toEqual(['rgt_lab_refs', 'animal', ['animal']]);
    expect(Reflect.getOwnMetadata('rg-schema:table', Note).resolved.foreignKeys[0].parent.className).toBe('Animal');
  });

  it('declares a Part against its master with schema.declare(Part, { master })', () => {
    const s = new Schema('rgt_parts_apart', { connection: 'sqlite::memory:' });
    const Scan = class Scan extends Manual { static override definition = 'scan: int'; };
    const Field = class Field extends Part { static override definition = '-> master\nfield: int'; };
    s.declare(Scan);
    s.declare(Field, { master: Scan });
    s.resolve();
    const info = Reflect.getOwnMetadata('rg-schema:table', Field);
    expect([info.tableName, info.className, info.resolved.heading.primaryKey]).toEqual(['scan__field', 'Scan.Field', ['scan', 'field']]);
  });
});
