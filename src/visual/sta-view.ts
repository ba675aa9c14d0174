import { RequestError } from '../errors.js';
import { SpikeTriggeredAverage, type SpikeTriggeredAverageRow } from '../computed/spike-triggered-average.js';
import { Neuron } from '../tables/stimulation.js';
import type { NeuronKey, PopulationItem, PopulationResponse, StaListResponse, StaResponse, StaSummary, StimulationKey } from './api-types.js';
import { encodeStored } from './encode-array.js';
import { describeKey } from './format.js';
import type { MovieCache, MovieStats } from './movie-cache.js';
import type { RowDirectory } from './directory.js';
import { neuronKey, stimulationKey } from './keys.js';

const SUMMARY_COLUMNS = ['n_lags', 'n_used', 'n_skipped_before', 'n_skipped_after', 'peak_lag', 'peak_x', 'peak_y', 'peak_value'] as const;

type SummaryRow = Pick<SpikeTriggeredAverageRow, (typeof SUMMARY_COLUMNS)[number]>;

/** The peak's distance from the baseline in units of the noise an STA of n_used spikes has. */
function summary(row: SummaryRow, stats: MovieStats): StaSummary {
  const noise = row.n_used > 0 ? stats.sd / Math.sqrt(row.n_used) : 0;
  const snr = row.peak_value === null || noise === 0 ? null : Math.abs(row.peak_value - stats.mean) / noise;
  return {
    n_lags: row.n_lags, n_used: row.n_used, n_skipped_before: row.n_skipped_before, n_skipped_after: row.n_skipped_after,
    peak_lag: row.peak_lag, peak_x: row.peak_x, peak_y: row.peak_y, peak_value: row.peak_value, snr, noise: row.n_used > 0 ? noise : null,
  };
}

/**
 * The stored spike-triggered averages, as SpikeTriggeredAverage holds them, with the movie's mean
 * (the baseline the page subtracts, as the peak search did) and noise level beside them.
 *
 * @example
 * ```ts
 * const stas = new StaView(new RowDirectory(), new MovieCache());
 * (await stas.one({ ...neuronKey, n_lags: 10 })).sta.shape; // [64, 48, 10]
 * ```
 */
export class StaView {
  constructor(private readonly rows: RowDirectory, private readonly movies: MovieCache) {}

  /** Every StaParams row computed for the neuron, without arrays. */
  async list(key: NeuronKey): Promise<StaListResponse> {
    const stimulation = await this.rows.stimulation(key);
    if (!(await Neuron.restrict(neuronKey(key)).exists())) throw new RequestError(404, `No neuron ${describeKey(neuronKey(key))}.`);
    const rows = await SpikeTriggeredAverage.restrict(neuronKey(key)).orderBy('n_lags').fetch(...SUMMARY_COLUMNS);
    const stats = await this.movies.stats(stimulation);
    return { baseline: stats.mean, fps: stimulation.fps, stas: rows.map((r) => summary(r, stats)) };
  }

  /** One stored STA with its arrays. */
  async one(key: NeuronKey & { n_lags: number }): Promise<StaResponse> {
    const stimulation = await this.rows.stimulation(key);
    const rows = await SpikeTriggeredAverage.restrict({ ...neuronKey(key), n_lags: key.n_lags })
      .fetch(...SUMMARY_COLUMNS, 'sta', 'spatial_map', 'temporal_kernel');
    const row = rows[0];
    if (!row) {
      const neuronExists = await Neuron.restrict(neuronKey(key)).exists();
      throw new RequestError(404, neuronExists
        ? `No spike-triggered average with ${key.n_lags} lags for ${describeKey(neuronKey(key))}: populate SpikeTriggeredAverage, or choose n_lags from StaParams.`
        : `No neuron ${describeKey(neuronKey(key))}.`);
    }
    const stats = await this.movies.stats(stimulation);
    return {
      ...summary(row, stats), baseline: stats.mean, fps: stimulation.fps,
      sta: encodeStored(row.sta),
      spatial_map: row.spatial_map === null ? null : encodeStored(row.spatial_map),
      temporal_kernel: row.temporal_kernel === null ? null : encodeStored(row.temporal_kernel),
      lag_ms: Array.from({ length: row.n_lags }, (_, k) => (k * 1000) / stimulation.fps),
    };
  }

  /** Every neuron's map at its peak lag for one StaParams row, strongest (by snr) first. */
  async population(key: StimulationKey & { n_lags: number }): Promise<PopulationResponse> {
    const stimulation = await this.rows.stimulation(key);
    const rows = await SpikeTriggeredAverage.restrict({ ...stimulationKey(key), n_lags: key.n_lags })
      .fetch('neuron_index', ...SUMMARY_COLUMNS, 'spatial_map');
    const stats = await this.movies.stats(stimulation);
    const neurons: PopulationItem[] = rows.map((r) => ({
      neuron_index: r.neuron_index, ...summary(r, stats),
      spatial_map: r.spatial_map === null ? null : encodeStored(r.spatial_map),
    }));
    neurons.sort((a, b) => (b.snr ?? -1) - (a.snr ?? -1) || a.neuron_index - b.neuron_index);
    return { baseline: stats.mean, n_lags: key.n_lags, neurons };
  }
}
