// Reference profiles: exact below the sample cap, seeded and bounded above it.
import { expect, test } from 'vitest';
import { profileColumn, profileFrom, type NumericProfile } from '../../../src/observe/profile.ts';
import { ksStatistic } from '../../../src/observe/stats/ks.ts';
import { Rng } from '../../../src/util/rng.ts';

const rng = new Rng(3);
const xs = Array.from({ length: 5000 }, () => rng.normal(10, 2));

test('numeric: count, nulls, moments, histograms that add up, the whole sample below the cap', () => {
  const p = profileColumn({ type: 'float', values: [...xs, null, NaN] }, { seed: 1 }) as NumericProfile;
  expect(p).toMatchObject({ kind: 'numeric', count: 5000, nulls: 2, distinct: 65 });
  expect(p.values).toBeUndefined();
  expect(p.fixed.counts.reduce((s, c) => s + c, 0)).toBe(5000);
  expect(p.fixed.edges).toHaveLength(31);
  expect(p.quantile.counts.reduce((s, c) => s + c, 0)).toBe(5000);
  expect(p.quantile.counts.every((c) => c === 500)).toBe(true);
  expect(p.sample.exact).toBe(true);
  expect(p.sample.values).toEqual([...xs].sort((a, b) => a - b));
});

test('above the cap: a seeded reservoir of cap values whose ECDF stays within the DKW bound', () => {
  const a = profileColumn({ type: 'float', values: xs }, { seed: 9, sampleCap: 1000 }) as NumericProfile;
  const b = profileColumn({ type: 'float', values: xs }, { seed: 9, sampleCap: 1000 }) as NumericProfile;
  const c = profileColumn({ type: 'float', values: xs }, { seed: 10, sampleCap: 1000 }) as NumericProfile;
  expect(a.sample.values).toHaveLength(1000);
  expect(a.sample.exact).toBe(false);
  expect(a.sample.values).toEqual(b.sample.values);
  expect(a.sample.values).not.toEqual(c.sample.values);
  // DKW, α = 0.001: ε = √(ln(2/α) / 2n).
  const eps = Math.sqrt(Math.log(2 / 0.001) / 2000);
  const d = ksStatistic(Float64Array.from(a.sample.values), Float64Array.from(xs).sort());
  expect(d).toBeLessThan(eps);
});

test('low-cardinality numbers keep their value counts; categories keep top-k and other', () => {
  const p = profileColumn({ type: 'int', values: [1, 1, 2, 3, 3, 3, null] }, { seed: 1 }) as NumericProfile;
  expect(p.values).toEqual([
    [1, 2],
    [2, 1],
    [3, 3],
  ]);
  const cats = Array.from({ length: 300 }, (_, i) => `k${i % 150}`).concat(['k0', 'k0']);
  const c = profileColumn({ type: 'category', values: cats }, { seed: 1 });
  expect(c).toMatchObject({ kind: 'categorical', distinct: 150, count: 302, other: 100 });
  if (c.kind === 'categorical') expect(c.top[0]).toEqual(['k0', 4]);
});

test('profileFrom: one profile per declared column, prediction scores apart, timestamps skipped', () => {
  const rows = [
    { a: 1, b: 'x', t: new Date(0), s: 0.2 },
    { a: 2, b: 'y', t: new Date(1), s: 0.7 },
  ];
  const p = profileFrom(
    rows,
    { a: 'int', b: 'category', t: 'timestamp', s: 'score' },
    { seed: 4, prediction: 's' },
  );
  expect(Object.keys(p.features)).toEqual(['a', 'b', 't']);
  expect(p.features.t).toMatchObject({ kind: 'skipped' });
  expect(p.prediction).toMatchObject({ kind: 'numeric', count: 2 });
  expect(p).toMatchObject({ rows: 2, seed: 4, profileVersion: 1 });
});
