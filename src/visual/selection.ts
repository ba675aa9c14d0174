import { RequestError } from '../errors.js';
import { sql } from '../schema/query/sql.js';
import { Session } from '../tables/session.js';
import { Neuron, Spike, Stimulation } from '../tables/stimulation.js';
import { frameAt } from '../computed/sta-kernel.js';
import type { NeuronItem, NeuronKey, SessionItem, SessionKey, SpikeList, StimulationItem, StimulationKey } from './api-types.js';
import { describeKey } from './format.js';

/** Stimulation attributes the viewer shows (everything but the movie). */
const STIMULATION_COLUMNS = [
  'fps', 'pixel_size', 'stimulus_onset', 'x_blocks', 'y_blocks', 'n_frames',
  'x_block_size', 'y_block_size', 'stim_width', 'stim_height',
] as const;

function stimulationKey(key: StimulationKey): StimulationKey {
  return { subject_name: key.subject_name, sample_number: key.sample_number, session_date: key.session_date, stimulation_index: key.stimulation_index };
}

function neuronKey(key: NeuronKey): NeuronKey {
  return { ...stimulationKey(key), neuron_index: key.neuron_index };
}

/**
 * Every session, with how many of its stimulations are loaded.
 *
 * @example
 * ```ts
 * await listSessions();
 * // [{ subject_name: 'KO (chx10)', sample_number: 1, session_date: '2008-06-06', n_stimulations: 1, n_loaded: 1 }, …]
 * // SELECT …, (count(stimulation_index)) AS `n_loaded` FROM `rgc`.`session` … LEFT JOIN … GROUP BY …
 * ```
 */
export async function listSessions(): Promise<SessionItem[]> {
  const rows = await Session.proj('n_stimulations')
    .aggr(Stimulation.proj(), { n_loaded: sql`count(stimulation_index)` }, { keepAllRows: true })
    .orderBy('subject_name', 'sample_number', 'session_date')
    .fetch();
  return rows.map((r) => ({
    subject_name: String(r.subject_name), sample_number: Number(r.sample_number), session_date: String(r.session_date),
    n_stimulations: r.n_stimulations, n_loaded: Number(r.n_loaded),
  }));
}

/**
 * The session's stimulations (404 when the session does not exist), without their movies.
 *
 * @example
 * ```ts
 * (await listStimulations({ subject_name: 'KO (chx10)', sample_number: 3, session_date: '2008-06-06' }))[0].n_frames; // 4241
 * ```
 */
export async function listStimulations(key: SessionKey): Promise<StimulationItem[]> {
  const session = { subject_name: key.subject_name, sample_number: key.sample_number, session_date: key.session_date };
  if (!(await Session.restrict(session).exists())) throw new RequestError(404, `No session ${describeKey(session)}.`);
  const rows = await Stimulation.restrict(session).proj(...STIMULATION_COLUMNS)
    .aggr(Neuron.proj(), { n_neurons: sql`count(neuron_index)` }, { keepAllRows: true })
    .orderBy('stimulation_index')
    .fetch();
  return rows.map((r) => toStimulationItem(r as unknown as Record<string, unknown>));
}

function toStimulationItem(r: Record<string, unknown>): StimulationItem {
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

/**
 * One stimulation's attributes (404 when it does not exist). Stimulation rows do not change once
 * loaded (a reload deletes and inserts), so they are kept per key, as the movies are.
 */
export class StimulationDirectory {
  readonly #known = new Map<string, StimulationItem>();

  async get(key: StimulationKey): Promise<StimulationItem> {
    const id = JSON.stringify(stimulationKey(key));
    const known = this.#known.get(id);
    if (known) return known;
    const rows = await Stimulation.restrict(stimulationKey(key)).proj(...STIMULATION_COLUMNS)
      .aggr(Neuron.proj(), { n_neurons: sql`count(neuron_index)` }, { keepAllRows: true })
      .fetch();
    const row = rows[0];
    if (!row) throw new RequestError(404, `No stimulation ${describeKey(stimulationKey(key))}.`);
    const item = toStimulationItem(row as unknown as Record<string, unknown>);
    if (this.#known.size >= 10_000) this.#known.clear();
    this.#known.set(id, item);
    return item;
  }
}

/**
 * The stimulation's neurons with their spike counts (404 when the stimulation does not exist).
 *
 * @example
 * ```ts
 * await listNeurons(directory, stimulationKey); // [{ …, neuron_index: 0, n_spikes: 491, n_before_onset: 2, n_after_movie: 0 }]
 * ```
 */
export async function listNeurons(directory: StimulationDirectory, key: StimulationKey): Promise<NeuronItem[]> {
  await directory.get(key);
  const rows = await Neuron.restrict(stimulationKey(key)).orderBy('neuron_index').fetch();
  return rows.map((r) => ({
    ...stimulationKey(r), neuron_index: r.neuron_index,
    n_spikes: r.n_spikes, n_before_onset: r.n_before_onset, n_after_movie: r.n_after_movie,
  }));
}

/**
 * The neuron's spikes in index order, with the frame each fell in (floor rule), as columns.
 *
 * @example
 * ```ts
 * (await listSpikes(directory, neuronKey)).frame; // [-3, 9, 12, …]: negative before the onset
 * ```
 */
export async function listSpikes(directory: StimulationDirectory, key: NeuronKey): Promise<SpikeList> {
  const stimulation = await directory.get(key);
  if (!(await Neuron.restrict(neuronKey(key)).exists())) throw new RequestError(404, `No neuron ${describeKey(neuronKey(key))}.`);
  const rows = await Spike.restrict(neuronKey(key)).orderBy('spike_index').fetch('spike_index', 'spike_time', 'spike_movie_time');
  return {
    spike_index: rows.map((r) => r.spike_index),
    spike_time: rows.map((r) => r.spike_time),
    spike_movie_time: rows.map((r) => r.spike_movie_time),
    frame: rows.map((r) => frameAt(r.spike_time, stimulation.stimulus_onset, stimulation.fps)),
  };
}
