/** Seconds for a sentence: up to 5 decimals, trailing zeros dropped (1.65657 s, 0.5 s). */
export function seconds(value: number): string {
  return `${Number(value.toFixed(5))} s`;
}

/** A key for a sentence: `KO (chx10) #1 2008-06-06, stimulation 0, neuron 3`. */
export function describeKey(key: Partial<Record<'subject_name' | 'sample_number' | 'session_date' | 'stimulation_index' | 'neuron_index' | 'spike_index' | 'n_lags', unknown>>): string {
  const parts = [`${String(key.subject_name)} #${String(key.sample_number)} ${String(key.session_date)}`];
  if (key.stimulation_index !== undefined) parts.push(`stimulation ${String(key.stimulation_index)}`);
  if (key.neuron_index !== undefined) parts.push(`neuron ${String(key.neuron_index)}`);
  if (key.spike_index !== undefined) parts.push(`spike ${String(key.spike_index)}`);
  if (key.n_lags !== undefined) parts.push(`${String(key.n_lags)} lags`);
  return parts.join(', ');
}
