// Rudder's drift statistics against scipy 1.10 / numpy 1.24 on fixtures written once by
// scripts/gen-drift-fixtures.py (no Python needed here): KS D bit-identical, p-values and
// distances within 1e-9 relative (or 1e-13 absolute for values near 0).
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  binCountsSorted,
  chiSquare,
  jensenShannon,
  meanStd,
  psiEdges,
  psiFromCounts,
  quantileSorted,
  wasserstein1,
  wassersteinNormed,
  zTestProportions,
} from '../../../../src/observe/stats/distances.ts';
import { kolmogn, smirnovSf } from '../../../../src/observe/stats/kolmogorov.ts';
import { ks2samp } from '../../../../src/observe/stats/ks.ts';

type Gen = { n: number; a: number; c: number; m: number; p: number; scale: number; shift: number };
interface Fixture {
  scipy: string;
  twoSample: {
    name: string;
    reference: number[] | Gen;
    current: number[] | Gen;
    ks: { statistic: number; pvalue: number };
    wasserstein: number;
    referenceStd: number;
    wassersteinNormed: number;
    psi: number;
    psiEdges: number[];
  }[];
  kstwo: { n: number; x: number; sf: number; cdf: number }[];
  smirnov: { n: number; x: number; sf: number }[];
  categorical: {
    name: string;
    reference: number[];
    current: number[];
    chiSquare: { statistic: number; pvalue: number } | null;
    jensenShannon: number;
  }[];
  zTest: { k1: number; n1: number; k2: number; n2: number; z: number; pvalue: number }[];
  quantiles: { name: string; values: number[]; q: number[] }[];
}

const fx = JSON.parse(
  readFileSync(new URL('../../../fixtures/drift/scipy.json', import.meta.url), 'utf8'),
) as Fixture;

/** The generator the fixture script describes; integer arithmetic, then the same float ops as numpy. */
function gen(g: Gen): Float64Array {
  const out = new Float64Array(g.n);
  for (let i = 0; i < g.n; i++) {
    let u = ((g.a * i + g.c) % g.m) / g.m;
    if (g.p === 2) u = u * u;
    out[i] = u * g.scale + g.shift;
  }
  return out;
}
const sorted = (v: number[] | Gen) => (Array.isArray(v) ? Float64Array.from(v) : gen(v)).sort();

function close(actual: number, expected: number, rel = 1e-9, abs = 1e-13) {
  if (Number.isNaN(expected)) return expect(actual).toBeNaN();
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(
    Math.max(abs, rel * Math.abs(expected)),
  );
}

test('fixtures come from scipy 1.10', () => expect(fx.scipy).toMatch(/^1\.10\./));

describe.each(fx.twoSample)('two samples: $name', (c) => {
  const a = sorted(c.reference);
  const b = sorted(c.current);
  test('KS statistic is bit-identical and the p-value matches ks_2samp(method="auto")', () => {
    const r = ks2samp(a, b);
    expect(r.statistic).toBe(c.ks.statistic);
    close(r.pvalue, c.ks.pvalue, 1e-9, 1e-14);
  });
  test('Wasserstein-1, raw and normed by the reference std', () => {
    close(wasserstein1(a, b), c.wasserstein, 1e-12);
    close(meanStd(a).std, c.referenceStd, 1e-12);
    close(wassersteinNormed(wasserstein1(a, b), meanStd(a).std), c.wassersteinNormed, 1e-12);
  });
  test('PSI on reference deciles', () => {
    expect(psiEdges(a)).toEqual(c.psiEdges);
    const edges = psiEdges(a);
    close(psiFromCounts(binCountsSorted(a, edges), binCountsSorted(b, edges)), c.psi, 1e-12);
  });
});

test.each(fx.kstwo)('kstwo(n=$n) at $x', ({ n, x, sf, cdf }) => {
  close(kolmogn(n, x, false), sf, 1e-9, 1e-15);
  close(kolmogn(n, x, true), cdf, 1e-9, 1e-15);
});

test.each(fx.smirnov)('smirnov(n=$n, $x)', ({ n, x, sf }) => close(smirnovSf(n, x), sf, 1e-9, 1e-300));

describe.each(fx.categorical)('counts: $name', (c) => {
  test('chi-square goodness of fit against scaled reference counts', () => {
    const r = chiSquare(c.reference, c.current);
    if (c.chiSquare == null) {
      expect(r.statistic).toBe(Infinity);
      expect(r.pvalue).toBe(0);
    } else {
      close(r.statistic, c.chiSquare.statistic, 1e-12);
      close(r.pvalue, c.chiSquare.pvalue, 1e-9, 1e-15);
    }
  });
  test('Jensen–Shannon distance', () =>
    close(jensenShannon(c.reference, c.current), c.jensenShannon, 1e-12, 1e-15));
});

test.each(fx.zTest)('z-test $k1/$n1 vs $k2/$n2', ({ k1, n1, k2, n2, z, pvalue }) => {
  const r = zTestProportions(k1, n1, k2, n2);
  close(r.statistic, z, 1e-12);
  close(r.pvalue, pvalue, 1e-9, 1e-15);
});

test.each(fx.quantiles)('np.quantile deciles: $name', ({ values, q }) => {
  const s = Float64Array.from(values).sort();
  expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => quantileSorted(s, k / 10))).toEqual(q);
});
