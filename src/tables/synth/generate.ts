import ndarray from 'ndarray';
import type { RgcDataset, RgcSession, RgcStimulation } from '../dataset.js';
import { SeededRandom } from './random.js';

/** The inventory of the real dataset (data/ret1-inventory.json): shapes, rates, onsets, spike counts. */
export type Inventory = ReadonlyArray<{
  subject_name: string;
  sample_number: number;
  session_date: string;
  stimulations: ReadonlyArray<{
    stim_width: number; stim_height: number; x_block_size: number; y_block_size: number; pixel_size: number;
    movie_shape: readonly [number, number, number]; n_frames: number; fps: number; stimulus_onset: number;
    spike_counts: readonly number[];
  }>;
}>;

/** A neuron's true receptive field: what its STA should recover. */
export interface TrueNeuron {
  readonly session: number;
  readonly stimulation: number;
  readonly neuron: number;
  readonly polarity: 1 | -1;
  readonly centerX: number;
  readonly centerY: number;
  readonly sigma: number;
  /** Response weight of the frame k frames before the spike's frame, lag 0 first. */
  readonly temporal: Float64Array;
  /** (x_blocks, y_blocks) column-major spatial weights. */
  readonly spatial: Float64Array;
}

/**
 * Options of {@link generateDataset}.
 *
 * @example
 * ```ts
 * const { dataset, truth } = generateDataset(inventory, { scale: 0.05, seed: 1 });
 * ```
 */
export interface SynthOptions {
  /** Scales movie length and spike counts (1 = full size: 104,493 spikes, ~454 MB of movies). */
  readonly scale?: number;
  readonly seed?: number;
  /** Strength of the exponential nonlinearity, in units of the drive's standard deviation. */
  readonly gain?: number;
}

/** What {@link generateDataset} returns: the dataset, and each neuron's true receptive field. */
export interface SynthResult {
  readonly dataset: RgcDataset;
  readonly truth: readonly TrueNeuron[];
}

/** Lags of the true temporal filter. */
export const TRUE_LAGS = 10;

/** A biphasic kernel peaking two frames before the spike's frame. */
function temporalKernel(): Float64Array {
  const k = new Float64Array(TRUE_LAGS);
  for (let t = 0; t < TRUE_LAGS; t++) k[t] = Math.exp(-((t - 2) ** 2) / 2) - 0.35 * Math.exp(-((t - 5) ** 2) / 4.5);
  return k;
}

/**
 * Generates a dataset with the exact structure of the real one, scaled: ±1 white-noise movies,
 * and neurons whose spikes come from a linear–nonlinear–Poisson model with a known receptive field
 * (a Gaussian spatial centre, ON or OFF, and a biphasic temporal kernel). About 1% of each
 * neuron's spikes fall before the stimulus onset and 1% after the movie ends, as in the real data.
 */
export function generateDataset(inventory: Inventory, options: SynthOptions = {}): SynthResult {
  const scale = options.scale ?? 1;
  const random = new SeededRandom(options.seed ?? 1);
  const gain = options.gain ?? 1.5;
  const truth: TrueNeuron[] = [];
  const sessions = inventory.map((s, si): RgcSession => ({
    subject_name: s.subject_name,
    sample_number: s.sample_number,
    session_date: s.session_date,
    stimulations: s.stimulations.map((st, ti): RgcStimulation => {
      const [x, y] = st.movie_shape;
      const t = Math.max(4 * TRUE_LAGS, Math.round(st.n_frames * scale));
      const data = new Float64Array(x * y * t);
      random.fillSigns(data);
      const movie = ndarray(data, [x, y, t], [1, x, x * y]);
      const spikes = st.spike_counts.map((count, ni) => {
        const neuron = makeNeuron(random, si, ti, ni, x, y);
        truth.push(neuron);
        return lnpSpikes(random, data, x * y, t, neuron, Math.max(1, Math.round(count * scale)), st.fps, st.stimulus_onset, gain);
      });
      return {
        fps: st.fps, movie, n_frames: t, pixel_size: st.pixel_size, stim_height: st.stim_height, stim_width: st.stim_width,
        stimulus_onset: st.stimulus_onset, x_block_size: st.x_block_size, y_block_size: st.y_block_size, spikes,
      };
    }),
  }));
  return { dataset: { sessions }, truth };
}

function makeNeuron(random: SeededRandom, session: number, stimulation: number, neuron: number, x: number, y: number): TrueNeuron {
  const sigma = 1;
  const margin = (n: number): number => (n > 6 ? 2 : 0);
  const centerX = margin(x) + random.next() * Math.max(0, x - 1 - 2 * margin(x));
  const centerY = margin(y) + random.next() * Math.max(0, y - 1 - 2 * margin(y));
  const spatial = new Float64Array(x * y);
  for (let j = 0; j < y; j++) for (let i = 0; i < x; i++) {
    const d2 = (x > 1 ? (i - centerX) ** 2 : 0) + (y > 1 ? (j - centerY) ** 2 : 0);
    const w = Math.exp(-d2 / (2 * sigma * sigma));
    spatial[i + x * j] = w > 1e-3 ? w : 0;
  }
  return { session, stimulation, neuron, polarity: random.next() < 0.5 ? 1 : -1, centerX, centerY, sigma, temporal: temporalKernel(), spatial };
}

/** Spike times from an LNP model: the count is the real neuron's, the frames drawn by rate. */
function lnpSpikes(random: SeededRandom, movie: Float64Array, frameSize: number, frames: number, neuron: TrueNeuron, count: number,
  fps: number, onset: number, gain: number): Float64Array {
  const pixels: number[] = [];
  for (let p = 0; p < frameSize; p++) if (neuron.spatial[p]! !== 0) pixels.push(p);
  const projection = new Float64Array(frames);
  for (let f = 0; f < frames; f++) {
    let s = 0;
    for (const p of pixels) s += neuron.spatial[p]! * movie[f * frameSize + p]!;
    projection[f] = s;
  }
  const drive = new Float64Array(frames);
  for (let f = TRUE_LAGS - 1; f < frames; f++) {
    let g = 0;
    for (let k = 0; k < TRUE_LAGS; k++) g += neuron.temporal[k]! * projection[f - k]!;
    drive[f] = neuron.polarity * g;
  }
  let mean = 0;
  let sq = 0;
  for (let f = TRUE_LAGS - 1; f < frames; f++) { mean += drive[f]!; sq += drive[f]! ** 2; }
  const n = frames - TRUE_LAGS + 1;
  mean /= n;
  const sd = Math.sqrt(Math.max(sq / n - mean * mean, 1e-12));
  const cumulative = new Float64Array(frames);
  let total = 0;
  for (let f = 0; f < frames; f++) {
    total += f < TRUE_LAGS - 1 ? 0 : Math.exp((gain * (drive[f]! - mean)) / sd);
    cumulative[f] = total;
  }
  const outside = count >= 50 ? Math.max(1, Math.round(count * 0.01)) : 0;
  const times = new Float64Array(count);
  let i = 0;
  for (; i < outside; i++) times[i] = random.next() * onset;                                          // before the onset
  for (; i < 2 * outside; i++) times[i] = onset + (frames + random.next() * 60) / fps;               // after the movie
  for (; i < count; i++) {
    const target = random.next() * total;
    let lo = 0;
    let hi = frames - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    times[i] = onset + (lo + random.next()) / fps;
  }
  return times.sort();
}
