import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { compilePolicies } from '../../../src/compiler/compile.ts';
import { docsOf } from '../../helpers/docs.ts';

const view = `
apiVersion: rudder.dev/v1alpha1
kind: FeatureView
metadata: { name: activity }
spec:
  source: { path: data/a.csv, timestamp: ts }
  entities: [customer_id]
  features:
    - { name: sessions, type: int }
    - { name: spend, type: float }
    - { name: email, type: string, pii: true }
`;
const model = (features: string) => `
apiVersion: rudder.dev/v1alpha1
kind: Model
metadata: { name: churn }
spec:
  task: binary-classification
  label: { source: { path: data/l.csv, timestamp: ts }, entities: [customer_id], column: churned }
  features: ${features}
  trainer: { type: tfjs }
`;

describe('compilePolicies', () => {
  test('GIVEN the root policies WHEN compiled THEN every resource resolves with a digest', () => {
    const root = new URL('../../../', import.meta.url);
    const files = [
      'features/customer-activity.yaml',
      'features/customer-profile.yaml',
      'models/churn.yaml',
      'operations/churn-retrain.yaml',
      'operations/churn-rollout.yaml',
      'operations/pii.yaml',
    ];
    const docs = files.flatMap((f) =>
      docsOf(`policies/${f}`, readFileSync(new URL(`policies/${f}`, root), 'utf8')),
    );
    const projectDocs = docsOf('rudder.yaml', readFileSync(new URL('rudder.yaml', root), 'utf8'));
    const r = compilePolicies({ projectDocs, docs });
    expect(r.diagnostics).toEqual([]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.models.map((m) => m.name)).toEqual(['churn']);
    expect(r.value.models[0]!.features).toHaveLength(7);
    for (const x of [...r.value.featureViews, ...r.value.models])
      expect(x.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  test('view:* expands to the non-PII features, in a stable order', () => {
    const r = compilePolicies({
      projectDocs: [],
      docs: docsOf('p.yaml', `${view}---${model('[activity:*]')}`),
    });
    expect(r.ok && r.value.models[0]!.features.map((f) => f.ref)).toEqual([
      'activity:sessions',
      'activity:spend',
    ]);
  });

  test('comments, key order and spelled-out defaults do not change digests; meaning does', () => {
    const a = compilePolicies({
      projectDocs: [],
      docs: docsOf('p.yaml', `${view}---${model('[activity:spend, activity:sessions]')}`),
    });
    const b = compilePolicies({
      projectDocs: [],
      docs: docsOf(
        'q.yaml',
        `${view.replace('entities: [customer_id]', '# the key\n  ttl: 30d\n  entities: [customer_id]')}---${model('[activity:sessions, activity:spend]').replace('trainer: { type: tfjs }', 'trainer: { seed: 42, type: tfjs }')}`,
      ),
    });
    const c = compilePolicies({
      projectDocs: [],
      docs: docsOf('p.yaml', `${view}---${model('[activity:sessions]')}`),
    });
    if (!a.ok || !b.ok || !c.ok) throw new Error('fixtures must compile');
    expect(b.value.models[0]!.digest).toBe(a.value.models[0]!.digest);
    expect(b.value.featureViews[0]!.digest).toBe(a.value.featureViews[0]!.digest);
    expect(c.value.models[0]!.digest).not.toBe(a.value.models[0]!.digest);
  });

  test('a PII feature without an allow entry is refused', () => {
    const r = compilePolicies({
      projectDocs: [],
      docs: docsOf('p.yaml', `${view}---${model('[activity:email]')}`),
    });
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['model/pii-feature']);
  });
});
