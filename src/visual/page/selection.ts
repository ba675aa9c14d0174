/**
 * The page's selection, kept in the URL's querystring under the API's own parameter names, so a
 * link reproduces the view and the browser's back button steps through earlier selections.
 */
export interface Selection {
  subject_name?: string;
  sample_number?: number;
  session_date?: string;
  stimulation_index?: number;
  neuron_index?: number;
  spike_index?: number;
  /** As typed: it is checked against the spike before use. */
  delay: string;
  n_lags?: number;
}

export const DEFAULT_DELAY = '5';

const INTEGER_KEYS = ['sample_number', 'stimulation_index', 'neuron_index', 'spike_index', 'n_lags'] as const;
const ORDER = ['subject_name', 'sample_number', 'session_date', 'stimulation_index', 'neuron_index', 'spike_index', 'delay', 'n_lags'] as const;

export function readSelection(search: string): Selection {
  const params = new URLSearchParams(search);
  const selection: Selection = { delay: params.get('delay') ?? DEFAULT_DELAY };
  const subject = params.get('subject_name');
  const date = params.get('session_date');
  if (subject !== null) selection.subject_name = subject;
  if (date !== null) selection.session_date = date;
  for (const key of INTEGER_KEYS) {
    const text = params.get(key);
    if (text !== null && /^\d{1,9}$/.test(text)) selection[key] = Number(text);
  }
  return selection;
}

export function selectionQuery(selection: Selection): string {
  const params = new URLSearchParams();
  for (const key of ORDER) {
    const value = selection[key];
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  return `?${params.toString()}`;
}

/** The selection with one level changed and everything below it left to defaults. */
export function choose(selection: Selection, change: Partial<Selection>): Selection {
  const next: Selection = { ...selection, ...change };
  const levels = ['session', 'stimulation_index', 'neuron_index', 'spike_index'] as const;
  const changed = 'subject_name' in change || 'sample_number' in change || 'session_date' in change ? 0
    : 'stimulation_index' in change ? 1 : 'neuron_index' in change ? 2 : 3;
  for (let level = changed + 1; level < levels.length; level++) delete next[levels[level] as 'stimulation_index' | 'neuron_index' | 'spike_index'];
  return next;
}
