import 'reflect-metadata';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Connection, populateCpuShare, workerCpuShare } from '../../src/index.js';
import { dialects, schemaName, type TestDialect } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

const fixture = path.resolve('test/fixtures/share-pipeline.ts');
type Pipeline = typeof import('../fixtures/share-pipeline.js');

describe('workerCpuShare', () => {
  it('divides the cores among the workers, at least one each', () => {
    const cores = availableParallelism();
    expect(workerCpuShare(1)).toBe(cores);
    expect(workerCpuShare(2)).toBe(Math.max(1, Math.floor(cores / 2)));
    expect(workerCpuShare(cores * 4)).toBe(1);
    expect(workerCpuShare(0)).toBe(cores);
    expect(populateCpuShare()).toBeUndefined(); // not a worker
  });
});

describe.each(dialects)('populate({ workers }) on $name: whole groups and a share of the cores per worker', (dialect: TestDialect) => {
  it('each of the two workers (this process and one started) claims whole jobGroups, and is told its share of the cores', async () => {
    process.env.RG_DB_URL = dialect.url('workers-share');
    process.env.RG_TEST_SCHEMA = schemaName(`workers_share_${dialect.name}`);
    // A module instance per backend, so its schema connects to the database named above.
    const m = (await import(/* @vite-ignore */ `../fixtures/share-pipeline.js?${dialect.name}`)) as Pipeline;
    await m.schema.drop({ force: true });
    await m.Item.insert(Array.from({ length: 12 }, (_, i) => ({ item_id: i + 1 })));
    const result = await m.Grouped.populate({ workers: 2, workersStart: 'all', workerModule: { path: fixture, exportName: 'Grouped' } });
    expect(result).toEqual({ successCount: 48, errors: [], workersStarted: 1 });
    const rows = await m.Grouped.fetch();
    expect(rows).toHaveLength(48);
    const makers = new Map<number, Set<number>>();
    for (const r of rows) makers.set(r.lane, (makers.get(r.lane) ?? new Set()).add(r.pid));
    expect([...makers.values()].map((pids) => pids.size)).toEqual([1, 1, 1, 1]);
    expect(new Set(rows.map((r) => r.cores))).toEqual(new Set([workerCpuShare(2)]));
    // This process is one of the two workers, and its share is undone when populate returns.
    expect(new Set(rows.map((r) => r.pid)).size).toBeLessThanOrEqual(2);
    expect(populateCpuShare()).toBeUndefined();
    expect(await m.Grouped.jobs().list()).toEqual([]);
    await m.schema.drop({ force: true });
  }, 120_000);
});
