import 'reflect-metadata';
import { afterAll, describe, expect, it } from 'vitest';
import { Connection, Manual, Schema } from '../../src/index.js';
import type { Dialect } from '../../src/schema/connection/dialect.js';
import { dialects, schemaName } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

/** The statements sent, each marked by how: `text` (dialect.execute) or `binary` (dialect.executePrepared). */
function capture(connection: Connection): { log: Array<[string, string]>; stop(): void } {
  const original = connection.dialect;
  const log: Array<[string, string]> = [];
  const spy: Dialect = {
    ...original,
    execute: (raw, sql, params, statements) => {
      log.push(['text', sql.trim().split(' ')[0]!]);
      return original.execute(raw, sql, params, statements);
    },
    executePrepared: original.executePrepared && ((raw, sql, params) => {
      log.push(['binary', sql.trim().split(' ')[0]!]);
      return original.executePrepared!(raw, sql, params);
    }),
  };
  const target = connection as unknown as { dialect: Dialect };
  target.dialect = spy;
  return { log, stop: () => { target.dialect = original; } };
}

describe.each(dialects.filter((d) => d.name === 'mysql'))('rows with blobs on $name', (dialect) => {
  const schema = new Schema(schemaName('insert_binary_blobs'), { connection: dialect.url('insert_binary_blobs') });
  @schema class Trace extends Manual<{ k: number; note: string; when: string; v: unknown }> {
    static override definition = 'k: int32\n---\nnote: varchar(20)\nwhen: datetime\nv: longblob';
  }

  it('sends a single row with more than 1 kB of blob as binary parameters, and gets back the same values', async () => {
    await schema.drop({ force: true }).catch(() => undefined);
    await schema.activate();
    const big = Float64Array.from({ length: 2000 }, (_, i) => Math.sin(i) / 3);
    const small = Float64Array.from([1, 2, 3]);
    const { log, stop } = capture(schema.connection);
    try {
      await Trace.insert1({ k: 1, note: 'big', when: '2026-01-02 03:04:05', v: big });
      await Trace.insert1({ k: 2, note: 'small', when: '2026-01-02 03:04:05', v: small });
      await Trace.insert([{ k: 3, note: 'many', when: '2026-01-02 03:04:05', v: big }, { k: 4, note: 'many', when: '2026-01-02 03:04:05', v: big }]);
      await Trace.update1({ k: 2, v: big });
    } finally {
      stop();
    }
    const writes = log.filter(([, verb]) => verb === 'INSERT' || verb === 'UPDATE');
    // One row of 16 kB: binary; one of a few bytes: text; two rows in one statement: text; update1 of 16 kB: binary.
    expect(writes).toEqual([['binary', 'INSERT'], ['text', 'INSERT'], ['text', 'INSERT'], ['binary', 'UPDATE']]);
    const rows = await Trace.fetch();
    expect(rows.map((r) => [r.k, r.note, String(r.when)])).toEqual([1, 2, 3, 4].map((k) => [k, k === 1 ? 'big' : k === 2 ? 'small' : 'many', String(rows[0]!.when)]));
    const dataOf = (v: unknown): Float64Array => (v as { data?: Float64Array }).data ?? (v as Float64Array);
    const bytes = (a: Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    for (const row of rows) expect(bytes(dataOf(row.v)).equals(bytes(big))).toBe(true);
    await schema.drop({ force: true });
  });
});
