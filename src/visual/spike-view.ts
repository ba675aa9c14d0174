import { RequestError } from '../errors.js';
import { perSpikeView } from '../computed/sta-kernel.js';
import type { AverageResponse, FrameResponse, SpikeInfo, SpikeKey, StimulationItem } from './api-types.js';
import type { RowDirectory } from './directory.js';
import { encodeArray } from './encode-array.js';
import { describeKey, seconds } from './format.js';
import { spikeKey } from './keys.js';
import type { MovieCache } from './movie-cache.js';

/**
 * Where a spike fell in its stimulation's movie, and in words when it fell outside.
 *
 * @example
 * ```ts
 * placeSpike(key, 0.8, 0.8 - 1.65657, 0, stimulation).message;
 * // 'This spike, at 0.8 s, came 0.85657 s before the stimulus onset (1.65657 s): no frame was on screen yet.'
 * ```
 */
export function placeSpike(key: SpikeKey, spikeTime: number, spikeMovieTime: number, frame: number, stimulation: StimulationItem): SpikeInfo {
  const base = { ...spikeKey(key), spike_time: spikeTime, spike_movie_time: spikeMovieTime, frame_index: frame };
  if (frame < 0) {
    return {
      ...base, place: 'before-onset',
      message: `This spike, at ${seconds(spikeTime)}, came ${seconds(stimulation.stimulus_onset - spikeTime)} before the stimulus onset (${seconds(stimulation.stimulus_onset)}): no frame was on screen yet.`,
    };
  }
  if (frame >= stimulation.n_frames) {
    return {
      ...base, place: 'after-movie',
      message: `This spike, at ${seconds(spikeTime)} (${seconds(spikeMovieTime)} after the onset), came after the movie ended at ${seconds(stimulation.movie_end)}: its ${stimulation.n_frames} frames (0–${stimulation.n_frames - 1}) were over, so no frame was on screen.`,
    };
  }
  return { ...base, place: 'shown', message: null };
}

/**
 * The frame on screen at a spike and the average of the `delay` frames up to it (the original
 * viewer's view), from the cached movie through `perSpikeView`.
 *
 * @example
 * ```ts
 * const view = new SpikeView(new RowDirectory(), new MovieCache());
 * (await view.average({ ...neuronKey, spike_index: 12 }, 5)).first_frame; // frame − 4
 * ```
 */
export class SpikeView {
  constructor(private readonly rows: RowDirectory, private readonly movies: MovieCache) {}

  async #spike(key: SpikeKey): Promise<{ info: SpikeInfo; stimulation: StimulationItem }> {
    const stimulation = await this.rows.stimulation(key);
    const spikes = await this.rows.spikes(key);
    const at = spikes.position.get(key.spike_index);
    if (at === undefined) throw new RequestError(404, `No ${describeKey(spikeKey(key))}.`);
    return { info: placeSpike(key, spikes.spike_time[at]!, spikes.spike_movie_time[at]!, spikes.frame[at]!, stimulation), stimulation };
  }

  async frame(key: SpikeKey): Promise<FrameResponse> {
    const { info, stimulation } = await this.#spike(key);
    if (info.place !== 'shown') return { spike: info, frame: null, frame_start: null, frame_end: null };
    const view = perSpikeView(await this.movies.movie(stimulation), info.spike_time, 0);
    const f = info.frame_index;
    return {
      spike: info, frame: encodeArray(view.frame!, [stimulation.x_blocks, stimulation.y_blocks]),
      frame_start: stimulation.stimulus_onset + f / stimulation.fps, frame_end: stimulation.stimulus_onset + (f + 1) / stimulation.fps,
    };
  }

  /** `delay` frames averaged: the spike's own and the delay − 1 before it; 1 … frame + 1. */
  async average(key: SpikeKey, delay: number): Promise<AverageResponse> {
    const { info, stimulation } = await this.#spike(key);
    if (info.place !== 'shown') return { spike: info, delay, first_frame: null, last_frame: null, average: null };
    const f = info.frame_index;
    if (delay > f + 1) {
      throw new RequestError(400, `delay ${delay} asks for more frames than were shown up to this spike: it fell in frame ${f}, so frames 0–${f} (${f + 1} frame${f === 0 ? '' : 's'}) are all there is. Choose a delay from 1 to ${f + 1}.`);
    }
    const view = perSpikeView(await this.movies.movie(stimulation), info.spike_time, delay - 1);
    return {
      spike: info, delay, first_frame: f - delay + 1, last_frame: f,
      average: encodeArray(view.average!, [stimulation.x_blocks, stimulation.y_blocks]),
    };
  }
}
