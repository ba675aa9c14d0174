import type { KernelHeap } from './sta-memory.js';

/** What the kernel reads of a prepared movie: frame-major float64, frame g at data[g * frameSize]. */
export interface MovieFrames {
  readonly data: Float64Array;
  /** When every value is +1 or −1: the values a byte each, copied instead of `data`. */
  readonly units?: Int8Array;
  readonly frameSize: number;
  readonly nFrames: number;
}

/** A movie's copy in the kernel memory. */
export interface Resident {
  readonly movie: WeakRef<MovieFrames>;
  /** Byte offset of frame 0. */
  readonly at: number;
  readonly bytes: number;
  /** 'i8' when every value is an integer in −128 … 127 (a ±1 white-noise movie is): one byte each. */
  readonly kind: 'f64' | 'i8';
  /** The largest |value| of an 'i8' movie. */
  readonly maxAbs: number;
}

/**
 * The prepared movies copied into the kernel's shared memory, least recently used first, within a
 * byte budget. A movie is copied once and then serves every neuron and every thread; one that is
 * garbage-collected gives its memory back at the next placement, one released at once. A movie of
 * small integers is kept as int8: an eighth of the memory, and of the reading, per STA.
 *
 * @example
 * ```ts
 * const movies = new ResidentMovies(heap, 512 * 2 ** 20);
 * const { at, kind } = movies.place(prepared);   // frame 0's byte offset; 'i8' for a ±1 movie
 * movies.release(prepared);
 * ```
 */
export class ResidentMovies {
  /** A movie's copies: int8 when its values allow, float64 when asked for (or when they do not). */
  private readonly byMovie = new WeakMap<MovieFrames, { i8?: Resident; f64?: Resident }>();
  private readonly order: Resident[] = [];

  constructor(private readonly heap: KernelHeap, public budget: number) {}

  /** Bytes of movies held. */
  get bytes(): number {
    return this.order.reduce((n, r) => n + r.bytes, 0);
  }

  /**
   * Where the movie's frames are in the kernel memory, copying them there if they are not: as
   * int8 when every value is a small integer, else (or with `kind: 'f64'`) as float64.
   */
  place(movie: MovieFrames, kind: 'smallest' | 'f64' = 'smallest'): Resident {
    const copies = this.byMovie.get(movie) ?? {};
    const hit = kind === 'f64' ? copies.f64 : copies.i8 ?? copies.f64;
    if (hit) {
      this.order.splice(this.order.indexOf(hit), 1);
      this.order.push(hit);
      return hit;
    }
    for (const r of [...this.order]) if (r.movie.deref() === undefined) this.drop(r);
    const resident = (kind === 'smallest' ? this.copyI8(movie) : undefined) ?? this.copyF64(movie);
    copies[resident.kind] = resident;
    this.byMovie.set(movie, copies);
    this.order.push(resident);
    return resident;
  }

  /** Gives back the memory of a movie no longer needed (it is copied again if used later). */
  release(movie: MovieFrames): void {
    const copies = this.byMovie.get(movie);
    if (copies?.i8) this.drop(copies.i8);
    if (copies?.f64) this.drop(copies.f64);
  }

  private copyI8(movie: MovieFrames): Resident | undefined {
    if (movie.units) return this.copyUnits(movie, movie.units);
    const { data } = movie;
    this.makeRoom(data.length);
    const at = this.heap.alloc(data.length);
    const bytes = this.heap.i8(at, data.length);
    let low = 0;
    let high = 0;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      const n = v | 0; // −0 becomes 0, which sums the same
      if (n !== v || n < -128 || n > 127) {
        this.heap.free(at);
        return undefined;
      }
      bytes[i] = n;
      if (n < low) low = n;
      else if (n > high) high = n;
    }
    return { movie: new WeakRef(movie), at, bytes: data.length, kind: 'i8', maxAbs: Math.max(high, -low) };
  }

  private copyUnits(movie: MovieFrames, units: Int8Array): Resident {
    this.makeRoom(units.length);
    const at = this.heap.alloc(units.length);
    this.heap.i8(at, units.length).set(units);
    return { movie: new WeakRef(movie), at, bytes: units.length, kind: 'i8', maxAbs: 1 };
  }

  private copyF64(movie: MovieFrames): Resident {
    const { data } = movie;
    this.makeRoom(data.byteLength);
    const at = this.heap.alloc(data.byteLength);
    this.heap.f64(at, data.length).set(data);
    return { movie: new WeakRef(movie), at, bytes: data.byteLength, kind: 'f64', maxAbs: Number.POSITIVE_INFINITY };
  }

  private makeRoom(bytes: number): void {
    while (this.order.length > 0 && this.bytes + bytes > this.budget) this.drop(this.order[0]!);
  }

  private drop(r: Resident): void {
    const i = this.order.indexOf(r);
    if (i >= 0) this.order.splice(i, 1);
    const copies = r.movie.deref() === undefined ? undefined : this.byMovie.get(r.movie.deref()!);
    if (copies?.[r.kind] === r) delete copies[r.kind];
    this.heap.free(r.at);
  }
}
