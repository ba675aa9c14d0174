/** A small seeded generator (mulberry32): the same seed gives the same dataset everywhere. */
export class SeededRandom {
  private state: number;
  private spare: number | undefined;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const u = Math.max(this.next(), 1e-12);
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** ±1 white noise, 32 values per draw. */
  fillSigns(out: Float64Array): void {
    for (let i = 0; i < out.length; i += 32) {
      let bits = (this.next() * 4294967296) >>> 0;
      for (let b = 0; b < 32 && i + b < out.length; b++, bits >>>= 1) out[i + b] = bits & 1 ? 1 : -1;
    }
  }
}
