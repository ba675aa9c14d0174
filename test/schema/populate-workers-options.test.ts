import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Connection, PopulateError } from '../../src/index.js';

afterAll(() => Connection.closeAll());

// populate({ workers }) hands every populate option to its worker processes, and rejects as
// populate() in one process does when a key fails without suppressErrors.
describe('populate({ workers }) keeps the options populate() documents', () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'rg-workers-options-')), 'shared.sqlite');
  process.env.RG_DB_URL = `sqlite://${file}`;
  process.env.RG_TEST_SCHEMA = 'rgt_workers_options';
  const fixture = path.resolve('test/fixtures/jobs-pipeline.ts');
  type Pipeline = typeof import('../fixtures/jobs-pipeline.js');
  const spec = '../fixtures/jobs-pipeline.js?workers-options';
  const load = async (): Promise<Pipeline> => (await import(/* @vite-ignore */ spec)) as Pipeline;

  it('keepCompleted and priority reach the workers: success rows are kept', async () => {
    const m = await load();
    await m.schema.drop({ force: true });
    await m.Item.insert([1, 2, 3, 4].map((item_id) => ({ item_id })));
    const result = await m.Work.populate({ workers: 2, workerModule: { path: fixture, exportName: 'Work' }, keepCompleted: true, priority: 2 });
    expect(result.successCount).toBe(4);
    const jobs = await m.Work.jobs().list();
    expect(jobs.map((j) => [j.status, j.priority])).toEqual([['success', 2], ['success', 2], ['success', 2], ['success', 2]]);
  }, 120_000);

  it('without suppressErrors a failing key makes populate reject, as it does in one process', async () => {
    const m = await load();
    await m.schema.drop({ force: true });
    await m.Item.insert([4, 5, 6].map((item_id) => ({ item_id }))); // item 5 is broken
    await expect(m.Work.populate({ workers: 2, workerModule: { path: fixture, exportName: 'Work' } })).rejects.toThrow(PopulateError);
  }, 120_000);
});
