import 'reflect-metadata';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/index.js';
import * as rgc from '../../src/pipeline.js';
import { dialects } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

/**
 * A 20 kHz recording whose movie advances one frame per sample, spikes written in µs on, just
 * before and just after frame boundaries: each must land in the frame that starts at its time, in
 * the Neuron counts and in every STA, after a trip through the database.
 */
describe.each(dialects)('spikes on frame boundaries, end to end on $name', (dialect) => {
  it('are counted and averaged in the frame that starts there', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rg-frames-'));
    // Sample i of the stimulus is (7 i) mod 40: the STA's lag-k value is the mean of that at frame − k.
    const stimulus = (frame: number): number => (7 * frame) % 40;
    writeFileSync(path.join(dir, 'trace.txt'), Array.from({ length: 40 }, (_, i) => String(stimulus(i))).join('\n'));
    const spikes: Array<[number, number]> = [
      [400, 3], [399, 2], [401, 3], [250, 0], [249, -1], [2200, 39], [2250, 40], [2249, 39], [450, 4], [750, 10],
    ];
    writeFileSync(path.join(dir, 'spikes.txt'), `# µs\n${spikes.map(([us]) => us).join('\n')}\n`);
    rgc.pipeline.configure({ connection: dialect.url('frames'), prefix: `rgt_frames_${dialect.name}_` });
    await rgc.pipeline.drop({ force: true });
    const summary = await rgc.loadManifest([{
      type: 'text/plain', access: path.join(dir, 'spikes.txt'), columns: [{ role: 'spike_time', unit: 'us' }],
      access2: path.join(dir, 'trace.txt'), stimulus_columns: [{ role: 'stimulus', sample_rate: 20000 }],
      session: { subject_name: 'F', sample_number: 1, session_date: '2024-01-02' }, stimulation: { stimulus_onset: 0.00025 },
    }]);
    expect(summary.sources.map((s) => s.status)).toEqual(['loaded']);
    const frames = spikes.map(([, f]) => f);
    const neuron = await rgc.Neuron.fetch1();
    expect([neuron.n_spikes, neuron.n_before_onset, neuron.n_after_movie]).toEqual([10, 1, 1]);
    const stored = (await rgc.Spike.orderBy('spike_index').fetch('spike_time')).map((r) => r.spike_time);
    expect(stored).toEqual(spikes.map(([us]) => Number(`${us}e-6`)));
    expect(stored.map((t) => rgc.frameAt(t, 0.00025, 20000))).toEqual(frames);

    expect((await rgc.SpikeTriggeredAverage.populate()).errors).toEqual([]);
    for (const nLags of [5, 10, 20]) {
      const row = await rgc.SpikeTriggeredAverage.restrict({ n_lags: nLags } as never).fetch1();
      const used = frames.filter((f) => f - (nLags - 1) >= 0 && f < 40);
      expect([row.n_used, row.n_skipped_before, row.n_skipped_after]).toEqual([used.length, frames.filter((f) => f - (nLags - 1) < 0).length, 1]);
      const sta = Array.from((row.sta as { data: Float64Array }).data);
      expect(sta).toEqual(Array.from({ length: nLags }, (_, k) => used.reduce((s, f) => s + stimulus(f - k), 0) / used.length));
    }
    await rgc.pipeline.drop({ force: true });
  }, 60_000);
});
