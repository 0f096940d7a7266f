// A/B decisions that stay valid when checked at every reconcile: the asymptotic confidence
// sequence of Waudby-Smith, Arnold, Wu, Schnabl, Ramdas & Larsen (2023, arXiv 2103.06476) in the
// form GrowthBook ships (packages/tsgbstats/src/frequentist/tests.ts) — a normal-mixture
// sequential probability ratio test (Johari et al.'s mSPRT has the same shape). Pure.
//
// With n the total samples of both arms, θ̂ the difference of means (challenger − champion), SE
// its standard error, α the error rate and N* the tuning (the total sample size the mixture is
// tuned for):
//   ρ          = √((−2 ln α + ln(1 − 2 ln α)) / N*)
//   half-width = √(SE²·n) · √( 2(nρ² + 1) · ln(√(nρ² + 1) / α) / (nρ)² )
//   E          = (nρ² + 1)^(−½) · exp( ρ²·n·θ̂² / (2·SE²·(nρ² + 1)) );   p = min(1, 1/E)
// θ̂ ± half-width covers the true difference at every n at once with probability ≥ 1 − α, so
// stopping the first time p ≤ α (the interval excludes 0) keeps the false-positive rate ≤ α
// however often one looks. The price is width: early on the interval is wider than a
// fixed-horizon one. N* moves where the interval is tightest; the default 5,000 is GrowthBook's.
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';

/** Summary of one arm: count, mean and unbiased sample variance of the per-sample metric. */
export interface ArmStats {
  n: number;
  mean: number;
  variance: number;
}

export interface SequentialOptions {
  /** Error rate: P(ever declaring a difference when there is none) ≤ alpha. */
  alpha: number;
  /** N*: the total sample size (both arms) the mixture is tuned for. Default 5000. */
  tuning?: number;
}

export type AbDecision = 'challenger-better' | 'champion-better' | 'continue';

export interface SequentialResult {
  method: 'msprt' | 'two-proportion-z' | 'welch-t' | 'mann-whitney';
  /** Total samples, both arms. */
  n: number;
  /** Challenger mean − champion mean. */
  effect: number;
  /** Standard error of the effect. */
  se: number;
  /** The (1 − α) interval for the effect: a confidence sequence for msprt. */
  interval: [number, number];
  pValue: number;
  /** Which arm is better when p ≤ α; `higherIsBetter` says which direction is better. */
  decision: AbDecision;
}

export const DEFAULT_TUNING = 5000;

/** ρ of the normal mixture for α and N*. */
export function mixtureRho(alpha: number, tuning = DEFAULT_TUNING): number {
  const l = Math.log(alpha);
  return Math.sqrt((-2 * l + Math.log(1 - 2 * l)) / tuning);
}

/** Running mean/variance (Welford) for building ArmStats one sample at a time. */
export class Welford {
  n = 0;
  mean = 0;
  private m2 = 0;
  push(x: number): void {
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
  }
  stats(): ArmStats {
    return { n: this.n, mean: this.mean, variance: this.n > 1 ? this.m2 / (this.n - 1) : 0 };
  }
}

export function armStats(xs: ArrayLike<number>): ArmStats {
  const w = new Welford();
  for (let i = 0; i < xs.length; i++) w.push(xs[i]!);
  return w.stats();
}

function decide(effect: number, p: number, alpha: number, higherIsBetter: boolean): AbDecision {
  if (!(p <= alpha) || effect === 0) return 'continue';
  return effect > 0 === higherIsBetter ? 'challenger-better' : 'champion-better';
}

/**
 * The always-valid test. An arm with fewer than 2 samples, or no variance in either arm, gives
 * p = 1 (nothing can be concluded yet).
 */
export function sequentialTest(
  champion: ArmStats,
  challenger: ArmStats,
  opts: SequentialOptions & { higherIsBetter: boolean },
): SequentialResult {
  const n = champion.n + challenger.n;
  const effect = challenger.mean - champion.mean;
  const se2 =
    champion.n > 1 && challenger.n > 1
      ? champion.variance / champion.n + challenger.variance / challenger.n
      : Number.NaN;
  const se = Math.sqrt(se2);
  if (!(se2 > 0) || !Number.isFinite(se2))
    return {
      method: 'msprt',
      n,
      effect,
      se: Number.isFinite(se) ? se : 0,
      interval: [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
      pValue: 1,
      decision: 'continue',
    };
  const rho = mixtureRho(opts.alpha, opts.tuning ?? DEFAULT_TUNING);
  const a = n * rho * rho + 1;
  const half = Math.sqrt(se2 * n) * Math.sqrt((2 * a * Math.log(Math.sqrt(a) / opts.alpha)) / (n * rho) ** 2);
  // log E, so a large effect does not overflow exp().
  const logE = -0.5 * Math.log(a) + (rho * rho * n * effect * effect) / (2 * se2 * a);
  const pValue = Math.min(1, Math.exp(-logE));
  return {
    method: 'msprt',
    n,
    effect,
    se,
    interval: [effect - half, effect + half],
    pValue,
    decision: decide(effect, pValue, opts.alpha, opts.higherIsBetter),
  };
}

const zQuantile = (p: number): number => {
  // Acklam's rational approximation (|error| < 1.2e-9) for the fixed-horizon intervals.
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - lo) return -zQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
};

/**
 * Fixed-horizon tests (two-proportion z, Welch's t with the normal approximation): valid for ONE
 * look at a sample size fixed in advance. The planner uses them only once both arms reach
 * `minSamplesPerArm`; checked at every reconcile they would inflate false positives (the
 * simulation test shows by how much).
 */
export function fixedHorizonTest(
  method: 'two-proportion-z' | 'welch-t',
  champion: ArmStats,
  challenger: ArmStats,
  opts: { alpha: number; higherIsBetter: boolean },
): SequentialResult {
  const n = champion.n + challenger.n;
  const effect = challenger.mean - champion.mean;
  let se2: number;
  if (method === 'two-proportion-z') {
    // Pooled proportion under H0 for the test; unpooled for the interval.
    const pool = (champion.mean * champion.n + challenger.mean * challenger.n) / n;
    se2 = pool * (1 - pool) * (1 / champion.n + 1 / challenger.n);
  } else se2 = champion.variance / champion.n + challenger.variance / challenger.n;
  const se = Math.sqrt(se2);
  if (!(se2 > 0) || !Number.isFinite(se2) || champion.n < 2 || challenger.n < 2)
    return { method, n, effect, se: 0, interval: [-Infinity, Infinity], pValue: 1, decision: 'continue' };
  const z = effect / se;
  const pValue = Math.min(1, 2 * (1 - normalCdf(Math.abs(z), 0, 1)));
  const seCi =
    method === 'two-proportion-z'
      ? Math.sqrt(
          (champion.mean * (1 - champion.mean)) / champion.n +
            (challenger.mean * (1 - challenger.mean)) / challenger.n,
        )
      : se;
  const zq = zQuantile(1 - opts.alpha / 2);
  return {
    method,
    n,
    effect,
    se,
    interval: [effect - zq * seCi, effect + zq * seCi],
    pValue,
    decision: decide(effect, pValue, opts.alpha, opts.higherIsBetter),
  };
}

/**
 * Mann-Whitney U (normal approximation with tie correction), fixed-horizon like the above. The
 * effect reported is the difference of means; the p-value is the rank test's.
 */
export function mannWhitneyTest(
  champion: ArrayLike<number>,
  challenger: ArrayLike<number>,
  opts: { alpha: number; higherIsBetter: boolean },
): SequentialResult {
  const n1 = champion.length;
  const n2 = challenger.length;
  const all: { v: number; g: 0 | 1 }[] = [];
  for (let i = 0; i < n1; i++) all.push({ v: champion[i]!, g: 0 });
  for (let i = 0; i < n2; i++) all.push({ v: challenger[i]!, g: 1 });
  all.sort((a, b) => a.v - b.v);
  let r2 = 0;
  let ties = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    const rank = (i + j) / 2 + 1;
    const t = j - i + 1;
    ties += t ** 3 - t;
    for (let k = i; k <= j; k++) if (all[k]!.g === 1) r2 += rank;
    i = j + 1;
  }
  const a = armStats(champion);
  const b = armStats(challenger);
  const effect = b.mean - a.mean;
  const n = n1 + n2;
  const u2 = r2 - (n2 * (n2 + 1)) / 2;
  const mu = (n1 * n2) / 2;
  const sigma2 = ((n1 * n2) / 12) * (n + 1 - ties / (n * (n - 1)));
  if (n1 < 2 || n2 < 2 || !(sigma2 > 0))
    return {
      method: 'mann-whitney',
      n,
      effect,
      se: 0,
      interval: [-Infinity, Infinity],
      pValue: 1,
      decision: 'continue',
    };
  const z = (u2 - mu) / Math.sqrt(sigma2);
  const pValue = Math.min(1, 2 * (1 - normalCdf(Math.abs(z), 0, 1)));
  const se = Math.sqrt(a.variance / n1 + b.variance / n2);
  const zq = zQuantile(1 - opts.alpha / 2);
  return {
    method: 'mann-whitney',
    n,
    effect,
    se,
    interval: [effect - zq * se, effect + zq * se],
    pValue,
    // Direction from the rank statistic: U above its mean means the challenger ranks higher.
    decision: decide(z, pValue, opts.alpha, opts.higherIsBetter),
  };
}
