import { describe, expect, test } from 'vitest';
import type { TrainingSet } from '../../../src/store/port.ts';
import { checkTrainingSet, renderDataChecks } from '../../../src/trainer/evaluation/data-checks.ts';
import { churnFeatures, makeModel } from './fixtures.ts';

const model = makeModel({ features: churnFeatures });
const refs = model.features.map((f) => f.ref);

function ts(
  rows: number,
  nulls: number[],
  view?: { matched: number; missing: number; expired: number },
): TrainingSet {
  return {
    path: '/x.parquet',
    rows,
    digest: 'sha256:' + '0'.repeat(64),
    cutoff: '2026-01-01T00:00:00.000Z',
    entityColumns: ['id'],
    features: [],
    nullCounts: Object.fromEntries(refs.map((r, i) => [r, nulls[i] ?? 0])),
    views: view
      ? [
          {
            view: 'customers',
            viewDigest: 'd',
            sourceDigest: 's',
            sourceRows: 10,
            quarantinedRows: 0,
            ...view,
          },
        ]
      : undefined,
  };
}

describe('training-set checks', () => {
  test('GIVEN labels 45 days after the features and a 30-day ttl THEN every feature is null and the set is refused, with the likely cause', () => {
    const r = checkTrainingSet(model, ts(569, [569, 569, 569], { matched: 0, missing: 0, expired: 569 }));
    expect(r.ok).toBe(false);
    expect(r.failures).toContain('customers:tenure_months is null for 100% of rows (maxNullShare 90%)');
    expect(r.failures).toContain('view customers gives a value to 0% of label rows (minCoverage 50%)');
    expect(r.causes[0]).toContain("569 label row(s) found only values older than customers's ttl");
    expect(r.figures.coverage).toEqual({ customers: 0 });
  });

  test('a healthy set passes and its figures are what the lock records', () => {
    const r = checkTrainingSet(model, ts(1000, [0, 21, 0], { matched: 990, missing: 10, expired: 0 }));
    expect(r.ok).toBe(true);
    expect(r.figures.nullShare['customers:spend_30d']).toBe(0.021);
    expect(renderDataChecks(r.figures)).toBe(
      '1000 rows; coverage customers 99%; max null 2.1% (customers:spend_30d)',
    );
  });

  test('too few rows, and thresholds from the model spec', () => {
    expect(checkTrainingSet(model, ts(5, [0, 0, 0])).failures).toEqual([
      '5 label rows, fewer than minRows 20',
    ]);
    const strict = { ...model, dataChecks: { maxNullShare: 0.01, minCoverage: 0.5, minRows: 1 } };
    expect(checkTrainingSet(strict, ts(1000, [0, 21, 0])).ok).toBe(false);
  });
});
