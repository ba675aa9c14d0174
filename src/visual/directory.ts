import { LRUCache } from 'lru-cache';
import { RequestError } from '../errors.js';
import { frameAt } from '../computed/sta-kernel.js';
import { sql } from '../schema/query/sql.js';
import { Neuron, Spike, Stimulation } from '../tables/stimulation.js';
import type { NeuronKey, SpikeList, StimulationItem, StimulationKey } from './api-types.js';
import { describeKey } from './format.js';
import { neuronKey, stimulationKey } from './keys.js';

/** Stimulation attributes the viewer shows (everything but the movie). */
export const STIMULATION_COLUMNS = [
  'fps', 'pixel_size', 'stimulus_onset', 'x_blocks', 'y_blocks', 'n_frames',
  'x_block_size', 'y_block_size', 'stim_width', 'stim_height',
] as const;

/** A stimulation row (with its neuron count) as the API sends it. */
export function toStimulationItem(r: Record<string, unknown>): StimulationItem {
  const fps = Number(r.fps);
  const onset = Number(r.stimulus_onset);
  const nFrames = Number(r.n_frames);
  return {
    subject_name: String(r.subject_name), sample_number: Number(r.sample_number), session_date: String(r.session_date),
    stimulation_index: Number(r.stimulation_index), fps, pixel_size: Number(r.pixel_size), stimulus_onset: onset,
    x_blocks: Number(r.x_blocks), y_blocks: Number(r.y_blocks), n_frames: nFrames,
    x_block_size: Number(r.x_block_size), y_block_size: Number(r.y_block_size),
    stim_width: Number(r.stim_width), stim_height: Number(r.stim_height),
    duration: nFrames / fps, movie_end: onset + nFrames / fps, n_neurons: Number(r.n_neurons ?? 0),
  };
}

/** A neuron's spikes as the API sends them, and where each spike_index sits in them. */
export interface NeuronSpikes extends SpikeList {
  readonly position: ReadonlyMap<number, number>;
}

/**
 * Rows that do not change once loaded (a reload deletes and inserts whole sessions): each
 * stimulation's attributes and each neuron's spikes, fetched once and kept (a few thousand
 * entries, least recently used out). A frame request is then one movie lookup, no query.
 *
 * @example
 * ```ts
 * const rows = new RowDirectory();
 * (await rows.stimulation(key)).fps;                 // 59.9815
 * (await rows.spikes({ ...key, neuron_index: 3 })).frame[0]; // 9
 * ```
 */
export class RowDirectory {
  readonly #stimulations = new LRUCache<string, StimulationItem, StimulationKey>({
    max: 10_000,
    fetchMethod: async (_id, _stale, { context }) => {
      const rows = await Stimulation.restrict(context).aggr(Neuron.proj(), { n_neurons: sql`count(neuron_index)` }, { attributes: STIMULATION_COLUMNS })
        .fetch();
      const row = rows[0];
      if (!row) throw new RequestError(404, `No stimulation ${describeKey(context)}.`);
      return toStimulationItem(row as unknown as Record<string, unknown>);
    },
  });

  readonly #spikes = new LRUCache<string, NeuronSpikes, NeuronKey>({
    max: 4096,
    fetchMethod: async (_id, _stale, { context }) => {
      const stimulation = await this.stimulation(context);
      const rows = await Spike.restrict(context).orderBy('spike_index').fetch('spike_index', 'spike_time', 'spike_movie_time');
      if (rows.length === 0 && !(await Neuron.restrict(context).exists())) throw new RequestError(404, `No neuron ${describeKey(context)}.`);
      return {
        spike_index: rows.map((r) => r.spike_index),
        spike_time: rows.map((r) => r.spike_time),
        spike_movie_time: rows.map((r) => r.spike_movie_time),
        frame: rows.map((r) => frameAt(r.spike_time, stimulation.stimulus_onset, stimulation.fps)),
        position: new Map(rows.map((r, i) => [r.spike_index, i])),
      };
    },
  });

  /** One stimulation's attributes (404 when it does not exist). */
  async stimulation(key: StimulationKey): Promise<StimulationItem> {
    const context = stimulationKey(key);
    return (await this.#stimulations.fetch(JSON.stringify(context), { context }))!;
  }

  /** One neuron's spikes in index order (404 when the neuron does not exist). */
  async spikes(key: NeuronKey): Promise<NeuronSpikes> {
    const context = neuronKey(key);
    return (await this.#spikes.fetch(JSON.stringify(context), { context }))!;
  }
}
