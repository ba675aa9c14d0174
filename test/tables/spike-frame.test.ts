import { describe, expect, it } from 'vitest';
import { frameAt } from '../../src/index.js';
import { simplestFraction } from '../../src/tables/simplest-fraction.js';
import { secondsFrom, type TimeUnit } from '../../src/tables/sources/time-units.js';

/** Frame rates as exact fractions [p, q] (fps = p / q), and as the double a file would hold. */
const RATES: Array<[string, bigint, bigint]> = [
  ['59.9815', 119963n, 2000n], ['60', 60n, 1n], ['30', 30n, 1n], ['20000/333', 20000n, 333n],
  ['30000/1001', 30000n, 1001n], ['20000 (one frame per sample)', 20000n, 1n],
];

/** Clocks spike times are written in: ticks per second and the unit the loader is told. */
const CLOCKS: Array<[string, bigint, TimeUnit, number | undefined]> = [
  ['µs', 1_000_000n, 'us', undefined], ['ms', 1000n, 'ms', undefined],
  ['samples at 20 kHz', 20_000n, 'samples', 20_000], ['samples at 30 kHz', 30_000n, 'samples', 30_000],
  ['seconds with 6 decimals', 1_000_000n, 's', undefined],
];

const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));

/** The text a file holds for `ticks` of a clock in the given unit. */
function written(ticks: bigint, unit: TimeUnit): string {
  if (unit !== 's') return ticks.toString();
  const sign = ticks < 0n ? '-' : '';
  const abs = (ticks < 0n ? -ticks : ticks).toString().padStart(7, '0');
  return `${sign}${abs.slice(0, -6)}.${abs.slice(-6)}`;
}

describe('frameAt: floor((t − onset) · fps), exact at frame boundaries', () => {
  it("numbers the seed's screenshot spike as frame 9", () => {
    expect(frameAt(1.8144, 1.65657, 59.9815)).toBe(9);
  });

  it('puts 150 µs at 20 kHz in frame 3, where us * 1e-6 and floor(t * fps) said 2', () => {
    expect(Math.floor(150 * 1e-6 * 20000)).toBe(2); // the old arithmetic, for the record
    expect(frameAt(secondsFrom('150', 'us'), 0, 20000)).toBe(3);
    expect(frameAt(150 * 1e-6, 0, 20000)).toBe(3);
    expect(frameAt(0.00015, 0, 20000)).toBe(3);
  });

  for (const [rateName, p, q] of RATES) {
    const fps = Number(p) / Number(q);
    for (const [clockName, ticksPerSecond, unit, sampleRate] of CLOCKS) {
      // Boundary k sits at k·q/p s = k·q·R/p ticks: a whole number of ticks when k is a multiple of `step`.
      const step = p / gcd(q * ticksPerSecond, p);
      if (step > 200_000n) continue; // this clock never ticks on this rate's boundaries within a recording
      const tickSeconds = 1 / Number(ticksPerSecond);
      const frameSeconds = Number(q) / Number(p);
      it(`fps ${rateName}, spike times in ${clockName}: on, just before and just after boundaries`, () => {
        let checked = 0;
        for (const onsetTicks of [0n, 12_345n * step * q * ticksPerSecond / p, 1_656_570n * ticksPerSecond / 1_000_000n]) {
          const onset = secondsFrom(written(onsetTicks, unit), unit, sampleRate);
          for (const multiple of [1n, 2n, 3n, 7n, 10n, 333n, 1000n, 4321n]) {
            const k = multiple * step;
            const ticks = onsetTicks + (k * q * ticksPerSecond) / p;
            if ((k * q * ticksPerSecond) % p !== 0n) continue;
            // The onset must itself sit on the clock for the boundary to be a whole number of ticks.
            const at = (n: bigint): number => frameAt(secondsFrom(written(n, unit), unit, sampleRate), onset, fps);
            expect(at(ticks), `tick ${ticks}, onset ${onsetTicks}`).toBe(Number(k));
            if (tickSeconds < frameSeconds) expect(at(ticks - 1n), `tick ${ticks} − 1`).toBe(Number(k) - 1);
            expect(at(ticks + 1n), `tick ${ticks} + 1`).toBe(tickSeconds < frameSeconds ? Number(k) : Number(k) + Math.floor(tickSeconds / frameSeconds));
            checked++;
          }
        }
        expect(checked).toBeGreaterThan(10);
      });
    }
  }

  it('finds the boundary when the time is the double k / fps, for every frame of a long movie', () => {
    for (const fps of [59.9815, 60, 30, 20000 / 333, 30000 / 1001, 75]) {
      for (let k = 0; k < 20_000; k++) {
        const t = k / fps;
        expect(frameAt(t, 0, fps)).toBe(k);
      }
    }
  });

  it('keeps spikes a hair before a boundary before it: the previous double, and 1 ns before', () => {
    const below = (x: number): number => {
      const v = new DataView(new ArrayBuffer(8));
      v.setFloat64(0, x);
      v.setBigUint64(0, v.getBigUint64(0) - 1n);
      return v.getFloat64(0);
    };
    expect(frameAt(below(0.3), 0, 10)).toBe(2);
    expect(frameAt(0.3, 0, 10)).toBe(3);
    expect(frameAt(0.3 - 1e-9, 0, 10)).toBe(2);
    expect(frameAt(below(1 / 60), 0, 60)).toBe(0);
    expect(frameAt(1 / 60, 0, 60)).toBe(1);
    expect(frameAt(2.5 + 1e-12, 2.5, 59.9815)).toBe(0);
    expect(frameAt(below(2.5), 2.5, 59.9815)).toBe(-1);
  });

  it('counts spikes before the onset in negative frames, exactly at the onset in frame 0', () => {
    expect(frameAt(1.65657, 1.65657, 59.9815)).toBe(0);
    expect(frameAt(1.6, 1.65657, 59.9815)).toBe(-4);
    expect(frameAt(0, 0.5, 60)).toBe(-30);
    expect(frameAt(0.5 - 1 / 60, 0.5, 60)).toBe(-1);
  });

  it('agrees with Math.floor away from boundaries, on 200,000 random spikes', () => {
    let seed = 11;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let differ = 0;
    for (let i = 0; i < 200_000; i++) {
      const fps = 30 + random() * 60;
      const onset = random() * 5;
      const t = random() * 100;
      const x = (t - onset) * fps;
      if (Math.abs(x - Math.round(x)) < 1e-6) continue;
      if (frameAt(t, onset, fps) !== Math.floor(x)) differ++;
    }
    expect(differ).toBe(0);
  });
});

describe('simplestFraction', () => {
  it('reads doubles as the fractions they were written as', () => {
    const text = (v: number): string => {
      const f = simplestFraction(v);
      return `${f.num}/${f.den}`;
    };
    expect(text(0.00015)).toBe('3/20000');
    expect(text(1 / 60)).toBe('1/60');
    expect(text(20000 / 333)).toBe('20000/333');
    expect(text(59.9815)).toBe('119963/2000');
    expect(text(1.65657)).toBe('165657/100000');
    expect(text(-0.3)).toBe('-3/10');
    expect(text(0)).toBe('0/1');
    expect(text(2 ** 60)).toBe(`${2n ** 60n}/1`);
    expect(() => simplestFraction(Number.NaN)).toThrow(RangeError);
  });

  it('stays inside the rounding interval of the double: the fraction rounds back to it', () => {
    let seed = 5;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      const v = (random() - 0.5) * 10 ** Math.floor(random() * 12 - 4);
      const f = simplestFraction(v);
      // Division of two exactly representable integers rounds correctly; larger ones go through text.
      const back = Number(f.num) / Number(f.den);
      if (Math.abs(Number(f.num)) < 2 ** 53 && Number(f.den) < 2 ** 53) expect(back).toBe(v);
    }
    expect(Number(simplestFraction(Number.MAX_VALUE).num)).toBe(Number.MAX_VALUE);
    expect(simplestFraction(Number.MIN_VALUE).num).toBe(1n);
  });
});

describe('secondsFrom: unit conversions without a floating-point step', () => {
  it('moves the decimal point for ms and µs, and divides sample counts by their rate', () => {
    expect(secondsFrom('150', 'us')).toBe(0.00015);
    expect(5 * 1e-6).not.toBe(0.000005); // why multiplying by 1e-6 was wrong (29% of counts below 10^5)
    expect(secondsFrom('5', 'us')).toBe(0.000005);
    expect(secondsFrom('0.15', 'ms')).toBe(0.00015);
    expect(secondsFrom('1.5e2', 'us')).toBe(0.00015);
    expect(secondsFrom('-3', 'ms')).toBe(-0.003);
    expect(secondsFrom('1.8144', 's')).toBe(1.8144);
    expect(secondsFrom('500', 'samples', 30000)).toBe(1 / 60);
    expect(secondsFrom('3', 'samples', 20000)).toBe(0.00015);
    expect(secondsFrom('x', 'us')).toBeNaN();
    expect(secondsFrom('3', 'samples')).toBeNaN();
  });
});
