import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { NdArray } from 'ndarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, Diagram } from '../../src/index.js';
import * as rgc from '../../src/pipeline.js';
import { createViewer, decodeArray, type Viewer } from '../../src/visual/index.js';
import type {
  AverageResponse, FrameResponse, NeuronItem, PopulationResponse, SessionItem, SpikeList, StaListResponse, StaResponse,
  StateResponse, StimulationItem,
} from '../../src/visual/api-types.js';
import { dialects } from '../setup/dialects.js';
import { demoDatabase, type DemoDatabase } from './demo-database.js';
import { columnMajor } from './arrays.js';
import { fingerprint } from './fingerprint.js';

afterAll(() => Connection.closeAll());

const query = (params: Record<string, unknown>): string => new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();

describe.each(dialects)('rg-visual API on $name', (dialect) => {
  let demo: DemoDatabase;
  let viewer: Viewer;
  let before: string;
  const get = async <T>(url: string): Promise<{ status: number; body: T; headers: Record<string, unknown> }> => {
    const response = await viewer.app.inject({ method: 'GET', url });
    return { status: response.statusCode, body: response.json() as T, headers: response.headers };
  };

  beforeAll(async () => {
    demo = await demoDatabase(dialect, `visual_api_${dialect.name}`, 0.03);
    before = await fingerprint(demo.url, demo.prefix);
    viewer = await createViewer({ database: { connection: demo.url, prefix: demo.prefix }, erdSvg: () => Diagram.of(rgc.pipeline).toSvg() });
  }, 180_000);

  afterAll(async () => {
    await viewer?.close();
  });

  /** A stimulation with a 2-d checkerboard, its first neuron with spikes, and the movie as the kernel prepares it. */
  async function pick(): Promise<{ stim: StimulationItem; neuron: NeuronItem; movie: rgc.PreparedMovie; spikes: SpikeList }> {
    const sessions = (await get<SessionItem[]>('/api/sessions')).body;
    for (const session of sessions.filter((s) => s.n_loaded > 0)) {
      const stims = (await get<StimulationItem[]>(`/api/stimulations?${query({ subject_name: session.subject_name, sample_number: session.sample_number, session_date: session.session_date })}`)).body;
      const stim = stims.find((s) => s.x_blocks > 1 && s.y_blocks > 1);
      if (!stim) continue;
      const key = { subject_name: stim.subject_name, sample_number: stim.sample_number, session_date: stim.session_date, stimulation_index: stim.stimulation_index };
      const neurons = (await get<NeuronItem[]>(`/api/neurons?${query(key)}`)).body;
      const neuron = neurons.reduce((a, b) => (b.n_spikes > a.n_spikes ? b : a));
      const row = await rgc.Stimulation.restrict(key).fetch1('movie', 'fps', 'stimulus_onset');
      const spikes = (await get<SpikeList>(`/api/spikes?${query({ ...key, neuron_index: neuron.neuron_index })}`)).body;
      return { stim, neuron, movie: rgc.prepareMovie(row.movie as NdArray, row.fps, row.stimulus_onset), spikes };
    }
    throw new Error('no 2-d stimulation in the demo data');
  }

  it('lists sessions, stimulations, neurons and spikes as the tables hold them', async () => {
    const sessions = await get<SessionItem[]>('/api/sessions');
    expect(sessions.status).toBe(200);
    const rows = await rgc.Session.fetch();
    expect(sessions.body).toHaveLength(rows.length);
    expect(sessions.body.map((s) => `${s.subject_name}|${s.sample_number}|${s.session_date}`).sort())
      .toEqual(rows.map((s) => `${s.subject_name}|${s.sample_number}|${s.session_date}`).sort());
    expect(sessions.body.reduce((n, s) => n + s.n_loaded, 0)).toBe(await rgc.Stimulation.count());

    const { stim, neuron, spikes } = await pick();
    const stimKey = { subject_name: stim.subject_name, sample_number: stim.sample_number, session_date: stim.session_date, stimulation_index: stim.stimulation_index };
    const stored = await rgc.Stimulation.restrict(stimKey).fetch1('fps', 'stimulus_onset', 'n_frames', 'x_blocks', 'y_blocks', 'pixel_size', 'x_block_size', 'y_block_size');
    expect(stim).toMatchObject(stored);
    expect(stim.movie_end).toBe(stored.stimulus_onset + stored.n_frames / stored.fps);
    expect(stim.n_neurons).toBe(await rgc.Neuron.restrict(stimKey).count());
    expect(neuron).toEqual(await rgc.Neuron.restrict({ ...stimKey, neuron_index: neuron.neuron_index }).fetch1());

    const spikeRows = await rgc.Spike.restrict({ ...stimKey, neuron_index: neuron.neuron_index }).orderBy('spike_index').fetch();
    expect(spikes.spike_index).toEqual(spikeRows.map((r) => r.spike_index));
    expect(spikes.spike_time).toEqual(spikeRows.map((r) => r.spike_time));
    expect(spikes.spike_movie_time).toEqual(spikeRows.map((r) => r.spike_movie_time));
    expect(spikes.frame).toEqual(spikeRows.map((r) => rgc.frameAt(r.spike_time, stored.stimulus_onset, stored.fps)));
  });

  it('sends the frame at a spike and the average of the delay frames up to it, equal to perSpikeView', async () => {
    const { stim, neuron, movie, spikes } = await pick();
    const key = { subject_name: stim.subject_name, sample_number: stim.sample_number, session_date: stim.session_date, stimulation_index: stim.stimulation_index, neuron_index: neuron.neuron_index };
    const inside = spikes.spike_index.filter((_, i) => spikes.frame[i]! >= 9 && spikes.frame[i]! < stim.n_frames).slice(0, 3);
    expect(inside.length).toBeGreaterThan(0);
    for (const spikeIndex of inside) {
      const t = spikes.spike_time[spikes.spike_index.indexOf(spikeIndex)]!;
      const frame = await get<FrameResponse>(`/api/frame?${query({ ...key, spike_index: spikeIndex })}`);
      expect(frame.status).toBe(200);
      const expected = rgc.perSpikeView(movie, t, 0);
      expect(frame.body.spike.frame_index).toBe(expected.frameIndex);
      expect(frame.body.spike.place).toBe('shown');
      expect(frame.body.frame!.shape).toEqual([stim.x_blocks, stim.y_blocks]);
      expect(Array.from(decodeArray(frame.body.frame!))).toEqual(Array.from(expected.frame!));
      expect(frame.body.frame_start).toBeCloseTo(stim.stimulus_onset + expected.frameIndex / stim.fps, 12);
      for (const delay of [1, 5, 10]) {
        const average = await get<AverageResponse>(`/api/average?${query({ ...key, spike_index: spikeIndex, delay })}`);
        expect(average.status).toBe(200);
        const view = rgc.perSpikeView(movie, t, delay - 1);
        expect(view.framesAveraged).toBe(delay);
        expect(Array.from(decodeArray(average.body.average!))).toEqual(Array.from(view.average!));
        expect([average.body.first_frame, average.body.last_frame]).toEqual([view.frameIndex - delay + 1, view.frameIndex]);
      }
    }
    // The most frames there are: all of them up to the spike's; one more is refused with the reason.
    const spikeIndex = inside[0]!;
    const f = spikes.frame[spikes.spike_index.indexOf(spikeIndex)]!;
    expect((await get<AverageResponse>(`/api/average?${query({ ...key, spike_index: spikeIndex, delay: f + 1 })}`)).status).toBe(200);
    const tooMany = await get<{ message: string }>(`/api/average?${query({ ...key, spike_index: spikeIndex, delay: f + 2 })}`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.message).toBe(`delay ${f + 2} asks for more frames than were shown up to this spike: it fell in frame ${f}, so frames 0–${f} (${f + 1} frames) are all there is. Choose a delay from 1 to ${f + 1}.`);
  });

  it('says in words when a spike came before the onset or after the movie', async () => {
    const outside = await rgc.Spike.join(rgc.Stimulation.proj('stimulus_onset', 'fps', 'n_frames')).fetch('subject_name', 'sample_number', 'session_date', 'stimulation_index', 'neuron_index', 'spike_index', 'spike_time', 'stimulus_onset', 'fps', 'n_frames');
    const before = outside.find((s) => s.spike_time < s.stimulus_onset)!;
    const after = outside.find((s) => rgc.frameAt(s.spike_time, s.stimulus_onset, s.fps) >= s.n_frames)!;
    expect(before).toBeDefined();
    expect(after).toBeDefined();
    const keyOf = (s: typeof before): Record<string, unknown> => ({ subject_name: s.subject_name, sample_number: s.sample_number, session_date: s.session_date, stimulation_index: s.stimulation_index, neuron_index: s.neuron_index, spike_index: s.spike_index });
    const early = await get<FrameResponse>(`/api/frame?${query(keyOf(before))}`);
    expect(early.status).toBe(200);
    expect(early.body.frame).toBeNull();
    expect(early.body.spike.place).toBe('before-onset');
    expect(early.body.spike.message).toContain(`at ${Number(before.spike_time.toFixed(5))} s`);
    expect(early.body.spike.message).toContain(`before the stimulus onset (${Number(before.stimulus_onset.toFixed(5))} s)`);
    const late = await get<AverageResponse>(`/api/average?${query({ ...keyOf(after), delay: 5 })}`);
    expect(late.status).toBe(200);
    expect(late.body.average).toBeNull();
    expect(late.body.spike.place).toBe('after-movie');
    expect(late.body.spike.message).toMatch(/came after the movie ended at [\d.]+ s: its \d+ frames \(0–\d+\) were over/);
  });

  it('sends the stored STA of every StaParams row, with its peak, map, kernel and counts, exactly', async () => {
    const { stim, neuron, movie } = await pick();
    const key = { subject_name: stim.subject_name, sample_number: stim.sample_number, session_date: stim.session_date, stimulation_index: stim.stimulation_index, neuron_index: neuron.neuron_index };
    const list = await get<StaListResponse>(`/api/stas?${query(key)}`);
    expect(list.status).toBe(200);
    expect(list.body.baseline).toBe(movie.mean);
    expect(list.body.stas.map((s) => s.n_lags)).toEqual([5, 10, 20]);
    for (const summary of list.body.stas) {
      const row = await rgc.SpikeTriggeredAverage.restrict({ ...key, n_lags: summary.n_lags }).fetch1();
      expect(summary).toMatchObject({ n_used: row.n_used, n_skipped_before: row.n_skipped_before, n_skipped_after: row.n_skipped_after, peak_lag: row.peak_lag, peak_x: row.peak_x, peak_y: row.peak_y, peak_value: row.peak_value });
      const sta = await get<StaResponse>(`/api/sta?${query({ ...key, n_lags: summary.n_lags })}`);
      expect(sta.status).toBe(200);
      expect(sta.body.sta.shape).toEqual([stim.x_blocks, stim.y_blocks, summary.n_lags]);
      expect(Array.from(decodeArray(sta.body.sta))).toEqual(Array.from(columnMajor(row.sta)));
      expect(Array.from(decodeArray(sta.body.spatial_map!))).toEqual(Array.from(columnMajor(row.spatial_map)));
      expect(Array.from(decodeArray(sta.body.temporal_kernel!))).toEqual(Array.from(columnMajor(row.temporal_kernel)));
      expect(sta.body.lag_ms).toEqual(Array.from({ length: summary.n_lags }, (_, k) => (k * 1000) / stim.fps));
      // The page draws STA − baseline: the stored peak is the largest deviation from it.
      const values = decodeArray(sta.body.sta);
      const largest = values.reduce((m, v) => Math.max(m, Math.abs(v - sta.body.baseline)), 0);
      expect(Math.abs(row.peak_value! - sta.body.baseline)).toBe(largest);
      let squares = 0;
      for (const v of movie.data) squares += (v - movie.mean) ** 2;
      expect(sta.body.noise).toBeCloseTo(Math.sqrt(squares / movie.data.length) / Math.sqrt(row.n_used), 12);
      expect(sta.body.snr).toBeCloseTo(Math.abs(row.peak_value! - movie.mean) / sta.body.noise!, 9);
    }
    // Browsers get the same answer gzipped.
    const url = `/api/sta?${query({ ...key, n_lags: 10 })}`;
    const zipped = await viewer.app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toBe('accept-encoding');
    expect(JSON.parse(gunzipSync(zipped.rawPayload).toString())).toEqual((await get(url)).body);
    const missing = await get<{ message: string }>(`/api/sta?${query({ ...key, n_lags: 7 })}`);
    expect(missing.status).toBe(404);
    expect(missing.body.message).toMatch(/No spike-triggered average with 7 lags for .* neuron \d+/);
  });

  it('sends every neuron\'s peak-lag map of a stimulation, strongest first', async () => {
    const { stim } = await pick();
    const key = { subject_name: stim.subject_name, sample_number: stim.sample_number, session_date: stim.session_date, stimulation_index: stim.stimulation_index };
    const population = await get<PopulationResponse>(`/api/population?${query({ ...key, n_lags: 10 })}`);
    expect(population.status).toBe(200);
    const rows = await rgc.SpikeTriggeredAverage.restrict({ ...key, n_lags: 10 }).fetch('neuron_index', 'spatial_map', 'n_used');
    expect(population.body.neurons.map((n) => n.neuron_index).sort((a, b) => a - b)).toEqual(rows.map((r) => r.neuron_index).sort((a, b) => a - b));
    const snrs = population.body.neurons.map((n) => n.snr ?? -1);
    expect(snrs).toEqual([...snrs].sort((a, b) => b - a));
    for (const n of population.body.neurons) {
      const row = rows.find((r) => r.neuron_index === n.neuron_index)!;
      expect(n.n_used).toBe(row.n_used);
      if (row.spatial_map !== null) expect(Array.from(decodeArray(n.spatial_map!))).toEqual(Array.from(columnMajor(row.spatial_map)));
    }
  });

  it('shows the pipeline state: rows per table, what populate has left, and the jobs with their messages', async () => {
    const state = await get<StateResponse>('/api/state');
    expect(state.status).toBe(200);
    expect(state.body.database).toBe(viewer.database);
    expect(state.body.database).not.toMatch(/:[^@/]*@/);
    const counts = Object.fromEntries(state.body.tables.map((t) => [t.table, t.rows]));
    expect(counts).toEqual({
      Subject: await rgc.Subject.count(), DataSource: await rgc.DataSource.count(), Session: await rgc.Session.count(),
      Stimulation: await rgc.Stimulation.count(), 'Stimulation.Neuron': await rgc.Neuron.count(), 'Stimulation.Spike': await rgc.Spike.count(),
      StaParams: 3, SpikeTriggeredAverage: await rgc.SpikeTriggeredAverage.count(),
    });
    const sta = state.body.populate.find((p) => p.table === 'SpikeTriggeredAverage')!;
    expect(sta).toMatchObject({ total: (await rgc.Neuron.count()) * 3, remaining: 2, jobs: { error: 1, reserved: 1 } });
    const error = sta.job_rows.find((j) => j.status === 'error')!;
    expect(error.error_message).toBe('Error: the movie could not be read');
    expect(error.key).toEqual(demo.erroredKey);
    expect(error.host).toBe('test-host');
    expect(sta.job_rows.find((j) => j.status === 'reserved')!.key).toEqual(demo.reservedKey);
    expect(state.body.populate.find((p) => p.table === 'Stimulation')).toMatchObject({ remaining: 0, jobs: {} });
  });

  it('draws the ERD as rg-erd does, and serves the page with its assets from this server only', async () => {
    const erd = await viewer.app.inject({ method: 'GET', url: '/api/erd.svg' });
    expect(erd.statusCode).toBe(200);
    expect(erd.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(erd.body).toBe(await Diagram.of(rgc.pipeline).toSvg());

    const page = await viewer.app.inject({ method: 'GET', url: '/?subject_name=x&neuron_index=1' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['content-security-policy']).toContain("connect-src 'self'");
    const sources = [...page.body.matchAll(/(?:src|href)="([^"#]+)"/g)].map((m) => m[1]!);
    expect(sources.filter((s) => s.startsWith('/assets/'))).toHaveLength(3);
    expect(sources.every((s) => s.startsWith('/') || s === 'data:,')).toBe(true);
    for (const asset of sources.filter((s) => s.startsWith('/assets/'))) {
      const response = await viewer.app.inject({ method: 'GET', url: asset });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/(javascript|css)/);
      expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    }
  });

  const hostile: Array<{ what: string; change: Record<string, unknown>; status: number; message: RegExp }> = [
    { what: 'an SQL fragment as a name', change: { subject_name: "x' OR '1'='1" }, status: 404, message: /^No stimulation x' OR '1'='1 #\d+ [\d-]+, stimulation 0\.$/ },
    { what: 'a statement as a name', change: { subject_name: 'KO"; DROP TABLE session; --' }, status: 404, message: /^No stimulation KO"; DROP TABLE session; -- #/ },
    { what: 'a name longer than its column', change: { subject_name: 'x'.repeat(65) }, status: 400, message: /subject_name must be at most 64 characters long \(subject_name is varchar\(64\)\)/ },
    { what: 'an empty name', change: { subject_name: '' }, status: 400, message: /subject_name must be at least 1 characters/ },
    { what: 'a negative index', change: { stimulation_index: -1 }, status: 400, message: /stimulation_index must be at least 0 \(stimulation_index is smallint unsigned\); got "-1"/ },
    { what: 'an index past its column type', change: { stimulation_index: 65536 }, status: 400, message: /stimulation_index must be at most 65535/ },
    { what: 'a huge number', change: { sample_number: '1e300' }, status: 400, message: /sample_number must be at most 2147483647/ },
    { what: 'a fraction', change: { sample_number: 1.5 }, status: 400, message: /sample_number must be a whole number \(sample_number is int\); got "1.5"/ },
    { what: 'text for a number', change: { sample_number: 'one' }, status: 400, message: /sample_number must be a whole number/ },
    { what: 'SQL for a number', change: { sample_number: '1 OR 1=1' }, status: 400, message: /sample_number must be a whole number/ },
    { what: 'a date that is not one', change: { session_date: '2008-02-30' }, status: 400, message: /session_date must be a date written YYYY-MM-DD; got "2008-02-30"/ },
    { what: 'SQL for a date', change: { session_date: "2008-06-06' --" }, status: 400, message: /session_date must be a date/ },
    { what: 'a path for a date', change: { session_date: '../../etc/passwd' }, status: 400, message: /session_date must be a date/ },
    { what: 'an unknown parameter', change: { movie: 1 }, status: 400, message: /^Unknown parameter "movie": this route takes subject_name, sample_number, session_date, stimulation_index\.$/ },
  ];

  it.each(hostile)('answers $what with $status and a sentence', async ({ change, status, message }) => {
    const session = (await get<SessionItem[]>('/api/sessions')).body[0]!;
    const params = { subject_name: session.subject_name, sample_number: session.sample_number, session_date: session.session_date, stimulation_index: 0, ...change };
    const response = await get<{ statusCode: number; error: string; message: string }>(`/api/neurons?${query(params)}`);
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body.statusCode).toBe(status);
    expect(response.body.message).toMatch(message);
  });

  it('refuses malformed requests on every route with a 400 or 404 and a sentence', async () => {
    const { stim, neuron } = await pick();
    const neuronKey = { subject_name: stim.subject_name, sample_number: stim.sample_number, session_date: stim.session_date, stimulation_index: stim.stimulation_index, neuron_index: neuron.neuron_index };
    const cases: Array<[string, number, RegExp]> = [
      [`/api/sessions?x=1`, 400, /Unknown parameter "x": this route takes no parameters/],
      [`/api/stimulations?${query({ subject_name: 'nobody', sample_number: 1, session_date: '2000-01-01' })}`, 404, /^No session nobody #1 2000-01-01\.$/],
      [`/api/stimulations?${query({ subject_name: 'nobody', sample_number: 1 })}`, 400, /^Missing parameter session_date/],
      [`/api/neurons?${query({ subject_name: stim.subject_name, sample_number: stim.sample_number, session_date: stim.session_date, stimulation_index: 999 })}`, 404, /^No stimulation .*, stimulation 999\.$/],
      [`/api/spikes?${query({ ...neuronKey, neuron_index: 999 })}`, 404, /^No neuron .*, neuron 999\.$/],
      [`/api/frame?${query({ ...neuronKey, spike_index: 4294967295 })}`, 404, /spike 4294967295\.$/],
      [`/api/frame?${query({ ...neuronKey, spike_index: 4294967296 })}`, 400, /spike_index must be at most 4294967295/],
      [`/api/frame?${query(neuronKey)}`, 400, /^Missing parameter spike_index/],
      [`/api/average?${query({ ...neuronKey, spike_index: 0 })}`, 400, /^Missing parameter delay/],
      [`/api/average?${query({ ...neuronKey, spike_index: 0, delay: 0 })}`, 400, /delay must be at least 1/],
      [`/api/average?${query({ ...neuronKey, spike_index: 0, delay: 'five' })}`, 400, /delay must be a whole number/],
      [`/api/average?${query({ ...neuronKey, spike_index: 0, delay: 1e12 })}`, 400, /delay must be at most 1000000/],
      [`/api/average?${query({ ...neuronKey, spike_index: 0 })}&delay=2&delay=3`, 400, /delay must be a whole number/],
      [`/api/stas?${query({ ...neuronKey, neuron_index: -5 })}`, 400, /neuron_index must be at least 0/],
      [`/api/sta?${query(neuronKey)}`, 400, /^Missing parameter n_lags/],
      [`/api/sta?${query({ ...neuronKey, n_lags: 70000 })}`, 400, /n_lags must be at most 65535/],
      [`/api/population?${query({ ...neuronKey, n_lags: 10 })}`, 400, /Unknown parameter "neuron_index"/],
      [`/api/state?${query({ table: 'Session' })}`, 400, /Unknown parameter "table"/],
      ['/api/../package.json', 404, /^Nothing at \//],
      ['/assets/..%2F..%2Fpackage.json', 400, /name is not well formed/],
      ['/assets/%2e%2e%2fsrc%2ferrors.ts', 400, /name is not well formed/],
      ['/assets/app.js', 404, /^No asset app\.js; the page's assets are /],
      ['/api/nothing', 404, /^Nothing at \/api\/nothing\. The page is at \/; the API: \/api\/sessions/],
      ['/etc/passwd', 404, /^Nothing at \/etc\/passwd/],
    ];
    for (const [url, status, message] of cases) {
      const response = await viewer.app.inject({ method: 'GET', url });
      expect({ url, status: response.statusCode }).toEqual({ url, status });
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect((response.json() as { message: string }).message).toMatch(message);
    }
  });

  it('reaches no write: every method on every route is refused, and the database is unchanged', async () => {
    const { stim, neuron } = await pick();
    const key = query({ subject_name: stim.subject_name, sample_number: stim.sample_number, session_date: stim.session_date, stimulation_index: stim.stimulation_index, neuron_index: neuron.neuron_index, spike_index: 0 });
    const routes = ['/', '/api/sessions', '/api/stimulations', '/api/neurons', '/api/spikes', '/api/frame', '/api/average', '/api/stas', '/api/sta', '/api/population', '/api/state', '/api/erd.svg', '/assets/x', '/api/anything'];
    for (const route of routes) {
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const) {
        const response = await viewer.app.inject({ method, url: `${route}?${key}`, payload: { subject_name: 'intruder' } });
        expect({ route, method, status: response.statusCode }).toEqual({ route, method, status: 405 });
        expect(response.headers.allow).toBe('GET, HEAD');
        expect((response.json() as { message: string }).message).toBe(`rg-visual only reads: ${method} is not allowed. Use GET.`);
      }
      expect((await viewer.app.inject({ method: 'HEAD', url: '/api/sessions' })).statusCode).toBe(200);
    }
    // The connection itself refuses writes: read-only in the driver (SQLite) or the session (MariaDB, PostgreSQL).
    const connection = rgc.pipeline.connection;
    await expect(connection.run(`DELETE FROM ${connection.dialect.tableRef(rgc.pipeline.database, 'session')}`)).rejects.toThrow(/read-?only|READ ONLY/i);
    await expect(connection.run(`CREATE TABLE ${connection.dialect.tableRef(rgc.pipeline.database, 'intruder')} (a int)`)).rejects.toThrow(/read-?only|READ ONLY/i);
    expect(await fingerprint(demo.url, demo.prefix)).toBe(before);
  });

  it('decodes a movie once for many concurrent requests, and keeps the cache within its bound', async () => {
    const { stim, neuron, spikes } = await pick();
    const key = { subject_name: stim.subject_name, sample_number: stim.sample_number, session_date: stim.session_date, stimulation_index: stim.stimulation_index, neuron_index: neuron.neuron_index };
    const small = await createViewer({ database: { connection: demo.url, prefix: demo.prefix }, cacheBytes: 1 });
    try {
      // A movie larger than the whole bound is served, not kept.
      const answers = await Promise.all(spikes.spike_index.slice(0, 8).map((i) => small.app.inject({ method: 'GET', url: `/api/frame?${query({ ...key, spike_index: i })}` })));
      expect(answers.map((a) => a.statusCode)).toEqual(answers.map(() => 200));
      expect(small.movies.size).toBe(0);
      expect(small.movies.bytes).toBe(0);
    } finally {
      await small.close();
    }
    const bytes = stim.x_blocks * stim.y_blocks * stim.n_frames * 8;
    const bounded = await createViewer({ database: { connection: demo.url, prefix: demo.prefix }, cacheBytes: bytes * 2 });
    try {
      await Promise.all(spikes.spike_index.slice(0, 8).map((i) => bounded.app.inject({ method: 'GET', url: `/api/frame?${query({ ...key, spike_index: i })}` })));
      expect(bounded.movies.decodes).toBe(1);
      const stims = await rgc.Stimulation.fetch('subject_name', 'sample_number', 'session_date', 'stimulation_index');
      for (const s of stims) {
        await bounded.movies.movie(s);
        expect(bounded.movies.bytes).toBeLessThanOrEqual(bytes * 2);
      }
      // Each other movie decoded once; the first one again only if it was pushed out meanwhile.
      expect(bounded.movies.decodes).toBeGreaterThanOrEqual(stims.length);
      expect(bounded.movies.decodes).toBeLessThanOrEqual(stims.length + 1);
      const decodes = bounded.movies.decodes;
      await bounded.movies.movie(stims[stims.length - 1]!);
      expect(bounded.movies.decodes).toBe(decodes);
    } finally {
      await bounded.close();
    }
  });
});

describe('rg-visual when the database cannot be read', () => {
  it('says which database could not be reached, without the password or a stack trace', async () => {
    const viewer = await createViewer({ database: { connection: 'mysql://someone:hunter2@127.0.0.1:1' } });
    try {
      const page = await viewer.app.inject({ method: 'GET', url: '/' });
      expect(page.statusCode).toBe(503);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.body).toContain('Cannot reach the database mysql://someone@127.0.0.1:1: the connection was refused (is the server running, and on that port?).');
      expect(page.body).not.toContain('hunter2');
      expect(page.body).not.toMatch(/\bat .*\.(ts|js):\d+/);
      const api = await viewer.app.inject({ method: 'GET', url: '/api/sessions' });
      expect(api.statusCode).toBe(503);
      expect(api.json()).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'Cannot reach the database mysql://someone@127.0.0.1:1: the connection was refused (is the server running, and on that port?).' });
    } finally {
      await viewer.close();
    }
  });

  it('says there is no SQLite file, and creates neither the file nor its folder', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'rg-visual-none-')), 'rg-data', 'rg.sqlite');
    const viewer = await createViewer({ database: { connection: `sqlite://${file}` } });
    try {
      const page = await viewer.app.inject({ method: 'GET', url: '/' });
      expect(page.statusCode).toBe(503);
      expect(page.body).toContain(`There is no database file at ${file}. Make one with <code>npx rg-pipeline demo</code>`);
      expect((await viewer.app.inject({ method: 'GET', url: '/api/sessions' })).statusCode).toBe(503);
      expect(existsSync(path.dirname(file))).toBe(false);
    } finally {
      await viewer.close();
    }
  });

  it('answers only for its own host names while it listens on loopback', async () => {
    const viewer = await createViewer({ database: { connection: 'mysql://someone@127.0.0.1:1' } });
    try {
      const response = await viewer.app.inject({ method: 'GET', url: '/api/sessions', headers: { host: 'attacker.example:8050' } });
      expect(response.statusCode).toBe(400);
      expect(response.json<{ message: string }>().message).toMatch(/^This viewer answers requests for localhost, 127\.0\.0\.1.*not for "attacker\.example"/);
    } finally {
      await viewer.close();
    }
  });
});
