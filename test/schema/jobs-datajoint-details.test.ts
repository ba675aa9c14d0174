import 'reflect-metadata';
import { afterAll, describe, expect, it } from 'vitest';
import { Computed, Connection, Manual, Part, Schema } from '../../src/index.js';
import { dialects, schemaName } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

describe.each(dialects)('jobs rows as DataJoint writes them on $name', (dialect) => {
  const schema = new Schema(schemaName(`jobs_details_${dialect.name}`), { connection: dialect.url('jobs_details') });
  const failWith: { message?: string } = {};
  @schema class Key extends Manual<{ k: number }> { static override definition = 'k: int32'; }
  @schema class Out extends Computed<{ k: number; v: number }> {
    static override definition = '-> Key\n---\nv: int32';
    static Bit = class extends Part<{ k: number; b: number }> { static override definition = '-> master\nb: int8'; };
    async make(key: { k: number }): Promise<void> {
      await this.insert1({ k: key.k, v: key.k });
      if (key.k === 2 && failWith.message !== undefined) throw new Error(failWith.message);
      await Out.Bit.insert1({ k: key.k, b: 1 } as never);
    }
  }

  async function fresh(n: number): Promise<void> {
    await schema.drop({ force: true });
    await Key.insert(Array.from({ length: n }, (_, i) => ({ k: i + 1 })));
  }

  // DataJoint writes "Name" alone when the message is empty ("{exception}{msg}" with msg = "" ).
  it('an error with an empty message is recorded as DataJoint records it ("Error", not "Error: ")', async () => {
    await fresh(2);
    failWith.message = '';
    try {
      await Out.populate({ reserveJobs: true, suppressErrors: true });
    } finally {
      delete failWith.message;
    }
    const [row] = await Out.jobs().list('error');
    expect(row?.errorMessage).toBe('Error');
  });

  // An error row that cannot be written would leave the key `reserved` by a live pooled
  // connection: never released while this process lives, never retried.
  it('a make that fails with a NUL in its message leaves an error row, not a stuck reservation', async () => {
    await fresh(2);
    failWith.message = 'bad byte \u0000 in input';
    try {
      const r = await Out.populate({ reserveJobs: true, suppressErrors: true });
      expect(r.errors).toHaveLength(1);
    } finally {
      delete failWith.message;
    }
    expect((await Out.jobs().list()).map((j) => [j.key.k, j.status])).toEqual([[2, 'error']]);
  });

  // varchar(2047) and DataJoint count characters, not UTF-16 units.
  it('a message of 2047 characters with astral characters is stored whole, as DataJoint stores it', async () => {
    await fresh(2);
    const text = '😀'.repeat(2040); // 'Error: ' + 2040 characters = 2047 characters, 4087 UTF-16 units
    failWith.message = text;
    try {
      await Out.populate({ reserveJobs: true, suppressErrors: true });
    } finally {
      delete failWith.message;
    }
    const [row] = await Out.jobs().list('error');
    expect(row?.errorMessage).toBe(`Error: ${text}`);
  });
  // A kept `success` row made `pending` again: DataJoint deletes it and inserts a fresh pending row, so it never shows a finish time for work not done.
  it('refresh makes a success row of a key whose rows are gone a fresh pending job', async () => {
    await fresh(1);
    await Out.populate({ reserveJobs: true, keepCompleted: true });
    const c = schema.connection;
    await c.run(`DELETE FROM ${c.dialect.tableRef(schema.database, '__out__bit')}`);
    await c.run(`DELETE FROM ${c.dialect.tableRef(schema.database, '__out')}`);
    expect((await Out.jobs().refresh()).added).toBe(0);
    const [job] = await Out.jobs().list();
    expect(job).toMatchObject({ status: 'pending', completedTime: null, duration: null });
  });
});
