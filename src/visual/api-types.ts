/**
 * The shapes of the viewer's JSON API, shared by the server and the page. Arrays of numbers that
 * can be large (frames, averages, STAs) travel as {@link EncodedArray}: the bytes of a float64
 * array in base64, column-major, exactly the values the server holds.
 */

/**
 * A float64 array as the manifest's JSON sources write one: little-endian bytes in base64,
 * `order: 'F'` (column-major: the first axis varies fastest).
 *
 * @example
 * ```py
 * np.frombuffer(base64.b64decode(a['data']), '<f8').reshape(a['shape'], order='F')
 * ```
 */
export interface EncodedArray {
  readonly dtype: 'float64';
  readonly shape: readonly number[];
  readonly order: 'F';
  readonly data: string;
}

export interface SessionKey {
  readonly subject_name: string;
  readonly sample_number: number;
  readonly session_date: string;
}
export interface StimulationKey extends SessionKey { readonly stimulation_index: number }
export interface NeuronKey extends StimulationKey { readonly neuron_index: number }
export interface SpikeKey extends NeuronKey { readonly spike_index: number }

export interface SessionItem extends SessionKey {
  /** Stimulations the data source holds for the session. */
  readonly n_stimulations: number;
  /** Stimulations loaded into the database (populated). */
  readonly n_loaded: number;
}

export interface StimulationItem extends StimulationKey {
  readonly fps: number;
  readonly pixel_size: number;
  readonly stimulus_onset: number;
  readonly x_blocks: number;
  readonly y_blocks: number;
  readonly n_frames: number;
  readonly x_block_size: number;
  readonly y_block_size: number;
  readonly stim_width: number;
  readonly stim_height: number;
  /** n_frames / fps, in s. */
  readonly duration: number;
  /** onset + duration: when the last frame leaves the screen, in s from the recording start. */
  readonly movie_end: number;
  readonly n_neurons: number;
}

export interface NeuronItem extends NeuronKey {
  readonly n_spikes: number;
  readonly n_before_onset: number;
  readonly n_after_movie: number;
}

/** A neuron's spikes, column by column, in spike_index order. */
export interface SpikeList {
  readonly spike_index: number[];
  /** s from the recording start. */
  readonly spike_time: number[];
  /** s from the stimulus onset. */
  readonly spike_movie_time: number[];
  /** floor((t − onset) · fps): negative before the onset, ≥ n_frames after the movie. */
  readonly frame: number[];
}

/** Where a spike falls relative to the movie. */
export type SpikePlace = 'shown' | 'before-onset' | 'after-movie';

export interface SpikeInfo extends SpikeKey {
  readonly spike_time: number;
  readonly spike_movie_time: number;
  readonly frame_index: number;
  readonly place: SpikePlace;
  /** When the spike is outside the movie: a sentence with its times. */
  readonly message: string | null;
}

export interface FrameResponse {
  readonly spike: SpikeInfo;
  /** (x_blocks, y_blocks), or null when no frame was on screen. */
  readonly frame: EncodedArray | null;
  /** When frame_index was on screen, in s from the recording start. */
  readonly frame_start: number | null;
  readonly frame_end: number | null;
}

export interface AverageResponse {
  readonly spike: SpikeInfo;
  /** Frames averaged: the spike's frame and the delay − 1 before it. */
  readonly delay: number;
  readonly first_frame: number | null;
  readonly last_frame: number | null;
  readonly average: EncodedArray | null;
}

/** One stored SpikeTriggeredAverage row, without its arrays. */
export interface StaSummary {
  readonly n_lags: number;
  readonly n_used: number;
  readonly n_skipped_before: number;
  readonly n_skipped_after: number;
  readonly peak_lag: number | null;
  readonly peak_x: number | null;
  readonly peak_y: number | null;
  readonly peak_value: number | null;
  /**
   * |peak − baseline| divided by what noise alone gives: the movie's standard deviation over
   * √(spikes used). Comparable between neurons with different spike counts.
   */
  readonly snr: number | null;
  /** The standard error noise alone gives each STA entry: the movie's SD over √(spikes used). */
  readonly noise: number | null;
}

export interface StaListResponse {
  /** The movie's mean: what an STA with no receptive field converges to. */
  readonly baseline: number;
  readonly fps: number;
  readonly stas: StaSummary[];
}

export interface StaResponse extends StaSummary {
  readonly baseline: number;
  readonly fps: number;
  /** The stored STA, (x_blocks, y_blocks, n_lags), lag 0 = the frame on screen at the spike. */
  readonly sta: EncodedArray;
  /** Stored: (x_blocks, y_blocks) at peak_lag; null without usable spikes. */
  readonly spatial_map: EncodedArray | null;
  /** Stored: (n_lags,) at (peak_x, peak_y); null without usable spikes. */
  readonly temporal_kernel: EncodedArray | null;
  /** Time before the spike of each lag, in ms (lag k → k · 1000 / fps). */
  readonly lag_ms: number[];
}

export interface PopulationItem extends StaSummary {
  readonly neuron_index: number;
  readonly spatial_map: EncodedArray | null;
}

export interface PopulationResponse {
  readonly baseline: number;
  readonly n_lags: number;
  /** Sorted by snr, strongest first; neurons without usable spikes last. */
  readonly neurons: PopulationItem[];
}

export interface TableState {
  readonly table: string;
  readonly tier: string;
  readonly rows: number;
}

export interface JobRowState {
  readonly key: Record<string, string | number>;
  readonly status: string;
  readonly error_message: string;
  readonly host: string;
  readonly pid: number;
  readonly time: string | null;
}

export interface AutoTableState {
  readonly table: string;
  readonly total: number;
  readonly remaining: number;
  /** Jobs by status (reserved, error, ignore, …); empty when the jobs table does not exist yet. */
  readonly jobs: Record<string, number>;
  /** Reserved and error jobs, newest first (at most 50). */
  readonly job_rows: JobRowState[];
}

export interface StateResponse {
  readonly database: string;
  readonly schema: string;
  readonly tables: TableState[];
  readonly populate: AutoTableState[];
}

/** Every error answer. */
export interface ErrorResponse {
  readonly statusCode: number;
  readonly error: string;
  readonly message: string;
}
