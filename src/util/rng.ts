import { xoroshiro128plus } from 'pure-rand';

/** A seeded generator for sample data and tests: same seed, same sequence, on every machine. */
export class Rng {
  private readonly g;
  constructor(seed: number) {
    this.g = xoroshiro128plus(seed >>> 0);
  }
  /** Uniform in [0, 1). */
  next(): number {
    // Two 32-bit draws give 53 bits, like Math.random.
    const hi = (this.g.unsafeNext() >>> 0) >>> 5;
    const lo = (this.g.unsafeNext() >>> 0) >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }
  int(min: number, maxInclusive: number): number {
    return min + Math.floor(this.next() * (maxInclusive - min + 1));
  }
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}
