import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { dialects } from '../setup/dialects.js';

const run = promisify(execFile);
const cli = path.resolve('src/cli/rg-pipeline.ts');
const tsx = import.meta.resolve('tsx');

function pipeline(cwd: string, args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', tsx, cli, ...args], { cwd, env: { ...process.env, RG_DB_URL: '', DJ_HOST: '', ...env } });
}

describe.each(dialects)('rg-pipeline on $name', (dialect) => {
  it('synth, load (twice), populate with worker processes, status, check, clean', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-cli-'));
    const db = dialect.name !== 'sqlite' ? ['--db', dialect.url('cli'), '--prefix', 'rgt_cli_'] : [];
    await pipeline(dir, [...db, 'clean', '--yes']);
    const synth = await pipeline(dir, ['synth', 'data', '--scale', '0.02', '--seed', '4']);
    expect(synth.stdout).toMatch(/wrote data\/manifest\.json: 16 sessions, \d+ spikes/);
    const load = await pipeline(dir, [...db, 'load', 'data/manifest.json']);
    expect(load.stdout).toMatch(/^loaded {4}file\/pickle .*ret1_data\.pkl \(16 sessions\)$/m);
    const again = JSON.parse((await pipeline(dir, [...db, 'load', 'data/manifest.json', '--json'])).stdout) as { sources: Array<{ status: string }>; sessions: number };
    expect(again.sources.map((s) => s.status)).toEqual(['unchanged']);
    // Every worker at once (--workers-start all): on SQLite their writes take turns on the write lock, the CLI says so, and does as asked.
    const populate = await pipeline(dir, [...db, 'populate', 'SpikeTriggeredAverage', '--workers', '2', '--workers-start', 'all', '--no-display']);
    expect(populate.stdout).toContain('SpikeTriggeredAverage: 531 keys populated (2 processes)');
    if (dialect.name === 'sqlite') expect(populate.stderr).toMatch(/^rg-pipeline: note: on SQLite the 2 worker processes' writes take turns on the database's only write lock/m);
    else expect(populate.stderr).not.toContain('note:');
    const status = await pipeline(dir, [...db, 'status']);
    expect(status.stdout).toMatch(/^Session\s+16 rows$/m);
    expect(status.stdout).toMatch(/^Neuron\s+177 rows$/m);
    expect(status.stdout).toMatch(/^SpikeTriggeredAverage\s+531 rows\s+populated 531\/531 keys$/m);
    const json = JSON.parse((await pipeline(dir, [...db, 'status', '--json'])).stdout) as { exists: boolean; tables: Array<{ table: string; rows: number; populated?: object }> };
    expect(json.exists).toBe(true);
    expect(json.tables.find((t) => t.table === 'SpikeTriggeredAverage')).toEqual({ table: 'SpikeTriggeredAverage', rows: 531, populated: { done: 531, total: 531 } });
    expect(json.tables.find((t) => t.table === 'Spike')?.rows).toBeGreaterThan(1000);
    expect((await pipeline(dir, [...db, 'check'])).stdout).toContain('check passed');
    expect(JSON.parse((await pipeline(dir, [...db, 'check', '--json'])).stdout)).toMatchObject({ connected: true, exists: true, tablesMatch: true, problems: [], ok: true });
    writeFileSync(path.join(dir, 'data', 'ret1_data.pkl'), 'changed');
    await expect(pipeline(dir, [...db, 'check'])).rejects.toMatchObject({ stdout: expect.stringMatching(/unreadable|changed/) });
    const failed = await pipeline(dir, [...db, 'check', '--json']).catch((e: { stdout: string; code: number }) => e);
    expect((failed as { code: number }).code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ ok: false, problems: [{ kind: expect.stringMatching(/unreadable|changed/) }] });
    await pipeline(dir, [...db, 'clean', '--yes']);
    expect((await pipeline(dir, [...db, 'status'])).stdout).toMatch(/^nothing loaded yet/m);
  }, 180_000);
});

it('reads the original rg_pipeline\'s config.ini', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rg-cli-'));
  writeFileSync(path.join(dir, 'config.ini'), '[DEFAULT]\ndatabase = 127.0.0.1:1\nuser = someone\npwd = hunter2\n');
  const result = await pipeline(dir, ['-c', 'config.ini', 'check']).catch((e: { stdout: string; stderr: string }) => e);
  expect(result.stderr).toMatch(/rg-pipeline: .*(refused|connect)/i);
  expect(result.stderr + result.stdout).toContain('someone@127.0.0.1:1');
  expect(result.stderr + result.stdout).not.toContain('hunter2');
});

describe.each(dialects)('rg-pipeline load of the whole hostile corpus on $name', (dialect) => {
  it('loads the one good source, reports every bad one, prints the summary and exits 1', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { readManifest } = await import('../../src/index.js');
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-cli-hostile-'));
    const casesDir = path.resolve('test/fixtures/hostile/cases');
    const entries: unknown[] = [];
    for (const name of readdirSync(casesDir).sort()) {
      const raw = readFileSync(path.join(casesDir, name, 'manifest.json'), 'utf8');
      const parsed = (() => { try { return JSON.parse(raw) as unknown; } catch { return undefined; } })();
      if (!Array.isArray(parsed) || parsed.length !== 1) continue;
      entries.push(...(await readManifest(path.join(casesDir, name, 'manifest.json')).catch(() => parsed)));
    }
    const good = { type: 'text/json', access: JSON.stringify([{ subject_name: 'Good', sample_number: 1, session_date: '2020-01-01', stimulations: [{
      fps: 60, n_frames: 2, pixel_size: 8.3, stim_height: 10, stim_width: 10, stimulus_onset: 0, x_block_size: 5, y_block_size: 10, movie: [[[1, -1]]], spikes: [[0.01]] }] }]) };
    entries.splice(Math.floor(entries.length / 2), 0, good);
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(entries));
    const db = dialect.name !== 'sqlite' ? ['--db', dialect.url('cli'), '--prefix', 'rgt_clihostile_'] : [];
    await pipeline(dir, [...db, 'clean', '--yes']);
    const load = await pipeline(dir, [...db, 'load', 'manifest.json']).then(() => { throw new Error('load must exit non-zero'); }, (e: { code: number; stdout: string }) => e);
    expect(load.code).toBe(1);
    expect(load.stdout.match(/^loaded /gm)).toHaveLength(1);
    expect(load.stdout.match(/^failed /gm)).toHaveLength(entries.length - 1);
    expect(load.stdout).toMatch(/^sessions 1, stimulations 1, neurons 1, spikes 1 /m);
    const status = await pipeline(dir, [...db, 'status']);
    expect(status.stdout).toMatch(/^Subject\s+1 rows$/m);
    expect(status.stdout).toMatch(/^DataSource\s+1 rows$/m);
    await pipeline(dir, [...db, 'clean', '--yes']);
  }, 180_000);
});
