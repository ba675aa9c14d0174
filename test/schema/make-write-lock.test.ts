import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { Computed, Connection, DuplicateError, Manual, Part, Schema } from '../../src/index.js';
import type { Dialect } from '../../src/schema/connection/dialect.js';
import { tableInfo } from '../../src/schema/declare/table-info.js';
import { dialects, schemaName, type TestDialect } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

/** Every statement the connection sends, in order, through a spy on its dialect's driver calls. */
function capture(connection: Connection): { log: string[]; stop(): void } {
  const original = connection.dialect;
  const log: string[] = [];
  const spy: Dialect = {
    ...original,
    execute: (raw, sql, params, statements) => {
      log.push(sql.trim());
      return original.execute(raw, sql, params, statements);
    },
    runMany: original.runMany && ((raw, sql, rows, statements) => {
      log.push(sql.trim());
      return original.runMany!(raw, sql, rows, statements);
    }),
    executePrepared: original.executePrepared && ((raw, sql, params) => {
      log.push(sql.trim());
      return original.executePrepared!(raw, sql, params);
    }),
  };
  const target = connection as unknown as { dialect: Dialect };
  target.dialect = spy;
  return { log, stop: () => { target.dialect = original; } };
}

const writes = (sql: string): boolean => /^(INSERT|UPDATE|DELETE|REPLACE)\b/i.test(sql);
const isEnd = (sql: string): boolean => sql === 'COMMIT' || sql === 'ROLLBACK';

describe.each(dialects)('make\'s transaction and the write lock on $name', (dialect: TestDialect) => {
  const schema = new Schema(schemaName(`make_write_lock_${dialect.name}`), { connection: dialect.url('make_write_lock') });
  type Mode = 'read-write' | 'read-only' | 'part-fails' | 'throws-after-read';
  let mode: Mode = 'read-write';
  /** The number of statements sent when the current make() began. */
  let makeStartedAt = -1;
  let log: string[] = [];
  @schema class Up extends Manual<{ k: number; x: number }> { static override definition = 'k: int32\n---\nx: int32'; }
  @schema class Out extends Computed<{ k: number; y: number }> {
    static override definition = '-> Up\n---\ny: int32';
    static Bit = class extends Part<{ k: number; b: number }> { static override definition = '-> master\nb: int8'; };
    async make(key: { k: number }): Promise<void> {
      makeStartedAt = log.length;
      const [up] = await Up.restrict(key).fetch();
      if (mode === 'read-only') return;
      if (mode === 'throws-after-read') throw new Error('no input');
      await this.insert1({ k: key.k, y: up!.x + 1 });
      // make sees the rows it wrote
      expect(await Out.restrict(key).count()).toBe(1);
      const bits = mode === 'part-fails' ? [{ k: key.k, b: 1 }, { k: key.k, b: 1 }] : [{ k: key.k, b: 1 }, { k: key.k, b: 2 }];
      await Out.Bit.insert(bits as never);
    }
  }
  const begin = schema.connection.dialect.beginTransaction;
  const c = (): Connection => schema.connection;

  async function populateLogged(options: Parameters<typeof Out.populate>[0] = {}): Promise<{ result: Awaited<ReturnType<typeof Out.populate>>; log: string[]; inMake: string[] }> {
    const spy = capture(c());
    log = spy.log;
    try {
      const result = await Out.populate(options as never);
      return { result, log: spy.log, inMake: spy.log.slice(makeStartedAt) };
    } finally {
      spy.stop();
      log = [];
    }
  }

  async function reset(n: number): Promise<void> {
    await schema.drop({ force: true });
    await Up.insert(Array.from({ length: n }, (_, i) => ({ k: i + 1, x: 10 * (i + 1) })));
    mode = 'read-write';
  }

  it('a make that reads then writes: SQLite sends BEGIN IMMEDIATE right before the first write; the servers begin before make as before', async () => {
    await reset(1);
    const { log: all, inMake } = await populateLogged();
    expect(await Out.fetch()).toEqual([{ k: 1, y: 11 }]);
    expect(await Out.Bit.count()).toBe(2);
    expect(all.filter((s) => s === begin)).toHaveLength(1);
    const firstWrite = all.findIndex(writes);
    if (dialect.name === 'sqlite') {
      expect(begin).toBe('BEGIN IMMEDIATE');
      // make's read ran before the transaction, the write lock was taken just before the insert
      expect(inMake[0]).toMatch(/^SELECT .*\bup["`]/);
      expect(all.indexOf(begin)).toBe(firstWrite - 1);
      expect(all.indexOf(begin)).toBeGreaterThan(makeStartedAt);
    } else {
      // unchanged: the transaction begins before make runs
      expect(all[makeStartedAt - 1]).toBe(begin);
      expect(inMake[0]).toMatch(/^SELECT /);
    }
    expect(all.at(-1)).toBe('COMMIT');
    expect(all.filter(isEnd)).toEqual(['COMMIT']);
  });

  it('a make that writes nothing, without jobs: no BEGIN at all on SQLite; the key stays to do', async () => {
    await reset(1);
    mode = 'read-only';
    const { result, log: all } = await populateLogged();
    expect(result.successCount).toBe(1);
    expect(await Out.count()).toBe(0);
    if (dialect.name === 'sqlite') {
      expect(all.filter((s) => /^(BEGIN|COMMIT|ROLLBACK)/.test(s))).toEqual([]);
      expect(all.some(writes)).toBe(false);
    } else {
      expect(all[makeStartedAt - 1]).toBe(begin);
      expect(all.filter(isEnd)).toEqual(['COMMIT']);
    }
    expect(await Out.todoKeys()).toEqual([{ k: 1 }]);
  });

  it('with jobs, a make that writes nothing: the reservation is checked under the write lock and its completion committed', async () => {
    await reset(1);
    mode = 'read-only';
    const { result, log: all, inMake } = await populateLogged({ reserveJobs: true });
    expect(result).toEqual({ successCount: 1, errors: [] });
    expect(await Out.jobs().list()).toEqual([]);
    // The check is the job's end itself: one DELETE that matches only a reservation this worker holds.
    const checkAt = all.findIndex((s, i) => i >= makeStartedAt && /^DELETE FROM .*~~out.*status.*'reserved'.*connection_id.*host.*pid/.test(s));
    expect(checkAt).toBeGreaterThan(makeStartedAt);
    if (dialect.name === 'sqlite') {
      // make's own read ran outside the transaction; BEGIN IMMEDIATE comes before the check, with no write between
      expect(inMake[0]).toMatch(/^SELECT .*\bup["`]/);
      const beginAt = all.lastIndexOf('BEGIN IMMEDIATE', checkAt);
      expect(beginAt).toBeGreaterThan(makeStartedAt);
      expect(all.slice(beginAt + 1, checkAt).filter(writes)).toEqual([]);
    } else {
      expect(all[makeStartedAt - 1]).toBe(begin);
    }
    // then the transaction commits, with nothing else written (what follows is the next, empty claim)
    const after = all.slice(checkAt + 1, all.indexOf('COMMIT', checkAt) + 1);
    expect(after.filter(writes)).toEqual([]);
    expect(after.filter((s) => /^(BEGIN|START|COMMIT|ROLLBACK)/.test(s))).toEqual(['COMMIT']);
    expect(after.at(-1)).toBe('COMMIT');
  });

  it('a make that reads, writes the master, then fails on a part: nothing is stored, no lock is left, and the next populate works', async () => {
    await reset(2);
    mode = 'part-fails';
    const { result, log: all } = await populateLogged({ suppressErrors: true });
    expect(result.successCount).toBe(0);
    expect(result.errors.map((e) => e.error)).toEqual([expect.any(DuplicateError), expect.any(DuplicateError)]);
    expect(await Out.count()).toBe(0);
    expect(await Out.Bit.count()).toBe(0);
    expect(c().inTransaction).toBe(false);
    // each key: its transaction began (at the master's insert on SQLite) and was rolled back
    expect(all.filter((s) => s === begin)).toHaveLength(2);
    expect(all.filter(isEnd)).toEqual(['ROLLBACK', 'ROLLBACK']);
    if (dialect.name === 'sqlite') {
      // Another process's handle can take the write lock at once: nothing holds it.
      const other = new Database(c().file!);
      try {
        other.pragma('busy_timeout = 0');
        other.exec('BEGIN IMMEDIATE; ROLLBACK');
      } finally {
        other.close();
      }
    }
    mode = 'read-write';
    expect((await Out.populate()).successCount).toBe(2);
    expect(await Out.query().orderBy('k').fetch()).toEqual([{ k: 1, y: 11 }, { k: 2, y: 21 }]);
    expect(await Out.Bit.count()).toBe(4);
  });

  it('a make that fails after reading, before any write: SQLite sends neither BEGIN nor ROLLBACK', async () => {
    await reset(1);
    mode = 'throws-after-read';
    const { result, log: all } = await populateLogged({ suppressErrors: true });
    expect(result.errors.map((e) => e.error.message)).toEqual(['no input']);
    expect(await Out.count()).toBe(0);
    if (dialect.name === 'sqlite') expect(all.filter((s) => /^(BEGIN|COMMIT|ROLLBACK)/.test(s))).toEqual([]);
    else expect(all.filter(isEnd)).toEqual(['ROLLBACK']);
    expect(c().inTransaction).toBe(false);
  });

  it('the same work sends the same SQL with and without lockAtFirstWrite on the servers; on SQLite only where BEGIN goes differs', async () => {
    await reset(3);
    const up = c().dialect.tableRef(schema.database, tableInfo(Up).tableName);
    const q = (n: string): string => c().dialect.quote(n);
    const work = async (k: number): Promise<void> => {
      await c().query(`SELECT ${q('x')} FROM ${up} WHERE ${q('k')} = ?`, [1]);
      await c().ensureWriteLock();
      await c().run(`INSERT INTO ${up} (${q('k')}, ${q('x')}) VALUES (?, ?)`, [k, k]);
      await c().query(`SELECT COUNT(*) AS n FROM ${up}`);
    };
    const plain = capture(c());
    try {
      await c().transaction(() => work(100));
    } finally {
      plain.stop();
    }
    const lazy = capture(c());
    try {
      await c().transaction(() => work(101), { lockAtFirstWrite: true });
    } finally {
      lazy.stop();
    }
    if (dialect.name === 'sqlite') {
      expect(plain.log.map((s) => s.slice(0, 6))).toEqual(['BEGIN ', 'SELECT', 'INSERT', 'SELECT', 'COMMIT']);
      // ensureWriteLock took the lock before the insert
      expect(lazy.log.map((s) => s.slice(0, 6))).toEqual(['SELECT', 'BEGIN ', 'INSERT', 'SELECT', 'COMMIT']);
    } else {
      expect(lazy.log).toEqual(plain.log);
    }
    expect(await Up.count()).toBe(5);
  });
});

describe('lockAtFirstWrite on SQLite: what counts as a write', () => {
  const schema = new Schema(schemaName('make_write_lock_kinds'), { connection: `sqlite://${path.join(mkdtempSync(path.join(tmpdir(), 'rg-test-')), 'kinds.sqlite')}` });
  @schema class Thing extends Manual<{ id: number; label: string }> { static override definition = 'id: int32\n---\nlabel: varchar(20)'; }
  const c = (): Connection => schema.connection;
  const ref = (): string => c().dialect.tableRef(schema.database, tableInfo(Thing).tableName);
  const kinds = (log: string[]): string[] => log.map((s) => s.split(/\s/)[0]!);

  async function logged(work: () => Promise<void>): Promise<string[]> {
    const spy = capture(c());
    try {
      await work();
      return spy.log;
    } finally {
      spy.stop();
    }
  }

  it('a user\'s own transaction still begins with BEGIN IMMEDIATE before its reads', async () => {
    await schema.drop({ force: true });
    await Thing.insert1({ id: 1, label: 'a' });
    const log = await logged(() => c().transaction(async () => {
      const [row] = await Thing.restrict({ id: 1 }).fetch();
      await Thing.update1({ id: 1, label: `${row!.label}b` });
    }));
    expect(log[0]).toBe('BEGIN IMMEDIATE');
    expect(kinds(log).at(-1)).toBe('COMMIT');
    expect((await Thing.fetch())[0]!.label).toBe('ab');
  });

  it('INSERT … RETURNING (a reader that writes) is preceded by BEGIN; reads after it see the transaction\'s rows', async () => {
    await schema.drop({ force: true });
    await Thing.insert1({ id: 1, label: 'a' });
    let seen = -1;
    const log = await logged(() => c().transaction(async () => {
      await c().query(`SELECT * FROM ${ref()}`);
      const returned = await c().query<{ id: bigint | number }>(`INSERT INTO ${ref()} (id, label) VALUES (2, 'b') RETURNING id`);
      expect(returned.map((r) => Number(r.id))).toEqual([2]);
      seen = Number((await c().query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${ref()}`))[0]!.n);
    }, { lockAtFirstWrite: true }));
    expect(seen).toBe(2);
    expect(kinds(log)).toEqual(['SELECT', 'BEGIN', 'INSERT', 'SELECT', 'COMMIT']);
  });

  it('the prepared-statement path (runMany) and a nested transaction() take the lock; streamed pages do not', async () => {
    await schema.drop({ force: true });
    await Thing.insert(Array.from({ length: 12 }, (_, i) => ({ id: i + 1, label: 'x' })));
    const many = await logged(() => c().transaction(async () => {
      await c().runMany(`INSERT INTO ${ref()} (id, label) VALUES (?, ?)`, [[100, 'm'], [101, 'm']]);
    }, { lockAtFirstWrite: true }));
    expect(kinds(many)).toEqual(['BEGIN', 'INSERT', 'COMMIT']);

    let streamed = 0;
    const nested = await logged(() => c().transaction(async () => {
      for await (const _row of Thing.query()) streamed++;
      // a nested transaction() is read-modify-write code: it gets the lock when it starts
      await c().transaction(async () => {
        await Thing.restrict({ id: 1 }).fetch();
      });
    }, { lockAtFirstWrite: true }));
    expect(streamed).toBe(14);
    expect(kinds(nested)).toEqual(['SELECT', 'BEGIN', 'SELECT', 'COMMIT']);

    // ensureWriteLock outside a transaction sends nothing
    expect(await logged(() => c().ensureWriteLock())).toEqual([]);
    // a read-only deferred transaction sends no BEGIN and no COMMIT
    expect(kinds(await logged(() => c().transaction(async () => { await Thing.count(); }, { lockAtFirstWrite: true })))).toEqual(['SELECT']);
  });

  it('a failing write in a begun deferred transaction rolls back everything after BEGIN', async () => {
    await schema.drop({ force: true });
    await Thing.insert1({ id: 1, label: 'a' });
    const spy = capture(c());
    try {
      await expect(c().transaction(async () => {
        await c().query(`SELECT * FROM ${ref()}`);
        await c().run(`INSERT INTO ${ref()} (id, label) VALUES (2, 'b')`);
        await c().run(`INSERT INTO ${ref()} (id, label) VALUES (1, 'dup')`);
      }, { lockAtFirstWrite: true })).rejects.toThrow(DuplicateError);
    } finally {
      spy.stop();
    }
    expect(kinds(spy.log)).toEqual(['SELECT', 'BEGIN', 'INSERT', 'INSERT', 'ROLLBACK']);
    expect((await Thing.fetch()).map((r) => r.id)).toEqual([1]);
    expect(c().inTransaction).toBe(false);
  });
});

describe('two worker processes on one SQLite file', () => {
  const fixture = path.resolve('test/fixtures/write-lock-pipeline.ts');
  type Pipeline = typeof import('../fixtures/write-lock-pipeline.js');

  function worker(env: Record<string, string>, restriction: string): { done: Promise<number | null>; output: () => string } {
    const p = spawn(process.execPath, ['--import', 'tsx', '-e', `
      const m = await import(${JSON.stringify(fixture)});
      const r = await m.Result.populate(${restriction}{ reserveJobs: true, order: 'original' });
      console.log('DONE', r.successCount);
      const { Connection } = await import(${JSON.stringify(path.resolve('src/index.ts'))});
      await Connection.closeAll();`], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    return { done: new Promise((r) => p.on('exit', (code) => r(code))), output: () => out };
  }
  const until = async (check: () => boolean, tries = 1200): Promise<boolean> => {
    for (let i = 0; i < tries && !check(); i++) await new Promise((r) => setTimeout(r, 25));
    return check();
  };

  it('while worker A computes (between its read and its insert), worker B populates and commits other keys', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-test-lock-'));
    const env = { RG_DB_URL: `sqlite://${path.join(dir, 'shared.sqlite')}`, RG_TEST_SCHEMA: schemaName('make_write_lock_workers') };
    const gate = mkdtempSync(path.join(tmpdir(), 'rg-test-gate-'));
    process.env.RG_DB_URL = env.RG_DB_URL;
    process.env.RG_TEST_SCHEMA = env.RG_TEST_SCHEMA;
    const m = (await import(/* @vite-ignore */ `../fixtures/write-lock-pipeline.js?${env.RG_TEST_SCHEMA}`)) as Pipeline;
    await m.schema.drop({ force: true });
    await m.Source.insert(Array.from({ length: 5 }, (_, i) => ({ k: i + 1, x: i + 1 })));
    await m.Result.jobs().declare();

    const a = worker({ ...env, RG_TEST_GATE: gate, RG_TEST_PAUSE_AT: '1' }, '{ k: 1 }, ');
    try {
      expect(await until(() => existsSync(path.join(gate, 'reading')))).toBe(true);
      // A is inside make for key 1, its read done. B takes every other key and commits them.
      const b = worker(env, '');
      const finished = await Promise.race([b.done, new Promise((r) => setTimeout(() => r('still waiting'), 25_000))]);
      expect(finished).toBe(0);
      expect(b.output()).toContain('DONE 4');
      // Committed while A's make is still in progress: A has stored nothing yet and still holds key 1.
      expect(existsSync(path.join(gate, 'go'))).toBe(false);
      expect((await m.Result.query().orderBy('k').fetch()).map((r) => r.k)).toEqual([2, 3, 4, 5]);
      expect((await m.Result.jobs().list('reserved')).map((j) => j.key.k)).toEqual([1]);
    } finally {
      writeFileSync(path.join(gate, 'go'), '');
    }
    expect(await a.done).toBe(0);
    expect(a.output()).toContain('DONE 1');
    const rows = await m.Result.query().orderBy('k').fetch();
    expect(rows.map((r) => [r.k, r.y])).toEqual([[1, 2], [2, 4], [3, 6], [4, 8], [5, 10]]);
    expect(new Set(rows.filter((r) => r.k > 1).map((r) => r.worker)).size).toBe(1);
    expect(rows[0]!.worker).not.toBe(rows[1]!.worker);
    expect(await m.Result.Piece.count()).toBe(5);
    expect(await m.Result.jobs().list()).toEqual([]);
  }, 90_000);
});
