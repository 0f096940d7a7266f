// method: auto follows Evidently's defaults; insufficient data is a note; dataset drift by share.
import { describe, expect, test } from 'vitest';
import { profileColumn } from '../../../../src/observe/profile.ts';
import { autoMethod, columnDrift, datasetDrift } from '../../../../src/observe/stats/column-drift.ts';
import { meanStd, wasserstein1 } from '../../../../src/observe/stats/distances.ts';
import { ks2samp } from '../../../../src/observe/stats/ks.ts';
import { Rng } from '../../../../src/util/rng.ts';

const normal = (seed: number, n: number, mean = 0, sd = 1) => {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => Math.round(r.normal(mean, sd) * 100) / 100);
};
const auto = { method: 'auto' as const, minSamples: 1 };

describe("Evidently's default test", () => {
  test.each([
    [true, 1000, 6, 'ks'],
    [true, 1000, 5, 'chi-square'],
    [true, 1000, 2, 'z-test'],
    [false, 1000, 3, 'chi-square'],
    [false, 1000, 2, 'z-test'],
    [true, 1001, 6, 'wasserstein'],
    [true, 1001, 5, 'jensen-shannon'],
    [false, 1001, 40, 'jensen-shannon'],
  ] as const)('numeric=%s, %i reference rows, %i distinct values → %s', (numeric, rows, distinct, m) =>
    expect(autoMethod(numeric, rows, distinct)).toBe(m),
  );

  test('size counts non-null reference rows; distinct values count both sides', () => {
    // 1,000 non-null reference values plus nulls: still "≤ 1000" → KS.
    const ref = profileColumn({ type: 'float', values: [...normal(1, 1000), null, null, null] }, { seed: 1 });
    expect(columnDrift('f', ref, { values: normal(2, 300) }, auto).method).toBe('ks');
    // Reference holds 2 values, the current adds a third: chi-square, not the z-test.
    const cat = profileColumn(
      { type: 'category', values: Array.from({ length: 50 }, (_, i) => (i % 2 ? 'a' : 'b')) },
      { seed: 1 },
    );
    expect(columnDrift('c', cat, { values: ['a', 'b', 'c', 'a'] }, auto).method).toBe('chi-square');
    expect(columnDrift('c', cat, { values: ['a', 'b', 'b', 'a'] }, auto).method).toBe('z-test');
  });

  test('KS drifts at p ≤ 0.05, and the profile gives the same result as the raw samples', () => {
    const a = normal(3, 800);
    const b = normal(4, 600, 0.4);
    const ref = profileColumn({ type: 'float', values: a }, { seed: 1 });
    const r = columnDrift('f', ref, { values: b }, auto);
    const raw = ks2samp(Float64Array.from(a).sort(), Float64Array.from(b).sort());
    expect(r).toMatchObject({
      status: 'ok',
      method: 'ks',
      statistic: raw.statistic,
      pvalue: raw.pvalue,
      threshold: 0.05,
    });
    expect(r.drifted).toBe(raw.pvalue <= 0.05);
    expect(r.drifted).toBe(true);
  });

  test('normed Wasserstein above 1,000 rows: W1 / max(std, 0.001), drift at ≥ 0.1', () => {
    const a = normal(5, 3000, 50, 10);
    const ref = profileColumn({ type: 'float', values: a }, { seed: 1 });
    const same = columnDrift('f', ref, { values: normal(6, 2000, 50, 10) }, auto);
    const moved = columnDrift('f', ref, { values: normal(7, 2000, 53, 10) }, auto);
    expect(same).toMatchObject({ method: 'wasserstein', drifted: false });
    expect(moved).toMatchObject({ method: 'wasserstein', drifted: true });
    const sa = Float64Array.from(a).sort();
    const sb = Float64Array.from(normal(7, 2000, 53, 10)).sort();
    expect(moved.statistic).toBeCloseTo(wasserstein1(sa, sb) / meanStd(sa).std, 12);
  });

  test('a constant reference column normalises by 0.001, not by 0', () => {
    const ref = profileColumn(
      { type: 'float', values: Array.from({ length: 2000 }, (_, i) => (i < 1990 ? 1 : i)) },
      { seed: 1 },
    );
    const r = columnDrift(
      'f',
      ref,
      { values: Array.from({ length: 500 }, () => 1) },
      { method: 'wasserstein', minSamples: 1 },
    );
    expect(Number.isFinite(r.statistic)).toBe(true);
  });
});

test('below minSamples a column is insufficient, and a dataset with no tested column is insufficient, never drifted', () => {
  const ref = profileColumn({ type: 'float', values: normal(8, 500) }, { seed: 1 });
  const c = columnDrift(
    'f',
    ref,
    { values: [...normal(9, 20, 5), null] },
    { method: 'auto', minSamples: 200 },
  );
  expect(c).toMatchObject({ status: 'insufficient', drifted: false, currentCount: 20, currentNulls: 1 });
  const d = datasetDrift([c], 0.1);
  expect(d).toMatchObject({ insufficient: true, datasetDrift: false, features: 0 });
});

test('dataset drift when the drifted share reaches share', () => {
  const mk = (drifted: boolean) => ({
    feature: 'x',
    status: 'ok' as const,
    drifted,
    referenceCount: 1,
    currentCount: 1,
    currentNulls: 0,
  });
  const cols = [mk(true), mk(false), mk(false), mk(true), mk(false), mk(false), mk(false)];
  expect(datasetDrift(cols, 0.3)).toMatchObject({ drifted: 2, features: 7, datasetDrift: false });
  expect(datasetDrift([...cols.slice(0, 6), mk(true)], 0.3)).toMatchObject({
    drifted: 3,
    datasetDrift: true,
  });
});

test('per-method thresholds override the defaults', () => {
  const ref = profileColumn({ type: 'float', values: normal(10, 3000) }, { seed: 1 });
  const cur = { values: normal(11, 1000, 0.05) };
  const loose = columnDrift('f', ref, cur, { method: 'auto', minSamples: 1 });
  const strict = columnDrift('f', ref, cur, {
    method: 'auto',
    minSamples: 1,
    thresholds: { wasserstein: 0.01 },
  });
  expect(loose.threshold).toBe(0.1);
  expect(strict).toMatchObject({ threshold: 0.01, drifted: true });
  const psi = columnDrift('f', ref, cur, { method: 'psi', threshold: 0.0001, minSamples: 1 });
  expect(psi).toMatchObject({ method: 'psi', threshold: 0.0001, drifted: true });
});
