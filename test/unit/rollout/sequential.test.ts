import { describe, expect, test } from 'vitest';
import {
  armStats,
  fixedHorizonTest,
  mannWhitneyTest,
  mixtureRho,
  sequentialTest,
  Welford,
} from '../../../src/rollout/sequential.ts';
import { Rng } from '../../../src/util/rng.ts';

const ALPHA = 0.05;
const EXPERIMENTS = 1000;
const PER_ARM = 2000;
/** Looks start once both arms have this many samples (the policy's minSamplesPerArm floor). */
const FIRST_LOOK = 50;
/** 3 binomial standard deviations of a rate of α over 1,000 experiments: √(0.05·0.95/1000)·3 ≈ 0.021. */
const TOLERANCE = 3 * Math.sqrt((ALPHA * (1 - ALPHA)) / EXPERIMENTS);

interface SimResult {
  rejected: number;
  /** Total samples (both arms) when the test stopped, for the experiments that stopped. */
  stoppedAt: number[];
}

/**
 * Simulate `EXPERIMENTS` A/B tests on a 0/1 metric (conversion, error) with the given rates,
 * checking after every new pair of samples — the most often a reconcile loop could look.
 */
function simulate(
  seed: number,
  pChampion: number,
  pChallenger: number,
  check: (a: Welford, b: Welford) => boolean,
): SimResult {
  const rng = new Rng(seed);
  const out: SimResult = { rejected: 0, stoppedAt: [] };
  for (let e = 0; e < EXPERIMENTS; e++) {
    const a = new Welford();
    const b = new Welford();
    for (let i = 0; i < PER_ARM; i++) {
      a.push(rng.chance(pChampion) ? 1 : 0);
      b.push(rng.chance(pChallenger) ? 1 : 0);
      if (i + 1 >= FIRST_LOOK && check(a, b)) {
        out.rejected++;
        out.stoppedAt.push(a.n + b.n);
        break;
      }
    }
  }
  return out;
}

const msprt = (a: Welford, b: Welford): boolean =>
  sequentialTest(a.stats(), b.stats(), { alpha: ALPHA, higherIsBetter: true }).pValue <= ALPHA;
const peekingZ = (a: Welford, b: Welford): boolean =>
  fixedHorizonTest('two-proportion-z', a.stats(), b.stats(), { alpha: ALPHA, higherIsBetter: true }).pValue <=
  ALPHA;

describe('sequential test (mixture SPRT, always-valid p-values)', () => {
  test('GIVEN no effect WHEN 1,000 experiments are checked at every step THEN false positives stay ≤ α + tolerance', () => {
    const r = simulate(20260501, 0.2, 0.2, msprt);
    const fpr = r.rejected / EXPERIMENTS;
    console.log(
      `msprt, no effect: ${r.rejected}/${EXPERIMENTS} false positives (${(fpr * 100).toFixed(1)}%), α ${ALPHA}, tolerance ${TOLERANCE.toFixed(3)}; ${PER_ARM} per arm, a look after every pair from ${FIRST_LOOK}`,
    );
    expect(fpr).toBeLessThanOrEqual(ALPHA + TOLERANCE);
  });

  test('GIVEN no effect WHEN a fixed-horizon z-test is peeked at every step THEN false positives are inflated (why the sequential test exists)', () => {
    const r = simulate(20260501, 0.2, 0.2, peekingZ);
    const fpr = r.rejected / EXPERIMENTS;
    console.log(
      `two-proportion z peeked at every step, no effect: ${(fpr * 100).toFixed(1)}% false positives`,
    );
    // The same simulation that keeps the mSPRT under α shows the naive test far above it.
    expect(fpr).toBeGreaterThan(ALPHA + TOLERANCE);
  });

  test('GIVEN a real effect (20% → 25% conversion) THEN the power and the samples needed are reported', () => {
    const r = simulate(7, 0.2, 0.25, msprt);
    const power = r.rejected / EXPERIMENTS;
    const sorted = [...r.stoppedAt].sort((x, y) => x - y);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    console.log(
      `msprt, 20% vs 25%: power ${(power * 100).toFixed(1)}% within ${PER_ARM} per arm; median stop at ${median} samples (both arms)`,
    );
    // Fixed-horizon power at 2,000 per arm for this effect is ≈ 0.9; the always-valid test pays
    // some of it for being checkable at every step.
    expect(power).toBeGreaterThan(0.6);
    // Every decision in the right direction.
    const rng = new Rng(3);
    const a = armStats(Array.from({ length: 3000 }, () => (rng.chance(0.2) ? 1 : 0)));
    const b = armStats(Array.from({ length: 3000 }, () => (rng.chance(0.25) ? 1 : 0)));
    expect(sequentialTest(a, b, { alpha: ALPHA, higherIsBetter: true }).decision).toBe('challenger-better');
    expect(sequentialTest(a, b, { alpha: ALPHA, higherIsBetter: false }).decision).toBe('champion-better');
  });

  test('the interval and the p-value agree: p ≤ α exactly when the interval excludes 0', () => {
    const rng = new Rng(11);
    for (let k = 0; k < 200; k++) {
      const n = 20 + rng.int(0, 3000);
      const a = { n, mean: rng.normal(0, 1), variance: 0.5 + rng.next() * 4 };
      const b = { n: n + rng.int(0, 100), mean: a.mean + rng.normal(0, 0.2), variance: 0.5 + rng.next() * 4 };
      const r = sequentialTest(a, b, { alpha: 0.05, higherIsBetter: true });
      const excludes = r.interval[0] > 0 || r.interval[1] < 0;
      expect(excludes).toBe(r.pValue <= 0.05);
    }
  });

  test('GrowthBook form: ρ for α = 0.05 and N* = 5000', () => {
    // √((−2 ln 0.05 + ln(1 − 2 ln 0.05)) / 5000)
    expect(mixtureRho(0.05, 5000)).toBeCloseTo(Math.sqrt((5.991464547 + Math.log(6.991464547)) / 5000), 9);
  });

  test('nothing to conclude without variance or with fewer than 2 samples', () => {
    const r = sequentialTest(
      { n: 10, mean: 0, variance: 0 },
      { n: 10, mean: 0, variance: 0 },
      {
        alpha: 0.05,
        higherIsBetter: true,
      },
    );
    expect(r.pValue).toBe(1);
    expect(r.decision).toBe('continue');
  });

  test('Mann-Whitney finds a shift and not its absence', () => {
    const rng = new Rng(5);
    const a = Array.from({ length: 400 }, () => rng.normal(0, 1));
    const b = Array.from({ length: 400 }, () => rng.normal(0.5, 1));
    expect(mannWhitneyTest(a, b, { alpha: 0.05, higherIsBetter: true }).decision).toBe('challenger-better');
    const c = Array.from({ length: 400 }, () => rng.normal(0, 1));
    expect(mannWhitneyTest(a, c, { alpha: 0.001, higherIsBetter: true }).decision).toBe('continue');
  });
});
