/**
 * rg-visual's page: chained pickers (session → stimulation → neuron → spike) and the plots of the
 * chosen spike, neuron and stimulation, all from the viewer's JSON API. The selection lives in the
 * URL: every choice is a history entry, and a link reproduces the view.
 */
import './style.css';
import type {
  AverageResponse, FrameResponse, NeuronItem, PopulationResponse, SessionItem, SpikeList, StaListResponse, StaResponse,
  StateResponse, StimulationItem,
} from '../api-types.js';
import { ApiError, getJson } from './api.js';
import { count, element, num, sec } from './format.js';
import { drawFrames } from './frames-plot.js';
import { clearPlot } from './plotly.js';
import { drawPopulation } from './population-plot.js';
import { drawRaster } from './raster-plot.js';
import { choose, DEFAULT_DELAY, readSelection, selectionQuery, type Selection } from './selection.js';
import { drawSta, staSentence, usedSentence } from './sta-plots.js';
import { renderState } from './state-panel.js';

const byId = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

/** What the pickers currently show, resolved against what exists. */
interface View {
  selection: Selection;
  stimulation?: StimulationItem;
  spikes?: SpikeList;
}

let view: View = { selection: readSelection(location.search) };
let generation = 0;

function banner(message: string | undefined): void {
  const node = byId('banner');
  node.hidden = message === undefined;
  node.textContent = message ?? '';
}

function notice(id: string, message: string | null | undefined): void {
  const node = byId(id);
  node.hidden = !message;
  node.textContent = message ?? '';
}

/** Fills a picker (only when its list changed) and selects one entry. */
function fill<T>(id: string, items: readonly T[], label: (item: T, position: number) => string, chosen: number, listKey: string): void {
  const select = byId<HTMLSelectElement>(id);
  if (select.dataset.list !== listKey) {
    select.replaceChildren(...items.map((item, i) => element('option', { value: String(i) }, label(item, i))));
    select.dataset.list = listKey;
  }
  select.value = String(chosen);
  select.disabled = items.length === 0;
}

function sessionKey(s: Selection | SessionItem): Record<string, string | number> {
  return { subject_name: s.subject_name!, sample_number: s.sample_number!, session_date: s.session_date! };
}
function stimulationKey(s: Selection): Record<string, string | number> {
  return { ...sessionKey(s), stimulation_index: s.stimulation_index! };
}
function neuronKey(s: Selection): Record<string, string | number> {
  return { ...stimulationKey(s), neuron_index: s.neuron_index! };
}

/** The delay as typed, checked against the spike: a whole number from 1 to the frames shown so far. */
function checkDelay(text: string, frame: number | undefined, nFrames: number): { delay?: number; error?: string } {
  const shown = frame !== undefined && frame >= 0 && frame < nFrames;
  if (!/^\s*\d+\s*$/.test(text) || Number(text) < 1) {
    return { error: `Frames to average must be a whole number${shown ? ` from 1 to ${frame + 1}` : ' of at least 1'}; "${text}" is not.` };
  }
  const delay = Number(text);
  if (shown && delay > frame + 1) {
    return { error: `At most ${frame + 1}: this spike fell in frame ${frame}, so only frames 0–${frame} had been shown.` };
  }
  return { delay };
}

function showDelayError(error: string | undefined): void {
  byId('delay-error').textContent = error ?? '';
  byId('delay').setAttribute('aria-invalid', error ? 'true' : 'false');
}

/** The default spike: the first whose frame has `delay` frames before it, so both plots have something to show. */
function defaultSpike(spikes: SpikeList, nFrames: number, delay: number): number {
  const fits = spikes.frame.findIndex((f) => f >= delay - 1 && f < nFrames);
  const shown = spikes.frame.findIndex((f) => f >= 0 && f < nFrames);
  return spikes.spike_index[fits >= 0 ? fits : shown >= 0 ? shown : 0]!;
}

function describeStimulation(s: StimulationItem): string {
  const blockUm = (n: number): string => num(n * s.pixel_size, 1);
  return `<b>${num(s.fps, 4)} fps</b> · ${num(s.pixel_size, 2)} µm/px · onset <b>${sec(s.stimulus_onset, 5)}</b> · movie <b>${s.x_blocks} × ${s.y_blocks}</b> blocks × <b>${s.n_frames.toLocaleString('en-US')}</b> frames (${sec(s.duration, 1)}, ends at ${sec(s.movie_end, 3)}) · block <b>${s.x_block_size} × ${s.y_block_size} px</b> (${blockUm(s.x_block_size)} × ${blockUm(s.y_block_size)} µm) · screen ${s.stim_width} × ${s.stim_height} px · ${count(s.n_neurons, 'neuron')}`;
}

function go(next: Selection): void {
  void show(next, 'push');
}

/**
 * Resolves a selection against what exists (a missing or unknown level takes the first entry, or
 * for the neuron the one with most spikes), fills the pickers, writes the URL and draws.
 */
async function show(next: Selection, history: 'push' | 'replace' | 'none'): Promise<void> {
  const token = ++generation;
  const stale = (): boolean => token !== generation;
  banner(undefined);
  // Tests (and scripts driving a browser) wait for "ready" after a change of selection.
  document.body.dataset.state = 'loading';
  try {
    const sessions = await getJson<SessionItem[]>('/api/sessions', {}, true);
    if (stale()) return;
    if (sessions.length === 0) {
      banner('The database holds no sessions yet: load data with `rg-pipeline load manifest.json` (or `rg-pipeline demo`).');
      return;
    }
    let s = sessions.findIndex((x) => x.subject_name === next.subject_name && x.sample_number === next.sample_number && x.session_date === next.session_date);
    if (s < 0) s = Math.max(0, sessions.findIndex((x) => x.n_loaded > 0));
    const session = sessions[s]!;
    fill('session', sessions, (x) => `${x.subject_name} | ${x.sample_number} | ${x.session_date}${x.n_loaded === 0 ? ' (nothing loaded)' : ''}`, s, 'sessions');
    const resolved: Selection = { subject_name: session.subject_name, sample_number: session.sample_number, session_date: session.session_date, delay: next.delay || DEFAULT_DELAY };
    if (next.n_lags !== undefined) resolved.n_lags = next.n_lags;

    const stimulations = session.n_loaded > 0 ? await getJson<StimulationItem[]>('/api/stimulations', sessionKey(session), true) : [];
    if (stale()) return;
    let t = stimulations.findIndex((x) => x.stimulation_index === next.stimulation_index);
    if (t < 0) t = 0;
    fill('stimulation', stimulations, (x) => `#${x.stimulation_index} · ${num(x.fps, 2)} fps · ${x.x_blocks}×${x.y_blocks} blocks × ${x.n_frames} frames`, t, JSON.stringify(sessionKey(session)));
    const stimulation = stimulations[t];
    if (!stimulation) {
      finishWithout(resolved, history, `Session ${session.subject_name} | ${session.sample_number} | ${session.session_date} has ${count(session.n_stimulations, 'stimulation')} in its data source and none loaded: run \`rg-pipeline populate Stimulation\`.`);
      return;
    }
    resolved.stimulation_index = stimulation.stimulation_index;
    byId('stimulation-details').innerHTML = describeStimulation(stimulation);

    const neurons = await getJson<NeuronItem[]>('/api/neurons', stimulationKey(resolved), true);
    if (stale()) return;
    let n = neurons.findIndex((x) => x.neuron_index === next.neuron_index);
    if (n < 0) n = neurons.reduce((best, x, i) => (x.n_spikes > neurons[best]!.n_spikes ? i : best), 0);
    fill('neuron', neurons, (x) => `neuron ${x.neuron_index} · ${count(x.n_spikes, 'spike')}`, n, JSON.stringify(stimulationKey(resolved)));
    const neuron = neurons[n];
    if (!neuron) {
      finishWithout(resolved, history, 'This stimulation has no recorded neurons.');
      return;
    }
    resolved.neuron_index = neuron.neuron_index;

    const [spikes, stas] = await Promise.all([
      getJson<SpikeList>('/api/spikes', neuronKey(resolved), true),
      getJson<StaListResponse>('/api/stas', neuronKey(resolved), true),
    ]);
    if (stale()) return;
    const typed = Number(resolved.delay);
    const defaultDelay = Number.isInteger(typed) && typed >= 1 ? typed : Number(DEFAULT_DELAY);
    let p = spikes.spike_index.indexOf(next.spike_index ?? -1);
    if (p < 0 && spikes.spike_index.length > 0) p = spikes.spike_index.indexOf(defaultSpike(spikes, stimulation.n_frames, defaultDelay));
    fill('spike', spikes.spike_index, (i, k) => {
      const f = spikes.frame[k]!;
      const where = f < 0 ? ' · before the onset' : f >= stimulation.n_frames ? ' · after the movie' : ` · frame ${f}`;
      return `#${i} · ${sec(spikes.spike_time[k]!)} | ${sec(spikes.spike_movie_time[k]!)}${where}`;
    }, p, JSON.stringify(neuronKey(resolved)));
    if (p >= 0) resolved.spike_index = spikes.spike_index[p]!;
    if (stas.stas.length > 0 && !stas.stas.some((x) => x.n_lags === resolved.n_lags)) {
      resolved.n_lags = (stas.stas.find((x) => x.n_lags === 10) ?? stas.stas[0]!).n_lags;
    }

    writeUrl(resolved, history);
    view = { selection: resolved, stimulation, spikes };
    byId<HTMLInputElement>('delay').value = resolved.delay;
    byId('raster-title').textContent = `neuron ${neuron.neuron_index}: ${count(neuron.n_spikes, 'spike')} (${neuron.n_before_onset} before the onset, ${neuron.n_after_movie} after the movie)`;
    await Promise.all([
      p >= 0 ? drawSpike(resolved, stimulation, spikes, p, stale) : Promise.resolve(clearPlot('frames-plot', 'This neuron has no spikes.')),
      drawRaster(stimulation, spikes, resolved.spike_index, (spikeIndex) => go({ ...view.selection, spike_index: spikeIndex })),
      drawStas(resolved, stimulation, stas, stale),
      resolved.n_lags === undefined ? Promise.resolve(clearPlot('population-plot', 'No spike-triggered averages yet: run `rg-pipeline populate`.'))
        : drawPopulationFor(resolved, stimulation, stale),
    ]);
  } catch (error) {
    if (!stale()) banner(error instanceof Error ? error.message : String(error));
  } finally {
    if (!stale()) document.body.dataset.state = 'ready';
  }
}

function finishWithout(resolved: Selection, history: 'push' | 'replace' | 'none', message: string): void {
  writeUrl(resolved, history);
  view = { selection: resolved };
  for (const id of ['neuron', 'spike']) fill(id, [], () => '', -1, `none:${message}`);
  for (const id of ['frames-plot', 'raster-plot', 'sta-map-plot', 'sta-kernel-plot', 'sta-montage-plot', 'population-plot']) clearPlot(id, message);
  byId('sta-choices').replaceChildren();
  notice('spike-message', null);
}

function writeUrl(selection: Selection, history: 'push' | 'replace' | 'none'): void {
  const url = `${location.pathname}${selectionQuery(selection)}${location.hash}`;
  if (history === 'push' && url !== `${location.pathname}${location.search}${location.hash}`) window.history.pushState(null, '', url);
  else if (history !== 'none') window.history.replaceState(null, '', url);
}

async function drawSpike(selection: Selection, stimulation: StimulationItem, spikes: SpikeList, position: number, stale: () => boolean): Promise<void> {
  const frameIndex = spikes.frame[position]!;
  const { delay, error } = checkDelay(selection.delay, frameIndex, stimulation.n_frames);
  showDelayError(error);
  const key = { ...neuronKey(selection), spike_index: selection.spike_index! };
  const [frame, average] = await Promise.all([
    getJson<FrameResponse>('/api/frame', key),
    delay === undefined ? Promise.resolve(new Error(error)) : getJson<AverageResponse>('/api/average', { ...key, delay }).catch((e: unknown) => {
      if (e instanceof ApiError && e.status === 400) return new Error(e.message);
      throw e;
    }),
  ]);
  if (stale()) return;
  if (average instanceof Error) showDelayError(average.message);
  const spike = frame.spike;
  byId('spike-title').textContent = `spike ${spike.spike_index} of neuron ${spike.neuron_index} · ${sec(spike.spike_time)} from the recording start · ${sec(spike.spike_movie_time)} from the onset${spike.place === 'shown' ? ` · frame ${spike.frame_index}` : ''}`;
  notice('spike-message', spike.message);
  await drawFrames(stimulation, frame, average);
}

async function drawStas(selection: Selection, stimulation: StimulationItem, stas: StaListResponse, stale: () => boolean): Promise<void> {
  const choices = byId('sta-choices');
  choices.replaceChildren(...stas.stas.map((x) => {
    const button = element('button', { type: 'button', role: 'tab', 'aria-selected': String(x.n_lags === selection.n_lags), 'data-n-lags': String(x.n_lags) },
      `${x.n_lags} lags · ${count(x.n_used, 'spike')} used, ${x.n_skipped_before + x.n_skipped_after} skipped`);
    button.addEventListener('click', () => go({ ...view.selection, n_lags: x.n_lags }));
    return button;
  }));
  if (stas.stas.length === 0 || selection.n_lags === undefined) {
    notice('sta-message', 'No spike-triggered average is stored for this neuron yet: run `rg-pipeline populate SpikeTriggeredAverage`.');
    byId('sta-summary').textContent = '';
    for (const id of ['sta-map-plot', 'sta-kernel-plot', 'sta-montage-plot']) clearPlot(id, 'No STA stored yet.');
    return;
  }
  const sta = await getJson<StaResponse>('/api/sta', { ...neuronKey(selection), n_lags: selection.n_lags }, true);
  if (stale()) return;
  notice('sta-message', sta.n_used === 0 ? usedSentence(sta) : null);
  byId('sta-summary').textContent = staSentence(sta);
  await drawSta(stimulation, sta);
}

async function drawPopulationFor(selection: Selection, stimulation: StimulationItem, stale: () => boolean): Promise<void> {
  const population = await getJson<PopulationResponse>('/api/population', { ...stimulationKey(selection), n_lags: selection.n_lags! }, true);
  if (stale()) return;
  byId('population-title').textContent = `${count(population.neurons.length, 'neuron')} of stimulation ${stimulation.stimulation_index}, ${population.n_lags} lags: each map at its peak lag, normalised to its own peak, strongest first (SNR = peak ÷ noise SE)`;
  await drawPopulation(stimulation, population, selection.neuron_index,
    (neuronIndex) => selectionQuery(choose(selection, { neuron_index: neuronIndex })),
    (neuronIndex) => go(choose(view.selection, { neuron_index: neuronIndex })));
}

function step(direction: 1 | -1): void {
  const spikes = view.spikes;
  if (!spikes) return;
  const at = spikes.spike_index.indexOf(view.selection.spike_index ?? -1);
  const next = spikes.spike_index[Math.min(spikes.spike_index.length - 1, Math.max(0, at + direction))];
  if (next !== undefined && next !== view.selection.spike_index) go({ ...view.selection, spike_index: next });
}

function listen(): void {
  const picked = (id: string): number => Number(byId<HTMLSelectElement>(id).value);
  byId('session').addEventListener('change', () => {
    void getJson<SessionItem[]>('/api/sessions', {}, true).then((sessions) => {
      const s = sessions[picked('session')]!;
      go(choose(view.selection, { subject_name: s.subject_name, sample_number: s.sample_number, session_date: s.session_date }));
    });
  });
  byId('stimulation').addEventListener('change', () => {
    void getJson<StimulationItem[]>('/api/stimulations', sessionKey(view.selection), true).then((list) => {
      go(choose(view.selection, { stimulation_index: list[picked('stimulation')]!.stimulation_index }));
    });
  });
  byId('neuron').addEventListener('change', () => {
    void getJson<NeuronItem[]>('/api/neurons', stimulationKey(view.selection), true).then((list) => {
      go(choose(view.selection, { neuron_index: list[picked('neuron')]!.neuron_index }));
    });
  });
  byId('spike').addEventListener('change', () => {
    const index = view.spikes?.spike_index[picked('spike')];
    if (index !== undefined) go({ ...view.selection, spike_index: index });
  });
  const delay = byId<HTMLInputElement>('delay');
  const frameOfSpike = (): number | undefined => {
    const at = view.spikes?.spike_index.indexOf(view.selection.spike_index ?? -1) ?? -1;
    return at >= 0 ? view.spikes!.frame[at] : undefined;
  };
  delay.addEventListener('input', () => showDelayError(checkDelay(delay.value, frameOfSpike(), view.stimulation?.n_frames ?? Number.POSITIVE_INFINITY).error));
  delay.addEventListener('change', () => {
    const { error } = checkDelay(delay.value, frameOfSpike(), view.stimulation?.n_frames ?? Number.POSITIVE_INFINITY);
    showDelayError(error);
    if (!error) go({ ...view.selection, delay: String(Number(delay.value)) });
  });
  byId('previous-spike').addEventListener('click', () => step(-1));
  byId('next-spike').addEventListener('click', () => step(1));
  document.addEventListener('keydown', (event) => {
    const target = event.target as HTMLElement;
    if (target.closest('input, select, textarea') || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === 'ArrowLeft') step(-1);
    if (event.key === 'ArrowRight') step(1);
  });
  window.addEventListener('popstate', () => void show(readSelection(location.search), 'none'));
}

async function loadState(): Promise<void> {
  try {
    renderState(await getJson<StateResponse>('/api/state'));
  } catch (error) {
    byId('state').textContent = error instanceof Error ? error.message : String(error);
  }
}

listen();
void show(view.selection, 'replace');
void loadState();
