import 'reflect-metadata';
import { afterAll, describe, expect, it } from 'vitest';
import { Connection, Lookup, Manual, Schema, SchemaMismatchError } from '../../src/index.js';
import { dialects, schemaName } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

describe.each(dialects)('createTables: false on $name', (dialect) => {
  const connection = dialect.url('create_tables');
  const name = schemaName(`create_tables_${dialect.name}`);

  function declareOn(schema: Schema) {
    @schema
    class Animal extends Manual {
      static override definition = 'animal_id: int';
    }
    @schema
    class Probe extends Lookup {
      static override definition = 'probe: char(8)';
      static override contents = [{ probe: 'np1' }, { probe: 'np2' }];
    }
    return { Animal, Probe };
  }

  it('creates nothing where the tables are missing, and says which are', async () => {
    const reader = new Schema(name, { connection, createTables: false });
    declareOn(reader);
    await expect(reader.activate()).rejects.toThrow(SchemaMismatchError);
    await expect(reader.activate()).rejects.toThrow(/has no table for Animal, Probe, and it was opened with createTables: false, so nothing is created/);
    const writer = new Schema(name, { connection });
    expect(await writer.listTables()).toEqual([]);
    if (dialect.name === 'mysql') {
      expect(await writer.connection.query('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [writer.database])).toEqual([]);
    }
  });

  it('reads existing tables without writing, and leaves Lookup contents as they are', async () => {
    const writer = new Schema(name, { connection });
    const { Probe: WrittenProbe } = declareOn(writer);
    await writer.activate();
    await WrittenProbe.restrict({ probe: 'np2' } as never).delete({ force: true });
    const reader = new Schema(name, { connection, createTables: false });
    const { Probe } = declareOn(reader);
    await reader.activate();
    expect(await Probe.fetch()).toEqual([{ probe: 'np1' }]);
    await writer.drop({ force: true });
  });
});
