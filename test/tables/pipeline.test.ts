import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/index.js';
import * as rgc from '../../src/pipeline.js';
import { dialects } from '../setup/dialects.js';

const run = promisify(execFile);
/** Debian's python3-numpy checks our pickles; CI requires it, a bare machine skips that one test. */
const numpy = await run('/usr/bin/python3', ['-c', 'import numpy']).then(() => true, () => false);
if (!numpy && process.env.RG_TEST_REQUIRE_NUMPY === '1') throw new Error('RG_TEST_REQUIRE_NUMPY=1 but /usr/bin/python3 cannot import numpy (apt-get install python3-numpy).');
const inventory = JSON.parse(readFileSync('data/ret1-inventory.json', 'utf8')) as rgc.Inventory;

afterAll(() => Connection.closeAll());

describe('synthetic data', () => {
  it('follows the real inventory exactly at full scale: 16 sessions, 10 stimulations, 177 neurons, 104,493 spikes', () => {
    const { dataset, truth } = rgc.generateDataset(inventory, { scale: 1, seed: 3 });
    const stims = dataset.sessions.flatMap((s) => s.stimulations);
    expect(dataset.sessions).toHaveLength(16);
    expect(new Set(dataset.sessions.map((s) => s.subject_name)).size).toBe(5);
    expect(stims).toHaveLength(10);
    expect(stims.flatMap((s) => s.spikes)).toHaveLength(177);
    expect(stims.flatMap((s) => s.spikes).reduce((n, a) => n + a.length, 0)).toBe(104_493);
    const real = inventory.flatMap((s) => s.stimulations);
    stims.forEach((st, i) => {
      expect(st.movie.shape).toEqual(real[i]!.movie_shape);
      expect(st.spikes.map((a) => a.length)).toEqual(real[i]!.spike_counts);
      expect(new Set(st.movie.data.slice(0, 1000))).toEqual(new Set([1, -1]));
    });
    expect(stims.reduce((n, s) => n + s.movie.data.byteLength, 0) / 1e6).toBeCloseTo(454, -1);
    expect(truth).toHaveLength(177);
  });

  it('STAs recover every neuron with ≥ 500 used spikes (r ≥ 0.9 over the filter support, right ON/OFF sign)', () => {
    const { dataset, truth } = rgc.generateDataset(inventory, { scale: 1, seed: 1 });
    let checked = 0;
    const fullRs: number[] = [];
    for (const t of truth) {
      const st = dataset.sessions[t.session]!.stimulations[t.stimulation]!;
      const movie = rgc.prepareMovie(st.movie, st.fps, st.stimulus_onset);
      const result = rgc.spikeTriggeredAverage(movie, st.spikes[t.neuron]!, rgc.TRUE_LAGS);
      if (result.used < 500) continue;
      const r = rgc.recovery(result, t, movie.frameSize);
      expect(r.supportR).toBeGreaterThanOrEqual(0.9);
      expect(r.signCorrect).toBe(true);
      fullRs.push(r.fullR);
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
    expect(Math.min(...fullRs)).toBeGreaterThan(0);
  });

  it.runIf(numpy)('writes pickles that real numpy loads, with the seed structure', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-synth-'));
    const { dataset } = rgc.generateDataset(inventory.slice(0, 3), { scale: 0.02, seed: 2 });
    const manifest = await rgc.writeDataset(dataset, dir, 'pickle', 2);
    const pkl = path.join(dir, 'ret1_data.pkl');
    const { stdout } = await run('/usr/bin/python3', ['-c', `
import pickle, numpy as np
d = pickle.load(open(${JSON.stringify(pkl)}, 'rb'))
st = d[0]['stimulations'][0]
print(len(d), st['movie'].shape, st['movie'].dtype, st['movie'].flags['C_CONTIGUOUS'], st['spikes'][0].shape[1], float(st['movie'][3, 0, 5]), float(st['spikes'][0][0, 0]))`]);
    const st = dataset.sessions[0]!.stimulations[0]!;
    expect(stdout.trim()).toBe(`3 (${st.movie.shape.join(', ')}) float64 True 1 ${st.movie.get(3, 0, 5).toFixed(1)} ${st.spikes[0]![0]}`);
    const back = await rgc.readSource(JSON.parse(readFileSync(manifest, 'utf8'))[0].type === 'file/pickle' ? { type: 'file/pickle', access: pkl } : {});
    expect(back.dataset.sessions[0]!.stimulations[0]!.movie.get(3, 0, 5)).toBe(st.movie.get(3, 0, 5));
  });
});

describe.each(dialects)('the RGC pipeline on $name', (dialect) => {
  it('loads a scaled synthetic dataset end to end, idempotently, and computes its STAs', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-e2e-'));
    rgc.pipeline.configure({ connection: dialect.url('pipeline'), prefix: `rgt_${dialect.name}_` });
    await rgc.pipeline.drop({ force: true });
    const { dataset } = rgc.generateDataset(inventory, { scale: 0.02, seed: 5 });
    const good = await rgc.writeDataset(dataset, path.join(dir, 'good'), 'pickle');
    const jsonManifest = await rgc.writeDataset({ sessions: [{ ...dataset.sessions[0]!, sample_number: 99 }] }, path.join(dir, 'json'), 'json');
    writeFileSync(path.join(dir, 'corrupt.pkl'), readFileSync(path.join(dir, 'good', 'ret1_data.pkl')).subarray(0, 5000));
    const entries = [
      ...(await rgc.readManifest(good)),
      ...(await rgc.readManifest(jsonManifest)),
      { type: 'file/pickle', access: path.join(dir, 'corrupt.pkl') },
      { type: 'file/pickle', access: path.join(dir, 'missing.pkl') },
      { type: 'database/mongodb', access: 'mongodb://x' },
    ];
    const spikes = dataset.sessions.flatMap((s) => s.stimulations.flatMap((st) => st.spikes)).reduce((n, a) => n + a.length, 0);
    const extraSpikes = dataset.sessions[0]!.stimulations.flatMap((st) => st.spikes).reduce((n, a) => n + a.length, 0);
    const first = await rgc.loadManifest(entries);
    expect(first.sources.map((s) => s.status)).toEqual(['loaded', 'loaded', 'failed', 'failed', 'failed']);
    expect(first.sources[3]!.message).toMatch(/cannot read \/.*\/missing\.pkl \(ENOENT: no such file\)/);
    expect(first.sources[4]!.message).toMatch(/not supported yet/);
    expect([first.sessions, first.stimulations, first.neurons, first.spikes]).toEqual([17, 11, 177 + 4, spikes + extraSpikes]);
    expect(first.spikesBeforeOnset).toBeGreaterThan(0);
    expect(first.spikesAfterMovie).toBeGreaterThan(0);
    expect(await rgc.Spike.count()).toBe(spikes + extraSpikes);
    expect(await rgc.DataSource.count()).toBe(2);
    const stored = await rgc.Stimulation.restrict({ subject_name: 'KO (chx10)', sample_number: 3, session_date: '2008-06-06' } as never).fetch1();
    const original = dataset.sessions[2]!.stimulations[0]!;
    expect((stored.movie as typeof original.movie).shape).toEqual(original.movie.shape);
    expect(Array.from((stored.movie as typeof original.movie).data.slice(0, 50))).toEqual(Array.from(original.movie.data.slice(0, 50)));

    const again = await rgc.loadManifest(entries.slice(0, 2));
    expect(again.sources.map((s) => s.status)).toEqual(['unchanged', 'unchanged']);
    expect(await rgc.Spike.count()).toBe(spikes + extraSpikes);

    const { dataset: changed } = rgc.generateDataset(inventory, { scale: 0.02, seed: 6 });
    await rgc.writeDataset(changed, path.join(dir, 'good'), 'pickle');
    const third = await rgc.loadManifest(entries.slice(0, 1));
    expect(third.sources[0]!.status).toBe('failed');
    expect(third.sources[0]!.message).toMatch(/changed since it was loaded/);
    expect(await rgc.Spike.count()).toBe(spikes + extraSpikes);

    const result = await rgc.SpikeTriggeredAverage.populate();
    expect(result.errors).toEqual([]);
    expect(await rgc.SpikeTriggeredAverage.count()).toBe(181 * 3);
    const row = await rgc.SpikeTriggeredAverage.restrict({ subject_name: 'KO (chx10)', sample_number: 3, session_date: '2008-06-06', neuron_index: 0, n_lags: 5 } as never).fetch1();
    const st = dataset.sessions[2]!.stimulations[0]!;
    const expected = rgc.spikeTriggeredAverage(rgc.prepareMovie(st.movie, st.fps, st.stimulus_onset), st.spikes[0]!, 5);
    expect(row.n_used).toBe(expected.used);
    expect(row.n_skipped_before + row.n_skipped_after).toBe(expected.skippedBefore + expected.skippedAfter);
    expect(Array.from((row.sta as { data: Float64Array }).data)).toEqual(Array.from(expected.sta));
  }, 120_000);
});

describe('rg-pipeline demo', () => {
  it('runs the whole pipeline on the embedded default', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-demo-'));
    const { stdout } = await run(process.execPath, ['--import', import.meta.resolve('tsx'), path.resolve('src/cli/rg-pipeline.ts'), 'demo', '--dir', path.join(dir, 'out'), '--scale', '0.02'],
      { cwd: dir, env: { ...process.env, RG_DB_URL: '', DJ_HOST: '' } });
    expect(stdout).toContain(`database: sqlite://${dir}/rg-data/rg.sqlite`);
    expect(stdout).toMatch(/sessions 16, stimulations 10, neurons 177, spikes \d+/);
    expect(stdout).toMatch(/SpikeTriggeredAverage: 531 keys populated/);
    expect(stdout).toContain('erd.svg');
  }, 120_000);
});

describe.runIf(dialects.some((d) => d.name === 'mysql'))('database/mysql sources', () => {
  it('reads sessions, stimulations (blob and raw movies) and spikes from another database, without keeping its password', async () => {
    const mysql = (await import('mysql2/promise')).default;
    const url = new URL(dialects.find((d) => d.name === 'mysql')!.url('source'));
    const c = await mysql.createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) });
    await c.query('DROP DATABASE IF EXISTS rgt_lab');
    await c.query('CREATE DATABASE rgt_lab');
    await c.query('CREATE TABLE rgt_lab.sess (subject_name varchar(64), sample_number int, recorded date)');
    await c.query('CREATE TABLE rgt_lab.stims (subject_name varchar(64), sample_number int, recorded date, stimulation_index int, fps double, n_frames int, pixel_size float, stim_height int, stim_width int, stimulus_onset double, x_block_size int, y_block_size int, x_blocks int, y_blocks int, movie longblob)');
    await c.query('CREATE TABLE rgt_lab.spikes (subject_name varchar(64), sample_number int, recorded date, stimulation_index int, neuron_index int, spike_time double)');
    await c.query("INSERT INTO rgt_lab.sess VALUES ('M1', 1, '2020-02-02')");
    const { packBlob } = await import('../../src/index.js');
    const frames = Float64Array.from({ length: 2 * 3 * 50 }, (_, i) => (i % 3 ? 1 : -1));
    const ndarray = (await import('ndarray')).default;
    await c.query('INSERT INTO rgt_lab.stims VALUES (?), (?)', [
      ['M1', 1, '2020-02-02', 0, 60, 50, 8.3, 480, 640, 0.5, 10, 10, 2, 3, packBlob(ndarray(frames, [2, 3, 50], [1, 2, 6]))],
      ['M1', 1, '2020-02-02', 1, 60, 50, 8.3, 480, 640, 0.5, 10, 10, 2, 3, Buffer.from(frames.buffer)],
    ]);
    await c.query("INSERT INTO rgt_lab.spikes VALUES ('M1', 1, '2020-02-02', 0, 0, 0.9), ('M1', 1, '2020-02-02', 0, 1, 1.1), ('M1', 1, '2020-02-02', 1, 0, 1.2)");
    const access = `mysql://${url.username}:${url.password}@${url.host}/rgt_lab`;
    const entry = { type: 'database/mysql', access, tables: { sessions: 'sess', stimulations: 'stims' }, columns: { session_date: 'recorded' } };
    const { dataset, checksum } = await rgc.readSource(entry);
    expect(checksum).toMatch(/^[0-9a-f]{64}$/);
    const [s] = dataset.sessions;
    expect([s!.subject_name, s!.sample_number, s!.session_date, s!.stimulations.length]).toEqual(['M1', 1, '2020-02-02', 2]);
    expect(Array.from(s!.stimulations[0]!.movie.data)).toEqual(Array.from(frames));
    expect(Array.from(s!.stimulations[1]!.movie.data)).toEqual(Array.from(frames));
    expect(s!.stimulations[0]!.spikes.map((x) => Array.from(x))).toEqual([[0.9], [1.1]]);
    await expect(rgc.readSource({ ...entry, tables: { sessions: 'nope' } })).rejects.toThrow(/cannot read `rgt_lab`\.`(nope|stimulations)`/);
    await expect(rgc.readSource({ ...entry, access: `mysql://nobody:secret-pw@${url.host}/rgt_lab` })).rejects.toThrow(/cannot connect/);
    await expect(rgc.readSource({ ...entry, access: `mysql://nobody:secret-pw@${url.host}/rgt_lab` })).rejects.not.toThrow(/secret-pw/);
    await c.query('DROP DATABASE rgt_lab');
    await c.end();
  });
});
