import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as rgc from '../../src/pipeline.js';
import { JobsTable } from '../../src/schema/populate/jobs.js';
import type { TestDialect } from '../setup/dialects.js';

/** Where a test's demo pipeline lives: the viewer gets the same URL and prefix. */
export interface DemoDatabase {
  readonly url: string;
  readonly prefix: string;
  /** The STA keys left unpopulated: one with an error job, one reserved. */
  readonly erroredKey: Record<string, unknown>;
  readonly reservedKey: Record<string, unknown>;
}

/**
 * `rg-pipeline demo`'s data (the synthetic dataset with the real one's structure, at a small scale)
 * loaded and populated through the ordinary, writable pipeline; then two STAs are taken out again,
 * one recorded as a failed job and one as reserved, so the viewer has jobs to show.
 */
export async function demoDatabase(dialect: TestDialect, name: string, scale = 0.05): Promise<DemoDatabase> {
  const url = dialect.url(name);
  const prefix = `rgt_${name}_`;
  rgc.pipeline.configure({ connection: url, prefix, createTables: true });
  await rgc.pipeline.drop({ force: true });
  const inventory = JSON.parse(readFileSync('data/ret1-inventory.json', 'utf8')) as rgc.Inventory;
  const { dataset } = rgc.generateDataset(inventory, { scale, seed: 1 });
  const manifest = await rgc.writeDataset(dataset, mkdtempSync(path.join(tmpdir(), 'rg-visual-')), 'pickle');
  await rgc.loadManifest(await rgc.readManifest(manifest));
  await rgc.SpikeTriggeredAverage.populate();
  const [erroredKey, reservedKey] = (await rgc.SpikeTriggeredAverage.restrict({ n_lags: 20 } as never).orderBy('neuron_index DESC').limit(2).keys()) as Array<Record<string, unknown>>;
  await rgc.SpikeTriggeredAverage.restrict([erroredKey!, reservedKey!] as never).delete({ force: true });
  const jobs = new JobsTable(rgc.SpikeTriggeredAverage.info);
  const worker = { host: 'test-host', pid: 4242, connectionId: 0, user: '', version: '' };
  await jobs.refresh([erroredKey!, reservedKey!]);
  await jobs.reserve(erroredKey!, worker);
  await jobs.error(erroredKey!, new Error('the movie could not be read'), worker);
  await jobs.reserve(reservedKey!, worker);
  return { url, prefix, erroredKey: erroredKey!, reservedKey: reservedKey! };
}
