import { floorFraction, multiplyFractions, simplestFraction, subtractFractions } from './simplest-fraction.js';

/** How far, in frames, floating point may stray from the exact product: a few units of rounding. */
const SLACK = 8 * Number.EPSILON;

/**
 * The movie frame on screen at time `t` (s from the recording start), for a movie that starts at
 * `onset` (s) and runs at `fps` frames per second: `floor((t − onset) · fps)`, computed exactly.
 *
 * The rule: each of `t`, `onset` and `fps` stands for the simplest fraction that rounds to it (the
 * one with the smallest denominator: `0.00015` is 3/20000, `1/60` is 1/60, `20000/333` is 20000/333,
 * `59.9815` is 119963/2000), and the frame is the floor of the exact product. A spike exactly on a
 * frame boundary therefore belongs to the frame that starts there, whatever the units it was
 * recorded in and however the boundary is spelled: 150 µs at 20 kHz is frame 3, sample 500 of a
 * 30 kHz clock under a 60 Hz movie is frame 1, although `0.00015 * 20000` and `(500 / 30000) * 60`
 * are just below 3 and 1 in floating point. Away from a boundary (farther than a few units of
 * rounding) the floating-point product is used as it is; only near one is the exact comparison
 * made, with BigInt fractions, so the cost stays a multiplication per spike.
 *
 * @example
 * ```ts
 * frameAt(1.8144, 1.65657, 59.9815);  // 9: the seed's screenshot spike (the seed's ceil said 10)
 * frameAt(150 / 1e6, 0, 20000);       // 3, not 2
 * frameAt(500 / 30000, 0, 60);        // 1, not 0
 * frameAt(0.29999, 0, 10);            // 2: just before the boundary stays before it
 * ```
 */
export function frameAt(t: number, onset: number, fps: number): number {
  const x = (t - onset) * fps;
  if (!Number.isFinite(x) || !Number.isFinite(t) || !Number.isFinite(onset) || !Number.isFinite(fps)) return Math.floor(x);
  const nearest = Math.round(x);
  const tolerance = SLACK * ((Math.abs(t) + Math.abs(onset)) * Math.abs(fps) + Math.abs(x)) + Number.MIN_VALUE;
  if (Math.abs(x - nearest) > tolerance) return Math.floor(x);
  return floorFraction(multiplyFractions(subtractFractions(simplestFraction(t), simplestFraction(onset)), simplestFraction(fps)));
}
