import type { NdArray } from 'ndarray';

/**
 * The RGC data as every loader returns it: the structure of the seed's `ret1_data.pkl`, with
 * movies as column-major (x_blocks, y_blocks, n_frames) ndarrays and spike times in seconds from
 * the start of the recording.
 */
export interface RgcDataset {
  readonly sessions: readonly RgcSession[];
}

/** One recording session of a {@link RgcDataset}. */
export interface RgcSession {
  readonly subject_name: string;
  readonly sample_number: number;
  readonly session_date: string;
  readonly stimulations: readonly RgcStimulation[];
}

/** One stimulation of a {@link RgcSession}: the movie, its geometry and timing, and each neuron's spike times. */
export interface RgcStimulation {
  readonly fps: number;
  readonly movie: NdArray<Float64Array>;
  readonly n_frames: number;
  readonly pixel_size: number;
  readonly stim_height: number;
  readonly stim_width: number;
  readonly stimulus_onset: number;
  readonly x_block_size: number;
  readonly y_block_size: number;
  /** One array of spike times (s) per neuron. */
  readonly spikes: readonly Float64Array[];
}
