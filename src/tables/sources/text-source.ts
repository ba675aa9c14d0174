import ndarray from 'ndarray';
import { DataSourceError } from '../../errors.js';
import type { SourceLimits } from './limits.js';
import { readRegularFile, resolvePath } from './read-file.js';
import { checkTimeUnit, secondsFrom, type TimeUnit } from './time-units.js';
import { show } from './validate.js';

/** A column of a plain-text file and what it means. */
export interface TextColumn {
  readonly role: 'spike_time' | 'neuron' | 'stimulus' | 'ignore';
  /** For spike_time, required: s, ms, us, or samples (counts of a clock at `sample_rate`). */
  readonly unit?: TimeUnit;
  /**
   * For stimulus, required: samples per second; the trace becomes a (1, 1, n_samples) movie at that
   * rate. For a spike_time column in samples: the rate of the clock that counted them.
   */
  readonly sample_rate?: number;
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const INDEX = /^(0|[1-9]\d*)$/;
const SPIKE_ROLES = ['spike_time', 'neuron', 'ignore'];
const TRACE_ROLES = ['stimulus', 'ignore'];
const STIMULATION_FIELDS = ['stimulus_onset', 'pixel_size', 'stim_height', 'stim_width', 'x_block_size', 'y_block_size'];

/** One data line of a text file: its number in the file and its fields as written. */
interface TextRow { readonly line: number; readonly fields: string[] }

/**
 * Numeric columns, one row per line, `#` comments, separated by whitespace or commas. Every row
 * must have exactly `width` fields; a byte-order mark and CRLF line ends are accepted.
 */
function parseRows(text: string, file: string, width: number, roles: string): TextRow[] {
  const rows: TextRow[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/#.*$/, '').trim();
    if (line === '') continue;
    const fields = line.split(/[\s,]+/);
    if (fields.length !== width) {
      throw new DataSourceError(`${file} line ${i + 1}: ${fields.length} values, but ${roles} describes ${width} column${width === 1 ? '' : 's'}; give every column a role ("ignore" for those not used).`, { source: file, field: `line ${i + 1}` });
    }
    const bad = fields.find((f) => !NUMBER.test(f));
    if (bad !== undefined) throw new DataSourceError(`${file} line ${i + 1}: ${show(bad)} is not a number.`, { source: file, field: `line ${i + 1}` });
    rows.push({ line: i + 1, fields });
  }
  if (rows.length === 0) throw new DataSourceError(`${file} holds no data rows.`, { source: file, field: 'access' });
  return rows;
}

function columnsOf(name: string, value: unknown, field: string, roles: readonly string[]): TextColumn[] {
  if (!Array.isArray(value) || value.length === 0 || value.some((c) => c === null || typeof c !== 'object' || !roles.includes((c as TextColumn).role))) {
    throw new DataSourceError(`${name}: "${field}" must list every column of the file with its role (${roles.join(', ')}), got ${show(value)}.`, { source: name, field });
  }
  for (const c of value as Array<Record<string, unknown>>) {
    const extra = Object.keys(c).filter((k) => !['role', 'unit', 'sample_rate'].includes(k));
    if (extra.length > 0) throw new DataSourceError(`${name}: "${field}" has an unknown key "${extra[0]!}" (a column has role, unit, sample_rate).`, { source: name, field });
  }
  return value as TextColumn[];
}

/**
 * `text/plain`: spike times (and optionally neuron numbers) in `access`, and a 1-D stimulus trace
 * in `access2`, both paths relative to the manifest. `columns` and `stimulus_columns` give the
 * role of every column of each file (`ignore` for those not used); the spike times' unit is
 * required, as is the trace's sample rate. `session` gives subject_name, sample_number and
 * session_date; `stimulation` gives stimulus_onset (required) and optionally pixel_size,
 * stim_height, stim_width, x_block_size, y_block_size (default 1, a 1 × 1 "movie").
 *
 * A neuron number is a whole number written plainly (`0`, not `00` or `0.0`); the same spike twice
 * (same neuron, same time) is refused; a stimulus column whose values rise on every line is
 * refused as a time column.
 *
 * @example
 * ```json
 * { "type": "text/plain", "access": "spikes.txt", "columns": [{ "role": "spike_time", "unit": "us" }, { "role": "neuron" }],
 *   "access2": "trace.txt", "stimulus_columns": [{ "role": "ignore" }, { "role": "stimulus", "sample_rate": 20000 }],
 *   "session": { "subject_name": "S1", "sample_number": 1, "session_date": "2021-03-04" },
 *   "stimulation": { "stimulus_onset": 0.25 } }
 * ```
 * (`trace.txt` has two columns: the sample's time, ignored, and the stimulus value.)
 */
export async function readTextSource(entry: Record<string, unknown>, baseDir: string, limits: SourceLimits): Promise<{ value: unknown; bytes: Buffer[] }> {
  const spikeFile = resolvePath(entry.access, baseDir);
  const name = `text/plain ${spikeFile}`;
  const fail = (reason: string, field: string): never => {
    throw new DataSourceError(`${name}: ${reason}`, { source: name, field });
  };
  const decode = (bytes: Buffer, file: string): string => {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch (cause) {
      throw new DataSourceError(`${file} is not valid UTF-8 text.`, { source: name, field: 'access', cause });
    }
  };
  const columns = columnsOf(name, entry.columns, 'columns', SPIKE_ROLES);
  const timeIndex = columns.findIndex((c) => c.role === 'spike_time');
  if (timeIndex < 0 || columns.filter((c) => c.role === 'spike_time').length > 1) fail('"columns" must have exactly one {"role": "spike_time", "unit": …} column.', 'columns');
  if (columns.filter((c) => c.role === 'neuron').length > 1) fail('"columns" may have one "neuron" column, not more.', 'columns');
  const unit = columns[timeIndex]!.unit;
  if (unit === undefined) fail('the spike_time column has no unit; say "unit": "s", "ms", "us", or "samples" with a "sample_rate" (a missing unit is not taken to be seconds).', 'columns');
  checkTimeUnit(unit, columns[timeIndex]!.sample_rate, name);
  const stimulusColumns = columnsOf(name, entry.stimulus_columns, 'stimulus_columns', TRACE_ROLES);
  if (typeof entry.access2 !== 'string' || entry.access2 === '') {
    fail('a stimulus trace is needed: "access2" names its file and "stimulus_columns" its columns ([{ "role": "stimulus", "sample_rate": 20000 }]).', 'access2');
  }
  const stimIndex = stimulusColumns.findIndex((c) => c.role === 'stimulus');
  if (stimIndex < 0 || stimulusColumns.filter((c) => c.role === 'stimulus').length > 1) fail('"stimulus_columns" must have exactly one "stimulus" column.', 'stimulus_columns');
  const rate = stimulusColumns[stimIndex]!.sample_rate;
  if (typeof rate !== 'number' || !Number.isFinite(rate) || !(rate > 0)) fail(`the stimulus column needs a positive, finite sample_rate (samples per second), got ${show(rate)}.`, 'stimulus_columns');
  if (entry.session === null || typeof entry.session !== 'object' || Array.isArray(entry.session)) fail(`"session" must be an object with subject_name, sample_number and session_date, got ${show(entry.session)}.`, 'session');
  const stimulation = entry.stimulation;
  if (stimulation === null || typeof stimulation !== 'object' || Array.isArray(stimulation)) fail(`"stimulation" must be an object with stimulus_onset (s) and optionally ${STIMULATION_FIELDS.slice(1).join(', ')}, got ${show(stimulation)}.`, 'stimulation');
  const extra = Object.keys(stimulation as object).filter((k) => !STIMULATION_FIELDS.includes(k));
  if (extra.length > 0) fail(`"stimulation.${extra[0]!}" cannot be given here: ${['fps', 'n_frames', 'movie', 'spikes'].includes(extra[0]!) ? 'it comes from the files' : `a text/plain stimulation has ${STIMULATION_FIELDS.join(', ')}`}.`, 'stimulation');
  if (!('stimulus_onset' in (stimulation as object))) fail('"stimulation.stimulus_onset" (s from the start of the recording) is required.', 'stimulation');

  const spikeBytes = await readRegularFile(name, spikeFile, limits.maxBytes);
  const rows = parseRows(decode(spikeBytes, spikeFile), spikeFile, columns.length, '"columns"');
  const neuronIndex = columns.findIndex((c) => c.role === 'neuron');
  // ms and µs move the decimal point of the text, sample counts are divided by their rate: no
  // floating-point step of our own, so a spike on a frame boundary stays on it (see frameAt).
  const times = rows.map((r) => secondsFrom(r.fields[timeIndex]!, unit!, columns[timeIndex]!.sample_rate));
  const neurons: number[][] = [];
  const seen = new Map<string, number>();
  rows.forEach((row, i) => {
    const written = neuronIndex < 0 ? '0' : row.fields[neuronIndex]!;
    if (!INDEX.test(written) || Number(written) > 65_535) {
      throw new DataSourceError(`${spikeFile} line ${row.line}: neuron ${show(written)} is not a neuron number; neurons are numbered 0, 1, 2, … (at most 65535), written without leading zeros or decimals.`, { source: name, field: 'neuron' });
    }
    const id = `${written}|${row.fields[timeIndex]!}`;
    const first = seen.get(id);
    if (first !== undefined) throw new DataSourceError(`${spikeFile} line ${row.line}: repeats the spike of line ${first} (neuron ${written} at ${row.fields[timeIndex]!} ${unit}).`, { source: name, field: 'spike_time' });
    seen.set(id, row.line);
    (neurons[Number(written)] ??= []).push(times[i]!);
  });
  const traceFile = resolvePath(entry.access2, baseDir);
  const traceBytes = await readRegularFile(name, traceFile, limits.maxBytes - spikeBytes.length, 'access2');
  const traceRows = parseRows(decode(traceBytes, traceFile), traceFile, stimulusColumns.length, '"stimulus_columns"');
  const trace = Float64Array.from(traceRows, (r) => Number(r.fields[stimIndex]!));
  if (trace.length >= 3 && trace.every((v, i) => i === 0 || v > trace[i - 1]!)) {
    fail(`the stimulus column (column ${stimIndex + 1} of ${traceFile}) rises on every line, from ${trace[0]} to ${trace[trace.length - 1]}: that is a time column, not a stimulus. Mark it {"role": "ignore"} and give the stimulus column its role.`, 'stimulus_columns');
  }
  return {
    value: [{
      ...(entry.session as object),
      stimulations: [{
        pixel_size: 1, stim_height: 1, stim_width: 1, x_block_size: 1, y_block_size: 1,
        ...(stimulation as object),
        fps: rate, n_frames: trace.length, movie: ndarray(trace, [1, 1, trace.length], [1, 1, 1]),
        spikes: Array.from({ length: neurons.length }, (_, n) => neurons[n] ?? []),
      }],
    }],
    bytes: [spikeBytes, traceBytes],
  };
}
