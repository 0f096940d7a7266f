import { describe, expect, test } from 'vitest';
import { diffActions } from '../../../src/planner/plan-diff.ts';
import type { Plan } from '../../../src/planner/plan-types.ts';

const result = (value: number, samples: number) => ({
  metric: 'error_rate',
  value,
  threshold: 0.05,
  rule: 'max',
  samples,
  passed: true,
  from: '2026-11-30T10:00:00.000Z',
  to: '2026-11-30T10:05:00.000Z',
});

const advance = (over: { to?: number; weight?: number; value?: number; samples?: number } = {}) => ({
  id: 'rollout.advance:churn@v2',
  type: 'rollout.advance',
  op: 'update',
  dependsOn: [],
  params: {
    model: 'churn',
    version: 2,
    from: 0,
    to: over.to ?? 1,
    weight: over.weight ?? 0.5,
    results: [result(over.value ?? 0.01, over.samples ?? 400)],
  },
});

const plan = (...actions: unknown[]): Plan => ({ actions }) as unknown as Plan;

describe('diffActions: a reviewed plan against the world observed again', () => {
  test('new predictions change the evidence, not the decision: the plan still holds', () => {
    expect(diffActions(plan(advance()), plan(advance({ value: 0.012, samples: 455 })))).toEqual([]);
  });

  test('a different decision is stale', () => {
    expect(diffActions(plan(advance()), plan(advance({ to: 2, weight: 1 })))).toEqual([
      'now different: rollout.advance:churn@v2',
    ]);
  });

  test('an action that is no longer asked for, or a new one, is stale', () => {
    const rollback = { ...advance(), id: 'rollout.rollback:churn@v2', type: 'rollout.rollback' };
    expect(diffActions(plan(advance()), plan(rollback))).toEqual([
      'no longer needed: rollout.advance:churn@v2',
      'now also needed: rollout.rollback:churn@v2',
    ]);
  });
});
