import { AsyncLocalStorage } from 'node:async_hooks';
import { PopulateError } from '../errors.js';
import { packBlob } from '../schema/blob/pack.js';
import { PackedBlob } from '../schema/blob/packed-blob.js';
import { Imported } from '../schema/populate/auto-populate.js';
import type { Query } from '../schema/query/query.js';
import { Part } from '../schema/table/tiers.js';
import { DataSource } from './data-source.js';
import { packMovie } from './movie-blob.js';
import { pipeline } from './pipeline-schema.js';
import type { RgcStimulation } from './dataset.js';
import { Session, type SessionRow } from './session.js';
import { readSourceCached } from './sources/read-source.js';
import { frameAt } from './spike-frame.js';

/** A row of {@link Stimulation}; `movie` is an `ndarray` of shape (x_blocks, y_blocks, n_frames). */
export interface StimulationRow {
  subject_name: string;
  sample_number: number;
  session_date: string;
  stimulation_index: number;
  fps: number;
  movie: unknown;
  x_blocks: number;
  y_blocks: number;
  n_frames: number;
  pixel_size: number;
  stim_height: number;
  stim_width: number;
  stimulus_onset: number;
  x_block_size: number;
  y_block_size: number;
}

/** A row of {@link Neuron}: one recorded neuron and its spike counts. */
export interface NeuronRow {
  subject_name: string;
  sample_number: number;
  session_date: string;
  stimulation_index: number;
  neuron_index: number;
  n_spikes: number;
  n_before_onset: number;
  n_after_movie: number;
}

/** A row of {@link Spike}: one spike of a neuron, in seconds. */
export interface SpikeRow {
  subject_name: string;
  sample_number: number;
  session_date: string;
  stimulation_index: number;
  neuron_index: number;
  spike_index: number;
  spike_time: number;
  spike_movie_time: number;
}

type SessionKey = Pick<SessionRow, 'subject_name' | 'sample_number' | 'session_date'>;

/**
 * A white-noise checkerboard movie shown during a session, with the neurons recorded and their
 * spikes. populate() reads them from the session's data source; a session loads whole or not at
 * all, and only from the bytes whose checksum was registered.
 */
@pipeline
export class Stimulation extends Imported<StimulationRow> {
  static override definition = `
    # a white-noise checkerboard movie shown during a session
    -> Session
    stimulation_index: smallint unsigned   # order within the session
    ---
    fps: double                      # frames per second
    movie: longblob                  # (x_blocks, y_blocks, n_frames) of ±1, column-major
    x_blocks: smallint unsigned      # movie shape, first axis
    y_blocks: smallint unsigned      # movie shape, second axis
    n_frames: int unsigned           # movie shape, third axis
    pixel_size: float                # µm per screen pixel
    stim_height: smallint unsigned   # px
    stim_width: smallint unsigned    # px
    stimulus_onset: double           # s from the start of the recording
    x_block_size: smallint unsigned  # px per block, horizontally
    y_block_size: smallint unsigned  # px per block, vertically
  `;

  /** One recorded neuron (the seed's SpikeGroup). */
  static Neuron = class Neuron extends Part<NeuronRow> {
    static override definition = `
      # a neuron recorded during the stimulation
      -> master
      neuron_index: smallint unsigned
      ---
      n_spikes: int unsigned
      n_before_onset: int unsigned     # spikes before the stimulus onset (kept, and counted)
      n_after_movie: int unsigned      # spikes after the last frame (kept, and counted)
    `;
  };

  /** One spike, in seconds from the recording start and from the stimulus onset. */
  static Spike = class Spike extends Part<SpikeRow> {
    static override definition = `
      # a spike of a neuron
      -> Stimulation.Neuron
      spike_index: int unsigned
      ---
      spike_time: double               # s from the start of the recording
      spike_movie_time: double         # s from the stimulus onset
    `;
  };

  /** Sessions whose source holds stimulations: the others have nothing to load. */
  static override keySource(): Query<object> {
    return Session.restrict('n_stimulations > 0').proj() as unknown as Query<object>;
  }

  async make(key: Record<string, unknown>): Promise<void> {
    const sessionKey = key as SessionKey;
    const session = await Session.restrict(sessionKey).fetch1();
    const source = await DataSource.restrict({ source_id: session.source_id }).fetch1();
    const { dataset, checksum } = await readSourceCached(source.entry as Record<string, unknown>);
    if (checksum !== source.checksum) {
      throw new PopulateError(`Data source ${source.source_id} (${source.access}) changed since it was loaded: checksum ${checksum.slice(0, 12)}… instead of ${source.checksum.slice(0, 12)}…. Reload it with rg-pipeline load to register the new data.`, key);
    }
    const found = dataset.sessions.find((s) => s.subject_name === session.subject_name && s.sample_number === session.sample_number && s.session_date === session.session_date);
    if (!found) throw new PopulateError(`Data source ${source.source_id} no longer holds session ${JSON.stringify(sessionKey)}.`, key);
    const later = movieWrites.getStore();
    for (const [stimulationIndex, stim] of found.stimulations.entries()) {
      const stimKey = { ...sessionKey, stimulation_index: stimulationIndex };
      const [xBlocks, yBlocks, nFrames] = stim.movie.shape as [number, number, number];
      // Packing may still be under way (on a worker thread): the rows are made meanwhile. Inside
      // writeMoviesLast() the row goes in now with a stand-in, and the movie is asked for (and
      // written) only after every row, so that this thread does not pack it while the worker could.
      const movie = later ? undefined : packMovie(stim.movie);
      const neurons = neuronRows(stimKey, stim);
      const spikes = spikeRows(stimKey, stim);
      await this.insert1({
        ...stimKey, fps: stim.fps, movie: movie ? await movie : MOVIE_TO_COME, x_blocks: xBlocks, y_blocks: yBlocks, n_frames: nFrames,
        pixel_size: stim.pixel_size, stim_height: stim.stim_height, stim_width: stim.stim_width,
        stimulus_onset: stim.stimulus_onset, x_block_size: stim.x_block_size, y_block_size: stim.y_block_size,
      });
      await Stimulation.Neuron.insert(neurons);
      await Stimulation.Spike.insert(spikes);
      later?.push(async () => Stimulation.update1({ ...stimKey, movie: await packMovie(stim.movie) }));
    }
  }
}

/** Movie writes left to the end of {@link writeMoviesLast}'s work, in order. */
const movieWrites = new AsyncLocalStorage<Array<() => Promise<void>>>();
/** What a Stimulation row holds until its movie is written (a valid blob: the empty value). */
const MOVIE_TO_COME = new PackedBlob(packBlob(null));

/**
 * Runs `work` (Stimulation makes, inside one transaction that the caller holds) so that each
 * Stimulation row, its neurons and its spikes go in without waiting for its movie, which is
 * written (UPDATE) once packed, after `work`, movie by movie in order: the loading thread inserts
 * rows while the worker thread packs movies, rather than wait for movie k before the rows of
 * stimulation k (their foreign keys need the Stimulation row, not its movie). A movie that fails
 * to pack or to be written fails the whole: the caller's transaction leaves nothing behind, so
 * no stand-in is ever seen outside it.
 *
 * @example
 * ```ts
 * await pipeline.transaction(() => writeMoviesLast(() => runMake(Stimulation, info, keys)));
 * ```
 */
export async function writeMoviesLast<T>(work: () => Promise<T>): Promise<T> {
  const writes: Array<() => Promise<void>> = [];
  const result = await movieWrites.run(writes, work);
  // Each write awaits its movie: the first ones are long packed by now, the last ones soon.
  for (const write of writes) await write();
  return result;
}

type StimulationKey = SessionKey & { stimulation_index: number };

/** A stimulation's neurons with their spike counts, by the same frame rule as the STA's (so the counts agree with its skipped spikes). */
function neuronRows(key: StimulationKey, stim: RgcStimulation): NeuronRow[] {
  return stim.spikes.map((times, neuronIndex) => {
    let before = 0;
    let after = 0;
    for (const t of times) {
      const frame = frameAt(t, stim.stimulus_onset, stim.fps);
      if (frame < 0) before++;
      else if (frame >= stim.n_frames) after++;
    }
    return { ...key, neuron_index: neuronIndex, n_spikes: times.length, n_before_onset: before, n_after_movie: after };
  });
}

/** A stimulation's spikes, one row each. */
function spikeRows(key: StimulationKey, stim: RgcStimulation): SpikeRow[] {
  const { subject_name, sample_number, session_date, stimulation_index } = key;
  const rows: SpikeRow[] = [];
  for (let neuron = 0; neuron < stim.spikes.length; neuron++) {
    const times = stim.spikes[neuron]!;
    for (let i = 0; i < times.length; i++) {
      const t = times[i]!;
      // Written out (not spread): every row gets the same hidden class at once.
      rows.push({ subject_name, sample_number, session_date, stimulation_index, neuron_index: neuron, spike_index: i, spike_time: t, spike_movie_time: t - stim.stimulus_onset });
    }
  }
  return rows;
}

/** The pipeline's neurons: `-> Neuron` in a definition (with `context: { Neuron }`) names this table. */
export const Neuron = Stimulation.Neuron;
/** The pipeline's spikes. */
export const Spike = Stimulation.Spike;
