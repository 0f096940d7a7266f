// What a policy edit does, in one line per field: compiled values compared, tied to plan actions.
import { describe, expect, test } from 'vitest';
import type { DesiredState } from '../../../src/compiler/desired-state.ts';
import {
  diffPolicies,
  diffValues,
  formatDuration,
  renderFieldChange,
} from '../../../src/github/policy-changes.ts';
import type { Plan, PlanAction } from '../../../src/planner/plan-types.ts';
import { syntheticPlan } from './plan-builder.ts';

const origin = { file: 'policies/x.yaml', doc: 0 };

function state(over: Partial<DesiredState> = {}): DesiredState {
  return {
    project: { name: 'acme', policiesDir: 'policies', stateDir: 'state' } as DesiredState['project'],
    featureViews: [],
    models: [],
    retrainPolicies: [],
    rolloutPolicies: [],
    dataPolicies: [],
    digest: 'sha256:s',
    ...over,
  };
}

const model = (name: string, epochs: number, features = ['a:x']) =>
  ({
    kind: 'Model',
    name,
    digest: `sha256:${name}${epochs}${features.join()}`,
    origin,
    trainer: { type: 'tfjs', epochs, learningRate: 0.01 },
    features: features.map((ref) => ({
      ref,
      view: ref.split(':')[0],
      name: ref.split(':')[1],
      type: 'float',
    })),
  }) as unknown as DesiredState['models'][number];

function planWith(...actions: Partial<PlanAction>[]): Plan {
  const p = syntheticPlan(0);
  p.actions = actions.map(
    (a) =>
      ({
        reasons: [{ code: 'spec-changed', message: '' }],
        dependsOn: [],
        changes: [],
        ...a,
      }) as PlanAction,
  );
  return p;
}

describe('field changes', () => {
  test('nested values by path, lists of named things by name, durations readable', () => {
    expect(
      diffValues(
        { trainer: { epochs: 50, lr: 0.1 }, ttlMs: 86_400_000, features: [{ ref: 'a:x', type: 'int' }] },
        {
          trainer: { epochs: 1, lr: 0.1 },
          ttlMs: 172_800_000,
          features: [
            { ref: 'a:x', type: 'float' },
            { ref: 'a:y', type: 'int' },
          ],
        },
        '',
      ).map(renderFieldChange),
    ).toEqual([
      'features[a:x].type int → float',
      'features[a:y] added',
      'trainer.epochs 50 → 1',
      'ttl 1d → 2d',
    ]);
  });

  test('plain lists and removed fields', () => {
    expect(
      diffValues({ metrics: ['auc'], seed: 1 }, { metrics: ['auc', 'accuracy'] }, '').map(renderFieldChange),
    ).toEqual(['metrics ["auc"] → ["auc","accuracy"]', 'seed removed (was 1)']);
  });

  test.each([
    [86_400_000, '1d'],
    [5_400_000, '90m'],
    [1500, '1500ms'],
  ])('formatDuration(%i) = %s', (ms, s) => expect(formatDuration(ms)).toBe(s));
});

describe('policy changes tied to the plan', () => {
  test('GIVEN epochs 50 → 1 and a plan that retrains churn THEN "trainer.epochs 50 → 1: churn retrains (→ v2)"', () => {
    const plan = planWith({
      type: 'model.train',
      resource: { kind: 'Model', name: 'churn' },
      params: { model: 'churn', specDigest: 'sha256:x', version: 2, views: ['a'] },
    });
    const changes = diffPolicies(
      state({ models: [model('churn', 50)] }),
      state({ models: [model('churn', 1)] }),
      plan,
    );
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      kind: 'Model',
      name: 'churn',
      change: 'changed',
      effect: 'churn retrains (→ v2)',
    });
    expect(changes[0]!.fields.map(renderFieldChange)).toEqual(['trainer.epochs 50 → 1']);
  });

  test('a change with no action says so; an added and a removed model are listed', () => {
    const plan = planWith({
      type: 'model.retire',
      resource: { kind: 'Model', name: 'old' },
      params: { model: 'old' },
    });
    const changes = diffPolicies(
      state({ models: [model('churn', 5), model('old', 5)] }),
      state({ models: [model('churn', 6), model('new', 5)] }),
      plan,
    );
    expect(changes.map((c) => [c.name, c.change, c.effect])).toEqual([
      ['churn', 'changed', 'no action in this plan'],
      ['new', 'added', 'no action in this plan'],
      ['old', 'removed', 'old is retired'],
    ]);
  });

  test('an unchanged digest is no change, whatever the file looked like', () => {
    expect(
      diffPolicies(state({ models: [model('churn', 5)] }), state({ models: [model('churn', 5)] })),
    ).toEqual([]);
  });
});
