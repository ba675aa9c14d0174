import ndarray, { type NdArray } from 'ndarray';
import { DataSourceError } from '../../errors.js';
import type { RgcDataset, RgcSession, RgcStimulation } from '../dataset.js';

const NUMBER_FIELDS = ['fps', 'pixel_size', 'stimulus_onset'] as const;
const INT_FIELDS = ['n_frames', 'stim_height', 'stim_width', 'x_block_size', 'y_block_size'] as const;

/**
 * Checks parsed data against the RGC structure and normalises it (movies column-major float64,
 * spikes flat Float64Arrays). Every problem names the source, the field and the reason.
 */
export function validateDataset(source: string, value: unknown): RgcDataset {
  const fail = (field: string, reason: string): never => {
    throw new DataSourceError(`${source}: ${field} ${reason}`, { source, field });
  };
  if (!Array.isArray(value)) fail('(top level)', 'must be a list of sessions');
  const sessions = (value as unknown[]).map((s, i): RgcSession => {
    const at = `sessions[${i}]`;
    if (s === null || typeof s !== 'object') fail(at, 'must be an object');
    const o = s as Record<string, unknown>;
    if (typeof o.subject_name !== 'string' || o.subject_name === '') fail(`${at}.subject_name`, 'must be a non-empty string');
    const sample = toNumber(o.sample_number);
    if (!Number.isInteger(sample)) fail(`${at}.sample_number`, 'must be an integer');
    if (typeof o.session_date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(o.session_date)) fail(`${at}.session_date`, "must be a 'YYYY-MM-DD' string");
    if (!Array.isArray(o.stimulations)) fail(`${at}.stimulations`, 'must be a list');
    return {
      subject_name: o.subject_name as string,
      sample_number: sample,
      session_date: o.session_date as string,
      stimulations: (o.stimulations as unknown[]).map((st, j) => validateStimulation(`${at}.stimulations[${j}]`, st, fail)),
    };
  });
  return { sessions };
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

function validateStimulation(at: string, value: unknown, fail: (field: string, reason: string) => never): RgcStimulation {
  if (value === null || typeof value !== 'object') fail(at, 'must be an object');
  const o = value as Record<string, unknown>;
  const numbers: Record<string, number> = {};
  for (const field of [...NUMBER_FIELDS, ...INT_FIELDS]) {
    if (!(field in o)) fail(`${at}.${field}`, 'is missing');
    const n = toNumber(o[field]);
    if (!Number.isFinite(n)) fail(`${at}.${field}`, `must be a finite number, got ${String(o[field])}`);
    if ((INT_FIELDS as readonly string[]).includes(field) && !Number.isInteger(n)) fail(`${at}.${field}`, `must be an integer, got ${n}`);
    numbers[field] = n;
  }
  if (numbers.fps! <= 0) fail(`${at}.fps`, `must be positive, got ${numbers.fps}`);
  const movie = o.movie as NdArray | undefined;
  if (!movie || !Array.isArray(movie.shape) || movie.shape.length !== 3) fail(`${at}.movie`, 'must be a 3-d array (x_blocks, y_blocks, n_frames)');
  const data = movie!.data as ArrayLike<number>;
  if (!(data instanceof Float64Array) && !(data instanceof Float32Array) && !(data instanceof Int8Array) && !(data instanceof Int16Array) && !(data instanceof Int32Array)) {
    fail(`${at}.movie`, `must hold numbers, got ${(data as object)?.constructor?.name}`);
  }
  const [x, y, t] = movie!.shape as [number, number, number];
  if (t !== numbers.n_frames) fail(`${at}.n_frames`, `is ${numbers.n_frames} but the movie has ${t} frames`);
  if (!Array.isArray(o.spikes)) fail(`${at}.spikes`, 'must be a list of spike-time arrays, one per neuron');
  const spikes = (o.spikes as unknown[]).map((s, k) => {
    const times = flatten(s);
    if (!times) fail(`${at}.spikes[${k}]`, 'must be an array of spike times');
    for (let i = 0; i < times!.length; i++) if (!Number.isFinite(times![i])) fail(`${at}.spikes[${k}]`, `holds a non-finite time (${times![i]}) at index ${i}`);
    return times!;
  });
  return {
    fps: numbers.fps!, n_frames: numbers.n_frames!, pixel_size: numbers.pixel_size!, stim_height: numbers.stim_height!,
    stim_width: numbers.stim_width!, stimulus_onset: numbers.stimulus_onset!, x_block_size: numbers.x_block_size!,
    y_block_size: numbers.y_block_size!, movie: columnMajorFloat64(movie!, x, y, t), spikes,
  };
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
    const flat = value.flat(2);
    if (!flat.every((v) => typeof v === 'number')) return undefined;
    return Float64Array.from(flat as number[]);
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
  if (src instanceof Float64Array && s0 === 1 && s1 === x && s2 === x * y && movie.offset === 0) return movie as NdArray<Float64Array>;
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
