import ndarray, { type NdArray } from 'ndarray';
import { DataSourceError } from '../../errors.js';
import type { RgcDataset, RgcSession, RgcStimulation } from '../dataset.js';
import { firstNonFinite, isDeferred } from './deferred-array.js';

const SESSION_FIELDS = ['subject_name', 'sample_number', 'session_date', 'stimulations'];
const STIMULATION_FIELDS = ['fps', 'movie', 'n_frames', 'pixel_size', 'stim_height', 'stim_width', 'stimulus_onset', 'x_block_size', 'y_block_size', 'spikes'];
const SMALLINT_UNSIGNED = 65_535;
const INT_UNSIGNED = 4_294_967_295;
const INT_MAX = 2_147_483_647;
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * What each numeric field of a stimulation may hold: the range its column stores, and what makes
 * sense (a block of zero pixels, a negative onset or a frame rate of zero would only fail later).
 */
const NUMERIC: Record<string, { integer: boolean; min: number; max: number; why: string }> = {
  fps: { integer: false, min: Number.MIN_VALUE, max: Number.MAX_VALUE, why: 'frames per second, more than 0' },
  pixel_size: { integer: false, min: Number.MIN_VALUE, max: FLOAT32_MAX, why: 'µm per pixel, more than 0 (stored as a 32-bit float)' },
  stimulus_onset: { integer: false, min: 0, max: Number.MAX_VALUE, why: 'seconds from the start of the recording, 0 or more' },
  n_frames: { integer: true, min: 1, max: INT_UNSIGNED, why: 'a whole number of frames, 1 or more' },
  stim_height: { integer: true, min: 1, max: SMALLINT_UNSIGNED, why: `whole pixels, 1 to ${SMALLINT_UNSIGNED}` },
  stim_width: { integer: true, min: 1, max: SMALLINT_UNSIGNED, why: `whole pixels, 1 to ${SMALLINT_UNSIGNED}` },
  x_block_size: { integer: true, min: 1, max: SMALLINT_UNSIGNED, why: `whole pixels per block, 1 to ${SMALLINT_UNSIGNED}` },
  y_block_size: { integer: true, min: 1, max: SMALLINT_UNSIGNED, why: `whole pixels per block, 1 to ${SMALLINT_UNSIGNED}` },
};

/** A value as a message shows it: short, whatever its size. */
export function show(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean' || value === null || value === undefined) text = String(value);
  else if (Array.isArray(value)) text = `a list of ${value.length}`;
  else if (typeof value === 'object' && 'shape' in value) text = `an array of shape (${String((value as NdArray).shape)})`;
  else text = `a ${typeof value === 'object' ? ((value as object).constructor?.name ?? 'object') : typeof value}`;
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** A real calendar date within MySQL's range (1000-01-01 … 9999-12-31). */
export function isCalendarDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1000 || mo < 1 || mo > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

/** Text the database stores as written: valid Unicode, no control characters. */
function cleanText(text: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|[\u0000-\u001f\u007f]/.test(text);
}

/**
 * Checks parsed data against the RGC structure and normalises it (movies column-major float64,
 * spikes flat Float64Arrays). Every problem names the source, the field and the reason, before
 * anything is written. `valueBudget` bounds how many numbers the data may unpack to: a source
 * that holds N bytes holds at most about N numbers, unless it repeats one array by reference (a
 * pickle can), which would otherwise multiply memory without bound.
 */
export function validateDataset(source: string, value: unknown, valueBudget = Number.POSITIVE_INFINITY): RgcDataset {
  const fail = (field: string, reason: string): never => {
    throw new DataSourceError(`${source}: ${field} ${reason}`, { source, field });
  };
  let budget = valueBudget;
  const spend = (field: string, n: number): void => {
    budget -= n;
    if (budget < 0) fail(field, `makes the data unpack to more numbers than its ${valueBudget} bytes can hold: the same array is referenced again and again (a pickle can do this), which is refused.`);
  };
  if (!Array.isArray(value)) fail('(top level)', `must be a list of sessions, got ${show(value)}`);
  const list = value as unknown[];
  if (list.length === 0) fail('(top level)', 'holds no sessions: there is nothing to load (is it the right file?)');
  const seen = new Map<string, number>();
  const sessions = list.map((s, i): RgcSession => {
    const at = `sessions[${i}]`;
    const o = object(at, s, SESSION_FIELDS, fail);
    if (typeof o.subject_name !== 'string' || o.subject_name === '') fail(`${at}.subject_name`, `must be a non-empty string, got ${show(o.subject_name)}`);
    const subject = o.subject_name as string;
    if (!cleanText(subject)) fail(`${at}.subject_name`, 'holds control characters or broken Unicode');
    if ([...subject].length > 64) fail(`${at}.subject_name`, `is ${[...subject].length} characters long; at most 64 are stored`);
    const sample = toNumber(o.sample_number);
    if (!Number.isInteger(sample) || sample < 0 || sample > INT_MAX) fail(`${at}.sample_number`, `must be a whole number from 0 to ${INT_MAX}, got ${show(o.sample_number)}`);
    if (typeof o.session_date !== 'string' || !isCalendarDate(o.session_date)) fail(`${at}.session_date`, `must be a real date 'YYYY-MM-DD' (years 1000–9999), got ${show(o.session_date)}`);
    const key = JSON.stringify([subject, sample, o.session_date]);
    const first = seen.get(key);
    if (first !== undefined) fail(at, `repeats sessions[${first}] (${subject} #${sample} on ${String(o.session_date)}); each session may appear once`);
    seen.set(key, i);
    if (!Array.isArray(o.stimulations)) fail(`${at}.stimulations`, `must be a list, got ${show(o.stimulations)}`);
    const stimulations = o.stimulations as unknown[];
    if (stimulations.length > SMALLINT_UNSIGNED) fail(`${at}.stimulations`, `holds ${stimulations.length} stimulations; at most ${SMALLINT_UNSIGNED} are stored`);
    return {
      subject_name: subject,
      sample_number: sample,
      session_date: o.session_date as string,
      stimulations: stimulations.map((st, j) => validateStimulation(`${at}.stimulations[${j}]`, st, fail, spend)),
    };
  });
  return { sessions };
}

function object(at: string, value: unknown, allowed: readonly string[], fail: (field: string, reason: string) => never): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || 'shape' in value) fail(at, `must be an object, got ${show(value)}`);
  const o = value as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) fail(`${at}.${unknown[0]!}`, `is not a field of the RGC data (${allowed.join(', ')}); a misspelt or extra field is refused rather than dropped`);
  return o;
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v !== null && typeof v === 'object' && 'shape' in v && 'data' in v) {
    const a = v as NdArray;
    if (a.size === 1) return Number((a.data as ArrayLike<number>)[a.offset]);
  }
  return Number.NaN;
}

function validateStimulation(at: string, value: unknown, fail: (field: string, reason: string) => never, spend: (field: string, n: number) => void): RgcStimulation {
  const o = object(at, value, STIMULATION_FIELDS, fail);
  const numbers: Record<string, number> = {};
  for (const [field, rule] of Object.entries(NUMERIC)) {
    if (!(field in o)) fail(`${at}.${field}`, 'is missing');
    const n = toNumber(o[field]);
    if (!Number.isFinite(n)) fail(`${at}.${field}`, `must be a finite number (${rule.why}), got ${show(o[field])}`);
    if (rule.integer && !Number.isInteger(n)) fail(`${at}.${field}`, `must be ${rule.why}, got ${n}`);
    if (n < rule.min || n > rule.max) fail(`${at}.${field}`, `must be ${rule.why}, got ${n}`);
    numbers[field] = n;
  }
  const movie = o.movie as NdArray | undefined;
  if (!movie || typeof movie !== 'object' || !Array.isArray(movie.shape) || movie.shape.length !== 3) fail(`${at}.movie`, `must be a 3-d array (x_blocks, y_blocks, n_frames), got ${show(o.movie)}`);
  const deferred = isDeferred(movie!);
  const data = (deferred ? new Float64Array(0) : movie!.data) as ArrayLike<number>;
  if (!(data instanceof Float64Array) && !(data instanceof Float32Array) && !(data instanceof Int8Array) && !(data instanceof Int16Array)
    && !(data instanceof Int32Array) && !(data instanceof Uint8Array) && !(data instanceof Uint16Array)) {
    fail(`${at}.movie`, `must hold numbers (float64, float32 or small integers), got ${(data as object)?.constructor?.name}`);
  }
  const [x, y, t] = movie!.shape as [number, number, number];
  if (!Number.isSafeInteger(x) || x < 1 || x > SMALLINT_UNSIGNED) fail(`${at}.movie`, `has ${x} blocks across; 1 to ${SMALLINT_UNSIGNED} are stored`);
  if (!Number.isSafeInteger(y) || y < 1 || y > SMALLINT_UNSIGNED) fail(`${at}.movie`, `has ${y} blocks down; 1 to ${SMALLINT_UNSIGNED} are stored`);
  if (t !== numbers.n_frames) fail(`${at}.n_frames`, `is ${numbers.n_frames} but the movie has ${t} frames`);
  spend(`${at}.movie`, x * y * t);
  const nonFinite = (value: number, [bx, by, frame]: number[]): never =>
    fail(`${at}.movie`, `holds ${value} at block (${bx}, ${by}) of frame ${frame}; every value must be a finite number`);
  // A deferred movie (from a pickle) stays in the file's bytes: checked there, copied only when stored.
  let normalised: NdArray<Float64Array>;
  if (deferred) {
    normalised = movie as NdArray<Float64Array>;
    const bad = firstNonFinite(movie!);
    if (bad) nonFinite(bad.value, bad.at);
  } else {
    normalised = columnMajorFloat64(movie!, x, y, t);
    const frames = normalised.data;
    for (let i = 0; i < frames.length; i++) if (!Number.isFinite(frames[i]!)) nonFinite(frames[i]!, [i % x, Math.floor(i / x) % y, Math.floor(i / (x * y))]);
  }
  if (!Array.isArray(o.spikes)) fail(`${at}.spikes`, `must be a list of spike-time arrays, one per neuron, got ${show(o.spikes)}`);
  const neurons = o.spikes as unknown[];
  if (neurons.length > SMALLINT_UNSIGNED + 1) fail(`${at}.spikes`, `holds ${neurons.length} neurons; at most ${SMALLINT_UNSIGNED + 1} are stored`);
  const spikes = neurons.map((s, k) => {
    const n = countOf(s);
    if (n === undefined) fail(`${at}.spikes[${k}]`, `must be an array of spike times, got ${show(s)}`);
    spend(`${at}.spikes[${k}]`, n!);
    const times = flatten(s);
    if (!times) fail(`${at}.spikes[${k}]`, `must be a flat list (or an (N, 1) array) of spike times, got ${show(s)}`);
    for (let i = 0; i < times!.length; i++) {
      const time = times![i]!;
      if (!Number.isFinite(time)) fail(`${at}.spikes[${k}]`, `holds a non-finite time (${time}) at index ${i}`);
      if (time < 0) fail(`${at}.spikes[${k}]`, `holds a negative time (${time} s) at index ${i}; spike times count from the start of the recording`);
    }
    return times!;
  });
  return {
    fps: numbers.fps!, n_frames: numbers.n_frames!, pixel_size: numbers.pixel_size!, stim_height: numbers.stim_height!,
    stim_width: numbers.stim_width!, stimulus_onset: numbers.stimulus_onset!, x_block_size: numbers.x_block_size!,
    y_block_size: numbers.y_block_size!, movie: normalised, spikes,
  };
}

/** How many numbers an array-like holds, without copying it; undefined when it is not one. */
function countOf(value: unknown): number | undefined {
  if (value !== null && typeof value === 'object' && 'shape' in value && 'data' in value) return (value as NdArray).size;
  if (Array.isArray(value)) return value.length;
  return undefined;
}

/** Spike arrays are (N, 1) in the real data, (N,) elsewhere: either becomes a flat Float64Array. */
function flatten(value: unknown): Float64Array | undefined {
  if (value !== null && typeof value === 'object' && 'shape' in value && 'data' in value) {
    const a = value as NdArray;
    if (a.shape.length > 2 || (a.shape.length === 2 && a.shape[1] !== 1 && a.shape[0] !== 1)) return undefined;
    const n = a.size;
    const out = new Float64Array(n);
    const step = a.shape.length === 2 && a.shape[1] !== 1 ? a.stride[1]! : a.stride[0] ?? 1;
    for (let i = 0; i < n; i++) out[i] = Number((a.data as ArrayLike<number>)[a.offset + i * step]);
    return out;
  }
  if (Array.isArray(value)) {
    if (!value.every((v) => typeof v === 'number' || (Array.isArray(v) && v.length === 1 && typeof v[0] === 'number'))) return undefined;
    return Float64Array.from(value.map((v) => (Array.isArray(v) ? v[0] as number : v as number)));
  }
  return undefined;
}

/**
 * The movie as column-major float64, frames contiguous: a C-order numpy (x, y, t) movie has its
 * frames strided by n_frames, so it is transposed once here, per stimulation, not per neuron.
 */
export function columnMajorFloat64(movie: NdArray, x: number, y: number, t: number): NdArray<Float64Array> {
  const [s0, s1, s2] = movie.stride as [number, number, number];
  const src = movie.data as ArrayLike<number>;
  if (src instanceof Float64Array && s0 === 1 && s1 === x && s2 === x * y && movie.offset === 0 && src.length === x * y * t) return movie as NdArray<Float64Array>;
  const out = new Float64Array(x * y * t);
  let o = 0;
  for (let k = 0; k < t; k++) {
    for (let j = 0; j < y; j++) {
      let p = movie.offset + j * s1 + k * s2;
      for (let i = 0; i < x; i++, p += s0) out[o++] = src[p]!;
    }
  }
  return ndarray(out, [x, y, t], [1, x, x * y]);
}
