import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NdArray } from 'ndarray';
import { describe, expect, it } from 'vitest';
import { DataSourceError } from '../../src/index.js';
import { checkEntry, readSource } from '../../src/tables/index.js';

const dir = 'test/fixtures/pickles';

/** numpy's .npy: header, then C-order float64 data. */
function readNpy(file: string): { shape: number[]; data: Float64Array } {
  const b = readFileSync(file);
  const headerLength = b.readUInt16LE(8);
  const header = b.toString('latin1', 10, 10 + headerLength);
  const shape = (/'shape': \(([^)]*)\)/.exec(header)![1]!).split(',').map((s) => s.trim()).filter((s) => s).map(Number);
  const body = b.subarray(10 + headerLength);
  return { shape, data: new Float64Array(Uint8Array.from(body).buffer) };
}

describe('file/pickle: pickles written by real numpy', () => {
  const expected = readNpy(`${dir}/expected-movie.npy`);
  const [x, y, t] = expected.shape as [number, number, number];
  for (const name of ['ret-p2', 'ret-p3', 'ret-p4', 'ret-p5', 'ret-fortran', 'ret-numpy2-names']) {
    it(`reads ${name}.pkl`, async () => {
      const { dataset, checksum } = await readSource({ type: 'file/pickle', access: `${dir}/${name}.pkl` });
      expect(checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(dataset.sessions.map((s) => [s.subject_name, s.sample_number, s.session_date, s.stimulations.length])).toEqual([
        ['KO (chx10)', 1, '2008-06-06', 1], ['WT', 2, '2008-07-02', 0],
      ]);
      const stim = dataset.sessions[0]!.stimulations[0]!;
      expect([stim.fps, stim.n_frames, stim.stimulus_onset, stim.x_block_size]).toEqual([59.9815, 20, 1.65657, 160]);
      const movie = stim.movie as NdArray<Float64Array>;
      expect(movie.shape).toEqual([x, y, t]);
      expect(movie.stride).toEqual([1, x, x * y]);
      for (let i = 0; i < x; i++) for (let j = 0; j < y; j++) for (let k = 0; k < t; k++) {
        expect(movie.get(i, j, k)).toBe(expected.data[(i * y + j) * t + k]);
      }
      expect(stim.spikes.map((s) => Array.from(s))).toEqual([[1.0, 1.8144, 1.9, 2.5], [1.7, 1.75]]);
    });
  }

  it('reports a truncated pickle as a DataSourceError naming the source', async () => {
    await expect(readSource({ type: 'file/pickle', access: `${dir}/ret-truncated.pkl` })).rejects.toThrow(DataSourceError);
    await expect(readSource({ type: 'file/pickle', access: `${dir}/ret-truncated.pkl` })).rejects.toThrow(/ret-truncated\.pkl/);
  });

  it('reports a missing file', async () => {
    await expect(readSource({ type: 'file/pickle', access: `${dir}/nope.pkl` })).rejects.toThrow(/cannot read \/.*\/test\/fixtures\/pickles\/nope\.pkl \(ENOENT: no such file\)/);
  });
});

const good = { subject_name: 'S', sample_number: 1, session_date: '2020-01-01', stimulations: [{
  fps: 60, n_frames: 2, pixel_size: 8.3, stim_height: 10, stim_width: 10, stimulus_onset: 0.5, x_block_size: 5, y_block_size: 10,
  movie: [[[1, -1]], [[-1, 1]]], spikes: [[0.6, 0.7], [[0.8]]],
}] };

describe('JSON sources', () => {
  it('text/json with nested lists', async () => {
    const { dataset } = await readSource({ type: 'text/json', access: JSON.stringify([good]) });
    const movie = dataset.sessions[0]!.stimulations[0]!.movie;
    expect(movie.shape).toEqual([2, 1, 2]);
    expect([movie.get(0, 0, 0), movie.get(0, 0, 1), movie.get(1, 0, 0)]).toEqual([1, -1, -1]);
    expect(dataset.sessions[0]!.stimulations[0]!.spikes.map((s) => Array.from(s))).toEqual([[0.6, 0.7], [0.8]]);
  });

  it('file/json with {dtype, shape, data} arrays', async () => {
    const data = Buffer.from(Float64Array.from([1, -1, -1, 1]).buffer).toString('base64');
    const entry = { ...good, stimulations: [{ ...good.stimulations[0], movie: { dtype: 'float64', shape: [2, 1, 2], data } }] };
    const { dataset } = await readSource({ type: 'text/json', access: JSON.stringify([entry]) });
    expect(dataset.sessions[0]!.stimulations[0]!.movie.get(1, 0, 0)).toBe(-1);
  });

  it('http/json from a server on loopback', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/data.json') res.end(JSON.stringify([good]));
      else { res.statusCode = 404; res.end(); }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const { dataset } = await readSource({ type: 'http/json', access: `http://127.0.0.1:${port}/data.json` });
      expect(dataset.sessions).toHaveLength(1);
      await expect(readSource({ type: 'http/json', access: `http://127.0.0.1:${port}/missing.json` })).rejects.toThrow(/404/);
    } finally {
      server.close();
    }
  });

  it('names the field and reason of bad data', async () => {
    const bad = (patch: Record<string, unknown>) => readSource({ type: 'text/json', access: JSON.stringify([{ ...good, stimulations: [{ ...good.stimulations[0], ...patch }] }]) });
    await expect(bad({ fps: 0 })).rejects.toThrow(/stimulations\[0\]\.fps must be frames per second, more than 0, got 0/);
    await expect(bad({ n_frames: 3 })).rejects.toThrow(/n_frames is 3 but the movie has 2 frames/);
    await expect(bad({ spikes: [[0.5, null]] })).rejects.toThrow(/spikes\[0\]/);
    await expect(bad({ movie: [1, 2] })).rejects.toThrow(/movie must be a 3-d array/);
    const { fps: _, ...noFps } = good.stimulations[0]!;
    await expect(readSource({ type: 'text/json', access: JSON.stringify([{ ...good, stimulations: [noFps] }]) })).rejects.toThrow(/fps is missing/);
    await expect(readSource({ type: 'text/json', access: '[{' })).rejects.toThrow(/not valid JSON/);
  });
});

describe('manifest entries', () => {
  it('answers unsupported types clearly, naming the supported ones', () => {
    expect(() => checkEntry({ type: 'database/mssql', access: 'x' }, 0)).toThrow(/"database\/mssql" is not supported yet\. Supported types: file\/pickle/);
    expect(() => checkEntry({ type: 'database/mongodb', access: 'x' }, 1)).toThrow(/not supported yet/);
    expect(() => checkEntry({ access: 'x' }, 2)).toThrow(/"type" is missing/);
    expect(() => checkEntry({ type: 'file/pickle' }, 3)).toThrow(/"access"/);
  });
});

describe('file/csv', () => {
  it('reads the three tables and the .npy movie written by numpy', async () => {
    const { dataset, checksum } = await readSource({ type: 'file/csv', access: 'test/fixtures/csv' });
    const pickled = await readSource({ type: 'file/pickle', access: 'test/fixtures/pickles/ret-p4.pkl' });
    expect(checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(dataset.sessions.map((s) => [s.subject_name, s.sample_number, s.session_date, s.stimulations.length])).toEqual([['KO (chx10)', 1, '2008-06-06', 1], ['WT', 2, '2008-07-02', 0]]);
    const a = dataset.sessions[0]!.stimulations[0]!;
    const b = pickled.dataset.sessions[0]!.stimulations[0]!;
    expect(Array.from(a.movie.data)).toEqual(Array.from(b.movie.data));
    expect(a.spikes.map((s) => Array.from(s))).toEqual(b.spikes.map((s) => Array.from(s)));
  });

  it('names a missing table or column', async () => {
    await expect(readSource({ type: 'file/csv', access: 'test/fixtures' })).rejects.toThrow(/cannot read \/.*\/test\/fixtures\/sessions\.csv \(ENOENT/);
  });
});

describe('text/plain', () => {
  it('reads spike times in microseconds with neuron numbers, and a 20 kHz stimulus trace as a (1, 1, n) movie', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(`${tmpdir()}/rg-text-`);
    writeFileSync(`${dir}/spikes.txt`, '# time_us neuron\n1000 0\n2500 1\n   # a comment line\n3000, 0\n');
    writeFileSync(`${dir}/trace.txt`, '# one sample per line\n' + Array.from({ length: 100 }, (_, i) => (i % 2 ? 1 : -1)).join('\n'));
    const entry = {
      type: 'text/plain', access: `${dir}/spikes.txt`, columns: [{ role: 'spike_time', unit: 'us' }, { role: 'neuron' }],
      access2: `${dir}/trace.txt`, stimulus_columns: [{ role: 'stimulus', sample_rate: 20000 }],
      session: { subject_name: 'S1', sample_number: 1, session_date: '2021-03-04' }, stimulation: { stimulus_onset: 0.0005 },
    };
    const { dataset } = await readSource(entry);
    const st = dataset.sessions[0]!.stimulations[0]!;
    expect(st.movie.shape).toEqual([1, 1, 100]);
    expect([st.fps, st.n_frames, st.stimulus_onset]).toEqual([20000, 100, 0.0005]);
    expect(st.spikes.map((s) => Array.from(s))).toEqual([[0.001, 0.003], [0.0025]]);
    writeFileSync(`${dir}/bad.txt`, '1000 0\n12x 1\n');
    await expect(readSource({ ...entry, access: `${dir}/bad.txt` })).rejects.toThrow(/bad\.txt line 2: "12x" is not a number/);
    await expect(readSource({ ...entry, columns: [{ role: 'spike_time', unit: 'fortnights' }] })).rejects.toThrow(/unknown unit "fortnights"/);
  });
});
