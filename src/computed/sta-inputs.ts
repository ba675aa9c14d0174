import type ndarray from 'ndarray';
import { Stimulation, Spike } from '../tables/stimulation.js';
import { pipeline } from '../tables/pipeline-schema.js';
import { storedBlobBytes } from '../schema/query/decode.js';
import { sql } from '../schema/query/sql.js';
import { populateRun } from '../schema/populate/auto-populate.js';
import { prepareMovie, prepareUnitMovie, releasePreparedMovie, type PreparedMovie } from './sta-kernel.js';
import { readUnitValuesOffThread } from './sta-pack-thread.js';

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
/** The cached stimulations' rows as read (see {@link rowFingerprint}), by the same id. */
const fingerprints = new Map<string, Promise<string>>();
/** The populate run (populateRun) in which each cached stimulation was read or last found unchanged. */
const checkedIn = new Map<string, number>();
/** The database the cache was read from: another one (pipeline.configure) empties it. */
let source: { readonly connection: object; readonly database: string } | undefined;

/** Empties the cache when the pipeline now points at another connection or database (the same keys may hold other data there). */
function sameSource(): void {
  const connection = pipeline.connection;
  const database = pipeline.database;
  if (source && source.connection === connection && source.database === database) return;
  source = { connection, database };
  for (const dropped of cache.values()) void dropped.then((d) => releasePreparedMovie(d.movie), () => undefined);
  cache.clear();
  held.clear();
  fingerprints.clear();
  checkedIn.clear();
  following = new Map();
}

/**
 * What tells a stimulation's row from another under the same key, without reading its movie: the
 * stored movie's size and last 4 bytes (a compressed blob ends with zlib's Adler-32 of the whole
 * movie), its frame rate and onset. Rows dropped and loaded anew from other data differ in it.
 */
async function rowFingerprint(stimKey: Record<string, unknown>): Promise<string> {
  const row = await Stimulation.restrict(stimKey as never)
    .proj('fps', 'stimulus_onset', { movie_bytes: sql<number>`length(movie)`, movie_tail: sql<Uint8Array>`substr(movie, length(movie) - 3)` })
    .fetch1();
  return fingerprintOf(Number(row.movie_bytes), row.movie_tail, row.fps, row.stimulus_onset);
}

/** {@link rowFingerprint} from its parts: the stored movie's size and last 4 bytes, fps and onset. */
function fingerprintOf(movieBytes: number, movieTail: Uint8Array, fps: unknown, onset: unknown): string {
  return JSON.stringify([movieBytes, Buffer.from(movieTail).toString('hex'), fps, onset]);
}

/** Forgets one stimulation's inputs (its movie leaves the kernel's memory once read). */
function forget(id: string): void {
  const dropped = cache.get(id);
  cache.delete(id);
  held.delete(id);
  fingerprints.delete(id);
  checkedIn.delete(id);
  void dropped?.then((d) => releasePreparedMovie(d.movie), () => undefined);
}

/** The stimulation in use, the one before it (a populate's last keys of it may still come), and those queried ahead. */
const KEEP = 2 + 2;
/** Stimulations queried ahead of their keys: the next two, so that a short one's keys leave time to read a long movie. */
const PREFETCH = 2;

/**
 * The stimulation's queries; what they give is then prepared (its movie read a byte a value on
 * a pack thread) without holding up the caller: the promise returned. `ahead`: its keys come
 * later, so its movie may wait for a pack thread still loading.
 */
async function fetchInputs(stimKey: Record<string, unknown>, ahead = false): Promise<{ readonly prepared: Promise<StimulationInputs>; readonly fingerprint: string }> {
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
  // The row's fingerprint from the bytes just read; a query only when they were not kept.
  const fingerprint = stored ? fingerprintOf(stored.byteLength, stored.subarray(Math.max(0, stored.byteLength - 4)), stim.fps, stim.stimulus_onset) : await rowFingerprint(stimKey);
  const unit = stored ? readUnitValuesOffThread(stored, { ahead }) : Promise.resolve(undefined);
  // In an object: a promise returned from an async function would be awaited with it.
  return {
    fingerprint,
    prepared: unit.then((read) => ({
      movie: read && read.shape.length === 3
        ? prepareUnitMovie(read.units, read.shape as [number, number, number], stim.fps, stim.stimulus_onset, read.minus)
        : prepareMovie(stim.movie as ndarray.NdArray, stim.fps, stim.stimulus_onset),
      spikes,
    })),
  };
}

/** The stimulations a populate will ask for, in its order (see expectStimulations), by id: the next one's key. */
let following = new Map<string, Record<string, unknown>>();

/**
 * The keys a populate is about to make, in order: when the first key of a stimulation reads its
 * inputs, the next stimulation's are queried too (in the same transaction) and its movie is read
 * on a pack thread while this one's keys are made.
 *
 * @example
 * ```ts
 * expectStimulations(await SpikeTriggeredAverage.todoKeys());
 * ```
 */
export function expectStimulations(keys: ReadonlyArray<Record<string, unknown>>): void {
  sameSource();
  following = new Map();
  let last: string | undefined;
  for (const key of keys) {
    const stimKey = stimulationKey(key);
    const id = JSON.stringify(stimKey);
    if (last !== undefined && id !== last && !following.has(last)) following.set(last, stimKey);
    last = id;
  }
}

/** Queries the inputs of the stimulations after `id` not held yet: their preparation goes on meanwhile. */
async function prefetchAfter(id: string): Promise<void> {
  let at = id;
  const starts = following.get(id);
  following.delete(id);
  for (let i = 0, next = starts; i < PREFETCH && next; i++, next = following.get(at)) {
    at = JSON.stringify(next);
    if (cache.has(at)) continue;
    try {
      const { prepared, fingerprint } = await fetchInputs(next, true);
      if (!cache.has(at)) remember(at, prepared, Promise.resolve(fingerprint));
    } catch {
      // Read again when its keys come.
      return;
    }
  }
}

function remember(id: string, inputs: Promise<StimulationInputs>, fingerprint: Promise<string>): void {
  cache.set(id, inputs);
  fingerprints.set(id, fingerprint);
  checkedIn.set(id, populateRun());
  inputs.then((d) => { if (cache.get(id) === inputs) held.set(id, d); }, () => { if (cache.get(id) === inputs) forget(id); });
  for (const old of cache.keys()) {
    if (cache.size <= KEEP) break;
    forget(old);
  }
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
  sameSource();
  const id = JSON.stringify(stimulationKey(key));
  let inputs = cache.get(id);
  // Read in an earlier populate: its row may have been dropped and loaded anew from other data
  // under the same key since (in this process or another). Once a populate, a small query tells.
  if (inputs && checkedIn.get(id) !== populateRun()) {
    const [now, then] = await Promise.all([rowFingerprint(stimulationKey(key)), fingerprints.get(id)?.catch(() => undefined)]);
    if (now === then) checkedIn.set(id, populateRun());
    else {
      forget(id);
      inputs = undefined;
    }
  }
  if (inputs) {
    // Most recently used last.
    cache.delete(id);
    cache.set(id, inputs);
  } else {
    const fetched = fetchInputs(stimulationKey(key));
    inputs = fetched.then((f) => f.prepared);
    remember(id, inputs, fetched.then((f) => f.fingerprint));
    // Its queries first: a transaction's connection takes one statement at a time (pg queues more, and warns).
    await fetched.catch(() => undefined);
  }
  // The next stimulations' queries in this make's transaction, once: their movies are then read meanwhile.
  if (following.has(id)) await prefetchAfter(id);
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
  sameSource();
  const id = JSON.stringify(stimulationKey(key));
  // Only what this populate has read or found unchanged.
  return checkedIn.get(id) === populateRun() ? held.get(id) : undefined;
}

function stimulationKey(key: Record<string, unknown>): Record<string, unknown> {
  return { subject_name: key.subject_name, sample_number: key.sample_number, session_date: key.session_date, stimulation_index: key.stimulation_index };
}
