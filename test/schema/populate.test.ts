import 'reflect-metadata';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Computed, Connection, Imported, Lookup, Manual, Part, PopulateError, Query, Schema } from '../../src/index.js';
import { dialects, schemaName, servers } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

describe.each(dialects)('populate on $name', (dialect) => {
  const schema = new Schema(schemaName(`populate_${dialect.name}`), { connection: dialect.url('populate') });
  const calls: number[] = [];
  @schema class Subject extends Manual<{ subject: number }> {
    static override definition = 'subject: int';
  }
  @schema class Param extends Lookup<{ param: number }> {
    static override definition = 'param: int';
    static override contents = [{ param: 1 }, { param: 2 }];
  }
  @schema class Result extends Computed<{ subject: number; param: number; value: number }> {
    static override definition = '-> Subject\n-> Param\n---\nvalue: int';
    static Detail = class extends Part<{ subject: number; param: number; d: number }> {
      static override definition = '-> master\nd: int';
    };
    async make(key: Record<string, unknown>): Promise<void> {
      const k = key as { subject: number; param: number };
      calls.push(k.subject * 10 + k.param);
      await this.insert1({ ...k, value: k.subject * k.param });
      await Result.Detail.insert([{ ...k, d: 1 }, { ...k, d: 2 }] as never);
      if (k.subject === 3) throw new Error(`subject 3 is broken (param ${k.param})`);
    }
  }
  @schema class OnlyOdd extends Imported<{ subject: number; n: number }> {
    static override definition = '-> Subject\n---\nn: int';
    static override keySource(): Query<object> {
      return Subject.restrict('subject % 2 = 1') as unknown as Query<object>;
    }
    async make(key: Record<string, unknown>): Promise<void> {
      await this.insert1({ ...(key as { subject: number }), n: 1 });
    }
  }

  beforeAll(async () => {
    await schema.drop({ force: true });
    await Subject.insert([1, 2, 3, 4].map((subject) => ({ subject })));
  });

  it('computes keySource minus what is done, honours restriction, maxCalls and order', async () => {
    expect(await Result.progress()).toEqual({ remaining: 8, total: 8 });
    calls.length = 0;
    const first = await Result.populate({ subject: 1 }, { order: 'reverse' });
    expect(first).toEqual({ successCount: 2, errors: [] });
    expect(calls).toEqual([12, 11]);
    const limited = await Result.populate({ subject: 2 }, { maxCalls: 1 });
    expect(limited.successCount).toBe(1);
    expect(await Result.progress()).toEqual({ remaining: 5, total: 8 });
    expect(await Result.progress({ subject: 2 })).toEqual({ remaining: 1, total: 2 });
  });

  it('rolls back a failing key with its parts and reports the key', async () => {
    await expect(Result.populate({ subject: 3 })).rejects.toThrow(PopulateError);
    await expect(Result.populate({ subject: 3 })).rejects.toThrow(/subject 3 is broken/);
    expect(await Result.restrict({ subject: 3 }).count()).toBe(0);
    expect(await Result.Detail.restrict({ subject: 3 } as never).count()).toBe(0);
    const suppressed = await Result.populate({ suppressErrors: true });
    expect(suppressed.successCount).toBe(3);
    expect(suppressed.errors.map((e) => e.key).sort((a, b) => Number(a.param) - Number(b.param))).toEqual([{ subject: 3, param: 1 }, { subject: 3, param: 2 }]);
    expect(await Result.Detail.count()).toBe(12);
  });

  it('records errors in the jobs table with reserveJobs, and skips them until cleared', async () => {
    const result = await Result.populate({ reserveJobs: true, suppressErrors: true });
    expect(result.errors).toHaveLength(2);
    const errors = await Result.jobs().list('error');
    expect(errors.map((j) => j.key).sort((a, b) => Number(a.param) - Number(b.param))).toEqual([{ subject: 3, param: 1 }, { subject: 3, param: 2 }]);
    expect(errors[0]!.errorMessage).toMatch(/^Error: subject 3 is broken/);
    calls.length = 0;
    expect(await Result.populate({ reserveJobs: true, suppressErrors: true })).toEqual({ successCount: 0, errors: [] });
    expect(calls).toEqual([]);
    expect(await Result.jobs().clear('error')).toBe(2);
    await Result.jobs().ignore({ subject: 3, param: 1 });
    await Result.populate({ reserveJobs: true, suppressErrors: true });
    expect(calls).toEqual([32]);
    expect((await Result.jobs().list()).map((j) => j.status).sort()).toEqual(['error', 'ignore']);
  });

  it('honours a restriction with reserveJobs (DataJoint #1413)', async () => {
    await Subject.insert([{ subject: 5 }, { subject: 6 }]);
    const result = await Result.populate({ subject: 5 }, { reserveJobs: true });
    expect(result.successCount).toBe(2);
    expect(await Result.restrict({ subject: 6 }).count()).toBe(0);
  });

  it('uses a custom keySource', async () => {
    expect(await OnlyOdd.populate()).toEqual({ successCount: 3, errors: [] });
    expect((await OnlyOdd.keys()).map((k) => k.subject).sort()).toEqual([1, 3, 5]);
  });

  it('refuses inserts outside make unless allowed', async () => {
    await expect(Result.insert1({ subject: 6, param: 1, value: 0 })).rejects.toThrow(/filled by populate/);
    await expect(Result.Detail.insert([{ subject: 6, param: 1, d: 1 }] as never)).rejects.toThrow(/filled by populate/);
    await Result.insert1({ subject: 6, param: 1, value: 0 }, { allowDirectInsert: true });
    expect(await Result.restrict({ subject: 6 }).count()).toBe(1);
  });

  it('populates every auto-populated table with schema.populateAll', async () => {
    await Subject.insert1({ subject: 7 });
    const results = await schema.populateAll({ suppressErrors: true });
    expect(Object.keys(results)).toEqual(['Result', 'OnlyOdd']);
    expect(results.OnlyOdd!.successCount).toBe(1);
  });
});

/** SQL that ends the session running it, as a crashed server or network would. */
const KILL_OWN_CONNECTION = { mysql: 'KILL CONNECTION_ID()', postgres: 'SELECT pg_terminate_backend(pg_backend_pid())' } as const;

describe.each(servers)('populate workers on $name', (server) => {
  const fixture = path.resolve('test/fixtures/populate-pipeline.ts');
  const env = { ...process.env, RG_DB_URL: server.url('workers'), RG_TEST_SCHEMA: 'rgt_populate_workers' };

  async function setUp(n: number) {
    process.env.RG_DB_URL = env.RG_DB_URL;
    process.env.RG_TEST_SCHEMA = env.RG_TEST_SCHEMA;
    // A module instance per server, so its schema connects to the server named above.
    const fresh = `../fixtures/populate-pipeline.js?${server.name}`;
    const m = (await import(/* @vite-ignore */ fresh)) as typeof import('../fixtures/populate-pipeline.js');
    await m.schema.drop({ force: true });
    await m.Item.insert(Array.from({ length: n }, (_, item) => ({ item })));
    return m;
  }

  function worker(extra: Record<string, string> = {}, only?: number): { done: Promise<number | null>; kill(): void; output: () => string } {
    const restriction = only === undefined ? '' : `{ item: ${only} }, `;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', `
      const m = await import(${JSON.stringify(fixture)});
      const r = await m.Work.populate(${restriction}{ reserveJobs: true, order: 'random' });
      console.log('DONE', r.successCount);
      process.exit(0);`], { env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    return { done: new Promise((r) => child.on('exit', (code) => r(code))), kill: () => child.kill('SIGKILL'), output: () => out };
  }

  async function check(m: Awaited<ReturnType<typeof setUp>>, n: number): Promise<void> {
    const rows = await m.Work.fetch();
    expect(rows).toHaveLength(n);
    expect(new Set(rows.map((r) => r.item)).size).toBe(n);
    expect(await m.Work.Piece.count()).toBe(3 * n);
    expect(await m.Work.Piece.exclude(m.Work.query()).count()).toBe(0);
    expect(await m.Work.jobs().list()).toEqual([]);
  }

  it('4 worker processes fill 200 keys exactly once, with their parts, and leave no reservation', async () => {
    const m = await setUp(200);
    const workers = Array.from({ length: 4 }, () => worker());
    expect(await Promise.all(workers.map((w) => w.done))).toEqual([0, 0, 0, 0]);
    const counts = workers.map((w) => Number(/DONE (\d+)/.exec(w.output())?.[1]));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(200);
    expect(counts.filter((c) => c > 0).length).toBeGreaterThan(1);
    await check(m, 200);
    expect(new Set((await m.Work.fetch()).map((r) => r.worker_pid)).size).toBeGreaterThan(1);
  }, 120_000);

  it('a worker killed mid-make leaves no partial rows; its key is recovered', async () => {
    const m = await setUp(200);
    const victim = worker({ RG_TEST_KILL_AT: '7' }, 7);
    for (let i = 0; i < 300 && !victim.output().includes('HANG 7'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(victim.output()).toContain('HANG 7');
    const others = [worker(), worker(), worker()];
    await Promise.all(others.map((w) => w.done));
    expect(await m.Work.count()).toBe(199);
    victim.kill();
    await victim.done;
    expect(await m.Work.restrict({ item: 7 }).count()).toBe(0);
    expect(await m.Work.Piece.restrict({ item: 7 } as never).count()).toBe(0);
    const again = await m.Work.populate({ reserveJobs: true });
    expect(again.successCount).toBeGreaterThanOrEqual(1);
    await check(m, 200);
  }, 120_000);

  it('populate({ workers: 3 }) starts local worker processes that share the jobs table', async () => {
    const m = await setUp(60);
    const result = await m.Work.populate({ workers: 3, workersStart: 'all', workerModule: { path: fixture, exportName: 'Work' } });
    expect(result).toEqual({ successCount: 60, errors: [], workersStarted: 2 });
    await check(m, 60);
  }, 120_000);

  it('a connection lost during make fails that key cleanly; the others complete', async () => {
    const url = server.url('lost');
    const schema = new Schema(schemaName('populate_lost'), { connection: url });
    @schema class Key extends Manual<{ k: number }> { static override definition = 'k: int'; }
    @schema class Out extends Computed<{ k: number }> {
      static override definition = '-> Key';
      static Piece = class extends Part { static override definition = '-> master\np: int'; };
      async make(key: Record<string, unknown>): Promise<void> {
        await this.insert1({ k: key.k as number });
        await Out.Piece.insert([{ k: key.k, p: 1 }] as never);
        if (key.k === 3) await schema.connection.run(KILL_OWN_CONNECTION[server.name as 'mysql' | 'postgres']);
      }
    }
    await schema.drop({ force: true });
    await Key.insert([1, 2, 3, 4, 5].map((k) => ({ k })));
    const result = await Out.populate({ suppressErrors: true });
    expect(result.successCount).toBe(4);
    expect(result.errors.map((e) => e.key)).toEqual([{ k: 3 }]);
    expect((await Out.keys()).map((r) => r.k).sort()).toEqual([1, 2, 4, 5]);
    expect(await Out.Piece.count()).toBe(4);
    expect(await Out.progress()).toEqual({ remaining: 1, total: 5 });
    await schema.drop({ force: true });
  });
});

describe('populate workers on one SQLite file', () => {
  it('several local processes share the file (WAL, busy timeout) and fill every key once', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'rg-sqlite-workers-')), 'shared.sqlite');
    process.env.RG_DB_URL = `sqlite://${file}`;
    process.env.RG_TEST_SCHEMA = 'rgt_sqlite_workers';
    // A fresh module instance, so its schema connects to the SQLite file named above.
    const fresh = '../fixtures/populate-pipeline.js?sqlite';
    const m = (await import(/* @vite-ignore */ fresh)) as typeof import('../fixtures/populate-pipeline.js');
    await m.Item.insert(Array.from({ length: 40 }, (_, item) => ({ item })));
    const result = await m.Work.populate({ workers: 3, workersStart: 'all', workerModule: { path: path.resolve('test/fixtures/populate-pipeline.ts'), exportName: 'Work' } });
    expect(result).toEqual({ successCount: 40, errors: [], workersStarted: 2 });
    expect(await m.Work.count()).toBe(40);
    expect(await m.Work.Piece.count()).toBe(120);
    // Three workers: this process and two it started.
    expect(new Set((await m.Work.fetch()).map((r: { worker_pid: number }) => r.worker_pid)).size).toBeLessThanOrEqual(3);
    expect(await m.Work.jobs().list()).toEqual([]);
  }, 120_000);
});
