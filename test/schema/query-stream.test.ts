import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, DuplicateError, InvalidValueError, Manual, Schema, sql, type Default, type Key } from '../../src/index.js';
import { dialects, schemaName } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

interface PointRow { series: Key<number>; idx: Key<number>; value: number; label: string | null; flag: Default<number> }

/** Records the statements a connection runs while `work` runs. */
async function recording<T>(connection: Connection, work: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  const statements: string[] = [];
  const target = connection as unknown as Record<'query' | 'run' | 'runMany', (sql: string, ...rest: unknown[]) => Promise<unknown>>;
  const originals = { query: target.query, run: target.run, runMany: target.runMany };
  for (const name of ['query', 'run', 'runMany'] as const) {
    target[name] = function (this: unknown, text: string, ...rest: unknown[]) {
      statements.push(text);
      return originals[name].call(this, text, ...rest);
    };
  }
  try {
    return { result: await work(), statements };
  } finally {
    Object.assign(target, originals);
  }
}

describe.each(dialects)('streaming and chunked inserts on $name', (dialect) => {
  const schema = new Schema(schemaName(`stream_${dialect.name}`), { connection: dialect.url('stream') });
  @schema class Point extends Manual<PointRow> {
    static override definition = `
      series: int
      idx: int
      ---
      value: double
      label = null : varchar(16)
      flag = 0 : tinyint
    `;
  }
  const N = 12_345;
  const rowAt = (i: number): { series: number; idx: number; value: number; label: string | null } =>
    ({ series: i % 3, idx: i, value: i / 4, label: i % 5 === 0 ? null : `p${i % 7}` });

  beforeAll(async () => {
    await schema.drop({ force: true });
    await schema.activate();
  });

  it('inserts a generator chunk by chunk, holding one chunk, all in one transaction', async () => {
    let produced = 0;
    const producedAtStatement: number[] = [];
    function* rows(): Generator<ReturnType<typeof rowAt>> {
      for (let i = 0; i < N; i++) {
        produced++;
        yield rowAt(i);
      }
    }
    const connection = schema.connection;
    const run = connection.run.bind(connection);
    const runMany = connection.runMany.bind(connection);
    const spy = connection as unknown as { run: typeof run; runMany: typeof runMany };
    spy.run = (text, params, table) => {
      if (text.startsWith('INSERT')) producedAtStatement.push(produced);
      return run(text, params, table);
    };
    spy.runMany = (text, params, table) => {
      producedAtStatement.push(produced);
      return runMany(text, params, table);
    };
    try {
      expect(await Point.insert(rows(), { chunkSize: 5000 })).toBe(N);
    } finally {
      spy.run = run;
      spy.runMany = runMany;
    }
    // the rows of a chunk are read only when the chunk before it has been sent
    expect(producedAtStatement[0]).toBe(5000);
    expect(Math.max(...producedAtStatement.filter((p) => p < N))).toBe(10_000);
    expect(producedAtStatement.at(-1)).toBe(N);
    expect(await Point.count()).toBe(N);
    expect(await Point.restrict({ idx: 10 }).fetch1()).toEqual({ series: 1, idx: 10, value: 2.5, label: null, flag: 0 });
  });

  it('inserts an async iterable, and leaves nothing behind when a later chunk fails', async () => {
    let closed = false;
    async function* rows(): AsyncGenerator<ReturnType<typeof rowAt>> {
      try {
        for (let i = N; i < N + 3000; i++) yield rowAt(i);
        yield rowAt(5); // already present: the third chunk fails
        for (let i = N + 3000; i < N + 4000; i++) yield rowAt(i);
      } finally {
        closed = true;
      }
    }
    await expect(Point.insert(rows(), { chunkSize: 1000 })).rejects.toThrow(DuplicateError);
    expect(closed).toBe(true);
    expect(await Point.count()).toBe(N);
    async function* bad(): AsyncGenerator<object> {
      yield rowAt(N);
      yield { series: 0, idx: 'x', value: 1 };
    }
    await expect(Point.insert(bad() as never, { chunkSize: 1 })).rejects.toThrow(/Point.idx must be an integer/);
    expect(await Point.count()).toBe(N);
    async function* more(): AsyncGenerator<ReturnType<typeof rowAt>> {
      for (let i = N; i < N + 2500; i++) yield rowAt(i);
    }
    expect(await Point.insert(more(), { chunkSize: 1000 })).toBe(2500);
    await Point.restrict(sql`idx >= ${N}`).deleteQuick();
    await expect(Point.insert([], { chunkSize: 0 })).rejects.toThrow(InvalidValueError);
    expect(await Point.insert([])).toBe(0);
  });

  it('streams every row in key order, each SQLite page continuing after the last row of the one before', async () => {
    const { result: streamed, statements } = await recording(schema.connection, async () => {
      const rows: Array<{ series: number; idx: number }> = [];
      for await (const row of Point.query()) rows.push({ series: row.series, idx: row.idx });
      return rows;
    });
    expect(streamed.length).toBe(N);
    const expected = Array.from({ length: N }, (_, i) => ({ series: i % 3, idx: i })).sort((a, b) => a.series - b.series || a.idx - b.idx);
    expect(streamed).toEqual(expected);
    if (dialect.name === 'sqlite') {
      expect(statements.length).toBe(3);
      expect(statements[0]).toMatch(/ORDER BY "series", "idx" LIMIT \?$/);
      for (const page of statements.slice(1)) {
        expect(page).toMatch(/WHERE \(\("series", "idx"\) > \(\?, \?\)\) ORDER BY "series", "idx" LIMIT \?$/);
        expect(page).not.toMatch(/OFFSET/);
      }
    } else {
      expect(statements).toEqual([]); // one cursor, outside query()
    }
  });

  it('streams in a requested order with limit and offset, and pages by OFFSET on a nullable order', async () => {
    const { result: descending, statements } = await recording(schema.connection, async () => {
      const rows: number[] = [];
      for await (const row of Point.restrict(sql`series > 0`).orderBy('value DESC').offset(10).limit(6000)) rows.push(row.idx);
      return rows;
    });
    const others = Array.from({ length: N }, (_, i) => i).filter((i) => i % 3 !== 0).reverse();
    expect(descending).toEqual(others.slice(10, 6010));
    if (dialect.name === 'sqlite') {
      expect(statements[0]).toMatch(/ORDER BY "value" DESC, "series", "idx" LIMIT \? OFFSET \?$/);
      // mixed directions: the lexicographic condition spelled out
      expect(statements[1]).toContain('(("value" < ?) OR ("value" = ? AND "series" > ?) OR ("value" = ? AND "series" = ? AND "idx" > ?))');
    }
    const { result: byLabel, statements: labelPages } = await recording(schema.connection, async () => {
      let n = 0;
      for await (const row of Point.orderBy('label', 'idx')) if (row.label === null || row.label.startsWith('p')) n++;
      return n;
    });
    expect(byLabel).toBe(N);
    if (dialect.name === 'sqlite') expect(labelPages[1]).toMatch(/LIMIT \? OFFSET \?$/);
    const tied: number[] = [];
    for await (const row of Point.orderBy('flag', 'idx DESC')) tied.push(row.idx);
    expect(tied).toEqual(Array.from({ length: N }, (_, i) => N - 1 - i));
    const topped: number[] = [];
    for await (const row of Point.top(7, 'value DESC')) topped.push(row.idx);
    expect(topped).toEqual([N - 1, N - 2, N - 3, N - 4, N - 5, N - 6, N - 7]);
  });
});
