/**
 * The fleet worker in this process, on every backend: it refreshes a table's jobs once per pass
 * (not once per key), takes keys by claims in the jobs' order (a jobGroup's keys together, in
 * order), and still reports every key (done, error, lost), stops between keys giving back the
 * keys it claimed but did not start, and honours maxKeys.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Computed, Connection, Manual, runFleetWorker, Schema, startFleetWorker, type FleetEvent } from '../../src/index.js';
import { JobsTable } from '../../src/schema/populate/jobs.js';
import { dialects, schemaName, servers, type TestDialect } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

const GROUPS = 3;
const PER_GROUP = 6;
const N = GROUPS * PER_GROUP;

/** Stim (g) → Cell (g, n) → Sta (g, n), whose keys of one stimulation g form a jobGroup. */
function pipeline(url: string) {
  const schema = new Schema(schemaName('fleet-claims'), { connection: url });
  /** Every make() call, in order (a rolled-back one too). */
  const made: Array<{ g: number; n: number }> = [];
  const hooks: { before?: (key: { g: number; n: number }) => Promise<void> } = {};
  @schema class Stim extends Manual<{ g: number }> {
    static override definition = 'g: int';
  }
  @schema class Cell extends Manual<{ g: number; n: number }> {
    static override definition = '-> Stim\nn: int';
  }
  @schema class Sta extends Computed<{ g: number; n: number; v: number }> {
    static override definition = '-> Cell\n---\nv: int';
    static override jobGroup = ['g'];
    async make(key: { g: number; n: number }): Promise<void> {
      made.push({ g: Number(key.g), n: Number(key.n) });
      await hooks.before?.(key);
      if (key.g === 1 && key.n === 3) throw new Error('cell 1/3 fails on purpose');
      await this.insert1({ ...key, v: key.g * 100 + key.n });
    }
  }
  void Stim;
  return { schema, Stim, Cell, Sta, made, hooks };
}

type Pipeline = ReturnType<typeof pipeline>;

async function jobRows(p: Pipeline): Promise<Array<{ g: number; n: number; status: string }>> {
  const c = p.schema.connection;
  const q = (n: string): string => c.dialect.quote(n);
  return (await c.query<Record<string, unknown>>(`SELECT ${q('g')}, ${q('n')}, ${q('status')} FROM ${p.Sta.jobs().ref} ORDER BY 1, 2`))
    .map((r) => ({ g: Number(r.g), n: Number(r.n), status: String(r.status) }));
}

const keyEvents = (events: FleetEvent[]): Array<Extract<FleetEvent, { event: 'key' }>> =>
  events.filter((e): e is Extract<FleetEvent, { event: 'key' }> => e.event === 'key');

describe.each(dialects)('the fleet worker takes keys by claims on $name', (dialect: TestDialect) => {
  let p: Pipeline;
  beforeEach(async () => {
    p = pipeline(dialect.url('fleet-claims'));
    await p.schema.drop({ force: true });
    await p.Stim.insert(Array.from({ length: GROUPS }, (_, g) => ({ g })));
    await p.Cell.insert(Array.from({ length: N }, (_, i) => ({ g: Math.floor(i / PER_GROUP), n: i % PER_GROUP })));
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('refreshes the jobs once per pass, not once per key, and reports every key', async () => {
    const refreshes = vi.spyOn(JobsTable.prototype, 'refreshKeys');
    const releases = vi.spyOn(JobsTable.prototype, 'releaseStale');
    const events: FleetEvent[] = [];
    const result = await runFleetWorker({ tables: [p.Sta], untilDone: true, idleMax: 0.2, onEvent: (e) => events.push(e) });
    expect(result).toEqual({ reason: 'done', keys: N, errors: 1 });
    // Once when it starts, once more when the pending jobs ran out (it found nothing new).
    expect(refreshes.mock.calls.length).toBeLessThanOrEqual(3);
    expect(releases.mock.calls.length).toBeLessThanOrEqual(3);
    const keys = keyEvents(events);
    expect(keys.filter((e) => e.outcome === 'done')).toHaveLength(N - 1);
    expect(keys.filter((e) => e.outcome === 'error')).toEqual([
      expect.objectContaining({ table: 'Sta', key: expect.objectContaining({ g: 1, n: 3 }), message: expect.stringContaining('fails on purpose') }),
    ]);
    for (const e of keys) expect(e.seconds).toBeGreaterThanOrEqual(0);
    expect(await p.Sta.count()).toBe(N - 1);
    expect(await jobRows(p)).toEqual([{ g: 1, n: 3, status: 'error' }]);
  }, 60_000);

  it('takes the keys in the jobs\' order: the most urgent group first, each group\'s keys together and in order', async () => {
    await p.Sta.jobs().refresh();
    const c = p.schema.connection;
    await c.run(`UPDATE ${p.Sta.jobs().ref} SET ${c.dialect.quote('priority')} = 1 WHERE ${c.dialect.quote('g')} = 2`);
    const result = await runFleetWorker({ tables: [p.Sta], untilDone: true, idleMax: 0.2 });
    expect(result.reason).toBe('done');
    const order = [2, 0, 1].flatMap((g) => Array.from({ length: PER_GROUP }, (_, n) => ({ g, n })));
    // Keys that shared a transaction with the failing key were made again after its rollback.
    const first = p.made.filter((k, i) => p.made.findIndex((m) => m.g === k.g && m.n === k.n) === i);
    expect(first).toEqual(order);
  }, 60_000);

  it('stops after the keys in hand when asked, giving back the keys it claimed but did not start', async () => {
    let done = 0;
    const worker = startFleetWorker({
      tables: [p.Sta], onEvent: (e) => {
        if (e.event === 'key' && e.outcome === 'done' && ++done === 8) worker.stop();
      },
    });
    const result = await worker.finished;
    expect(result.reason).toBe('stopped');
    const jobs = await jobRows(p);
    expect(jobs.filter((j) => j.status === 'reserved')).toEqual([]);
    expect(await p.Sta.count()).toBe(result.keys - result.errors);
    expect(jobs.filter((j) => j.status === 'pending')).toHaveLength(N - result.keys);
  }, 60_000);

  it('waits for jobs scheduled later as idle time, without refreshing the jobs over and over, and makes them once due', async () => {
    await p.Sta.jobs().refresh();
    const c = p.schema.connection;
    const later = c.dialect.name === 'sqlite' ? "strftime('%Y-%m-%d %H:%M:%f', 'now', '+1.5 seconds')"
      : c.dialect.name === 'postgres' ? "CURRENT_TIMESTAMP(3) + interval '1.5 seconds'" : 'NOW(3) + INTERVAL 1500 * 1000 MICROSECOND';
    await c.run(`UPDATE ${p.Sta.jobs().ref} SET ${c.dialect.quote('scheduled_time')} = ${later} WHERE ${c.dialect.quote('g')} = 2`);
    const refreshes = vi.spyOn(JobsTable.prototype, 'refreshKeys');
    const probes = vi.spyOn(JobsTable.prototype, 'anyToAdd');
    const events: FleetEvent[] = [];
    const result = await runFleetWorker({ tables: [p.Sta], untilDone: true, idleMax: 0.4, onEvent: (e) => events.push(e) });
    expect(result).toEqual({ reason: 'done', keys: N, errors: 1 });
    expect(await p.Sta.count()).toBe(N - 1);
    // The later group came last, after idle sleeps (0.5 s at most each: 1.5 s needs a few).
    expect(p.made.slice(-PER_GROUP).map((k) => k.g)).toEqual(Array(PER_GROUP).fill(2));
    expect(events.filter((e) => e.event === 'idle').length).toBeGreaterThanOrEqual(2);
    // Before, the worker raced for the later jobs: a pass (and a refresh) every ~70 ms, 20 or so.
    expect(probes.mock.calls.length + refreshes.mock.calls.length).toBeLessThanOrEqual(12);
  }, 60_000);

  it('makes exactly maxKeys keys', async () => {
    const result = await runFleetWorker({ tables: [p.Sta], maxKeys: 7 });
    expect(result).toEqual({ reason: 'max-keys', keys: 7, errors: 0 });
    expect(await p.Sta.count()).toBe(7);
    const jobs = await jobRows(p);
    expect(jobs.filter((j) => j.status !== 'pending')).toEqual([]);
    expect(jobs).toHaveLength(N - 7);
  }, 60_000);
});

/** Another worker's statements, on a connection of its own. */
async function otherClient(url: string): Promise<{ run(sql: string): Promise<void>; end(): Promise<void> }> {
  if (url.startsWith('mysql')) {
    const u = new URL(url);
    const c = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) });
    return { run: async (sql) => { await c.query(sql); }, end: () => c.end() };
  }
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return { run: async (sql) => { await c.query(sql); }, end: () => c.end() };
}

describe.each(servers)('the fleet worker reports lost reservations on $name', (dialect: TestDialect) => {
  it('a key handed to another worker while its make ran is reported lost, rolled back, and made once it comes back', async () => {
    const p = pipeline(dialect.url('fleet-claims'));
    await p.schema.drop({ force: true });
    await p.Stim.insert(Array.from({ length: GROUPS }, (_, g) => ({ g })));
    await p.Cell.insert(Array.from({ length: N }, (_, i) => ({ g: Math.floor(i / PER_GROUP), n: i % PER_GROUP })));
    const other = await otherClient(dialect.url('fleet-claims'));
    const c = p.schema.connection;
    const q = (n: string): string => c.dialect.quote(n);
    const ref = p.Sta.jobs().ref;
    const where = `${q('g')} = 0 AND ${q('n')} = 2`;
    let stolen = false;
    p.hooks.before = async (key) => {
      if (stolen || Number(key.g) !== 0 || Number(key.n) !== 2) return;
      stolen = true;
      await other.run(`UPDATE ${ref} SET ${q('host')} = 'elsewhere', ${q('pid')} = 999999 WHERE ${where}`);
    };
    const events: FleetEvent[] = [];
    let given: Promise<void> | undefined;
    try {
      const result = await runFleetWorker({
        tables: [p.Sta], untilDone: true, idleMax: 0.2, onEvent: (e) => {
          events.push(e);
          // The other worker gives the key back.
          if (e.event === 'key' && e.outcome === 'lost') given = other.run(`UPDATE ${ref} SET ${q('status')} = 'pending', ${q('host')} = '', ${q('pid')} = 0 WHERE ${where}`);
        },
      });
      await given;
      expect(result).toEqual({ reason: 'done', keys: N, errors: 1 });
    } finally {
      await other.end();
    }
    const lost = keyEvents(events).filter((e) => e.outcome === 'lost');
    expect(lost).toEqual([expect.objectContaining({ key: expect.objectContaining({ g: 0, n: 2 }) })]);
    expect(await p.Sta.count()).toBe(N - 1);
    expect(await jobRows(p)).toEqual([{ g: 1, n: 3, status: 'error' }]);
    await p.schema.drop({ force: true });
  }, 60_000);
});
