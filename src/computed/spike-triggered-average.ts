import ndarray from 'ndarray';
import { Computed } from '../schema/populate/auto-populate.js';
import { Stimulation, Spike } from '../tables/stimulation.js';
import { pipeline } from '../tables/pipeline-schema.js';
import './sta-params.js';
import { prepareMovie, spikeTriggeredAverage, staPeak, type PreparedMovie } from './sta-kernel.js';

/**
 * A row of {@link SpikeTriggeredAverage}: `sta` is an `ndarray` (x_blocks, y_blocks, n_lags), NaN when no spike could be used.
 *
 * @example
 * ```ts
 * const { sta, n_used } = await SpikeTriggeredAverage.restrict({ neuron_index: 3, n_lags: 10 }).fetch1();
 * ```
 */
export interface SpikeTriggeredAverageRow {
  subject_name: string;
  sample_number: number;
  session_date: string;
  stimulation_index: number;
  neuron_index: number;
  n_lags: number;
  sta: unknown;
  n_used: number;
  n_skipped_before: number;
  n_skipped_after: number;
  peak_lag: number | null;
  peak_x: number | null;
  peak_y: number | null;
  peak_value: number | null;
  spatial_map: unknown;
  temporal_kernel: unknown;
}

/** Movies prepared in this process, by stimulation: all neurons of a stimulation share one. */
const prepared = new Map<string, PreparedMovie>();
const KEEP = 2;

async function movieFor(key: Record<string, unknown>): Promise<PreparedMovie> {
  const stimKey = { subject_name: key.subject_name, sample_number: key.sample_number, session_date: key.session_date, stimulation_index: key.stimulation_index };
  const id = JSON.stringify(stimKey);
  const hit = prepared.get(id);
  if (hit) {
    prepared.delete(id);
    prepared.set(id, hit);
    return hit;
  }
  const stim = await Stimulation.restrict(stimKey as never).fetch1('movie', 'fps', 'stimulus_onset');
  const movie = prepareMovie(stim.movie as ndarray.NdArray, stim.fps, stim.stimulus_onset);
  prepared.set(id, movie);
  while (prepared.size > KEEP) prepared.delete(prepared.keys().next().value!);
  return movie;
}

/**
 * The spike-triggered average of each neuron, for each StaParams: its spatio-temporal receptive
 * field, with the counts of spikes used and skipped, and the peak the viewer draws.
 */
@pipeline
export class SpikeTriggeredAverage extends Computed<SpikeTriggeredAverageRow> {
  static override definition = `
    # spike-triggered average of a neuron (its spatio-temporal receptive field)
    -> Stimulation.Neuron
    -> StaParams
    ---
    sta: longblob                      # (x_blocks, y_blocks, n_lags); NaN when no spike was usable
    n_used: int unsigned               # spikes averaged
    n_skipped_before: int unsigned     # spikes too early for all lags (incl. before the onset)
    n_skipped_after: int unsigned      # spikes at or after the last frame
    peak_lag = null: smallint unsigned # lag of the largest deviation from the movie mean
    peak_x = null: smallint unsigned   # block of the largest deviation
    peak_y = null: smallint unsigned
    peak_value = null: double          # the STA there
    spatial_map = null: longblob       # (x_blocks, y_blocks) at peak_lag
    temporal_kernel = null: longblob   # (n_lags,) at (peak_x, peak_y), lag 0 first
  `;

  async make(key: Record<string, unknown>): Promise<void> {
    const movie = await movieFor(key);
    const neuronKey = { subject_name: key.subject_name, sample_number: key.sample_number, session_date: key.session_date, stimulation_index: key.stimulation_index, neuron_index: key.neuron_index };
    const times = Float64Array.from((await Spike.restrict(neuronKey as never).fetch('spike_time')).map((r) => r.spike_time));
    const nLags = key.n_lags as number;
    const result = spikeTriggeredAverage(movie, times, nLags);
    const peak = staPeak(result, movie);
    await this.insert1({
      ...(key as Pick<SpikeTriggeredAverageRow, 'subject_name' | 'sample_number' | 'session_date' | 'stimulation_index' | 'neuron_index' | 'n_lags'>),
      sta: ndarray(result.sta, [movie.xBlocks, movie.yBlocks, nLags], [1, movie.xBlocks, movie.frameSize]),
      n_used: result.used, n_skipped_before: result.skippedBefore, n_skipped_after: result.skippedAfter,
      peak_lag: peak?.lag ?? null, peak_x: peak?.x ?? null, peak_y: peak?.y ?? null, peak_value: peak?.value ?? null,
      spatial_map: peak ? ndarray(peak.spatialMap, [movie.xBlocks, movie.yBlocks], [1, movie.xBlocks]) : null,
      temporal_kernel: peak ? peak.temporalKernel : null,
    });
  }
}
