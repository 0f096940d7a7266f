// A synthetic plan with `n` training actions, shaped like the planner's output, for rendering tests.
import type { Plan, PlanAction } from '../../../src/planner/plan-types.ts';

export function syntheticPlan(n: number, reasonLength = 40): Plan {
  const actions: PlanAction[] = [];
  for (let i = 0; i < n; i++) {
    const name = `model-${String(i).padStart(4, '0')}`;
    actions.push({
      id: `model.train:${name}@0123456789ab`,
      type: 'model.train',
      op: 'create',
      resource: { kind: 'Model', name },
      reasons: [{ code: 'spec-changed', message: `spec changed: ${'x'.repeat(reasonLength)}` }],
      dependsOn: [],
      risk: 'low',
      requiresApproval: false,
      destructive: false,
      changes: [{ path: `state/models/${name}.lock.yaml`, field: 'versions', to: 'v1 (candidate)' }],
      params: { model: name, specDigest: 'sha256:00', version: 1, views: ['activity'] },
    } as PlanAction);
  }
  return {
    formatVersion: 2,
    blocked: [],
    source: { uncommittedState: [] },
    rudder: '0.1.0',
    createdAt: '2026-07-06T00:00:00.000Z',
    inputs: {
      policies: 'sha256:p',
      lockfiles: {},
      observations: 'sha256:o',
      repository: { project: 'acme' },
      options: { retrain: [] },
    },
    inputsDigest: `sha256:${'1'.repeat(64)}`,
    observations: { version: 1, at: '2026-07-06T00:00:00.000Z', views: {}, models: {} },
    actions,
    waves: n ? [actions.map((a) => a.id)] : [],
    notes: [],
    summary: n ? { 'model.train': n } : {},
    digest: `sha256:${'a'.repeat(64)}`,
  } as Plan;
}
