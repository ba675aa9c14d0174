import type { NeuronKey, SessionKey, SpikeKey, StimulationKey } from './api-types.js';

/**
 * A key's own attributes, and nothing else of the object it came in (a querystring holds more):
 * restrictions must name only what the table has.
 *
 * @example
 * ```ts
 * stimulationKey({ ...query, neuron_index: 3 }); // { subject_name, sample_number, session_date, stimulation_index }
 * ```
 */
export function sessionKey(key: SessionKey): SessionKey {
  return { subject_name: key.subject_name, sample_number: key.sample_number, session_date: key.session_date };
}

export function stimulationKey(key: StimulationKey): StimulationKey {
  return { ...sessionKey(key), stimulation_index: key.stimulation_index };
}

export function neuronKey(key: NeuronKey): NeuronKey {
  return { ...stimulationKey(key), neuron_index: key.neuron_index };
}

export function spikeKey(key: SpikeKey): SpikeKey {
  return { ...neuronKey(key), spike_index: key.spike_index };
}
