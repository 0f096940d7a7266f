// Invariants of the drift statistics, over random samples (fast-check).
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import {
  binCountsSorted,
  chiSquare,
  jensenShannon,
  psiEdges,
  psiFromCounts,
  wasserstein1,
} from '../../../../src/observe/stats/distances.ts';
import { ks2samp, ksStatistic } from '../../../../src/observe/stats/ks.ts';

const sample = fc
  .array(fc.oneof(fc.integer({ min: -20, max: 20 }), fc.double({ min: -1e3, max: 1e3, noNaN: true })), {
    minLength: 1,
    maxLength: 120,
  })
  .map((xs) => Float64Array.from(xs).sort());
const counts = fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 2, maxLength: 12 });

test.prop([sample, sample])('KS D lies in [0, 1], p in [0, 1], and D is symmetric', (a, b) => {
  const r = ks2samp(a, b);
  expect(r.statistic).toBeGreaterThanOrEqual(0);
  expect(r.statistic).toBeLessThanOrEqual(1);
  expect(r.pvalue).toBeGreaterThanOrEqual(0);
  expect(r.pvalue).toBeLessThanOrEqual(1);
  expect(ksStatistic(a, b)).toBe(ksStatistic(b, a));
});

test.prop([sample])('a sample does not drift from itself: D = 0, p = 1, W1 = 0, PSI = 0', (a) => {
  expect(ks2samp(a, a)).toMatchObject({ statistic: 0, pvalue: 1 });
  expect(wasserstein1(a, a)).toBe(0);
  const e = psiEdges(a);
  expect(psiFromCounts(binCountsSorted(a, e), binCountsSorted(a, e))).toBe(0);
});

test.prop([sample, sample])('Wasserstein-1 is symmetric, non-negative, and moves with a shift', (a, b) => {
  const w = wasserstein1(a, b);
  expect(w).toBeGreaterThanOrEqual(0);
  expect(Math.abs(w - wasserstein1(b, a))).toBeLessThanOrEqual(1e-9 * Math.max(1, w));
  const shifted = a.map((x) => x + 5);
  expect(Math.abs(wasserstein1(a, shifted) - 5)).toBeLessThanOrEqual(1e-9 * 5 + 1e-9);
});

test.prop([sample, sample])('PSI is non-negative', (a, b) => {
  const e = psiEdges(a);
  expect(psiFromCounts(binCountsSorted(a, e), binCountsSorted(b, e))).toBeGreaterThanOrEqual(0);
});

test.prop([counts, counts])('Jensen–Shannon distance is symmetric and in [0, √ln2]', (p0, q0) => {
  const n = Math.min(p0.length, q0.length);
  const p = p0.slice(0, n).map((x, i) => (i === 0 ? x + 1 : x));
  const q = q0.slice(0, n).map((x, i) => (i === 0 ? x + 1 : x));
  const js = jensenShannon(p, q);
  expect(js).toBeGreaterThanOrEqual(0);
  expect(js).toBeLessThanOrEqual(Math.sqrt(Math.LN2) + 1e-12);
  expect(Math.abs(js - jensenShannon(q, p))).toBeLessThanOrEqual(1e-12);
  expect(jensenShannon(p, p)).toBeLessThanOrEqual(1e-7);
});

test.prop([counts])('chi-square of counts against themselves (scaled) gives p = 1', (c0) => {
  const c = c0.map((x) => x + 1);
  const r = chiSquare(
    c,
    c.map((x) => x * 3),
  );
  expect(r.statistic).toBeLessThanOrEqual(1e-9);
  expect(r.pvalue).toBeCloseTo(1, 9);
});
