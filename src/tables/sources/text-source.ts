import { readFile } from 'node:fs/promises';
import path from 'node:path';
import ndarray from 'ndarray';
import { DataSourceError } from '../../errors.js';
import { checkTimeUnit, secondsFrom, type TimeUnit } from './time-units.js';

/** A column of a plain-text file and what it means. */
export interface TextColumn {
  readonly role: 'spike_time' | 'neuron' | 'stimulus' | 'ignore';
  /** For spike_time: s (default), ms, us, or samples (counts of a clock at `sample_rate`). */
  readonly unit?: TimeUnit;
  /**
   * For stimulus: samples per second; the trace becomes a (1, 1, n_samples) movie at that rate.
   * For a spike_time column in samples: the rate of the clock that counted them.
   */
  readonly sample_rate?: number;
}

/** Numeric columns as written, one row per line, `#` comments, separated by whitespace or commas. */
export function parseColumnTexts(text: string, name: string): string[][] {
  const rows: string[][] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const values = line.split(/[\s,]+/);
    if (values.some((v) => !Number.isFinite(Number(v)))) throw new DataSourceError(`${name} line ${i + 1}: "${raw.trim()}" is not a row of numbers.`, { source: name, field: `line ${i + 1}` });
    rows.push(values);
  });
  return rows;
}

/** Numeric columns, one row per line, `#` comments, separated by whitespace or commas. */
export function parseColumns(text: string, name: string): number[][] {
  return parseColumnTexts(text, name).map((row) => row.map(Number));
}

function column<T>(rows: T[][], index: number, name: string): T[] {
  return rows.map((r, i) => {
    const v = r[index];
    if (v === undefined) throw new DataSourceError(`${name}: row ${i + 1} has no column ${index + 1}.`, { source: name, field: `column ${index + 1}` });
    return v;
  });
}

/**
 * `text/plain`: spike times (and optionally neuron numbers) in `access`, and a 1-D stimulus trace
 * in `access2`; the entry's `columns` and `stimulus_columns` give each column's role and unit, and
 * `session` and `stimulation` the rest of the metadata.
 *
 * @example
 * ```json
 * { "type": "text/plain", "access": "spikes.txt", "columns": [{ "role": "spike_time", "unit": "us" }, { "role": "neuron" }],
 *   "access2": "trace.txt", "stimulus_columns": [{ "role": "stimulus", "sample_rate": 20000 }],
 *   "session": { "subject_name": "S1", "sample_number": 1, "session_date": "2021-03-04" },
 *   "stimulation": { "stimulus_onset": 0.25, "pixel_size": 1, "stim_height": 1, "stim_width": 1, "x_block_size": 1, "y_block_size": 1 } }
 * ```
 */
export async function readTextSource(entry: Record<string, unknown>, baseDir: string): Promise<{ value: unknown; bytes: Buffer[] }> {
  const name = `text/plain ${String(entry.access)}`;
  const file = (p: unknown): string => (path.isAbsolute(String(p)) ? String(p) : path.join(baseDir, String(p)));
  const read = async (p: unknown, field: string): Promise<Buffer> => {
    try {
      return await readFile(file(p));
    } catch (cause) {
      throw new DataSourceError(`${name}: cannot read ${String(p)} (${(cause as NodeJS.ErrnoException).code ?? ''}).`, { source: name, field, cause });
    }
  };
  const columns = entry.columns as TextColumn[] | undefined;
  if (!Array.isArray(columns) || !columns.some((c) => c.role === 'spike_time')) {
    throw new DataSourceError(`${name}: "columns" must give each column's role, with one "spike_time" column (unit s, ms or us).`, { source: name, field: 'columns' });
  }
  for (const c of columns) if (c.role === 'spike_time' && c.unit !== undefined) checkTimeUnit(c.unit, c.sample_rate, name);
  const spikeBytes = await read(entry.access, 'access');
  const rows = parseColumnTexts(spikeBytes.toString('utf8'), name);
  const timeIndex = columns.findIndex((c) => c.role === 'spike_time');
  const neuronIndex = columns.findIndex((c) => c.role === 'neuron');
  const timeColumn = columns[timeIndex]!;
  const times = column(rows, timeIndex, name).map((t) => secondsFrom(t, timeColumn.unit ?? 's', timeColumn.sample_rate));
  const neuronOf = neuronIndex < 0 ? times.map(() => 0) : column(rows, neuronIndex, name).map(Number);
  const neurons: number[][] = [];
  times.forEach((t, i) => {
    const n = neuronOf[i]!;
    if (!Number.isInteger(n) || n < 0) throw new DataSourceError(`${name}: row ${i + 1} has neuron ${n}; neurons are numbered 0, 1, 2, …`, { source: name, field: 'neuron' });
    (neurons[n] ??= []).push(t);
  });
  const bytes = [spikeBytes];
  const stimulusColumns = entry.stimulus_columns as TextColumn[] | undefined;
  if (entry.access2 === undefined || entry.access2 === '' || !Array.isArray(stimulusColumns)) {
    throw new DataSourceError(`${name}: a stimulus trace is needed: "access2" names its file and "stimulus_columns" its columns ([{ "role": "stimulus", "sample_rate": 20000 }]).`, { source: name, field: 'access2' });
  }
  const traceBytes = await read(entry.access2, 'access2');
  bytes.push(traceBytes);
  const stimIndex = stimulusColumns.findIndex((c) => c.role === 'stimulus');
  const rate = stimulusColumns[stimIndex]?.sample_rate;
  if (stimIndex < 0 || typeof rate !== 'number' || !(rate > 0)) throw new DataSourceError(`${name}: the stimulus column needs a positive sample_rate (samples per second).`, { source: name, field: 'stimulus_columns' });
  const trace = Float64Array.from(column(parseColumns(traceBytes.toString('utf8'), `${name} (stimulus)`), stimIndex, name));
  const stimulation = (entry.stimulation ?? {}) as Record<string, unknown>;
  return {
    value: [{
      ...(entry.session as object),
      stimulations: [{
        pixel_size: 1, stim_height: 1, stim_width: 1, x_block_size: 1, y_block_size: 1, stimulus_onset: 0,
        ...stimulation,
        fps: rate, n_frames: trace.length, movie: ndarray(trace, [1, 1, trace.length], [1, 1, 1]),
        spikes: Array.from({ length: neurons.length }, (_, n) => neurons[n] ?? []),
      }],
    }],
    bytes,
  };
}
