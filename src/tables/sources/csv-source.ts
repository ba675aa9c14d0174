import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { DataSourceError } from '../../errors.js';
import { readNpy } from './npy.js';

/**
 * `file/csv`: a directory (the entry's `access`) holding three tables with header rows, and one
 * .npy movie per stimulation:
 *
 * - `sessions.csv`: subject_name, sample_number, session_date
 * - `stimulations.csv`: subject_name, sample_number, session_date, stimulation_index, fps, n_frames,
 *   pixel_size, stim_height, stim_width, stimulus_onset, x_block_size, y_block_size, movie_file
 *   (a .npy (x_blocks, y_blocks, n_frames) array, relative to the directory)
 * - `spikes.csv`: subject_name, sample_number, session_date, stimulation_index, neuron_index, spike_time (s)
 *
 * Returns the seed structure and every byte read, for the checksum.
 */
export async function readCsvSource(dir: string): Promise<{ value: unknown; bytes: Buffer[] }> {
  const bytes: Buffer[] = [];
  const table = async (file: string, columns: string[]): Promise<Array<Record<string, string>>> => {
    let text: Buffer;
    try {
      text = await readFile(path.join(dir, file));
    } catch (cause) {
      throw new DataSourceError(`file/csv ${dir}: cannot read ${file} (${(cause as NodeJS.ErrnoException).code ?? ''}).`, { source: dir, field: file, cause });
    }
    bytes.push(text);
    let rows: Array<Record<string, string>>;
    try {
      rows = parse(text, { columns: true, skip_empty_lines: true, trim: true, comment: '#' }) as Array<Record<string, string>>;
    } catch (cause) {
      throw new DataSourceError(`file/csv ${dir}: ${file} is not valid CSV (${(cause as Error).message}).`, { source: dir, field: file, cause });
    }
    const missing = columns.filter((c) => rows.length > 0 && !(c in rows[0]!));
    if (missing.length > 0) throw new DataSourceError(`file/csv ${dir}: ${file} lacks the column(s) ${missing.join(', ')}.`, { source: dir, field: `${file}:${missing[0]}` });
    return rows;
  };
  const key = ['subject_name', 'sample_number', 'session_date'];
  const sessions = await table('sessions.csv', key);
  const stimulations = await table('stimulations.csv', [...key, 'stimulation_index', 'fps', 'n_frames', 'pixel_size', 'stim_height', 'stim_width', 'stimulus_onset', 'x_block_size', 'y_block_size', 'movie_file']);
  const spikes = await table('spikes.csv', [...key, 'stimulation_index', 'neuron_index', 'spike_time']);
  const id = (r: Record<string, string>): string => key.map((k) => r[k]).join('|');
  const numberOrText = (v: string | undefined): number | string => (v !== undefined && v !== '' && !Number.isNaN(Number(v)) ? Number(v) : (v ?? ''));
  const value = [];
  for (const s of sessions) {
    const stims = [];
    for (const st of stimulations.filter((r) => id(r) === id(s)).sort((a, b) => Number(a.stimulation_index) - Number(b.stimulation_index))) {
      const movieFile = path.join(dir, st.movie_file ?? '');
      let movieBytes: Buffer;
      try {
        movieBytes = await readFile(movieFile);
      } catch (cause) {
        throw new DataSourceError(`file/csv ${dir}: cannot read the movie ${st.movie_file}.`, { source: dir, field: 'movie_file', cause });
      }
      bytes.push(movieBytes);
      const neurons = new Map<number, number[]>();
      for (const sp of spikes.filter((r) => id(r) === id(s) && r.stimulation_index === st.stimulation_index)) {
        const n = Number(sp.neuron_index);
        const list = neurons.get(n) ?? [];
        list.push(numberOrText(sp.spike_time) as number);
        neurons.set(n, list);
      }
      const count = neurons.size === 0 ? 0 : Math.max(...neurons.keys()) + 1;
      stims.push({
        fps: numberOrText(st.fps), n_frames: numberOrText(st.n_frames), pixel_size: numberOrText(st.pixel_size),
        stim_height: numberOrText(st.stim_height), stim_width: numberOrText(st.stim_width), stimulus_onset: numberOrText(st.stimulus_onset),
        x_block_size: numberOrText(st.x_block_size), y_block_size: numberOrText(st.y_block_size),
        movie: readNpy(movieBytes, st.movie_file ?? ''),
        spikes: Array.from({ length: count }, (_, n) => neurons.get(n) ?? []),
      });
    }
    value.push({ subject_name: s.subject_name, sample_number: numberOrText(s.sample_number), session_date: s.session_date, stimulations: stims });
  }
  return { value, bytes };
}
