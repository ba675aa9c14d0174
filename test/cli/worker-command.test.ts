/**
 * `rg-pipeline worker` through the real command line: --max-keys, --until-done with two workers,
 * SIGTERM (finish the key in hand) and a second signal (give it back), reconnecting through an
 * outage, sweeping a silent worker's keys and session, and `status` showing workers by host.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { Connection } from '../../src/index.js';
import { dialects, servers, type TestDialect } from '../setup/dialects.js';

process.env.RG_FLEET_SCHEMA = 'rgt_fleet_cli';
const { schema, Item, Result } = await import('../fleet/fleet-tables.js');

const cli = path.resolve('src/cli/rg-pipeline.ts');
const fixture = path.resolve('test/fleet/fleet-tables.ts');
const tsx = import.meta.resolve('tsx');

interface Worker { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number> }

function worker(url: string, args: string[], env: Record<string, string> = {}): Worker {
  const child = spawn(process.execPath, ['--import', tsx, cli, 'worker', '--db', url, '--module', fixture, '--json', ...args], {
    env: { ...process.env, RG_DB_URL: '', DJ_HOST: '', RG_FLEET_SCHEMA: 'rgt_fleet_cli', RG_FLEET_MAKE_MS: '300', RG_FLEET_FAIL_EVERY: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : -1))));
  return { child, out: () => out, err: () => err, exited };
}

function events(w: Worker): Array<Record<string, unknown>> {
  return w.out().trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function completions(): Promise<number[]> {
  const c = schema.connection;
  return (await c.query<{ item: unknown }>(`SELECT ${c.dialect.quote('item')} AS item FROM ${c.dialect.tableRef(schema.database, 'completion')} ORDER BY 1`)).map((r) => Number(r.item));
}

/** The jobs table's rows, read with a plain SELECT (list() would declare the table, which waits for SQLite's write lock). */
/** Rows other than DataJoint 2.3's `pending` ones (a refresh writes those for every key not made yet). */
async function settledRows(): Promise<Array<{ item: number; status: string }>> {
  return (await jobRows()).filter((j) => j.status !== 'pending');
}

async function jobRows(): Promise<Array<{ item: number; status: string }>> {
  const c = schema.connection;
  const q = (n: string): string => c.dialect.quote(n);
  if (!(await c.dialect.listTables(c, schema.database)).includes('~~result')) return [];
  return (await c.query<{ item: unknown; status: string }>(`SELECT ${q('item')} AS item, ${q('status')} AS status FROM ${c.dialect.tableRef(schema.database, '~~result')} ORDER BY 1`))
    .map((r) => ({ item: Number(r.item), status: r.status }));
}

afterAll(() => Connection.closeAll());

describe.each(dialects)('rg-pipeline worker on $name', (dialect: TestDialect) => {
  let url = '';
  beforeEach(async () => {
    url = dialect.url('worker-command');
    schema.configure({ connection: url });
    await schema.drop({ force: true });
    await Item.insert(Array.from({ length: 8 }, (_, item) => ({ item })));
  });

  it('stops after --max-keys keys, and says why', async () => {
    const w = worker(url, ['--max-keys', '3']);
    expect(await w.exited).toBe(0);
    expect((await completions()).length).toBe(3);
    expect(events(w).at(-1)).toMatchObject({ event: 'stop', reason: 'max-keys', keys: 3, errors: 0 });
    expect(await settledRows()).toEqual([]);
  }, 60_000);

  it('--until-done: two workers share the keys, make each once, record the failures and exit', async () => {
    const env = { RG_FLEET_FAIL_EVERY: '6', RG_FLEET_MAKE_MS: '100' };
    const [a, b] = [worker(url, ['--until-done', '--idle-max', '1'], env), worker(url, ['--until-done', '--idle-max', '1'], env)];
    const codes = await Promise.all([a!.exited, b!.exited]);
    expect(await completions()).toEqual([0, 1, 2, 3, 4, 6, 7]);
    expect(await jobRows()).toEqual([{ item: 5, status: 'error' }]);
    // The worker that met the failing key exits 1, as populate does when a key failed.
    expect(codes.sort()).toEqual([0, 1]);
    for (const w of [a!, b!]) expect(events(w).at(-1)).toMatchObject({ event: 'stop', reason: 'done' });
  }, 60_000);

  it('SIGTERM finishes the key in hand, then exits 0', async () => {
    const w = worker(url, ['--max-keys', '100'], { RG_FLEET_MAKE_MS: '1500', RG_FLEET_SAY_MAKING: '1' });
    await until('a key in hand', () => w.err().includes('making item'));
    const held = (await jobRows()).find((j) => j.status === 'reserved')!.item;
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
    expect(await completions()).toEqual([held]);
    expect(await settledRows()).toEqual([]);
    expect(w.err()).toContain('finishing the key in hand');
  }, 60_000);

  for (const [second, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`a second ${second} gives the key in hand back and exits ${code}`, async () => {
      const w = worker(url, ['--max-keys', '100'], { RG_FLEET_MAKE_MS: '4000', RG_FLEET_SAY_MAKING: '1' });
      // make() under way, not only the key claimed (a claimed key not yet started is given back on a stop, and the worker exits 0).
      await until('a key in hand', () => w.err().includes('making item'));
      const held = (await jobRows()).find((j) => j.status === 'reserved')!.item;
      w.child.kill('SIGTERM');
      await sleep(300);
      w.child.kill(second);
      expect(await w.exited).toBe(code);
      expect(await completions()).toEqual([]);
      // On a server the row is pending at once; on SQLite (no second session to do it from) the
      // next worker releases it, since the reserving process is gone.
      if (dialect.name !== 'sqlite') {
        expect(await settledRows()).toEqual([]);
        expect((await jobRows()).find((j) => j.item === held)?.status).toBe('pending');
      }
      const next = worker(url, ['--until-done'], { RG_FLEET_MAKE_MS: '10' });
      await next.exited;
      expect(await completions()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    }, 60_000);
  }
});

/** A TCP proxy in front of a server that can drop every connection and refuse new ones for a while. */
async function flakyProxy(target: URL): Promise<{ port: number; outage(ms: number): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let server: net.Server;
  const listen = (port: number): Promise<number> => new Promise((resolve) => {
    server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    server.listen(port, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
  const port = await listen(0);
  const stop = (): Promise<void> => new Promise((resolve) => {
    server.close(() => resolve());
    for (const s of sockets) s.destroy();
  });
  return {
    port,
    async outage(ms) {
      await stop();
      await sleep(ms);
      await listen(port);
    },
    close: stop,
  };
}

describe.each(servers)('a fleet worker on $name', (dialect: TestDialect) => {
  beforeEach(async () => {
    schema.configure({ connection: dialect.url('worker-command') });
    await schema.drop({ force: true });
    await Item.insert(Array.from({ length: 12 }, (_, item) => ({ item })));
  });

  it('rides out the database going away: says so, reconnects with back-off, and makes every key once', async () => {
    const target = new URL(dialect.url('worker-command'));
    const proxy = await flakyProxy(target);
    try {
      const via = new URL(target.href);
      via.hostname = '127.0.0.1';
      via.port = String(proxy.port);
      const w = worker(via.href, ['--until-done', '--idle-max', '1'], { RG_FLEET_MAKE_MS: '200' });
      await until('two keys made', async () => (await completions()).length >= 2);
      await proxy.outage(2500);
      expect(await w.exited).toBe(0);
      expect(w.err()).toMatch(/database unreachable .*retrying in \d+ s/);
      expect(w.err()).toMatch(/database back after [\d.]+ s/);
      expect(await completions()).toEqual(Array.from({ length: 12 }, (_, i) => i));
      expect(await jobRows()).toEqual([]);
    } finally {
      await proxy.close();
    }
  }, 90_000);

  it('gives back the keys of a silent worker and ends its session, after one stale time of its own', async () => {
    const url = new URL(dialect.url('worker-command'));
    const c = schema.connection;
    const q = (n: string): string => c.dialect.quote(n);
    // A "worker" whose session holds a transaction open, and whose heartbeat stopped long ago.
    let sessionId: number;
    let alive: () => Promise<boolean>;
    let end: () => Promise<void>;
    if (dialect.name === 'mysql') {
      const m = await mysql.createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) });
      m.on('error', () => undefined);
      await m.query('START TRANSACTION');
      sessionId = m.threadId!;
      alive = () => m.query('SELECT 1').then(() => true, () => false);
      end = () => m.end().catch(() => undefined);
    } else {
      const p = new pg.Client({ connectionString: url.href });
      p.on('error', () => undefined);
      await p.connect();
      await p.query('BEGIN');
      sessionId = Number((await p.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
      alive = () => p.query('SELECT 1').then(() => true, () => false);
      end = () => p.end().catch(() => undefined);
    }
    try {
      const w0 = worker(url.href, ['--max-keys', '1'], { RG_FLEET_MAKE_MS: '10' });
      expect(await w0.exited).toBe(0);
      const ref = c.dialect.tableRef(schema.database, '~rg_worker');
      // Silent for longer than the stale time, but not from before the server started (whose session ids would mean nothing).
      const past = c.dialect.name === 'postgres' ? "now() - interval '10 seconds'" : 'NOW(3) - INTERVAL 10 SECOND';
      await c.run(`INSERT INTO ${ref} (${['worker', 'host', 'pid', 'connection_ids', 'started', 'last_seen', 'keys_done'].map(q).join(', ')}) VALUES ('gone:1:x', 'gone-host', 4242, ?, ${past}, ${past}, 0)`, [String(sessionId)]);
      const jobsRef = c.dialect.tableRef(schema.database, '~~result');
      // A key not made yet (the first worker made one) is held by the silent worker.
      const made = await completions();
      const held = Array.from({ length: 12 }, (_, i) => i).find((i) => !made.includes(i))!;
      await c.run(`DELETE FROM ${jobsRef} WHERE ${q('item')} = ?`, [held]);
      await c.run(`INSERT INTO ${jobsRef} (${q('item')}, ${q('status')}, ${q('priority')}, ${q('created_time')}, ${q('scheduled_time')}, ${q('reserved_time')}, ${q('host')}, ${q('pid')}, ${q('connection_id')}) VALUES (?, 'reserved', 5, ${c.dialect.now(3)}, ${c.dialect.now(3)}, ${c.dialect.now(3)}, 'gone-host', 4242, ?)`, [held, sessionId]);
      const w = worker(url.href, ['--until-done', '--stale-after', '2', '--heartbeat', '0.5', '--idle-max', '0.5'], { RG_FLEET_MAKE_MS: '10' });
      expect(await w.exited).toBe(0);
      const swept = events(w).find((e) => e.event === 'swept');
      expect(swept, w.out() + w.err()).toMatchObject({ worker: 'gone:1:x', host: 'gone-host', pid: 4242, sessions: 1 });
      // Once its session is ended, the process-list rule may set the key back to pending before the sweep's own update does.
      expect([0, 1]).toContain(swept!.keys);
      expect(await alive()).toBe(false);
      expect(await completions()).toEqual(Array.from({ length: 12 }, (_, i) => i));
      expect(await jobRows()).toEqual([]);
    } finally {
      await end();
    }
  }, 90_000);

  it('status shows the workers by host with their last sign of life and the keys they hold', async () => {
    const url = dialect.url('worker-command');
    const w = worker(url, ['--max-keys', '100', '--heartbeat', '0.5', '--stale-after', '30'], { RG_FLEET_MAKE_MS: '3000' });
    await until('a key in hand', async () => (await jobRows()).some((j) => j.status === 'reserved'));
    await sleep(700);
    const status = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, ['--import', tsx, cli, 'status', '--db', url, '--module', fixture], { env: { ...process.env, RG_FLEET_SCHEMA: 'rgt_fleet_cli' } });
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      child.on('exit', () => resolve(out));
    });
    w.child.kill('SIGTERM');
    await w.exited;
    expect(status).toMatch(/Result\s+populated [01]\/12 keys/);
    expect(status).toMatch(new RegExp(`workers:\\n  \\S+\\s+pid ${w.child.pid}\\s+last seen [\\d.]+ s ago \\(.+\\), [01] keys? done, 1 key held`));
  }, 60_000);
});
