import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { computeMetrics, type Scores } from '../../../src/trainer/evaluation/metrics.ts';

interface Case {
  name: string;
  task: Scores['task'];
  classes?: number;
  y: number[];
  p: number[];
  expected: Record<string, number>;
}

const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../fixtures/trainer/sklearn-metrics.json'), 'utf8'),
) as { cases: Case[] };

describe('metrics agree with scikit-learn on the same predictions', () => {
  test.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    // GIVEN predictions and sklearn's values for them (generated once by make_sklearn_metrics.py)
    const scores = (
      c.task === 'multiclass-classification'
        ? { task: c.task, y: c.y, p: c.p, classes: c.classes! }
        : { task: c.task, y: c.y, p: c.p }
    ) as Scores;
    // WHEN Rudder computes the same metrics
    const got = computeMetrics(Object.keys(c.expected), scores);
    // THEN each agrees to 1e-9 relative
    for (const [name, want] of Object.entries(c.expected)) {
      expect(got[name], `${c.name} ${name}`).toBeCloseTo(
        want,
        Math.max(0, 9 - Math.ceil(Math.log10(Math.abs(want) + 1))),
      );
    }
  });
});

describe('undefined metrics are NaN, never a made-up number', () => {
  test('AUC with a single class in the holdout', () => {
    expect(
      computeMetrics(['auc', 'pr_auc'], { task: 'binary-classification', y: [0, 0, 0], p: [0.1, 0.2, 0.3] }),
    ).toEqual({ auc: Number.NaN, pr_auc: Number.NaN });
  });
  test('R² of a constant label', () => {
    expect(computeMetrics(['r2'], { task: 'regression', y: [2, 2], p: [1, 3] }).r2).toBeNaN();
  });
  test('an empty holdout', () => {
    expect(computeMetrics(['rmse'], { task: 'regression', y: [], p: [] }).rmse).toBeNaN();
  });
});
