import { LRUCache } from 'lru-cache';
import type { NdArray } from 'ndarray';
import { prepareMovie, type PreparedMovie } from '../computed/sta-kernel.js';
import { Stimulation } from '../tables/stimulation.js';
import type { StimulationItem, StimulationKey } from './api-types.js';
import { stimulationKey } from './keys.js';

/** What the viewer needs of a whole movie besides its frames: the STA baseline and noise level. */
export interface MovieStats {
  readonly mean: number;
  readonly sd: number;
  readonly min: number;
  readonly max: number;
}

/** 512 MB holds every movie of the real dataset (454 MB as float64). */
export const DEFAULT_CACHE_BYTES = 512 * 1024 * 1024;

function stimulationId(key: StimulationKey): string {
  return JSON.stringify([key.subject_name, key.sample_number, key.session_date, key.stimulation_index]);
}

function statsOf(movie: PreparedMovie): MovieStats {
  const { data, mean } = movie;
  let squares = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    squares += (v - mean) * (v - mean);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { mean, sd: data.length > 1 ? Math.sqrt(squares / data.length) : 0, min, max };
}

/**
 * Decoded movies, least recently used first out, bounded by their bytes. A stimulation's movie is
 * fetched and decoded once however many requests ask for it at the same time (lru-cache's fetch
 * shares one pending load); a movie larger than the whole bound is served but not kept. The
 * movies' means and standard deviations (a few numbers each) are kept after their movie leaves.
 *
 * @example
 * ```ts
 * const movies = new MovieCache(256 * 1024 * 1024);
 * const movie = await movies.movie({ subject_name: 'KO (chx10)', sample_number: 1, session_date: '2008-06-06', stimulation_index: 0 });
 * perSpikeView(movie, 1.8144, 4);
 * ```
 */
export class MovieCache {
  readonly maxBytes: number;
  /** Movies fetched and decoded from the database since start (a cache miss each). */
  decodes = 0;
  readonly #movies: LRUCache<string, PreparedMovie, StimulationKey>;
  readonly #stats = new Map<string, MovieStats>();
  readonly #collect: (() => void) | undefined;
  #collecting = false;
  /** Making room before a decode, which collects once itself. */
  #making = false;

  /**
   * @param collectGarbage called (once, soon) after movies leave the cache: a full collection then
   *   gives their memory back at once instead of whenever V8 next gets to it (the command line passes
   *   V8's `gc`).
   */
  constructor(maxBytes: number = DEFAULT_CACHE_BYTES, collectGarbage?: () => void) {
    this.maxBytes = maxBytes;
    this.#collect = collectGarbage;
    this.#movies = new LRUCache<string, PreparedMovie, StimulationKey>({
      maxSize: maxBytes,
      // A movie pushed out by a newer one (its shape was not known beforehand): collected soon after.
      dispose: () => {
        if (!this.#collect || this.#collecting || this.#making) return;
        this.#collecting = true;
        setImmediate(() => {
          this.#collecting = false;
          this.#collect?.();
        });
      },
      // What the movie keeps alive: its whole backing buffer, which may be larger than the frames.
      sizeCalculation: (movie) => Math.max(1, movie.data.buffer.byteLength),
      fetchMethod: async (id, _stale, { context }) => {
        const row = await Stimulation.restrict(context).fetch1('movie', 'fps', 'stimulus_onset');
        const movie = prepareMovie(row.movie as NdArray, row.fps, row.stimulus_onset);
        this.decodes++;
        this.#stats.set(id, statsOf(movie));
        return movie;
      },
    });
  }

  /**
   * The stimulation's movie, column-major float64, decoded once while it stays in the cache. Given
   * the movie's shape (a stimulation row), room is made before the decode, so that what the cache
   * holds and the movie being decoded stay within the bound together.
   */
  async movie(key: StimulationKey & Partial<Pick<StimulationItem, 'x_blocks' | 'y_blocks' | 'n_frames'>>): Promise<PreparedMovie> {
    const id = stimulationId(key);
    const expected = (key.x_blocks ?? 0) * (key.y_blocks ?? 0) * (key.n_frames ?? 0) * 8;
    if (expected > 0 && expected <= this.maxBytes && !this.#movies.has(id)) {
      let evicted = false;
      this.#making = true;
      try {
        while (this.#movies.size > 0 && this.#movies.calculatedSize + expected > this.maxBytes) evicted = this.#movies.pop() !== undefined || evicted;
      } finally {
        this.#making = false;
      }
      // Their memory goes back before the new movie's is taken, not some time after.
      if (evicted) this.#collect?.();
    }
    const movie = await this.#movies.fetch(id, { context: stimulationKey(key) });
    if (!movie) throw new Error(`internal: no movie for ${stimulationId(key)}`);
    return movie;
  }

  /** Mean, standard deviation and range of the movie (decodes it only the first time). */
  async stats(key: StimulationKey & Partial<Pick<StimulationItem, 'x_blocks' | 'y_blocks' | 'n_frames'>>): Promise<MovieStats> {
    const id = stimulationId(key);
    const known = this.#stats.get(id);
    if (known) return known;
    await this.movie(key);
    return this.#stats.get(id)!;
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.#movies.calculatedSize;
  }

  /** Movies held now. */
  get size(): number {
    return this.#movies.size;
  }

  clear(): void {
    this.#movies.clear();
  }
}
