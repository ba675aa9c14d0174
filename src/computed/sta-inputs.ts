import type ndarray from 'ndarray';
import { Stimulation, Spike } from '../tables/stimulation.js';
import { unpackUnitValuesArray } from '../schema/blob/unit-values-blob.js';
import { storedBlobBytes } from '../schema/query/decode.js';
import { prepareMovie, prepareUnitMovie, releasePreparedMovie, type PreparedMovie } from './sta-kernel.js';

/** What every STA of one stimulation reads: its prepared movie and each neuron's spike times. */
export interface StimulationInputs {
  readonly movie: PreparedMovie;
  /** Spike times by neuron_index. */
  readonly spikes: ReadonlyMap<number, Float64Array>;
}

/** Inputs read in this process, by stimulation, most recently used last. */
const cache = new Map<string, Promise<StimulationInputs>>();
/** Those of the cache that have been read, by the same id. */
const held = new Map<string, StimulationInputs>();
const KEEP = 2;

async function read(stimKey: Record<string, unknown>): Promise<StimulationInputs> {
  const [stim, rows] = await Promise.all([
    Stimulation.restrict(stimKey as never).fetch1('movie', 'fps', 'stimulus_onset'),
    Spike.restrict(stimKey as never).fetch('neuron_index', 'spike_time'),
  ]);
  const byNeuron = new Map<number, number[]>();
  for (const r of rows) {
    let list = byNeuron.get(r.neuron_index);
    if (!list) byNeuron.set(r.neuron_index, (list = []));
    list.push(r.spike_time);
  }
  const spikes = new Map([...byNeuron].map(([n, times]) => [n, Float64Array.from(times)]));
  // A white-noise movie stored by rg-schema is read a byte a value, not eight.
  const stored = storedBlobBytes(stim, 'movie');
  const unit = stored && unpackUnitValuesArray(stored);
  const movie = unit && unit.shape.length === 3
    ? prepareUnitMovie(unit.units, unit.shape as [number, number, number], stim.fps, stim.stimulus_onset, unit.minus)
    : prepareMovie(stim.movie as ndarray.NdArray, stim.fps, stim.stimulus_onset);
  return { movie, spikes };
}

/**
 * The inputs of the STAs of the key's stimulation: one fetch of the movie and one of the spikes
 * serve all its neurons and lags (populate hands its keys out a stimulation at a time). The two
 * most recent stimulations stay; an older one's movie leaves the kernel's memory at once.
 *
 * @example
 * ```ts
 * const { movie, spikes } = await stimulationInputs(key);
 * spikeTriggeredAverage(movie, spikes.get(key.neuron_index) ?? new Float64Array(0), key.n_lags);
 * ```
 */
export async function stimulationInputs(key: Record<string, unknown>): Promise<StimulationInputs> {
  const stimKey = stimulationKey(key);
  const id = JSON.stringify(stimKey);
  let inputs = cache.get(id);
  if (inputs) cache.delete(id);
  else {
    const reading = read(stimKey);
    inputs = reading;
    reading.then((d) => { if (cache.get(id) === reading) held.set(id, d); }, () => { if (cache.get(id) === reading) cache.delete(id); });
  }
  cache.set(id, inputs);
  for (const [old, dropped] of cache) {
    if (cache.size <= KEEP) break;
    cache.delete(old);
    held.delete(old);
    void dropped.then((d) => releasePreparedMovie(d.movie), () => undefined);
  }
  return inputs;
}

/**
 * The inputs of the key's stimulation if {@link stimulationInputs} has read them already and
 * still holds them, else undefined: for work that may start only when it needs no query.
 *
 * @example
 * ```ts
 * const inputs = heldStimulationInputs(nextKey);
 * if (inputs) spikeTriggeredAverage(inputs.movie, inputs.spikes.get(nextKey.neuron_index)!, nextKey.n_lags);
 * ```
 */
export function heldStimulationInputs(key: Record<string, unknown>): StimulationInputs | undefined {
  return held.get(JSON.stringify(stimulationKey(key)));
}

function stimulationKey(key: Record<string, unknown>): Record<string, unknown> {
  return { subject_name: key.subject_name, sample_number: key.sample_number, session_date: key.session_date, stimulation_index: key.stimulation_index };
}
