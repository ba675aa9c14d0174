import { RequestError } from '../errors.js';
import { sql } from '../schema/query/sql.js';
import { Session } from '../tables/session.js';
import { Neuron, Stimulation } from '../tables/stimulation.js';
import type { NeuronItem, NeuronKey, SessionItem, SessionKey, SpikeList, StimulationItem, StimulationKey } from './api-types.js';
import { STIMULATION_COLUMNS, toStimulationItem, type RowDirectory } from './directory.js';
import { describeKey } from './format.js';
import { sessionKey, stimulationKey } from './keys.js';

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
  const rows = await Session
    .aggr(Stimulation.proj(), { n_loaded: sql`count(stimulation_index)` }, { attributes: ['n_stimulations'] })
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
  const session = sessionKey(key);
  if (!(await Session.restrict(session).exists())) throw new RequestError(404, `No session ${describeKey(session)}.`);
  const rows = await Stimulation.restrict(session).aggr(Neuron.proj(), { n_neurons: sql`count(neuron_index)` }, { attributes: STIMULATION_COLUMNS })
    .orderBy('stimulation_index')
    .fetch();
  return rows.map((r) => toStimulationItem(r as unknown as Record<string, unknown>));
}

/**
 * The stimulation's neurons with their spike counts (404 when the stimulation does not exist).
 *
 * @example
 * ```ts
 * await listNeurons(rows, stimulationKey); // [{ …, neuron_index: 0, n_spikes: 491, n_before_onset: 2, n_after_movie: 0 }]
 * ```
 */
export async function listNeurons(rows: RowDirectory, key: StimulationKey): Promise<NeuronItem[]> {
  await rows.stimulation(key);
  const neurons = await Neuron.restrict(stimulationKey(key)).orderBy('neuron_index').fetch();
  return neurons.map((r) => ({
    ...stimulationKey(r), neuron_index: r.neuron_index,
    n_spikes: r.n_spikes, n_before_onset: r.n_before_onset, n_after_movie: r.n_after_movie,
  }));
}

/**
 * The neuron's spikes in index order, with the frame each fell in (floor rule), as columns.
 *
 * @example
 * ```ts
 * (await listSpikes(rows, neuronKey)).frame; // [-3, 9, 12, …]: negative before the onset
 * ```
 */
export async function listSpikes(rows: RowDirectory, key: NeuronKey): Promise<SpikeList> {
  const { spike_index, spike_time, spike_movie_time, frame } = await rows.spikes(key);
  return { spike_index, spike_time, spike_movie_time, frame };
}
