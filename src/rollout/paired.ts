// Canary decisions on PAIRED evidence: the challenger and the champion scored on the same labelled
// rows (the champion shadow-scores the challenger's requests), judged with a bound that stays
// valid however often a reconcile pass looks. Pure. docs/decisions.md has the derivation.
//
// - AUC: DeLong, DeLong & Clarke-Pearson (1988), "Comparing the areas under two or more correlated
//   receiver operating characteristic curves: a nonparametric approach", Biometrics 44(3). The
//   structural components (placement values) of each row are read off the other class's sorted
//   scores, O(n log n) as in Sun & Xu (2014), "Fast implementation of DeLong's algorithm for
//   comparing the areas under correlated receiver operating characteristic curves", IEEE Signal
//   Processing Letters 21(11). Ties count ½ (Mann–Whitney's kernel), as DeLong does.
// - Losses (log loss, Brier, absolute error): the mean of the per-row paired difference.
// - Repeated looks: the asymptotic confidence sequence (AsympCS) of Waudby-Smith, Arbour, Sinha,
//   Kennedy & Ramdas (2023/2024, "Time-uniform central limit theory and asymptotic confidence
//   sequences", arXiv 2103.06476, Theorem 2.2), the normal-mixture boundary of Robbins (1970) /
//   Howard, Ramdas, McAuliffe & Sekhon (2021, Ann. Statist. 49(2)) with the variance estimated:
//     θ̂_t ± √( 2(tσ̂²ρ² + 1)/(t²ρ²) · ln(√(tσ̂²ρ² + 1)/α) )
//        = θ̂_t ± √( (tσ̂²ρ² + 1)/(t²ρ²) · ln((tσ̂²ρ² + 1)/α²) )
//   with σ̂² the per-row variance. ρ is chosen in standardised units, ρ = ρ*/σ̂ with
//   ρ*² = (−2 ln α + ln(1 − 2 ln α))/t*, which makes the width (nearly) smallest at t = t* (the
//   paper's choice of ρ; GrowthBook's, and sequential.ts's). ASYMPTOTIC: the coverage
//   P(∀t: θ ∈ CS_t) ≥ 1 − α holds in the limit (the paper's definition of an AsympCS), not at
//   every finite n; the bench measures it at canary sizes. For AUC, σ̂² = t · Var_DeLong, i.e.
//   DeLong's variance of the AUC contrast is the per-look variance estimate.
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import { mixtureRho } from './sequential.ts';

export interface DeLongResult {
  n: number;
  positives: number;
  negatives: number;
  /** AUC of the first score vector (the challenger, by convention). */
  auc1: number;
  auc2: number;
  /** auc1 − auc2. */
  difference: number;
  /** DeLong's covariance of (auc1, auc2): [Var auc1, Cov, Var auc2]. NaN below 2 rows per class. */
  covariance: [number, number, number];
  /** Var(auc1 − auc2). */
  variance: number;
  z: number;
  /** Two-sided, normal approximation. */
  pValue: number;
}

function lowerBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index past `x`, galloping from `from` (a lower bound of x): ties cost O(log ties). */
function upperBoundFrom(sorted: Float64Array, x: number, from: number): number {
  let step = 1;
  let lo = from;
  let hi = from;
  while (hi < sorted.length && sorted[hi]! <= x) {
    lo = hi + 1;
    hi += step;
    step *= 2;
  }
  hi = Math.min(hi, sorted.length);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** #values < x plus #values = x, i.e. lower bound + upper bound of x in a sorted array. */
function belowTwice(sorted: Float64Array, x: number): number {
  const lo = lowerBound(sorted, x);
  return lo + upperBoundFrom(sorted, x, lo);
}

/**
 * Placement values of one score vector, in row order within each class. For a positive x:
 * (#negatives < x + ½ #negatives = x)/N, DeLong's V10 (Sun & Xu's (Tz − Tx)/N with midranks);
 * for a negative y: (#positives > y + ½ #positives = y)/M, V01. Half-counts are exact in float64,
 * so ties match the O(n²) kernel exactly.
 */
function placements(y: ArrayLike<number>, s: ArrayLike<number>, m: number): [Float64Array, Float64Array] {
  const pos = new Float64Array(m);
  const neg = new Float64Array(y.length - m);
  for (let i = 0, a = 0, b = 0; i < y.length; i++) {
    const v = s[i]!;
    if (!Number.isFinite(v)) throw new RangeError(`score ${i} is ${v}: scores must be finite numbers`);
    if (y[i] === 1) pos[a++] = v;
    else neg[b++] = v;
  }
  const posSorted = pos.slice().sort();
  const negSorted = neg.slice().sort();
  const v10 = new Float64Array(pos.length);
  const v01 = new Float64Array(neg.length);
  for (let i = 0; i < pos.length; i++) v10[i] = belowTwice(negSorted, pos[i]!) / 2 / neg.length;
  for (let j = 0; j < neg.length; j++)
    v01[j] = (2 * pos.length - belowTwice(posSorted, neg[j]!)) / 2 / pos.length;
  return [v10, v01];
}

function mean(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s / x.length;
}

/** Sample covariance (ddof 1) of two equally long vectors. */
function cov(a: Float64Array, b: Float64Array, ma: number, mb: number): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - ma) * (b[i]! - mb);
  return s / (a.length - 1);
}

/**
 * DeLong's paired comparison of two AUCs on the same rows. `y[i] === 1` is a positive, anything
 * else a negative (as metrics.ts). With no positives or no negatives the AUCs are NaN; with fewer
 * than 2 of a class the (co)variances are NaN.
 */
export function delong(
  y: ArrayLike<number>,
  scores1: ArrayLike<number>,
  scores2: ArrayLike<number>,
): DeLongResult {
  if (scores1.length !== y.length || scores2.length !== y.length)
    throw new RangeError(`delong: ${y.length} labels, ${scores1.length} and ${scores2.length} scores`);
  let m = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === 1) m++;
  const nNeg = y.length - m;
  const [a10, a01] = placements(y, scores1, m);
  const [b10, b01] = placements(y, scores2, m);
  const auc1 = mean(a10);
  const auc2 = mean(b10);
  let s11 = Number.NaN;
  let s12 = Number.NaN;
  let s22 = Number.NaN;
  if (m >= 2 && nNeg >= 2) {
    const [ma01, mb01] = [mean(a01), mean(b01)];
    s11 = cov(a10, a10, auc1, auc1) / m + cov(a01, a01, ma01, ma01) / nNeg;
    s22 = cov(b10, b10, auc2, auc2) / m + cov(b01, b01, mb01, mb01) / nNeg;
    s12 = cov(a10, b10, auc1, auc2) / m + cov(a01, b01, ma01, mb01) / nNeg;
  }
  const difference = auc1 - auc2;
  const variance = s11 + s22 - 2 * s12;
  const { z, pValue } = zTest(difference, variance);
  return {
    n: y.length,
    positives: m,
    negatives: nNeg,
    auc1,
    auc2,
    difference,
    covariance: [s11, s12, s22],
    variance,
    z,
    pValue,
  };
}

/** Var(a·auc1 + b·auc2) from DeLong's covariance: the variance of any contrast of the two AUCs. */
export function contrastVariance(r: Pick<DeLongResult, 'covariance'>, a: number, b: number): number {
  const [s11, s12, s22] = r.covariance;
  return a * a * s11 + b * b * s22 + 2 * a * b * s12;
}

function zTest(difference: number, variance: number): { z: number; pValue: number } {
  if (!(variance >= 0)) return { z: Number.NaN, pValue: Number.NaN };
  if (variance === 0)
    return difference === 0 ? { z: 0, pValue: 1 } : { z: Math.sign(difference) * Infinity, pValue: 0 };
  const z = difference / Math.sqrt(variance);
  // 2Φ(−|z|), not 2(1 − Φ(|z|)): no cancellation for small p-values.
  return { z, pValue: Math.min(1, 2 * normalCdf(-Math.abs(z), 0, 1)) };
}

/** Per-row losses of the paired comparison; names as analysis metrics use them. */
export type RowLoss = 'logloss' | 'brier' | 'absolute';

const F64_EPS = 2.220446049250313e-16;

/** Per-row loss, defined as metrics.ts's means (log loss clipped to [ε, 1 − ε], sklearn's). */
export function rowLosses(loss: RowLoss, y: ArrayLike<number>, p: ArrayLike<number>): Float64Array {
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const yi = y[i]!;
    const pi = p[i]!;
    if (loss === 'brier') out[i] = (pi - yi) ** 2;
    else if (loss === 'absolute') out[i] = Math.abs(yi - pi);
    else {
      const q = Math.min(1 - F64_EPS, Math.max(F64_EPS, pi));
      out[i] = yi === 1 ? -Math.log(q) : -Math.log(1 - q);
    }
  }
  return out;
}

export interface PairedMeanResult {
  n: number;
  mean1: number;
  mean2: number;
  /** mean(a − k·b). */
  difference: number;
  /** Sample variance (ddof 1) of the per-row a − k·b: the per-row σ̂² the confidence sequence uses. */
  variance: number;
  /** √(variance/n), the standard error of `difference`. */
  se: number;
}

/**
 * Mean of the per-row paired difference a_i − k·b_i (k = 1 by default; a relative tolerance uses
 * k = 1 + maxDegradation) and its variance. Two-pass, so large means do not cancel the variance.
 */
export function pairedMeanDifference(a: ArrayLike<number>, b: ArrayLike<number>, k = 1): PairedMeanResult {
  if (a.length !== b.length) throw new RangeError(`paired rows differ: ${a.length} vs ${b.length}`);
  const n = a.length;
  const mean1 = mean(a);
  const mean2 = mean(b);
  let d = 0;
  for (let i = 0; i < n; i++) d += a[i]! - k * b[i]!;
  const difference = d / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (a[i]! - k * b[i]! - difference) ** 2;
  const variance = n > 1 ? ss / (n - 1) : Number.NaN;
  return { n, mean1, mean2, difference, variance, se: Math.sqrt(variance / n) };
}

/** The default t*: the labelled challenger rows by which a canary usually decides. */
export const DEFAULT_TARGET_N = 2000;

/**
 * Radius of the (1 − α) asymptotic confidence sequence at t rows for a mean whose per-row variance
 * is `variance` (see the module header; ρ = ρ* ÷ σ̂ so the shape does not depend on the units).
 */
export function csRadius(t: number, variance: number, alpha: number, targetN = DEFAULT_TARGET_N): number {
  if (!(t > 0) || !(variance >= 0)) return Number.NaN;
  if (variance === 0) return 0;
  const rho = mixtureRho(alpha, targetN);
  const x = t * rho * rho; // t·σ̂²·ρ_paper²
  return Math.sqrt(((variance * (x + 1)) / (t * x)) * Math.log((x + 1) / (alpha * alpha)));
}

/**
 * The smallest t ≥ from whose radius is below `half` at this variance (the radius falls with t
 * for α < 1), or null past `cap`: how long until a bound this far from its threshold would decide.
 */
export function rowsUntilRadius(
  half: number,
  variance: number,
  alpha: number,
  from: number,
  targetN = DEFAULT_TARGET_N,
  cap = 1e9,
): number | null {
  if (!(half > 0) || !(variance >= 0)) return null;
  const below = (t: number): boolean => csRadius(t, variance, alpha, targetN) < half;
  let lo = Math.max(1, Math.ceil(from));
  if (below(lo)) return lo;
  if (!below(cap)) return null;
  let hi = cap;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (below(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Metrics the paired decision supports: AUC by DeLong, the others as means of per-row values. */
export type PairedMetric = 'auc' | 'logloss' | 'brier' | 'mae' | 'accuracy';

/** Labelled rows scored by both versions: challenger[i] and champion[i] are the same entity's scores. */
export interface PairedRows {
  metric: PairedMetric;
  y: ArrayLike<number>;
  challenger: ArrayLike<number>;
  champion: ArrayLike<number>;
}

export interface DecisionOptions {
  /** The tolerated degradation, in the metric's "worse" direction (analysis.ts's maxDegradation). */
  maxDegradation: number;
  /** Relative to the champion's value (analysis.ts's meaning, the default) or in metric units. */
  relative?: boolean;
  /** P(the bound ever misses the truth, over all looks) ≤ α (asymptotically). */
  alpha: number;
  /** t* the confidence sequence is tuned for (labelled rows). Default DEFAULT_TARGET_N. */
  targetN?: number;
  /** Burn-in: below this many rows nothing is decided (the bound is asymptotic). Default 50. */
  minSamples?: number;
}

export type CanaryDecisionKind = 'rollback' | 'advance' | 'wait';

export interface CanaryDecision {
  decision: CanaryDecisionKind;
  metric: PairedMetric;
  /** Labelled rows scored by both versions. */
  n: number;
  alpha: number;
  targetN: number;
  maxDegradation: number;
  relative: boolean;
  /** The metric of each version on the same rows. */
  challenger: number;
  champion: number;
  /**
   * How much worse than allowed the challenger is, in metric units: > 0 means beyond
   * maxDegradation. AUC (relative): (1 − m)·champion − challenger; a loss: challenger − (1 + m)·champion.
   */
  excess: number;
  /** The (1 − α) confidence sequence for `excess` at n: [excess − radius, excess + radius]. */
  bound: [number, number];
  radius: number;
  /** Per-row variance σ̂² behind the radius (for AUC, n · DeLong's variance of the contrast). */
  variance: number;
  /**
   * For 'wait': more labelled rows likely needed before the bound clears 0, if `excess` and the
   * variance stay where they are (null: not estimable, e.g. excess 0 or no variance yet). 0 otherwise.
   */
  moreNeeded: number | null;
  reason: string;
}

const LOSS_OF: Record<Exclude<PairedMetric, 'auc' | 'accuracy'>, RowLoss> = {
  logloss: 'logloss',
  brier: 'brier',
  mae: 'absolute',
};

/** excess, its per-row variance and both metric values, before any bound. */
function excessOf(
  rows: PairedRows,
  m: number,
  relative: boolean,
): { challenger: number; champion: number; excess: number; variance: number } {
  const n = rows.y.length;
  if (rows.metric === 'auc') {
    const r = delong(rows.y, rows.challenger, rows.champion);
    const k = relative ? 1 - m : 1;
    return {
      challenger: r.auc1,
      champion: r.auc2,
      excess: k * r.auc2 - r.auc1 - (relative ? 0 : m),
      variance: n * contrastVariance(r, 1, -k),
    };
  }
  if (rows.metric === 'accuracy') {
    // Higher is better, a mean of per-row hits (score ≥ 0.5 is class 1, as the A/B path reads it):
    // excess = k·mean(b) − mean(c) = −mean(c − k·b), k = 1 − m (relative) or 1.
    const hit = (p: ArrayLike<number>): Float64Array =>
      Float64Array.from({ length: n }, (_, i) => ((p[i]! >= 0.5 ? 1 : 0) === rows.y[i] ? 1 : 0));
    const r = pairedMeanDifference(hit(rows.challenger), hit(rows.champion), relative ? 1 - m : 1);
    return {
      challenger: r.mean1,
      champion: r.mean2,
      excess: -r.difference - (relative ? 0 : m),
      variance: r.variance,
    };
  }
  const loss = LOSS_OF[rows.metric];
  const c = rowLosses(loss, rows.y, rows.challenger);
  const b = rowLosses(loss, rows.y, rows.champion);
  const r = pairedMeanDifference(c, b, relative ? 1 + m : 1);
  return {
    challenger: r.mean1,
    champion: r.mean2,
    excess: r.difference - (relative ? 0 : m),
    variance: r.variance,
  };
}

/** Rows until the bound would clear 0 at today's excess and variance, less those already seen. */
function estimateMore(
  excess: number,
  variance: number,
  radius: number,
  n: number,
  minSamples: number,
  alpha: number,
  targetN: number,
): number | null {
  if (!Number.isFinite(radius) || !Number.isFinite(excess)) return null;
  const t = rowsUntilRadius(Math.abs(excess), variance, alpha, n, targetN);
  return t == null ? null : Math.max(t, minSamples) - n;
}

const fmt = (x: number): string => String(Number(x.toPrecision(3)));

/**
 * Roll back only when the confidence sequence excludes "within maxDegradation" (its lower end
 * above 0), advance only when it excludes "worse than maxDegradation" (its upper end below 0),
 * else wait. Both wrong calls together happen with probability ≤ α over every look.
 */
export function decideCanary(rows: PairedRows, opts: DecisionOptions): CanaryDecision {
  const n = rows.y.length;
  const relative = opts.relative ?? true;
  const targetN = opts.targetN ?? DEFAULT_TARGET_N;
  const minSamples = opts.minSamples ?? 50;
  const m = opts.maxDegradation;
  const e =
    n > 0 ? excessOf(rows, m, relative) : { challenger: NaN, champion: NaN, excess: NaN, variance: NaN };
  const radius = n >= 2 ? csRadius(n, e.variance, opts.alpha, targetN) : Number.NaN;
  const bound: [number, number] = [e.excess - radius, e.excess + radius];
  let decision: CanaryDecisionKind = 'wait';
  if (n >= minSamples && Number.isFinite(radius) && Number.isFinite(e.excess)) {
    if (bound[0] > 0) decision = 'rollback';
    else if (bound[1] < 0) decision = 'advance';
  }
  const moreNeeded =
    decision !== 'wait' ? 0 : estimateMore(e.excess, e.variance, radius, n, minSamples, opts.alpha, targetN);
  const tol = relative ? `${(m * 100).toFixed(1)}%` : fmt(m);
  const what = `${rows.metric} ${fmt(e.challenger)} vs champion ${fmt(e.champion)} on the same ${n} labelled predictions`;
  const ci = `excess over maxDegradation ${tol} in [${fmt(bound[0])}, ${fmt(bound[1])}] (${fmt((1 - opts.alpha) * 100)}% confidence sequence)`;
  const reason =
    decision === 'rollback'
      ? `${what}: ${ci} > 0, worse than allowed`
      : decision === 'advance'
        ? `${what}: ${ci} < 0, within the allowance`
        : `${what}: ${Number.isFinite(radius) ? ci : 'no variance yet'}${n < minSamples ? `; ${n} < minSamples ${minSamples}` : ''}; wait${moreNeeded != null ? ` (about ${moreNeeded} more)` : ''}`;
  return {
    decision,
    metric: rows.metric,
    n,
    alpha: opts.alpha,
    targetN,
    maxDegradation: m,
    relative,
    challenger: e.challenger,
    champion: e.champion,
    excess: e.excess,
    bound,
    radius,
    variance: e.variance,
    moreNeeded,
    reason,
  };
}
