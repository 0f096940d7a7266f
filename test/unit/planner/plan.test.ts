import { describe, expect, test } from 'vitest';
import { compilePolicies } from '../../../src/compiler/compile.ts';
import type { DesiredState } from '../../../src/compiler/desired-state.ts';
import type { Observations } from '../../../src/observe/observations.ts';
import { parsePlanFile, renderPlanJson, diffPlanInputs } from '../../../src/planner/plan-file.ts';
import { planChanges } from '../../../src/planner/plan.ts';
import { renderPlanMarkdown, renderPlanText } from '../../../src/planner/render.ts';
import { emptyLockState, record, type LockState, type ModelVersion } from '../../../src/state/types.ts';
import { docsOf } from '../../helpers/docs.ts';

const POLICIES = `
apiVersion: rudder.dev/v1alpha1
kind: FeatureView
metadata: { name: activity }
spec:
  source: { path: data/a.csv, timestamp: ts }
  entities: [id]
  freshness: { maxAge: 7d }
  features: [{ name: x, type: float }, { name: y, type: int }]
---
apiVersion: rudder.dev/v1alpha1
kind: Model
metadata: { name: churn }
spec:
  task: binary-classification
  label: { source: { path: data/l.csv, timestamp: ts }, entities: [id], column: label }
  features: [activity:x, activity:y]
  trainer: { type: tfjs }
---
apiVersion: rudder.dev/v1alpha1
kind: RetrainPolicy
metadata: { name: churn-retrain }
spec:
  model: churn
  triggers: [{ schedule: { every: 30d } }]
  cooldown: 24h
  gates: [{ metric: auc, min: 0.6 }]
`;

function desired(extra = ''): DesiredState {
  const r = compilePolicies({ projectDocs: [], docs: docsOf('p.yaml', POLICIES + extra) });
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.value;
}

const AT = '2026-06-01T00:00:00Z';
const obs = (sourceDigest = 'sha256:s1', newest = '2026-05-31T00:00:00Z'): Observations => ({
  version: 1,
  at: AT,
  views: { activity: { newestEvent: newest, rows: 100, sourceDigest } },
  models: {},
});
const opts = { rudder: '0.1.0', repository: { project: 'p' }, lockfileDigests: {} };

/** The state a successful apply of everything would leave. */
function appliedState(d: DesiredState, trainedAt = '2026-05-31T12:00:00Z'): LockState {
  const s = emptyLockState();
  const v = d.featureViews[0]!;
  const m = d.models[0]!;
  s.features = record({
    activity: {
      kind: 'FeatureLock',
      lockVersion: 1,
      view: 'activity',
      viewDigest: v.digest,
      watermark: '2026-05-31T00:00:00Z',
      rows: 100,
      materializedAt: trainedAt,
      sourceDigest: 'sha256:s1',
    },
  });
  const version: ModelVersion = {
    version: 1,
    status: 'champion',
    statusHistory: [{ status: 'champion', at: trainedAt, reason: 'gates passed' }],
    specDigest: m.digest,
    featureViewDigests: { activity: v.digest },
    trainingSet: { digest: 'sha256:t', cutoff: trainedAt, rows: 10 },
    seed: 42,
    trainer: { type: 'tfjs', backend: 'tfjs/cpu' },
    metrics: { auc: 0.8 },
    artifact: { digest: 'sha256:a', uri: 'artifact://sha256/a' },
    trainedAt,
  };
  s.models = record({
    churn: { kind: 'ModelLock', lockVersion: 1, name: 'churn', specDigest: m.digest, versions: [version] },
  });
  return s;
}

describe('planChanges', () => {
  test('GIVEN no state WHEN planned THEN materialize, train and promote in three waves', () => {
    const plan = planChanges(desired(), emptyLockState(), obs(), opts);
    expect(plan.actions.map((a) => a.type)).toEqual(['feature.materialize', 'model.promote', 'model.train']);
    expect(plan.waves.map((w) => w.map((id) => id.split(':')[0]))).toEqual([
      ['feature.materialize'],
      ['model.train'],
      ['model.promote'],
    ]);
    expect(renderPlanText(plan)).toContain('Plan: 1 to materialize, 1 to train, 1 to promote.');
  });

  test('GIVEN an applied state WHEN planned again THEN there are no changes', () => {
    const d = desired();
    const plan = planChanges(d, appliedState(d), obs(), opts);
    expect(plan.actions).toEqual([]);
    expect(renderPlanText(plan)).toContain('No changes.');
  });

  test('a schedule trigger fires when due', () => {
    const d = desired();
    const due = planChanges(d, appliedState(d, '2026-04-01T00:00:00Z'), obs(), opts);
    expect(due.actions.find((a) => a.type === 'model.train')?.reasons.map((r) => r.code)).toEqual([
      'schedule-due',
    ]);
  });

  test('drift retrains with its evidence, except inside the cooldown', () => {
    const drifted: Observations = {
      ...obs(),
      models: {
        churn: {
          drift: {
            drifted: 1,
            features: 2,
            share: 0.5,
            samples: 1000,
            details: [
              { feature: 'activity:x', method: 'psi', statistic: 0.31, threshold: 0.2, drifted: true },
            ],
          },
        },
      },
    };
    const withDrift = compilePolicies({
      projectDocs: [],
      docs: docsOf(
        'p.yaml',
        POLICIES.replace(
          'triggers: [{ schedule: { every: 30d } }]',
          'triggers: [{ drift: { share: 0.3, minSamples: 500 } }]',
        ),
      ),
    });
    if (!withDrift.ok) throw new Error('fixture');
    const late = planChanges(
      withDrift.value,
      appliedState(withDrift.value, '2026-05-20T00:00:00Z'),
      drifted,
      opts,
    );
    expect(late.actions.find((a) => a.type === 'model.train')?.reasons[0]!.message).toBe(
      '1 of 2 features drifted (share 0.5 ≥ 0.3): activity:x psi 0.31 (threshold 0.2)',
    );
    const recent = planChanges(
      withDrift.value,
      appliedState(withDrift.value, '2026-05-31T12:00:00Z'),
      drifted,
      opts,
    );
    expect(recent.actions).toEqual([]);
    expect(recent.notes[0]).toMatch(/cooldown \(1d\) runs until 2026-06-01T12:00:00.000Z/);
  });

  test('new source data re-materializes; a removed model is retired only as a destructive action', () => {
    const d = desired();
    const state = appliedState(d);
    state.models.fraud = { ...state.models.churn!, name: 'fraud' };
    const plan = planChanges(d, state, obs('sha256:s2'), opts);
    expect(plan.actions.map((a) => `${a.op} ${a.type}`)).toEqual([
      'update feature.materialize',
      'delete model.retire',
    ]);
    expect(plan.actions[1]!.destructive).toBe(true);
    expect(renderPlanText(plan)).toMatch(/- model\.retire\s+fraud/);
  });

  test('a forced retrain under a canary policy with a champion starts a rollout instead of promoting', () => {
    const canary = `---
apiVersion: rudder.dev/v1alpha1
kind: RolloutPolicy
metadata: { name: churn-rollout }
spec: { model: churn, strategy: { type: canary, steps: [{ weight: 10% }, { weight: 100% }] } }
`;
    const d = desired(canary);
    const plan = planChanges(d, appliedState(d), obs(), { ...opts, retrain: ['churn'] });
    expect(plan.actions.map((a) => a.type)).toEqual(['model.train', 'rollout.start']);
    expect(plan.actions[1]!.risk).toBe('high');
  });

  test('a stale source is a note, not an action', () => {
    const d = desired();
    const plan = planChanges(d, appliedState(d), obs('sha256:s1', '2026-01-01T00:00:00Z'), opts);
    expect(plan.actions).toEqual([]);
    expect(plan.notes.join('\n')).toMatch(/newest event is 151d old \(maxAge 7d\)/);
  });

  test('the plan file round-trips, and an edit or a truncation is detected', () => {
    const plan = planChanges(desired(), emptyLockState(), obs(), opts);
    const text = renderPlanJson(plan);
    const back = parsePlanFile(text, 'plan.json');
    expect(back.ok && back.value).toEqual(plan);
    expect(parsePlanFile(text.slice(0, 200), 'plan.json').diagnostics[0]!.code).toBe('plan/malformed');
    expect(
      parsePlanFile(text.replace('"risk": "high"', '"risk": "low"'), 'plan.json').diagnostics[0]!.code,
    ).toBe('plan/tampered');
    expect(
      parsePlanFile(text.replace('"formatVersion": 2', '"formatVersion": 9'), 'plan.json').diagnostics[0]!
        .code,
    ).toBe('plan/unsupported-version');
    const other = planChanges(desired(), emptyLockState(), obs('sha256:s9'), opts);
    expect(diffPlanInputs(plan.inputs, other.inputs)).toEqual([
      'observations changed (a source has new data, or was rewritten)',
    ]);
  });

  test('markdown stays under the GitHub comment limit with summary first', () => {
    const md = renderPlanMarkdown(planChanges(desired(), emptyLockState(), obs(), opts));
    expect(md.startsWith('<!-- rudder-plan -->')).toBe(true);
    expect(md).toContain('**Plan: 1 to materialize, 1 to train, 1 to promote.**');
    expect(md).toContain('<details>');
  });
});
