import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RgcDataset } from '../dataset.js';
import { writePickle, type Picklable } from './pickle-writer.js';

/** The file format {@link writeDataset} writes: the original's numpy pickle, or JSON. */
export type DatasetFormat = 'pickle' | 'json';

/** The dataset as the seed's pickle holds it: C-order (x, y, t) float64 movies, (N, 1) spike arrays. */
function asPicklable(dataset: RgcDataset): Picklable {
  return dataset.sessions.map((s) => ({
    subject_name: s.subject_name, sample_number: s.sample_number, session_date: s.session_date,
    stimulations: s.stimulations.map((st) => {
      const [x, y, t] = st.movie.shape as [number, number, number];
      const c = new Float64Array(x * y * t);
      const src = st.movie.data;
      let o = 0;
      for (let i = 0; i < x; i++) for (let j = 0; j < y; j++) for (let k = 0; k < t; k++) c[o++] = src[i + x * (j + y * k)]!;
      return {
        fps: st.fps, movie: { dtype: 'f8', shape: [x, y, t], data: c }, n_frames: st.n_frames, pixel_size: st.pixel_size,
        stim_height: st.stim_height, stim_width: st.stim_width, stimulus_onset: st.stimulus_onset,
        x_block_size: st.x_block_size, y_block_size: st.y_block_size,
        spikes: st.spikes.map((times) => ({ dtype: 'f8' as const, shape: [times.length, 1], data: times })),
      };
    }),
  }));
}

/** The dataset as a JSON source: arrays as `{dtype, shape, data, order}` with base64 data. */
function asJson(dataset: RgcDataset): unknown {
  const b64 = (a: Float64Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
  return dataset.sessions.map((s) => ({
    ...s,
    stimulations: s.stimulations.map((st) => ({
      ...st,
      movie: { dtype: 'float64', shape: st.movie.shape, order: 'F', data: b64(st.movie.data) },
      spikes: st.spikes.map((times) => ({ dtype: 'float64', shape: [times.length], data: b64(times) })),
    })),
  }));
}

/** Writes the dataset into `dir` (one data file and a manifest.json naming it); returns the manifest path. */
export async function writeDataset(dataset: RgcDataset, dir: string, format: DatasetFormat = 'pickle', protocol: 2 | 3 | 4 | 5 = 4): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = format === 'pickle' ? 'ret1_data.pkl' : 'ret1_data.json';
  const bytes = format === 'pickle' ? writePickle(asPicklable(dataset), protocol) : Buffer.from(JSON.stringify(asJson(dataset)));
  await writeFile(path.join(dir, file), bytes);
  const manifest = path.join(dir, 'manifest.json');
  await writeFile(manifest, `${JSON.stringify([{ type: format === 'pickle' ? 'file/pickle' : 'file/json', access: file, access2: '' }], null, 2)}\n`);
  return manifest;
}
