import ndarray from 'ndarray';
import { Computed } from '../schema/populate/auto-populate.js';
import type { Restriction } from '../schema/query/query.js';
import type { RowOf, TableClass } from '../schema/table/table.js';
import { pipeline } from '../tables/pipeline-schema.js';
import './sta-params.js';
import { PackedBlob, packBlobAsync } from '../schema/blob/packed-blob.js';
import { packBlob } from '../schema/blob/pack.js';
import { stimulationInputs } from './sta-inputs.js';
import { spikeTriggeredAverage, staPeak } from './sta-kernel.js';

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

const STA_ZLIB_LEVEL = 1;

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

  /** Workers claim a stimulation's keys together, so its prepared movie and spikes serve them all. */
  static override jobGroup = ['subject_name', 'sample_number', 'session_date', 'stimulation_index'];

  /**
   * The keys to do, those of one stimulation together (by neuron, then n_lags), so that its
   * prepared movie and spikes serve them all: the database may list them lags first.
   */
  static override async todoKeys<C extends TableClass>(this: C, restriction?: Restriction<RowOf<C>>): Promise<Array<Record<string, unknown>>> {
    const keys = await Computed.todoKeys.call(this, restriction as never);
    const order = ['subject_name', 'sample_number', 'session_date', 'stimulation_index', 'neuron_index', 'n_lags'];
    return keys.sort((a, b) => {
      for (const name of order) {
        const x = a[name] as string | number;
        const y = b[name] as string | number;
        if (x !== y) return x < y ? -1 : 1;
      }
      return 0;
    });
  }

  async make(key: Record<string, unknown>): Promise<void> {
    const { movie, spikes } = await stimulationInputs(key);
    const nLags = key.n_lags as number;
    const result = spikeTriggeredAverage(movie, spikes.get(key.neuron_index as number) ?? new Float64Array(0), nLags);
    const peak = staPeak(result, movie);
    const sta = ndarray(result.sta, [movie.xBlocks, movie.yBlocks, nLags], [1, movie.xBlocks, movie.frameSize]);
    await this.insert1({
      ...(key as Pick<SpikeTriggeredAverageRow, 'subject_name' | 'sample_number' | 'session_date' | 'stimulation_index' | 'neuron_index' | 'n_lags'>),
      // Averages of ±1 frames shrink nearly as well at zlib level 1 as at 6 (to 0.24 of their size
      // against 0.19), eight times faster.
      // On every core of the thread pool: the largest STAs take longer to compress than to compute.
      sta: await packBlobAsync(sta, { level: STA_ZLIB_LEVEL }),
      n_used: result.used, n_skipped_before: result.skippedBefore, n_skipped_after: result.skippedAfter,
      peak_lag: peak?.lag ?? null, peak_x: peak?.x ?? null, peak_y: peak?.y ?? null, peak_value: peak?.value ?? null,
      spatial_map: peak ? new PackedBlob(packBlob(ndarray(peak.spatialMap, [movie.xBlocks, movie.yBlocks], [1, movie.xBlocks]), { level: STA_ZLIB_LEVEL })) : null,
      temporal_kernel: peak ? new PackedBlob(packBlob(peak.temporalKernel, { level: STA_ZLIB_LEVEL })) : null,
    });
  }
}
