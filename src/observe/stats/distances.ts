// Drift statistics other than KS, each defined as the reference implementation Evidently calls
// (scipy/numpy) computes it, so thresholds practitioners know carry over. Pure: no I/O.
import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';

/** Neumaier-compensated sum: accurate to a few ulps whatever the length (numpy's pairwise sum is within ~log2(n) ulps). */
export class Sum {
  private s = 0;
  private c = 0;
  add(x: number): void {
    const t = this.s + x;
    if (Math.abs(this.s) >= Math.abs(x)) this.c += this.s - t + x;
    else this.c += x - t + this.s;
    this.s = t;
  }
  get value(): number {
    return this.s + this.c;
  }
}

/** Mean and population standard deviation (numpy `np.std`, ddof=0), two-pass. */
export function meanStd(values: ArrayLike<number>): { mean: number; std: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN };
  const s = new Sum();
  for (let i = 0; i < n; i++) s.add(values[i]!);
  const mean = s.value / n;
  const q = new Sum();
  for (let i = 0; i < n; i++) {
    const d = values[i]! - mean;
    q.add(d * d);
  }
  return { mean, std: Math.sqrt(q.value / n) };
}

/**
 * Wasserstein-1 distance between two ascending samples: ∫|F1 − F2| dx, as scipy's
 * `wasserstein_distance(u, v)` (the sum over pooled values of |ΔECDF| × gap). One merge pass.
 */
export function wasserstein1(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return NaN;
  let i = 0;
  let j = 0;
  const s = new Sum();
  let prev = Math.min(a[0]!, b[0]!);
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    if (v !== prev) s.add(Math.abs(i / n1 - j / n2) * (v - prev));
    while (i < n1 && a[i]! <= v) i++;
    while (j < n2 && b[j]! <= v) j++;
    prev = v;
  }
  return s.value;
}

/** Evidently's normed Wasserstein: W1 / max(std(reference), 0.001). */
export function wassersteinNormed(w1: number, referenceStd: number): number {
  return w1 / Math.max(referenceStd, 0.001);
}

/**
 * numpy's `np.quantile(x, q)` with the default 'linear' method on an ascending sample,
 * including numpy 1.24's `_lerp` (which computes from the upper end when t ≥ 0.5), so edges
 * are bit-identical.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  const virtual = (n - 1) * q;
  const lo = Math.floor(virtual);
  const hi = Math.min(lo + 1, n - 1);
  const t = virtual - lo;
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** PSI bins: `bins` reference-quantile bins (deciles by default). */
export const PSI_BINS = 10;
/**
 * A bin with no values in one of the two samples gets this proportion instead of 0, so the
 * logarithm stays finite: Evidently's 0.0001. Every PSI in Rudder uses it.
 */
export const PSI_EPSILON = 1e-4;

/** Inner edges for PSI: the reference's quantiles at k/bins, k = 1…bins−1. */
export function psiEdges(sortedReference: ArrayLike<number>, bins = PSI_BINS): number[] {
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) edges.push(quantileSorted(sortedReference, k / bins));
  return edges;
}

/**
 * Counts per bin for an ascending sample: bin i holds values v with edges[i−1] < v ≤ edges[i]
 * (numpy `searchsorted(edges, v, side='left')`); the last bin is above the last edge.
 */
export function binCountsSorted(sorted: ArrayLike<number>, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  let bin = 0;
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i]!;
    while (bin < edges.length && v > edges[bin]!) bin++;
    counts[bin]!++;
  }
  return counts;
}

/** Counts per bin for an unsorted sample (binary search per value), same bins as binCountsSorted. */
export function binCounts(values: ArrayLike<number>, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (edges[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    counts[lo]!++;
  }
  return counts;
}

/** PSI = Σ (cur − ref) · ln(cur / ref) over bin proportions, empty bins at PSI_EPSILON. */
export function psiFromCounts(reference: readonly number[], current: readonly number[]): number {
  const nr = reference.reduce((s, c) => s + c, 0);
  const nc = current.reduce((s, c) => s + c, 0);
  let psi = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]! / nr || PSI_EPSILON;
    const c = (current[i] ?? 0) / nc || PSI_EPSILON;
    psi += (c - r) * Math.log(c / r);
  }
  return psi;
}

/**
 * Jensen–Shannon distance (scipy `distance.jensenshannon`, natural log): √(JS divergence),
 * in [0, √ln 2]. Inputs are counts or proportions over the same categories.
 */
export function jensenShannon(p: readonly number[], q: readonly number[]): number {
  const sp = p.reduce((s, x) => s + x, 0);
  const sq = q.reduce((s, x) => s + x, 0);
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]! / sp;
    const b = q[i]! / sq;
    const m = (a + b) / 2;
    if (a > 0) js += a * Math.log(a / m);
    if (b > 0) js += b * Math.log(b / m);
  }
  return Math.sqrt(Math.max(js, 0) / 2);
}

/**
 * Evidently's chi-square drift test: a goodness-of-fit test of the current counts against the
 * reference counts scaled to the current size (scipy `chisquare(f_obs, f_exp)`, k−1 degrees
 * of freedom). A category the reference never saw but the current has gives p = 0.
 */
export function chiSquare(
  reference: readonly number[],
  current: readonly number[],
): { statistic: number; pvalue: number } {
  const nr = reference.reduce((s, c) => s + c, 0);
  const nc = current.reduce((s, c) => s + c, 0);
  const k = nc / nr;
  let stat = 0;
  for (let i = 0; i < reference.length; i++) {
    const e = reference[i]! * k;
    const o = current[i]!;
    const t = e === 0 ? (o === 0 ? NaN : Infinity) : ((o - e) * (o - e)) / e;
    stat += t;
  }
  const dof = reference.length - 1;
  if (Number.isNaN(stat) || dof < 1) return { statistic: stat, pvalue: NaN };
  if (stat === Infinity) return { statistic: stat, pvalue: 0 };
  return { statistic: stat, pvalue: 1 - chisquareCdf(stat, dof) };
}

/**
 * Evidently's z-test for two proportions, two-sided: pooled standard error, p = 2(1 − Φ(|z|)).
 * k of n reference values and k2 of n2 current values are in the category tested.
 */
export function zTestProportions(
  k1: number,
  n1: number,
  k2: number,
  n2: number,
): { statistic: number; pvalue: number } {
  const p1 = k1 / n1;
  const p2 = k2 / n2;
  const P = (p1 * n1 + p2 * n2) / (n1 + n2);
  const z = (p1 - p2) / Math.sqrt(P * (1 - P) * (1 / n1 + 1 / n2));
  return { statistic: z, pvalue: 2 * (1 - normalCdf(Math.abs(z), 0, 1)) };
}
