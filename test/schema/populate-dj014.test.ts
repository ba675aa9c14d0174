import 'reflect-metadata';
import { spawn } from 'node:child_process';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  Computed, Connection, DJ014_JOBS_TABLE, Manual, Schema, dj014ErrorMessage, dj014Jobs, dj014KeyHash, packBlob, pythonFloatText, resolveType, unpackBlob,
} from '../../src/index.js';
import type { Attribute } from '../../src/schema/definition/heading.js';
import { dj014KeyDict } from '../../src/schema/populate/dj014-key-hash.js';
import { fixtureText } from '../setup/datajoint-fixtures.js';
import { dialects, schemaName, servers } from '../setup/dialects.js';
import { keyBlob, keyHash as sqlWorkerKeyHash } from '../fixtures/dj014-sql-worker.mjs';

afterAll(() => Connection.closeAll());

const attribute = (name: string, type: string): Attribute => ({ name, type: resolveType(type)!, inKey: true, nullable: false, default: undefined, comment: '' });

describe('DataJoint 0.14 key_hash', () => {
  // Expected values computed with python3 (hashlib) by DataJoint 0.14's hash.key_hash:
  //   md5 = hashlib.md5(); for k, v in sorted(key.items()): md5.update(str(v).encode()); md5.hexdigest()
  it('equals what python3 computes for int keys (names sorted, not declaration order)', () => {
    expect(dj014KeyHash({ subject: 1, session: 2 })).toBe('3c59dc048e8850243be8079a5c74d079');
    expect(dj014KeyHash({ item: 7 })).toBe('8f14e45fceea167a5a36dedd4bea2543');
    expect(dj014KeyHash({ b: 'abc', a: 3 })).toBe('2f4fe09bb4f6bb9ad8ee6e7579e8f5e1');
    expect(sqlWorkerKeyHash({ item: 7 })).toBe('8f14e45fceea167a5a36dedd4bea2543');
  });

  it('equals python3 for a key of every hashable type, each as Python str() prints it', () => {
    // python3: {'session_date': date(2024,1,5), 'rate': 0.1, 'big': 10**17, 'ts': datetime(2024,1,5,12,0,0),
    //   'ts2': datetime(2024,1,5,12,0,0,500000), 'amount': Decimal('3.50'), 'uid': UUID('3c1f0e0c-…'), 'name': 'Zoë',
    //   'whole': 3.0, 'tiny': 1e-05, 'huge': 1.5e16, 'neg': -2.5}
    const types: Record<string, string> = {
      session_date: 'date', rate: 'double', big: 'bigint', ts: 'datetime', ts2: 'datetime(3)', amount: 'decimal(4,2)', uid: 'uuid',
      name: 'varchar(16)', whole: 'double', tiny: 'double', huge: 'double', neg: 'float',
    };
    const key = {
      session_date: '2024-01-05', rate: 0.1, big: 100000000000000000n, ts: '2024-01-05 12:00:00', ts2: '2024-01-05 12:00:00.500', amount: '3.50',
      uid: '3c1f0e0c-1d2e-4f5a-8b9c-0d1e2f3a4b5c', name: 'Zoë', whole: 3, tiny: 1e-5, huge: 1.5e16, neg: -2.5,
    };
    expect(dj014KeyHash(key, (n) => attribute(n, types[n]!))).toBe('f93ba2715fee363c445f118d2385bb17');
  });

  it('prints floats as Python repr does', () => {
    // python3: [repr(f) for f in (3.0, 1e-05, 1.5e16, 0.1, 123456789012345.6, 1e16, 9999999999999998.0, 0.0001, 5e-324, 1.7976931348623157e308, -0.0)]
    expect([3, 1e-5, 1.5e16, 0.1, 123456789012345.6, 1e16, 9999999999999998, 0.0001, 5e-324, 1.7976931348623157e308, -0].map(pythonFloatText)).toEqual(
      ['3.0', '1e-05', '1.5e+16', '0.1', '123456789012345.6', '1e+16', '9999999999999998.0', '0.0001', '5e-324', '1.7976931348623157e+308', '-0.0']);
  });

  it('packs the key as the dict blob 0.14 writes (byte for byte with a hand-written 0.14 packer)', () => {
    const ours = packBlob(dj014KeyDict({ item: 300 }, (n) => attribute(n, 'int')));
    expect(ours.equals(keyBlob({ item: 300 }))).toBe(true);
    expect(ours.toString('hex')).toBe('646a30000401000000000000000d000000000000000504000000000000006974656d05000000000000000a02002c01');
    expect(unpackBlob(ours)).toEqual({ item: 300 });
  });

  it('truncates error messages as 0.14 does', () => {
    expect(dj014ErrorMessage(new RangeError('bad'))).toBe('RangeError: bad');
    const long = dj014ErrorMessage(new Error('x'.repeat(5000)));
    expect(long).toHaveLength(2047);
    expect(long.endsWith('...truncated')).toBe(true);
    expect(long.startsWith('Error: xxx')).toBe(true);
  });
});

describe.each(dialects)('populate({ jobs: "datajoint-0.14" }) on $name', (dialect) => {
  const schema = new Schema(schemaName(`populate_dj014_${dialect.name}`), { connection: dialect.url('populate_dj014') });
  const calls: number[] = [];
  @schema class Subject extends Manual<{ subject: number }> {
    static override definition = 'subject: int';
  }
  @schema class Stats extends Computed<{ subject: number; v: number }> {
    static override definition = '-> Subject\n---\nv: int';
    async make(key: Record<string, unknown>): Promise<void> {
      const subject = key.subject as number;
      calls.push(subject);
      await this.insert1({ subject, v: subject * 2 });
      if (subject === 3) throw new TypeError(`subject 3 is broken ${'!'.repeat(3000)}`);
    }
  }
  const jobs = dj014Jobs(schema);

  beforeAll(async () => {
    await schema.drop({ force: true });
    await Subject.insert([1, 2, 3, 4, 5].map((subject) => ({ subject })));
  });

  it('reserves through ~jobs, leaves no reservation, and records errors as 0.14 rows', async () => {
    const result = await Stats.populate({ jobs: 'datajoint-0.14', suppressErrors: true });
    expect(result.successCount).toBe(4);
    expect(result.errors.map((e) => e.key)).toEqual([{ subject: 3 }]);
    expect(await schema.listTables()).not.toContain(DJ014_JOBS_TABLE);
    const rows = await jobs.list();
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row).toMatchObject({ tableName: '__stats', keyHash: 'eccbc87e4b5ce2fe28308fd9f2a7baf3', status: 'error', pid: process.pid });
    expect(row.errorMessage).toHaveLength(2047);
    expect(row.errorMessage).toMatch(/^TypeError: subject 3 is broken !+\.\.\.truncated$/);
    const ref = schema.connection.dialect.tableRef(schema.database, DJ014_JOBS_TABLE);
    const q = (c: string): string => schema.connection.dialect.quote(c);
    const [blobs] = await schema.connection.query<{ key: Buffer; stack: Buffer }>(`SELECT ${q('key')} AS ${q('key')}, ${q('error_stack')} AS ${q('stack')} FROM ${ref}`);
    expect(unpackBlob(blobs!.key)).toEqual({ subject: 3 });
    const stack = unpackBlob(blobs!.stack) as string;
    expect(typeof stack).toBe('string');
    expect(stack).toContain('TypeError: subject 3 is broken');
    expect(stack).toContain('make');
  });

  it('skips keys with error and ignore rows until they are cleared, like 0.14', async () => {
    calls.length = 0;
    expect(await Stats.populate({ jobs: 'datajoint-0.14', suppressErrors: true })).toEqual({ successCount: 0, errors: [] });
    expect(calls).toEqual([]);
    await Subject.insert1({ subject: 6 });
    expect(await jobs.ignore('__stats', { subject: 6 })).toBe(true);
    // As 0.14: a key that has a row already (here the error of subject 3) is left as it is.
    expect(await jobs.ignore('__stats', { subject: 3 })).toBe(false);
    expect(await Stats.populate({ jobs: 'datajoint-0.14', suppressErrors: true })).toEqual({ successCount: 0, errors: [] });
    expect((await jobs.list()).map((j) => j.status).sort()).toEqual(['error', 'ignore']);
    expect(await jobs.clear({ tableName: '__stats', status: 'ignore' })).toBe(1);
    expect((await Stats.populate({ jobs: 'datajoint-0.14', suppressErrors: true })).successCount).toBe(1);
    expect(await jobs.clear({ status: 'error' })).toBe(1);
    const retried = await Stats.populate({ jobs: 'datajoint-0.14', suppressErrors: true });
    expect(retried.errors).toHaveLength(1);
    expect(calls).toEqual([6, 3]);
  });

  it('ignore() leaves a key another worker holds reserved, as 0.14 does', async () => {
    const me = await jobs.workerIdentity();
    expect(await jobs.reserve('__other', { subject: 1 }, { ...me, connectionId: 42 })).toBe(true);
    expect(await jobs.ignore('__other', { subject: 1 })).toBe(false);
    expect((await jobs.list({ tableName: '__other' })).map((j) => [j.status, j.connectionId])).toEqual([['reserved', 42]]);
    expect(await jobs.clear({ tableName: '__other' })).toBe(1);
  });

  it('skips a key another worker holds, and releases only reservations that are certainly stale', async () => {
    await Subject.insert1({ subject: 7 });
    const me = await jobs.workerIdentity();
    const dead = dialect.name === 'sqlite' ? { ...me, pid: 2 ** 22 + 12345 } : { ...me, connectionId: 2 ** 31 - 5 };
    expect(await jobs.reserve('__stats', { subject: 7 }, dead)).toBe(true);
    expect(await jobs.reserve('__stats', { subject: 7 }, me)).toBe(false);
    // Another user's reservation: its connection may be invisible to us, so it is never released.
    expect(await jobs.reserve('__other', { subject: 7 }, { ...dead, user: 'someone_else@host' })).toBe(true);
    calls.length = 0;
    expect((await Stats.populate({ jobs: 'datajoint-0.14', suppressErrors: true })).successCount).toBe(0);
    expect(calls).toEqual([]);
    const released = await jobs.releaseStale();
    expect(released).toBe(dialect.name === 'sqlite' ? 2 : 1);
    const left = await jobs.list({ status: 'reserved' });
    expect(left.map((j) => j.tableName)).toEqual(dialect.name === 'sqlite' ? [] : ['__other']);
    expect((await Stats.populate({ jobs: 'datajoint-0.14', releaseStale: true, suppressErrors: true })).successCount).toBe(1);
    expect(calls).toEqual([7]);
    await jobs.clear({ tableName: '__other' });
  });

  it('a schema created with { jobs: "datajoint-0.14" } reserves that way by default', async () => {
    const other = new Schema(schemaName(`populate_dj014d_${dialect.name}`), { connection: dialect.url('populate_dj014d'), jobs: 'datajoint-0.14' });
    @other class Key extends Manual<{ k: number }> { static override definition = 'k: int'; }
    @other class Out extends Computed<{ k: number }> {
      static override definition = '-> Key';
      async make(key: Record<string, unknown>): Promise<void> {
        if (key.k === 2) throw new Error('no');
        await this.insert1({ k: key.k as number });
      }
    }
    expect(other.jobs).toBe('datajoint-0.14');
    await other.drop({ force: true });
    await Key.insert([{ k: 1 }, { k: 2 }]);
    expect((await Out.populate({ suppressErrors: true })).successCount).toBe(1);
    expect((await dj014Jobs(other).list()).map((j) => [j.tableName, j.status])).toEqual([['__out', 'error']]);
    await other.drop({ force: true });
  });
});

describe.each(servers.filter((s) => s.name === 'mysql'))('~jobs DDL on $name', (server) => {
  it('is the table DataJoint 0.14.9 creates (SHOW CREATE TABLE against the fixture, charset aside)', async () => {
    const schema = new Schema(schemaName('dj014_ddl'), { connection: server.url('dj014_ddl') });
    await schema.drop({ force: true });
    await dj014Jobs(schema).declare();
    const [row] = await schema.connection.query<Record<string, string>>(`SHOW CREATE TABLE ${schema.connection.dialect.tableRef(schema.database, '~jobs')}`);
    const fixture = fixtureText('jobs-tables.sql');
    const expected = fixture.slice(fixture.indexOf('CREATE TABLE `~jobs`')).replace(/;\s*$/, '').replaceAll('jobs_fixture', schema.database);
    const withoutCharset = (ddl: string): string => ddl.replace(/ DEFAULT CHARSET=\w+( COLLATE=\w+)?/, '');
    expect(withoutCharset(row!['Create Table']!)).toBe(withoutCharset(expected));
    await schema.drop({ force: true });
  });
});

describe.each(servers)('a mixed fleet of DataJoint 0.14 and rg-schema workers on $name', (server) => {
  const fixture = path.resolve('test/fixtures/dj014-pipeline.ts');
  const sqlWorker = path.resolve('test/fixtures/dj014-sql-worker.mjs');
  const env = { ...process.env, RG_DB_URL: server.url('dj014_fleet'), RG_TEST_SCHEMA: 'rgt_dj014_fleet' };

  function run(args: string[], extra: Record<string, string> = {}): { done: Promise<number | null>; output: () => string } {
    const child = spawn(process.execPath, args, { env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    return { done: new Promise((r) => child.on('exit', (code) => r(code))), output: () => out };
  }
  const rgWorker = (extra: Record<string, string> = {}) => run(['--import', 'tsx', '-e', `
    const m = await import(${JSON.stringify(fixture)});
    const r = await m.Work.populate({ suppressErrors: true });
    console.log('DONE', r.successCount, 'CALLS', m.makeCalls, 'ERRORS', r.errors.length);
    process.exit(0);`], extra);

  it('computes each of 300 keys exactly once across 2 rg-schema processes and a 0.14 SQL worker', async () => {
    process.env.RG_DB_URL = env.RG_DB_URL;
    process.env.RG_TEST_SCHEMA = env.RG_TEST_SCHEMA;
    const m = (await import(/* @vite-ignore */ `../fixtures/dj014-pipeline.js?${server.name}`)) as typeof import('../fixtures/dj014-pipeline.js');
    await m.schema.drop({ force: true });
    await m.Item.insert(Array.from({ length: 300 }, (_, item) => ({ item })));
    // On MariaDB the 0.14 worker creates ~jobs from 0.14's own DDL; on PostgreSQL rg-schema does.
    if (server.name === 'mysql') {
      const declare = run([sqlWorker], { RG_DJ014_DDL: 'only' });
      expect(await declare.done).toBe(0);
      expect(declare.output()).toContain('DECLARED');
    } else {
      await dj014Jobs(m.schema).declare();
    }
    const workers = [run([sqlWorker]), rgWorker(), rgWorker()];
    expect(await Promise.all(workers.map((w) => w.done))).toEqual([0, 0, 0]);
    const dj014Makes = Number(/DONE (\d+)/.exec(workers[0]!.output())?.[1]);
    const rg = workers.slice(1).map((w) => /DONE (\d+) CALLS (\d+) ERRORS (\d+)/.exec(w.output())!.slice(1).map(Number));
    expect(rg.map((r) => r[2])).toEqual([0, 0]);
    // Every make() call of every process, committed or not, summed: each key was computed once.
    expect(dj014Makes + rg[0]![1]! + rg[1]![1]!).toBe(300);
    expect(dj014Makes + rg[0]![0]! + rg[1]![0]!).toBe(300);
    expect(await m.Work.count()).toBe(300);
    const log = await m.Work.Log.fetch();
    expect(log).toHaveLength(300);
    expect(new Set(log.map((r) => r.item)).size).toBe(300);
    expect(log.filter((r) => r.who.startsWith('dj014-')).length).toBe(dj014Makes);
    expect(await dj014Jobs(m.schema).list()).toEqual([]);
  }, 180_000);

  it('an rg-schema failure is a 0.14 error row the 0.14 worker skips', async () => {
    const m = (await import(/* @vite-ignore */ `../fixtures/dj014-pipeline.js?${server.name}`)) as typeof import('../fixtures/dj014-pipeline.js');
    await m.Item.insert([{ item: 1000 }, { item: 1001 }]);
    const failing = rgWorker({ RG_TEST_FAIL_ITEM: '1000' });
    expect(await failing.done).toBe(0);
    expect(failing.output()).toMatch(/DONE 1 CALLS 2 ERRORS 1/);
    const [row] = await dj014Jobs(m.schema).list();
    expect(row).toMatchObject({ tableName: '__work', keyHash: sqlWorkerKeyHash({ item: 1000 }), status: 'error', errorMessage: 'RangeError: item 1000 cannot be squared here' });
    const sql = run([sqlWorker]);
    expect(await sql.done).toBe(0);
    expect(sql.output()).toContain('DONE 0');
    expect(await m.Work.restrict({ item: 1000 }).count()).toBe(0);
    await m.schema.drop({ force: true });
  }, 60_000);
});

describe.each(servers.filter((s) => s.name === 'mysql'))('0.14 reservations beside a completion on $name', (server) => {
  it('a reserve InnoDB picks to break the deadlock of two inserts of a row another deletes is tried again, not raised', async () => {
    // MySQL's manual: a session deletes a row; two sessions insert it, each waits for a shared
    // lock on it; the delete commits, both hold the shared lock and want the exclusive one. One
    // of the two inserts fails with a deadlock. 0.14 reserves by insert and completes by delete.
    const schema = new Schema(schemaName('dj014_deadlock'), { connection: server.url('dj014_deadlock') });
    await schema.drop({ force: true });
    const jobs = dj014Jobs(schema);
    await jobs.declare();
    const url = new URL(server.url('dj014_deadlock'));
    const connect = () => mysql.createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), database: schema.database });
    const [deleting, inserting, watching] = [await connect(), await connect(), await connect()];
    const me = { ...(await jobs.workerIdentity()), connectionId: 1 };
    // Our reservation's INSERTs, to see the retry happen.
    let ourInserts = 0;
    const run = schema.connection.run.bind(schema.connection);
    vi.spyOn(schema.connection, 'run').mockImplementation((...args: Parameters<typeof run>) => {
      if (args[0].startsWith('INSERT INTO')) ourInserts++;
      return run(...args);
    });
    const outcomes: Array<boolean | string> = [];
    const victims: string[] = [];
    // Both orders of the two inserts, three times each: whichever InnoDB picks, ours is among them.
    for (const oursFirst of [true, false, true, false, true, false]) {
      const key = { item: outcomes.length };
      const hash = dj014KeyHash(key);
      await deleting.query("INSERT INTO `~jobs` (table_name, key_hash, status, `key`, user, host, pid, connection_id) VALUES ('__out', ?, 'reserved', NULL, 'them', 'h', 1, 1)", [hash]);
      await deleting.query('BEGIN');
      await deleting.query("DELETE FROM `~jobs` WHERE table_name = '__out' AND key_hash = ?", [hash]);
      const theirs = async (): Promise<void> => {
        try {
          await inserting.query("INSERT INTO `~jobs` (table_name, key_hash, status, `key`, user, host, pid, connection_id) VALUES ('__out', ?, 'reserved', NULL, 'them', 'h', 2, 2)", [hash]);
        } catch (error) {
          victims.push((error as { code?: string }).code ?? String(error));
        }
      };
      const waitingOn = async (n: number): Promise<void> => {
        for (let i = 0; i < 200; i++) {
          // InnoDB's own view of lock waits (INNODB_TRX) is a cache that a quick poll does not refresh.
          const [rows] = await watching.query<mysql.RowDataPacket[]>("SELECT count(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'INSERT INTO %~jobs%' AND STATE = 'Update'");
          if (Number(rows[0]!.n) >= n) return;
          await new Promise((r) => setTimeout(r, 10));
        }
        throw new Error(`${n} inserts did not wait for the row's lock within 2 s`);
      };
      let ours: Promise<boolean | string>;
      let other: Promise<void>;
      if (oursFirst) {
        ours = jobs.reserve('__out', key, me).catch((error: Error) => `raised ${error.name}`);
        await waitingOn(1);
        other = theirs();
      } else {
        other = theirs();
        await waitingOn(1);
        ours = jobs.reserve('__out', key, me).catch((error: Error) => `raised ${error.name}`);
      }
      await waitingOn(2);
      await deleting.query('COMMIT');
      await other;
      outcomes.push(await ours);
    }
    for (const c of [deleting, inserting, watching]) await c.end();
    // Never raised: true when ours went in, false when theirs did.
    expect(outcomes.every((o) => typeof o === 'boolean')).toBe(true);
    vi.restoreAllMocks();
    // The deadlock did happen: some rounds InnoDB picked theirs, and in some ours, which was tried again.
    expect(victims.length).toBeGreaterThan(0);
    expect(ourInserts).toBeGreaterThan(6);
    expect(victims.every((v) => v === 'ER_LOCK_DEADLOCK')).toBe(true);
    const rows = await jobs.list();
    expect(rows).toHaveLength(6);
    // Each key's row is the one of the insert that went in: ours where reserve said true.
    expect(rows.filter((r) => r.pid === me.pid).length).toBe(outcomes.filter((o) => o === true).length);
    await schema.drop({ force: true });
  }, 60_000);
});
