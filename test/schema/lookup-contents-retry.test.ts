import { afterAll, describe, expect, it } from 'vitest';
import { Connection, DeadlockError, Lookup, QueryError, Schema } from '../../src/index.js';
import { schemaName, servers, type TestDialect } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

/** A schema whose connection fails the first INSERT into `#kind` as a server breaking a lock cycle would. */
async function schemaFailingOnce(dialect: TestDialect, name: string, error: () => Error) {
  const schema = new Schema(schemaName(name), { connection: dialect.url('lookup') });
  await schema.drop({ force: true });
  class Kind extends Lookup<{ kind: string }> {
    static override definition = 'kind: varchar(8)';
    static override contents = [{ kind: 'a' }, { kind: 'b' }];
  }
  schema.declare(Kind);
  const connection = schema.connection;
  const failures: string[] = [];
  // SQLite inserts through runMany; the servers through run.
  for (const method of ['run', 'runMany'] as const) {
    const original = (connection[method] as (...a: unknown[]) => Promise<unknown>).bind(connection);
    (connection as unknown as Record<string, unknown>)[method] = async (sql: string, ...rest: unknown[]) => {
      if (failures.length === 0 && /^INSERT/i.test(sql) && sql.includes('#kind')) {
        failures.push(sql);
        throw error();
      }
      return original(sql, ...rest);
    };
  }
  return { schema, Kind, failures };
}

// MySQL/MariaDB: SQLite never deadlocks (a writer waits for the file's lock), and PostgreSQL opens
// a schema in one transaction under an advisory lock, so openings take turns there.
describe.each(servers.filter((d) => d.name === 'mysql'))("a Lookup's contents, inserted when its schema is opened, on $name", (dialect) => {
  it('are inserted again when the server fails the statement to break a deadlock (workers opening the schema together)', async () => {
    const { schema, Kind, failures } = await schemaFailingOnce(dialect, 'lookup_retry', () => new DeadlockError('Deadlock in Kind: simulated', { sql: 'INSERT', params: [] }));
    await schema.activate();
    expect(failures).toHaveLength(1);
    expect((await Kind.fetch()).map((r) => r.kind).sort()).toEqual(['a', 'b']);
    await schema.drop({ force: true });
  });

  it('fail the opening on any other error', async () => {
    const { schema, failures } = await schemaFailingOnce(dialect, 'lookup_fail', () => new QueryError('Query failed: simulated', { sql: 'INSERT', params: [] }));
    await expect(schema.activate()).rejects.toThrow('simulated');
    expect(failures).toHaveLength(1);
    await schema.drop({ force: true });
  });
});
