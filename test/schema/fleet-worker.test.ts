/**
 * The fleet worker's settings and fault classification, and its heartbeat table on every backend
 * (the processes themselves are tested through the command line in test/cli/worker-command.test.ts
 * and across network faults in test/fleet/fleet-faults.test.ts).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Connection, ConnectionError, DEFAULT_STALE_AFTER, Manual, resolveStaleAfter, Schema, WORKER_TABLE } from '../../src/index.js';
import { isLockConflict, isOutage } from '../../src/schema/populate/worker-faults.js';
import { WorkerRegistry } from '../../src/schema/populate/worker-registry.js';
import { dialects } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

describe('the stale time', () => {
  const project = (json?: unknown): string => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-stale-'));
    mkdirSync(path.join(dir, '.git'));
    if (json !== undefined) writeFileSync(path.join(dir, 'datajoint.json'), JSON.stringify(json));
    return dir;
  };

  it('comes from the option, then RG_WORKER_STALE_AFTER, then datajoint.json (nested or flat), else 90 s', () => {
    const nested = project({ jobs: { worker_stale_after: 45 } });
    expect(resolveStaleAfter(12, { RG_WORKER_STALE_AFTER: '30' }, nested)).toBe(12);
    expect(resolveStaleAfter(undefined, { RG_WORKER_STALE_AFTER: '30' }, nested)).toBe(30);
    expect(resolveStaleAfter(undefined, {}, nested)).toBe(45);
    expect(resolveStaleAfter(undefined, {}, project({ 'jobs.worker_stale_after': 20 }))).toBe(20);
    expect(resolveStaleAfter(undefined, { RG_WORKER_STALE_AFTER: 'soon' }, project())).toBe(DEFAULT_STALE_AFTER);
    expect(DEFAULT_STALE_AFTER).toBeLessThanOrEqual(120);
  });
});

describe('fault classification', () => {
  const coded = (code: string): Error => Object.assign(new Error(code), { code });

  it('tells an outage (server gone, session killed, network) from a make that failed', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'PROTOCOL_CONNECTION_LOST', 'ER_CONNECTION_KILLED', '57P01', '57P03', 'ETIMEDOUT']) {
      expect(isOutage(coded(code))).toBe(true);
    }
    expect(isOutage(new ConnectionError('Cannot connect to mysql://db: refused'))).toBe(true);
    expect(isOutage(new Error('wrapped', { cause: new Error('Connection terminated unexpectedly') }))).toBe(true);
    expect(isOutage(new Error('item 5 fails on purpose'))).toBe(false);
    expect(isOutage(coded('ER_DUP_ENTRY'))).toBe(false);
  });

  it('tells a lock conflict (put back to pending) from other errors', () => {
    for (const code of ['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', '40P01', '40001', 'SQLITE_BUSY']) expect(isLockConflict(coded(code))).toBe(true);
    expect(isLockConflict(new Error('x', { cause: coded('40P01') }))).toBe(true);
    expect(isLockConflict(coded('ER_DUP_ENTRY'))).toBe(false);
  });
});

describe.each(dialects)('the ~rg_worker heartbeat table on $name', ({ url }) => {
  it('is created beside the tables, refreshed by the server clock, and hidden from the schema\'s own listing', async () => {
    const schema = new Schema('rgt_fleet_registry', { connection: url('fleet-registry') });
    class Thing extends Manual<{ id: number }> { static override definition = 'id: int'; }
    schema.declare(Thing);
    await schema.drop({ force: true });
    await schema.activate();
    const registry = new WorkerRegistry(schema);
    await registry.beat({ id: 'h:1:a', host: 'h', pid: 1, connectionIds: [7, 9], keysDone: 0 });
    await registry.beat({ id: 'h:1:a', host: 'h', pid: 1, connectionIds: [9], keysDone: 3 });
    const [row] = await registry.list();
    expect(row).toMatchObject({ worker: 'h:1:a', host: 'h', pid: 1, connectionIds: [9], keysDone: 3 });
    expect(row!.silentFor).toBeGreaterThanOrEqual(-1);
    expect(row!.silentFor).toBeLessThan(5);
    expect(await schema.connection.dialect.listTables(schema.connection, schema.database)).toContain(WORKER_TABLE);
    expect(await schema.listTables()).toEqual(['thing']);
    await registry.remove('h:1:a');
    expect(await registry.list()).toEqual([]);
    await schema.drop({ force: true });
  });
});
