import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { DataSourceError } from '../../errors.js';
import type { SourceLimits } from './limits.js';
import { readNpy } from './npy.js';
import { readRegularFile, requireDirectory } from './read-file.js';
import { show } from './validate.js';

const KEY = ['subject_name', 'sample_number', 'session_date'];
const STIMULATION_COLUMNS = [...KEY, 'stimulation_index', 'fps', 'n_frames', 'pixel_size', 'stim_height', 'stim_width', 'stimulus_onset', 'x_block_size', 'y_block_size', 'movie_file'];
const SPIKE_COLUMNS = [...KEY, 'stimulation_index', 'neuron_index', 'spike_time'];
/** A number as CSV writes it: no hex, no `Infinity`, no blanks. */
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
/** An index as written once: `0`, `7`, never `00` or `07` (which would name the same row twice). */
const INDEX = /^(0|[1-9]\d*)$/;

interface Row { readonly line: number; readonly values: Record<string, string> }

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
 * Every row is used exactly once or the source is refused: a bad number or index, a duplicated
 * row, a stimulation or spike whose session or stimulation is not listed, stimulations not
 * numbered 0, 1, 2… are errors naming the file, the line and the value. Neurons are numbered from
 * 0; a number with no spikes is a neuron that did not fire. Returns the seed structure and every
 * byte read, for the checksum.
 */
export async function readCsvSource(dir: string, limits: SourceLimits): Promise<{ value: unknown; bytes: Buffer[] }> {
  const where = `file/csv ${dir}`;
  await requireDirectory(where, dir);
  const bytes: Buffer[] = [];
  let budget = limits.maxBytes;
  const fail = (file: string, line: number | undefined, reason: string, field = file): never => {
    throw new DataSourceError(`${where}: ${path.join(dir, file)}${line === undefined ? '' : ` line ${line}`}: ${reason}`, { source: where, field });
  };
  const table = async (file: string, columns: readonly string[]): Promise<Row[]> => {
    const text = await readRegularFile(where, path.join(dir, file), budget, file);
    budget -= text.length;
    bytes.push(text);
    let records: Array<{ record: Record<string, string>; info: { lines: number } }>;
    try {
      records = parse(text, { columns: true, skip_empty_lines: true, trim: true, comment: '#', bom: true, info: true }) as typeof records;
    } catch (cause) {
      throw new DataSourceError(`${where}: ${path.join(dir, file)} is not valid CSV (${(cause as Error).message}).`, { source: where, field: file, cause });
    }
    const header = text.toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/).find((l) => l.trim() !== '' && !l.trim().startsWith('#'));
    if (header === undefined) fail(file, undefined, `is empty; it needs a header row (${columns.join(', ')}) and one row per ${file.replace(/s\.csv$/, '')}.`);
    const names = header!.split(',').map((c) => c.trim());
    const missing = columns.filter((c) => !names.includes(c));
    if (missing.length > 0) fail(file, 1, `lacks the column(s) ${missing.join(', ')} (it needs ${columns.join(', ')}).`, `${file}:${missing[0]!}`);
    const repeated = names.find((c, i) => names.indexOf(c) !== i);
    if (repeated !== undefined) fail(file, 1, `has the column ${show(repeated)} twice.`, `${file}:${repeated}`);
    const unknown = names.filter((c) => !columns.includes(c));
    if (unknown.length > 0) fail(file, 1, `has the column ${show(unknown[0])}, which is not one of ${columns.join(', ')}; a misspelt or extra column is refused rather than ignored.`, `${file}:${unknown[0]!}`);
    return records.map((r) => ({ line: r.info.lines, values: r.record }));
  };
  const sessionRows = await table('sessions.csv', KEY);
  const stimulationRows = await table('stimulations.csv', STIMULATION_COLUMNS);
  const spikeRows = await table('spikes.csv', SPIKE_COLUMNS);

  const text = (file: string, row: Row, column: string): string => {
    const v = row.values[column] ?? '';
    if (v === '') fail(file, row.line, `${column} is empty.`, column);
    return v;
  };
  const number = (file: string, row: Row, column: string): number => {
    const v = text(file, row, column);
    if (!NUMBER.test(v)) fail(file, row.line, `${column} is ${show(v)}, not a number.`, column);
    return Number(v);
  };
  const index = (file: string, row: Row, column: string, max = 65_535): number => {
    const v = text(file, row, column);
    if (!INDEX.test(v)) {
      const hint = /^\d+$/.test(v) ? ` (write ${Number(v)}: a leading zero would make "${v}" and "${Number(v)}" two names for one index)` : '; indices are whole numbers 0, 1, 2, …';
      fail(file, row.line, `${column} is ${show(v)}${hint}.`, column);
    }
    const n = Number(v);
    if (n > max) fail(file, row.line, `${column} is ${n}; at most ${max} are stored.`, column);
    return n;
  };
  const sessionKey = (file: string, row: Row): string => JSON.stringify([text(file, row, 'subject_name'), index(file, row, 'sample_number', 2_147_483_647), text(file, row, 'session_date')]);

  const sessions = new Map<string, { row: Row; stimulations: Map<number, Row> }>();
  for (const row of sessionRows) {
    const key = sessionKey('sessions.csv', row);
    const first = sessions.get(key);
    if (first) fail('sessions.csv', row.line, `repeats the session of line ${first.row.line}.`, 'sessions');
    sessions.set(key, { row, stimulations: new Map() });
  }
  for (const row of stimulationRows) {
    const session = sessions.get(sessionKey('stimulations.csv', row));
    if (!session) fail('stimulations.csv', row.line, `names a session (${row.values.subject_name} #${row.values.sample_number} on ${row.values.session_date}) that sessions.csv does not list.`, 'sessions');
    const i = index('stimulations.csv', row, 'stimulation_index');
    const first = session!.stimulations.get(i);
    if (first) fail('stimulations.csv', row.line, `repeats stimulation ${i} of line ${first.line}.`, 'stimulation_index');
    session!.stimulations.set(i, row);
  }
  for (const session of sessions.values()) {
    for (let i = 0; i < session.stimulations.size; i++) {
      if (!session.stimulations.has(i)) {
        const rows = [...session.stimulations.values()].map((r) => r.line).join(', ');
        fail('stimulations.csv', undefined, `the session of sessions.csv line ${session.row.line} has stimulations on lines ${rows} but no stimulation_index ${i}; they must be numbered 0, 1, 2, … without gaps.`, 'stimulation_index');
      }
    }
  }
  const spikesOf = new Map<string, number[][]>();
  for (const row of spikeRows) {
    const key = sessionKey('spikes.csv', row);
    const stimulation = index('spikes.csv', row, 'stimulation_index');
    if (!sessions.get(key)?.stimulations.has(stimulation)) {
      fail('spikes.csv', row.line, `names stimulation ${stimulation} of ${row.values.subject_name} #${row.values.sample_number} on ${row.values.session_date}, which stimulations.csv does not list.`, 'stimulation_index');
    }
    const neuron = index('spikes.csv', row, 'neuron_index');
    const time = number('spikes.csv', row, 'spike_time');
    const id = `${key}|${stimulation}`;
    const neurons = spikesOf.get(id) ?? [];
    (neurons[neuron] ??= []).push(time);
    spikesOf.set(id, neurons);
  }

  const value = [];
  for (const [key, session] of sessions) {
    const stims = [];
    for (let i = 0; i < session.stimulations.size; i++) {
      const st = session.stimulations.get(i)!;
      const file = 'stimulations.csv';
      const movieFile = path.resolve(dir, text(file, st, 'movie_file'));
      const movieBytes = await readRegularFile(`${where}: ${path.join(dir, file)} line ${st.line}: movie_file`, movieFile, budget, 'movie_file');
      budget -= movieBytes.length;
      bytes.push(movieBytes);
      const neurons = spikesOf.get(`${key}|${i}`) ?? [];
      stims.push({
        fps: number(file, st, 'fps'), n_frames: number(file, st, 'n_frames'), pixel_size: number(file, st, 'pixel_size'),
        stim_height: number(file, st, 'stim_height'), stim_width: number(file, st, 'stim_width'), stimulus_onset: number(file, st, 'stimulus_onset'),
        x_block_size: number(file, st, 'x_block_size'), y_block_size: number(file, st, 'y_block_size'),
        movie: readNpy(movieBytes, movieFile),
        spikes: Array.from({ length: neurons.length }, (_, n) => neurons[n] ?? []),
      });
    }
    const [subject, sample, date] = JSON.parse(key) as [string, number, string];
    value.push({ subject_name: subject, sample_number: sample, session_date: date, stimulations: stims });
  }
  return { value, bytes };
}
