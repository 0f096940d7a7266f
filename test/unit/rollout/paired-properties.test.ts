// Invariants of the paired canary statistics over random labelled rows (fast-check).
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { computeMetrics } from '../../../src/trainer/evaluation/metrics.ts';
import { csRadius, decideCanary, delong, pairedMeanDifference } from '../../../src/rollout/paired.ts';

/** Rows with both classes at least twice; scores often tied (a coarse grid) or continuous. */
const rows = fc
  .array(
    fc.tuple(
      fc.integer({ min: 0, max: 1 }),
      fc.oneof(
        fc.integer({ min: 0, max: 10 }).map((k) => k / 10),
        fc.double({ min: 0, max: 1, noNaN: true }),
      ),
      fc.oneof(
        fc.integer({ min: 0, max: 10 }).map((k) => k / 10),
        fc.double({ min: 0, max: 1, noNaN: true }),
      ),
    ),
    { minLength: 4, maxLength: 150 },
  )
  .filter((r) => r.filter((x) => x[0] === 1).length >= 2 && r.filter((x) => x[0] === 0).length >= 2)
  .map((r) => ({ y: r.map((x) => x[0]), a: r.map((x) => x[1]), b: r.map((x) => x[2]) }));

test.prop([rows])('swapping the score vectors negates the AUC difference and keeps its variance', (r) => {
  const ab = delong(r.y, r.a, r.b);
  const ba = delong(r.y, r.b, r.a);
  expect(ba.difference === -ab.difference).toBe(true); // +0 and −0 alike
  expect(ba.variance).toBeCloseTo(ab.variance, 14);
  expect(ba.pValue).toBeCloseTo(ab.pValue, 12);
});

test.prop([rows])("DeLong's AUCs are metrics.ts's (sklearn's) AUCs, ties included", (r) => {
  const d = delong(r.y, r.a, r.b);
  expect(d.auc1).toBeCloseTo(
    computeMetrics(['auc'], { task: 'binary-classification', y: r.y, p: r.a }).auc!,
    12,
  );
  expect(d.variance).toBeGreaterThanOrEqual(-1e-15);
  expect(d.pValue).toBeGreaterThanOrEqual(0);
  expect(d.pValue).toBeLessThanOrEqual(1);
});

test.prop([
  fc.integer({ min: 2, max: 100_000 }),
  fc.integer({ min: 1, max: 100_000 }),
  fc.double({ min: 1e-6, max: 100, noNaN: true }),
  fc.constantFrom(0.01, 0.05, 0.1, 0.2),
])('the confidence-sequence radius shrinks as rows accumulate', (t, more, v, alpha) => {
  expect(csRadius(t + more, v, alpha)).toBeLessThan(csRadius(t, v, alpha));
});

test.prop([
  rows,
  fc.constantFrom('auc', 'logloss', 'brier', 'mae'),
  fc.double({ min: 0, max: 0.5, noNaN: true }),
  fc.boolean(),
])('identical scores: difference 0, and the decision is never a rollback', (r, metric, m, relative) => {
  expect(delong(r.y, r.a, r.a)).toMatchObject({ difference: 0, z: 0, pValue: 1 });
  expect(pairedMeanDifference(r.a, r.a).difference).toBe(0);
  const d = decideCanary(
    { metric, y: r.y, challenger: r.a, champion: r.a },
    { maxDegradation: m, relative, alpha: 0.05, minSamples: 0 },
  );
  expect(d.decision).not.toBe('rollback');
});
