// The paired canary statistics against numpy/scipy/sklearn on fixtures written once by
// scripts/gen-decision-fixtures.py (no Python needed here): an O(n²) DeLong, sklearn's
// roc_auc_score, scipy's ttest_rel and the paper's form of the confidence-sequence radius, all
// to 1e-9 relative (1e-12 absolute for values near 0).
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  csRadius,
  decideCanary,
  delong,
  pairedMeanDifference,
  rowLosses,
  rowsUntilRadius,
  type RowLoss,
} from '../../../src/rollout/paired.ts';

interface Bound {
  excess: number;
  variance: number;
  radius: number;
  lower: number;
  upper: number;
}
interface Case {
  name: string;
  y: number[];
  challenger: number[];
  champion: number[];
  delong: {
    positives: number;
    negatives: number;
    auc1: number;
    auc2: number;
    sklearnAuc1: number;
    sklearnAuc2: number;
    difference: number;
    covariance: [number, number, number];
    variance: number;
    z: number;
    pValue: number;
  };
  aucDecision: Bound;
  losses: Record<
    RowLoss,
    {
      n: number;
      mean1: number;
      mean2: number;
      difference: number;
      variance: number;
      se: number;
      t: number;
      decision: Bound;
    }
  >;
}
interface Fixture {
  alpha: number;
  targetN: number;
  maxDegradation: number;
  cases: Case[];
  radius: { t: number; variance: number; alpha: number; targetN: number; radius: number }[];
}

const fx = JSON.parse(
  readFileSync(new URL('../../fixtures/decisions/reference.json', import.meta.url), 'utf8'),
) as Fixture;

function close(actual: number, expected: number, what: string): void {
  const tol = Math.max(1e-9 * Math.abs(expected), 1e-12);
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tol);
}

describe("DeLong's paired AUC comparison vs an O(n²) numpy DeLong and sklearn", () => {
  test.each(fx.cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const r = delong(c.y, c.challenger, c.champion);
    const d = c.delong;
    expect([r.positives, r.negatives]).toEqual([d.positives, d.negatives]);
    close(r.auc1, d.auc1, 'auc1');
    close(r.auc2, d.auc2, 'auc2');
    close(r.auc1, d.sklearnAuc1, 'auc1 vs sklearn');
    close(r.auc2, d.sklearnAuc2, 'auc2 vs sklearn');
    close(r.difference, d.difference, 'difference');
    r.covariance.forEach((v, i) => close(v, d.covariance[i]!, `covariance[${i}]`));
    close(r.variance, d.variance, 'variance');
    close(r.z, d.z, 'z');
    close(r.pValue, d.pValue, 'p');
  });
});

describe('paired mean differences of per-row losses vs numpy / scipy.stats.ttest_rel', () => {
  const rows = fx.cases.flatMap((c) =>
    (['logloss', 'brier', 'absolute'] as const).map((k) => [`${c.name} ${k}`, c, k] as const),
  );
  test.each(rows)('%s', (_, c, kind) => {
    const ref = c.losses[kind];
    const r = pairedMeanDifference(rowLosses(kind, c.y, c.challenger), rowLosses(kind, c.y, c.champion));
    expect(r.n).toBe(ref.n);
    close(r.mean1, ref.mean1, 'mean1');
    close(r.mean2, ref.mean2, 'mean2');
    close(r.difference, ref.difference, 'difference');
    close(r.variance, ref.variance, 'variance');
    close(r.se, ref.se, 'se');
    close(r.difference / r.se, ref.t, 't');
  });
});

describe('the asymptotic confidence sequence and the decision', () => {
  test.each(fx.radius.map((r) => [r.t, r.variance, r.alpha, r] as const))(
    'radius at t=%d, σ²=%d, α=%d matches the paper’s parameterisation',
    (t, v, a, r) => close(csRadius(t, v, a, r.targetN), r.radius, 'radius'),
  );

  const metrics = [
    ['auc', (c: Case) => c.aucDecision],
    ['logloss', (c: Case) => c.losses.logloss.decision],
    ['brier', (c: Case) => c.losses.brier.decision],
    ['mae', (c: Case) => c.losses.absolute.decision],
  ] as const;
  const rows = fx.cases.flatMap((c) => metrics.map(([m, ref]) => [`${c.name} ${m}`, c, m, ref(c)] as const));
  test.each(rows)('%s: excess, variance and bound as the reference', (_, c, metric, ref) => {
    const d = decideCanary(
      { metric, y: c.y, challenger: c.challenger, champion: c.champion },
      { maxDegradation: fx.maxDegradation, alpha: fx.alpha, targetN: fx.targetN, minSamples: 0 },
    );
    close(d.excess, ref.excess, 'excess');
    close(d.variance / (metric === 'auc' ? c.y.length : 1), ref.variance, 'variance');
    close(d.radius, ref.radius, 'radius');
    close(d.bound[0], ref.lower, 'lower');
    close(d.bound[1], ref.upper, 'upper');
    const expected = ref.lower > 0 ? 'rollback' : ref.upper < 0 ? 'advance' : 'wait';
    expect(d.decision).toBe(expected);
    expect(d).toMatchObject({ n: c.y.length, alpha: fx.alpha, targetN: fx.targetN, relative: true });
  });

  test('GIVEN a clearly worse challenger THEN rollback, with the evidence in the reason', () => {
    const c = fx.cases.find((x) => x.name === 'n1500-challenger-worse-3dp')!;
    const d = decideCanary(
      { metric: 'auc', y: c.y, challenger: c.challenger, champion: c.champion },
      { maxDegradation: 0.02, alpha: 0.05 },
    );
    expect(d.decision).toBe('rollback');
    expect(d.moreNeeded).toBe(0);
    expect(d.reason).toMatch(/^auc 0\.\d+ vs champion 0\.\d+ on the same 1500 labelled predictions: .* > 0/);
  });

  test('GIVEN too few rows THEN wait, however clear the difference', () => {
    const d = decideCanary(
      { metric: 'brier', y: [1, 0, 1, 0], challenger: [0, 1, 0, 1], champion: [1, 0, 1, 0] },
      { maxDegradation: 0.05, alpha: 0.05 },
    );
    expect(d.decision).toBe('wait');
    expect(d.reason).toContain('4 < minSamples 50');
  });

  test('GIVEN a wait THEN moreNeeded rows would bring the radius under |excess|, one fewer would not', () => {
    const c = fx.cases.find((x) => x.name === 'n2000-equal-quality-2dp')!;
    const rows = { metric: 'logloss' as const, y: c.y, challenger: c.challenger, champion: c.champion };
    const d = decideCanary(rows, { maxDegradation: 0.002, alpha: 0.05 });
    expect(d.decision).toBe('wait');
    expect(d.moreNeeded).toBeGreaterThan(0);
    const t = d.n + d.moreNeeded!;
    expect(csRadius(t, d.variance, 0.05)).toBeLessThan(Math.abs(d.excess));
    expect(csRadius(t - 1, d.variance, 0.05)).toBeGreaterThanOrEqual(Math.abs(d.excess));
    expect(rowsUntilRadius(0, 1, 0.05, 10)).toBeNull();
  });

  test('GIVEN fewer than 2 rows of a class THEN DeLong has no variance and the decision waits', () => {
    const r = delong([1, 0, 0], [0.9, 0.1, 0.2], [0.8, 0.3, 0.1]);
    expect(r.auc1).toBe(1);
    expect(r.variance).toBeNaN();
    const d = decideCanary(
      { metric: 'auc', y: [1, 0, 0], challenger: [0.9, 0.1, 0.2], champion: [0.8, 0.3, 0.1] },
      { maxDegradation: 0.05, alpha: 0.05, minSamples: 0 },
    );
    expect(d).toMatchObject({ decision: 'wait', moreNeeded: null });
  });

  test('GIVEN a non-finite score THEN DeLong refuses it', () => {
    expect(() => delong([1, 0], [Number.NaN, 0], [1, 0])).toThrow(/finite/);
  });
});
