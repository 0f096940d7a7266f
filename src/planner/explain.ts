// Why an action is in a plan: its reasons with their evidence, what it waits for and what waits
// for it, the lockfile changes it should make, and the observations behind it. Pure.
import type { ModelObservation, ViewObservation, ViewObservationError } from '../observe/observations.ts';
import { modelOfAction, type Plan, type PlanAction } from './plan-types.ts';
import { shortDigest } from '../util/messages.ts';

export interface ActionExplanation {
  action: PlanAction;
  /** 1-based wave the action runs in. */
  wave: number;
  /** The actions it runs after, and those that run after it. */
  after: PlanAction[];
  before: PlanAction[];
  /** The observations the planner read for it (by view and by model). */
  observations: {
    views: Record<string, ViewObservation | ViewObservationError>;
    models: Record<string, ModelObservation>;
  };
  /** The same, as text lines for a terminal. */
  lines: string[];
}

export type ExplainResult =
  { ok: true; explanation: ActionExplanation } | { ok: false; message: string; candidates: string[] };

/** Find `id` (or the one action whose id starts with it) in `plan` and explain it. */
export function explainAction(plan: Plan, id: string): ExplainResult {
  const matches = plan.actions.filter((a) => a.id === id);
  const found = matches.length ? matches : plan.actions.filter((a) => a.id.startsWith(id));
  if (found.length !== 1)
    return {
      ok: false,
      message:
        found.length === 0
          ? plan.actions.length
            ? `no action ${JSON.stringify(id)} in plan ${shortDigest(plan.digest)}`
            : `plan ${shortDigest(plan.digest)} is empty: nothing to explain`
          : `${JSON.stringify(id)} matches ${found.length} actions; give more of the id`,
      candidates: (found.length ? found : plan.actions).map((a) => a.id),
    };
  const a = found[0]!;
  const byId = new Map(plan.actions.map((x) => [x.id, x]));
  const after = a.dependsOn.map((d) => byId.get(d)).filter((x): x is PlanAction => x != null);
  const before = plan.actions.filter((x) => x.dependsOn.includes(a.id));
  const views: ActionExplanation['observations']['views'] = {};
  const models: ActionExplanation['observations']['models'] = {};
  for (const v of viewsOf(a)) {
    const o = plan.observations.views[v];
    if (o) views[v] = o;
  }
  const model = modelOfAction(a);
  if (model != null && plan.observations.models[model]) models[model] = plan.observations.models[model];
  const wave = plan.waves.findIndex((w) => w.includes(a.id)) + 1;
  const flags = [
    `risk ${a.risk}`,
    a.requiresApproval ? 'needs approval' : '',
    a.destructive ? 'needs --allow-destroy' : '',
  ].filter(Boolean);
  const lines = [
    `${a.id} (${a.op}, ${flags.join(', ')}), wave ${wave} of ${plan.waves.length}`,
    'Why:',
    ...a.reasons.map((r) => `  - ${r.message} [${r.code}]`),
    ...(after.length ? ['Runs after:', ...after.map((x) => `  - ${x.id}`)] : []),
    ...(before.length ? ['Then:', ...before.map((x) => `  - ${x.id}`)] : []),
    ...(a.changes.length
      ? [
          'Expected lockfile changes:',
          ...a.changes.map((c) => `  ${c.path}: ${c.field}${c.from != null ? ` ${c.from} →` : ' →'} ${c.to}`),
        ]
      : []),
    ...Object.entries(views).map(([v, o]) =>
      'error' in o
        ? `Observed ${v}: cannot be read (${o.error})`
        : `Observed ${v}: ${o.rows} rows, newest event ${o.newestEvent ?? 'none'}, source ${o.sourceDigest.replace(/^sha256:/, '').slice(0, 12)}`,
    ),
  ];
  return {
    ok: true,
    explanation: { action: a, wave, after, before, observations: { views, models }, lines },
  };
}

function viewsOf(a: PlanAction): string[] {
  switch (a.type) {
    case 'feature.materialize':
      return [a.params.view];
    case 'data.scan':
    case 'model.train':
      return a.params.views;
    case 'model.promote':
    case 'rollout.start':
    case 'model.retire':
    case 'rollout.advance':
    case 'rollout.promote':
    case 'rollout.rollback':
      return [];
  }
}
