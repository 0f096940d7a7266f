// Two-sample Kolmogorov–Smirnov test, two-sided, as scipy 1.10's `ks_2samp(method='auto')`:
// exact p-value when both samples have at most 10,000 values (Hodges' lattice-path counting:
// `_compute_prob_outside_square` for equal sizes, Viehmann's "inside" recursion otherwise),
// otherwise the asymptotic one, `kstwo.sf(D, round(n·m/(n+m)))`. In the exact branch scipy
// reports D rounded to the lattice, h/lcm(n, m); so does this. Pure: no I/O.
import { kolmogn } from './kolmogorov.ts';

export interface KsResult {
  statistic: number;
  pvalue: number;
  method: 'exact' | 'asymp';
}

const MAX_AUTO_N = 10000;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Round half to even, as numpy's `np.round`. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * D = sup |F1 − F2| over the pooled values, for two ascending samples. Computed exactly as
 * scipy does (counts at or below each pooled value divided by the sizes, then the difference),
 * so the float64 result is bit-identical.
 */
export function ksStatistic(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let maxS = -Infinity;
  let minS = Infinity;
  // Walk the distinct pooled values; at each, both ECDFs count values ≤ it (searchsorted right).
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    while (i < n1 && a[i]! <= v) i++;
    while (j < n2 && b[j]! <= v) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxS) maxS = diff;
    if (diff < minS) minS = diff;
  }
  const minAbs = Math.min(Math.max(-minS, 0), 1);
  return minAbs > maxS ? minAbs : maxS;
}

function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  let k = Math.floor(n / h);
  while (k >= 0) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
    k -= 1;
  }
  return 2 * P;
}

function outerProbInside(m0: number, n0: number, g: number, h: number): number {
  let m = m0;
  let n = n0;
  if (m < n) [m, n] = [n, m];
  const mg = Math.floor(m / g);
  const ng = Math.floor(n / g);
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj]! * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1]!;
}

/** Two-sided two-sample KS on ascending, NaN-free samples. Throws on an empty sample. */
export function ks2samp(a: Float64Array, b: Float64Array): KsResult {
  const n1 = a.length;
  const n2 = b.length;
  if (Math.min(n1, n2) === 0) throw new RangeError('ks2samp: empty sample');
  let d = ksStatistic(a, b);
  const g = gcd(n1, n2);
  if (Math.max(n1, n2) <= MAX_AUTO_N) {
    const lcm = (n1 / g) * n2;
    const h = roundHalfEven(d * lcm);
    d = (h * 1.0) / lcm;
    if (h === 0) return { statistic: d, pvalue: 1, method: 'exact' };
    const prob = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
    if (prob >= 0 && prob <= 1) return { statistic: d, pvalue: prob, method: 'exact' };
  }
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const en = (m * n) / (m + n);
  const p = kolmogn(roundHalfEven(en), d, false);
  return { statistic: d, pvalue: Math.min(Math.max(p, 0), 1), method: 'asymp' };
}
