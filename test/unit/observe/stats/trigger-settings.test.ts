// A RetrainPolicy's drift trigger, as written, reaches the column tests: method, per-method
// thresholds, share, window and minSamples; an unknown threshold key is a schema error.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { compilePolicies } from '../../../../src/compiler/compile.ts';
import type { Trigger } from '../../../../src/compiler/desired-state.ts';
import { settingsFromTrigger } from '../../../../src/observe/drift-observe.ts';
import { docsOf } from '../../../helpers/docs.ts';

const root = new URL('../../../../', import.meta.url);

function compileWith(retrain: string) {
  const docs = [
    'features/customer-activity.yaml',
    'features/customer-profile.yaml',
    'models/churn.yaml',
  ].flatMap((f) => docsOf(`policies/${f}`, readFileSync(new URL(`policies/${f}`, root), 'utf8')));
  docs.push(...docsOf('policies/retrain.yaml', retrain));
  const projectDocs = docsOf('rudder.yaml', readFileSync(new URL('rudder.yaml', root), 'utf8'));
  return compilePolicies({ projectDocs, docs });
}

const policy = (drift: string) => `apiVersion: rudder.dev/v1alpha1
kind: RetrainPolicy
metadata: { name: r }
spec:
  model: churn
  triggers:
    - drift: ${drift}
`;

test('thresholds, share, window and minSamples from the policy', () => {
  const r = compileWith(
    policy(
      '{ method: auto, share: 0.3, window: 14d, minSamples: 50, thresholds: { wasserstein: 0.15, ks: 0.01 } }',
    ),
  );
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  if (!r.ok) return;
  const t = r.value.retrainPolicies[0]!.triggers[0] as Extract<Trigger, { type: 'drift' }>;
  expect(settingsFromTrigger(t)).toEqual({
    windowMs: 14 * 86_400_000,
    settings: {
      method: 'auto',
      thresholds: { wasserstein: 0.15, ks: 0.01 },
      share: 0.3,
      minSamples: 50,
      features: [],
    },
  });
  // The defaults without a trigger: auto, share 0.5, 7 days, 200 samples.
  expect(settingsFromTrigger(undefined)).toEqual({
    windowMs: 7 * 86_400_000,
    settings: { method: 'auto', share: 0.5, minSamples: 200, features: [] },
  });
});

test('z-test is a method; an unknown threshold key is refused with its path', () => {
  expect(compileWith(policy('{ method: z-test, threshold: 0.01 }')).ok).toBe(true);
  const bad = compileWith(policy('{ thresholds: { kss: 0.1 } }'));
  expect(bad.ok).toBe(false);
  expect(JSON.stringify(bad.diagnostics)).toMatch(/thresholds/);
});
