import 'reflect-metadata';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NdArray } from 'ndarray';
import { afterAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/index.js';
import * as rgc from '../../src/pipeline.js';
import { dialects } from '../setup/dialects.js';

const inventory = JSON.parse(readFileSync('data/ret1-inventory.json', 'utf8')) as rgc.Inventory;

afterAll(() => Connection.closeAll());

const bytes = (a: Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const dataOf = (v: unknown): Float64Array => (v as NdArray<Float64Array>).data ?? (v as Float64Array);

describe.each(dialects)('SpikeTriggeredAverage.populate on $name', (dialect) => {
  it("stores every key's STA, peak, map and kernel bit for bit as the in-memory kernel gives them, in the listed order and in others", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-sta-populate-'));
    rgc.pipeline.configure({ connection: dialect.url('sta_populate'), prefix: `rgt_stapop_${dialect.name}_` });
    await rgc.pipeline.drop({ force: true });
    // Another movie and other spikes on each database under the same keys: inputs read from one never serve another.
    const { dataset } = rgc.generateDataset(inventory.slice(0, 4), { scale: 0.05, seed: 8 + dialects.indexOf(dialect) });
    await rgc.loadManifest(await rgc.readManifest(await rgc.writeDataset(dataset, path.join(dir, 'data'), 'pickle')));
    const expected = new Map<string, { result: rgc.StaResult; peak: rgc.StaPeak | undefined }>();
    for (const session of dataset.sessions) {
      session.stimulations.forEach((st, s) => {
        const movie = rgc.prepareMovie(st.movie, st.fps, st.stimulus_onset);
        st.spikes.forEach((times, n) => {
          for (const nLags of [5, 10, 20]) {
            const result = rgc.spikeTriggeredAverage(movie, times, nLags);
            expected.set(JSON.stringify([session.subject_name, session.sample_number, String(session.session_date), s, n, nLags]), { result, peak: rgc.staPeak(result, movie) });
          }
        });
        rgc.releasePreparedMovie(movie);
      });
    }
    const check = async (): Promise<void> => {
      const rows = await rgc.SpikeTriggeredAverage.fetch();
      expect(rows).toHaveLength(expected.size);
      for (const row of rows) {
        const want = expected.get(JSON.stringify([row.subject_name, row.sample_number, String(row.session_date), row.stimulation_index, row.neuron_index, row.n_lags]))!;
        expect(want).toBeDefined();
        expect(bytes(dataOf(row.sta)).equals(bytes(want.result.sta))).toBe(true);
        expect([row.n_used, row.n_skipped_before, row.n_skipped_after]).toEqual([want.result.used, want.result.skippedBefore, want.result.skippedAfter]);
        expect([row.peak_lag, row.peak_x, row.peak_y, row.peak_value]).toEqual(want.peak ? [want.peak.lag, want.peak.x, want.peak.y, want.peak.value] : [null, null, null, null]);
        if (want.peak) {
          expect(bytes(dataOf(row.spatial_map)).equals(bytes(want.peak.spatialMap))).toBe(true);
          expect(bytes(dataOf(row.temporal_kernel)).equals(bytes(want.peak.temporalKernel))).toBe(true);
        } else {
          expect([row.spatial_map, row.temporal_kernel]).toEqual([null, null]);
        }
      }
    };
    expect((await rgc.SpikeTriggeredAverage.populate()).successCount).toBe(expected.size);
    await check();
    // Other orders: the keys begun ahead in the listed order are not the ones asked for.
    for (const order of ['reverse', 'random'] as const) {
      await rgc.SpikeTriggeredAverage.restrict({ n_lags: 10 } as never).deleteQuick();
      await rgc.SpikeTriggeredAverage.restrict({ neuron_index: 1 } as never).deleteQuick();
      const again = await rgc.SpikeTriggeredAverage.populate({ order });
      expect(again.errors).toEqual([]);
      await check();
    }
    await rgc.pipeline.drop({ force: true });
  }, 120_000);

  it('reads a stimulation again when its row changed under the same key (dropped and loaded anew), not the movie this process read before', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-sta-reload-'));
    rgc.pipeline.configure({ connection: dialect.url('sta_populate'), prefix: `rgt_stareload_${dialect.name}_` });
    const stas = async (): Promise<string[]> => (await rgc.SpikeTriggeredAverage.query().orderBy('stimulation_index', 'neuron_index', 'n_lags').fetch())
      .map((r) => bytes(dataOf(r.sta)).toString('base64'));
    const loadAndPopulate = async (seed: number): Promise<string[]> => {
      await rgc.pipeline.drop({ force: true });
      const { dataset } = rgc.generateDataset(inventory.slice(0, 1), { scale: 0.05, seed });
      await rgc.loadManifest(await rgc.readManifest(await rgc.writeDataset(dataset, path.join(dir, `seed-${seed}`), 'pickle')));
      await rgc.SpikeTriggeredAverage.populate();
      const expected: string[] = [];
      dataset.sessions[0]!.stimulations.forEach((st) => {
        const movie = rgc.prepareMovie(st.movie, st.fps, st.stimulus_onset);
        st.spikes.forEach((times) => { for (const nLags of [5, 10, 20]) expected.push(bytes(rgc.spikeTriggeredAverage(movie, times, nLags).sta).toString('base64')); });
        rgc.releasePreparedMovie(movie);
      });
      return expected;
    };
    const first = await loadAndPopulate(21);
    expect(await stas()).toEqual(first);
    // The same keys, another movie and other spikes, in the same database of the same process.
    const second = await loadAndPopulate(22);
    expect(second).not.toEqual(first);
    expect(await stas()).toEqual(second);
    await rgc.pipeline.drop({ force: true });
  }, 120_000);
});
