import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { Computed, Connection, Manual, PopulateError, ReservationLostError, Schema } from '../../src/index.js';
import { unpackBlob } from '../../src/schema/blob/unpack.js';
import { dialects, schemaName, type TestDialect } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

const fixture = path.resolve('test/fixtures/jobs-pipeline.ts');
const djWorker = path.resolve('test/fixtures/datajoint-sql-worker.ts');
type Pipeline = typeof import('../fixtures/jobs-pipeline.js');

/** SQL that sets the current time, per backend, for rows written the way DataJoint writes them. */
const NOW3 = { sqlite: "strftime('%Y-%m-%d %H:%M:%f', 'now')", mysql: 'CURRENT_TIMESTAMP(3)', postgres: 'CURRENT_TIMESTAMP(3)' } as const;

describe.each(dialects)('DataJoint 2.3 jobs protocol on $name', (dialect: TestDialect) => {
  const url = dialect.url('jobs-protocol');
  const schemaFor = schemaName(`jobs_protocol_${dialect.name}`);
  const env = { ...process.env, RG_DB_URL: url, RG_TEST_SCHEMA: schemaFor };

  async function setUp(n: number): Promise<Pipeline> {
    process.env.RG_DB_URL = url;
    process.env.RG_TEST_SCHEMA = schemaFor;
    // A module instance per backend, so its schema connects to the database named above.
    const m = (await import(/* @vite-ignore */ `../fixtures/jobs-pipeline.js?${dialect.name}`)) as Pipeline;
    await m.schema.drop({ force: true });
    await m.Item.insert(Array.from({ length: n }, (_, i) => ({ item_id: i + 1 })));
    return m;
  }

  function child(script: string[], extra: Record<string, string> = {}): { done: Promise<number | null>; output: () => string; kill(): void; pid: number; go(): void } {
    const p = spawn(process.execPath, ['--import', 'tsx', ...script], { env: { ...env, ...extra }, stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    return { done: new Promise((r) => p.on('exit', (code) => r(code))), output: () => out, kill: () => p.kill('SIGKILL'), pid: p.pid!, go: () => p.stdin.end('go\n') };
  }
  const waitFor = async (check: () => boolean): Promise<void> => {
    for (let i = 0; i < 600 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
  };

  const afterKill: Array<{ kill(): void }> = [];
  afterAll(() => { for (const w of afterKill) w.kill(); });

  const ourWorker = (extra: Record<string, string> = {}, only?: number) => child(['-e', `
    const m = await import(${JSON.stringify(fixture)});
    console.log('STARTED');
    if (process.env.RG_TEST_WAIT_GO === '1') await new Promise((go) => { process.stdin.once('data', go); process.stdin.once('end', go); });
    const r = await m.Work.populate(${only === undefined ? '' : `{ item_id: ${only} }, `}{ reserveJobs: true, suppressErrors: true, order: 'random' });
    console.log('DONE', r.successCount);
    const { Connection } = await import(${JSON.stringify(path.resolve('src/index.ts'))});
    await Connection.closeAll();`], extra);

  it('creates the jobs table DataJoint 2.3.2 creates, and writes its ~lineage rows', async () => {
    const m = await setUp(1);
    await m.Work.jobs().declare();
    const c = m.schema.connection;
    const db = m.schema.database;
    if (dialect.name === 'mysql') {
      const [row] = await c.query<Record<string, string>>(`SHOW CREATE TABLE \`${db}\`.\`~~work\``);
      const ours = String(row!['Create Table']).replace(/ DEFAULT CHARSET=\S+( COLLATE=\S+)?/, '').replace(`\`${db}\``, '`jobs_fixture`');
      const theirs = /CREATE TABLE `~~work` \([\s\S]*?;/.exec(readFileSync('test/fixtures/datajoint/jobs-tables.sql', 'utf8'))![0]
        .replace(/ DEFAULT CHARSET=\S+( COLLATE=\S+)?/, '').replace(/;$/, '');
      expect(ours.replace('`item_id`', '`item_id`')).toEqual(theirs);
    }
    if (dialect.name === 'sqlite') {
      const columns = (await c.query<{ name: string }>('SELECT name FROM pragma_table_info(?)', [`${db}.~~work`])).map((r) => r.name);
      const theirs = [...readFileSync('test/fixtures/datajoint/jobs-tables.sql', 'utf8').split('-- DataJoint 0.14.9')[0]!.matchAll(/^ {2}`(\w+)` /gm)].map((x) => x[1]);
      expect(columns).toEqual(theirs);
    }
    if (dialect.name !== 'sqlite') {
      const lineage = await c.query<{ a: string; l: string }>(`SELECT ${c.dialect.quote('attribute_name')} AS a, ${c.dialect.quote('lineage')} AS l FROM ${c.dialect.tableRef(db, '~lineage')} WHERE ${c.dialect.quote('table_name')} = '~~work'`);
      expect(lineage.map((r) => [r.a, r.l])).toEqual([['item_id', `${db}.~~work.item_id`]]);
    }
  });

  it('three worker processes and one that speaks DataJoint\'s SQL share pending jobs DataJoint wrote: no key made twice, errors as DataJoint reads them', async () => {
    const n = 120;
    const m = await setUp(n);
    await m.Work.jobs().declare();
    const c = m.schema.connection;
    const jobs = c.dialect.tableRef(m.schema.database, '~~work');
    // DataJoint's refresh(): one pending row per key, priority and scheduled_time given.
    for (let i = 1; i <= n; i++) {
      await c.run(`INSERT INTO ${jobs} (item_id, status, priority, scheduled_time) VALUES (?, 'pending', ?, ${NOW3[dialect.name]})`, [i, i % 3]);
    }
    // DataJoint's worker lists the pending jobs once, as DataJoint does, and starts when ours have started.
    const dj = child([djWorker]);
    await waitFor(() => dj.output().includes('READY'));
    const ours = [0, 1, 2].map(() => ourWorker({ RG_TEST_WAIT_GO: '1' }));
    await waitFor(() => ours.every((w) => w.output().includes('STARTED')));
    // DataJoint's worker takes its first key before ours begin, then they run side by side.
    dj.go();
    await waitFor(() => dj.output().includes('FIRST'));
    for (const w of ours) w.go();
    const workers = [...ours, dj];
    expect(await Promise.all(workers.map((w) => w.done))).toEqual([0, 0, 0, 0]);
    const made = workers.map((w) => Number(/DONE (\d+)/.exec(w.output())?.[1] ?? NaN));
    const failing = Array.from({ length: n }, (_, i) => i + 1).filter(m.broken);
    expect(made.reduce((a, b) => a + b, 0)).toBe(n - failing.length);
    // Every make() that committed left one MakeCall row: none twice.
    const calls = await m.MakeCall.fetch();
    expect(calls).toHaveLength(n - failing.length);
    expect(new Set(calls.map((r) => r.item_id)).size).toBe(n - failing.length);
    expect(await m.Work.count()).toBe(n - failing.length);
    expect(await m.Work.Piece.count()).toBe(2 * (n - failing.length));
    expect(new Set(calls.map((r) => r.worker.slice(0, 3)))).toEqual(new Set(['rg-', 'dj-']));
    // What is left is the error rows, as DataJoint's Job.errors reads them.
    const rows = await c.query<Record<string, unknown>>(`SELECT item_id, status, error_message, error_stack, completed_time FROM ${jobs} ORDER BY item_id`);
    expect(rows.map((r) => [Number(r.item_id), r.status, r.error_message])).toEqual(failing.map((i) => [i, 'error', `Error: item ${i} is broken`]));
    for (const r of rows) {
      expect(r.error_message).toBe(`Error: item ${Number(r.item_id)} is broken`);
      expect(String(unpackBlob(r.error_stack as Uint8Array))).toContain(`item ${Number(r.item_id)} is broken`);
      expect(r.completed_time).not.toBeNull();
    }
    const listed = await m.Work.jobs().list('error');
    expect(listed.map((j) => j.key.item_id).sort((a, b) => Number(a) - Number(b))).toEqual(failing);
  }, 180_000);

  it('a worker killed mid-make: its key goes back to pending and is made once', async () => {
    const m = await setUp(6);
    const victim = ourWorker({ RG_TEST_HANG_AT: '4' }, 4);
    afterKill.push(victim);
    for (let i = 0; i < 300 && !victim.output().includes('HANG 4'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(victim.output()).toContain('HANG 4');
    const [held] = await m.Work.jobs().list('reserved');
    expect(held).toMatchObject({ key: { item_id: 4 }, pid: victim.pid });
    victim.kill();
    await victim.done;
    // Other workers skip a key while it is reserved; once its connection or process is gone it is given back.
    const result = await m.Work.populate({ reserveJobs: true, suppressErrors: true });
    expect(result.successCount).toBe(5);
    expect((await m.MakeCall.restrict({ item_id: 4 }).fetch()).map((r) => r.item_id)).toEqual([4]);
    expect((await m.Work.jobs().list()).map((j) => [j.key.item_id, j.status])).toEqual([[5, 'error']]);
  }, 60_000);

  it('a make whose reservation is taken away while it runs commits nothing: ReservationLostError', async () => {
    const m = await setUp(3);
    const c = m.schema.connection;
    const jobs = c.dialect.tableRef(m.schema.database, '~~work');
    const steal = `UPDATE ${jobs} SET host = 'elsewhere', connection_id = connection_id + 100000 WHERE item_id = 2`;
    m.hooks.duringMake = async (key) => {
      if (key.item_id !== 2) return;
      if (dialect.name === 'mysql') {
        const other = await mysql.createConnection(url);
        await other.query(steal.replace(jobs, `\`${m.schema.database}\`.\`~~work\``));
        await other.end();
      } else if (dialect.name === 'postgres') {
        const other = new pg.Client({ connectionString: url });
        await other.connect();
        await other.query(steal);
        await other.end();
      } else {
        // SQLite: make's transaction holds the write lock; the takeover happens inside it.
        await c.run(steal);
      }
    };
    try {
      const result = await m.Work.populate({ reserveJobs: true, suppressErrors: true, order: 'original' });
      expect(result.successCount).toBe(2);
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]!.error).toBeInstanceOf(ReservationLostError);
      expect(result.errors[0]!.error.message).toMatch(/reservation of key .*item_id.*2.* was taken away/);
    } finally {
      delete m.hooks.duringMake;
    }
    expect(await m.Work.restrict({ item_id: 2 }).count()).toBe(0);
    expect(await m.MakeCall.restrict({ item_id: 2 }).count()).toBe(0);
    expect(await m.Work.Piece.restrict({ item_id: 2 } as never).count()).toBe(0);
    // The row is not made an error row: it belongs to whoever holds it now.
    if (dialect.name !== 'sqlite') expect((await m.Work.jobs().list()).map((j) => [j.key.item_id, j.status, j.host])).toEqual([[2, 'reserved', 'elsewhere']]);
  }, 60_000);

  it('refresh with a priority, keepCompleted success rows with duration, ignore, and the job metadata columns', async () => {
    const m = await setUp(4);
    expect(await m.Work.jobs().refresh(undefined, { priority: 2 })).toEqual({ added: 4 });
    expect((await m.Work.jobs().list('pending')).map((j) => j.priority)).toEqual([2, 2, 2, 2]);
    await m.Work.jobs().ignore({ item_id: 3 });
    const c = m.schema.connection;
    if (dialect.name !== 'sqlite') {
      const [start, dur, ver] = dialect.name === 'mysql' ? ['datetime(3)', 'double', 'varchar(64)'] : ['timestamp(3)', 'double precision', 'varchar(64)'];
      const table = c.dialect.tableRef(m.schema.database, '__work');
      await c.run(`ALTER TABLE ${table} ADD COLUMN _job_start_time ${start} NULL, ADD COLUMN _job_duration ${dur} NULL, ADD COLUMN _job_version ${ver} DEFAULT ''`);
    }
    const result = await m.Work.populate({ reserveJobs: true, keepCompleted: true });
    expect(result.successCount).toBe(3);
    const listed = await m.Work.jobs().list();
    expect(listed.map((j) => [j.key.item_id, j.status]).sort()).toEqual([[1, 'success'], [2, 'success'], [3, 'ignore'], [4, 'success']]);
    for (const j of listed.filter((x) => x.status === 'success')) {
      expect(j.completedTime).not.toBeNull();
      expect(j.duration).toBeGreaterThanOrEqual(0);
    }
    // Success rows stay; the next populate does nothing.
    expect((await m.Work.populate({ reserveJobs: true, keepCompleted: true })).successCount).toBe(0);
    expect(m.Work.heading.names).toEqual(['item_id', 'value', 'worker']);
    if (dialect.name !== 'sqlite') {
      const rows = await c.query<Record<string, unknown>>(`SELECT _job_start_time, _job_duration FROM ${c.dialect.tableRef(m.schema.database, '__work')}`);
      expect(rows).toHaveLength(3);
      for (const r of rows) {
        expect(r._job_start_time).not.toBeNull();
        expect(Number(r._job_duration)).toBeGreaterThanOrEqual(0);
      }
      expect(Object.keys((await m.Work.fetch())[0]!).sort()).toEqual(['item_id', 'value', 'worker']);
    }
  }, 60_000);

  it('batch claims: keys are handed out, a jobGroup\'s together, and three workers with batch 4 make each key once', async () => {
    const m = await setUp(40);
    await m.Pair.jobs().refresh();
    const jobs = m.Pair.jobs();
    const worker = await jobs.workerIdentity();
    // One claim takes a run of one lane's keys, most urgent lane first.
    const claimed = await m.schema.connection.session(async (connectionId) => jobs.claim(5, { ...worker, connectionId }, ['lane']));
    expect(claimed.map((k) => [k.lane, k.item_id])).toEqual([[1, 1], [1, 2], [1, 3], [1, 4], [1, 5]]);
    expect((await jobs.list('reserved')).length).toBe(5);
    await jobs.unclaim(claimed, { ...worker, connectionId: (await jobs.list('reserved'))[0]!.connectionId });
    expect((await jobs.list('pending')).length).toBe(120);
    const workers = [0, 1, 2].map(() => child(['-e', `
      const m = await import(${JSON.stringify(fixture)});
      const r = await m.Pair.populate({ reserveJobs: true, batch: 4 });
      console.log('DONE', r.successCount);
      const { Connection } = await import(${JSON.stringify(path.resolve('src/index.ts'))});
      await Connection.closeAll();`]));
    expect(await Promise.all(workers.map((w) => w.done))).toEqual([0, 0, 0]);
    expect(workers.map((w) => Number(/DONE (\d+)/.exec(w.output())?.[1])).reduce((a, b) => a + b, 0)).toBe(120);
    const calls = await m.MakeCall.fetch();
    expect(calls).toHaveLength(120);
    expect(new Set(calls.map((r) => r.item_id)).size).toBe(120);
    expect(await m.Pair.count()).toBe(120);
    expect(await jobs.list()).toEqual([]);
  }, 120_000);

  it('refuses a jobs table of an older layout, saying to drop it', async () => {
    const name = schemaName(`jobs_old_${dialect.name}`);
    const schema = new Schema(name, { connection: url });
    @schema class Key extends Manual { static override definition = 'k: int32'; }
    @schema class Out extends Computed {
      static override definition = '-> Key';
      async make(): Promise<void> {}
    }
    await schema.drop({ force: true });
    await Key.insert1({ k: 1 });
    const c = schema.connection;
    const ref = c.dialect.tableRef(schema.database, '~~out');
    await c.run(`CREATE TABLE ${ref} (k int NOT NULL, status varchar(16) NOT NULL, priority int NOT NULL, PRIMARY KEY (k))`);
    await expect(Out.populate({ reserveJobs: true })).rejects.toThrow(PopulateError);
    await expect(Out.populate({ reserveJobs: true })).rejects.toThrow(/not laid out as DataJoint 2\.3 lays it out .*DROP TABLE/);
    await c.run(`DROP TABLE ${ref}`);
    expect((await Out.populate({ reserveJobs: true })).successCount).toBe(1);
    await schema.drop({ force: true });
  });
});

describe.runIf(dialects.some((d) => d.name === 'mysql'))('stale reservations with a MariaDB user that sees only its own connections', () => {
  const root = dialects.find((d) => d.name === 'mysql')!.url('jobs-limited');
  const name = schemaName('jobs_limited');

  it('releases only its own dead reservations, never keys of others it cannot see', async () => {
    const declare = (schema: Schema) => {
      @schema class Key extends Manual { static override definition = 'k: int32'; }
      @schema class Out extends Computed {
        static override definition = '-> Key';
        async make(): Promise<void> {}
      }
      return { Key, Out };
    };
    const admin = new Schema(name, { connection: root });
    const { Key, Out } = declare(admin);
    await admin.drop({ force: true });
    await Key.insert([1, 2, 3].map((k) => ({ k })));
    await Out.jobs().declare();
    const c = admin.connection;
    const host = new URL(root).hostname;
    await c.run("DROP USER IF EXISTS 'rgt_jobs_limited'@'%'");
    await c.run("CREATE USER 'rgt_jobs_limited'@'%' IDENTIFIED BY 'limited-pw'");
    await c.run(`GRANT ALL PRIVILEGES ON \`${admin.database}\`.* TO 'rgt_jobs_limited'@'%'`);
    const jobs = c.dialect.tableRef(admin.database, '~~out');
    // Reservations whose connections are gone: one by another user, one by the limited user, one by nobody alive.
    await c.run(`INSERT INTO ${jobs} (k, status, priority, user, host, pid, connection_id) VALUES
      (1, 'reserved', 5, 'someone@localhost', 'h', 1, 999999901), (2, 'reserved', 5, 'rgt_jobs_limited@%', 'h', 1, 999999902)`);
    const limitedUrl = `mysql://rgt_jobs_limited:limited-pw@${host}:${new URL(root).port}`;
    const { Out: LimitedOut } = declare(new Schema(name, { connection: limitedUrl }));
    expect(await LimitedOut.jobs().releaseStale()).toBe(1);
    expect((await Out.jobs().list()).map((j) => [j.key.k, j.status])).toEqual([[1, 'reserved'], [2, 'pending']]);
    // A user who sees every connection judges all of them.
    expect(await Out.jobs().releaseStale()).toBe(1);
    expect((await Out.jobs().list()).map((j) => j.status)).toEqual(['pending', 'pending']);
    await c.run("DROP USER 'rgt_jobs_limited'@'%'");
    await admin.drop({ force: true });
  });
});
