// Promotion: what was just trained, or a candidate an earlier apply left waiting (manual
// approval, a killed run), goes through its gates — straight to champion (`model.promote`), or
// as a challenger next to the champion when a RolloutPolicy stages it (`rollout.start`). Pure.
import type { Model, RetrainPolicy, RolloutPolicy } from '../compiler/desired-state.ts';
import { lockPath } from '../state/lock-paths.ts';
import type { ModelVersion } from '../state/types.ts';
import type { PlanContext } from './plan-context.ts';
import type { ActionOf, ExpectedChange, PlanAction, PromoteReasonCode, Reason } from './plan-types.ts';

export function planRollouts(
  ctx: PlanContext,
  planned: readonly PlanAction[],
): (ActionOf<'model.promote'> | ActionOf<'rollout.start'>)[] {
  const trainOf = new Map<string, ActionOf<'model.train'>>();
  for (const a of planned) if (a.type === 'model.train') trainOf.set(a.params.model, a);
  const retrainOf = new Map(ctx.desired.retrainPolicies.map((p) => [p.model, p]));
  const rolloutOf = new Map(ctx.desired.rolloutPolicies.map((p) => [p.model, p]));
  const actions: (ActionOf<'model.promote'> | ActionOf<'rollout.start'>)[] = [];
  for (const m of ctx.desired.models) {
    if (ctx.deferredModels.has(m.name)) continue;
    const ml = ctx.lock.models[m.name];
    const latest = ml?.versions.at(-1);
    const train = trainOf.get(m.name);
    const waiting = train == null && latest?.status === 'candidate' ? latest : undefined;
    if (!train && !waiting) continue;
    const champion = ml?.versions.find((v) => v.status === 'champion');
    const version = waiting?.version ?? train!.params.version;
    actions.push(
      promoteAction(ctx, m, retrainOf.get(m.name), rolloutOf.get(m.name), champion, version, train?.id),
    );
  }
  return actions;
}

function promoteAction(
  ctx: PlanContext,
  m: Model,
  rp: RetrainPolicy | undefined,
  ro: RolloutPolicy | undefined,
  champion: ModelVersion | undefined,
  version: number,
  trainStep: string | undefined,
): ActionOf<'model.promote'> | ActionOf<'rollout.start'> {
  const path = lockPath(ctx.stateDir, 'ModelLock', m.name);
  const rolloutPath = lockPath(ctx.stateDir, 'RolloutLock', m.name);
  const gates = rp?.gates.length
    ? rp.gates.map(describeGate).join('; ')
    : 'no gates: any finite metrics pass';
  const strategy = ro?.strategy;
  const staged = champion != null && strategy != null && strategy.type !== 'direct' ? strategy : undefined;
  const approval = rp?.approval === 'manual';
  const reasons: Reason<PromoteReasonCode>[] = [
    {
      code: trainStep ? 'new-candidate' : 'waiting-candidate',
      message: trainStep
        ? `v${version} will be a candidate`
        : `v${version} is a candidate awaiting promotion`,
    },
    {
      code: 'gates',
      message: champion
        ? `gates against champion v${champion.version} on the same holdout: ${gates}`
        : `first version; gates: ${gates}`,
    },
  ];
  if (approval && rp)
    reasons.push({
      code: 'manual-approval',
      message: `${rp.name} requires approval: apply with --approve ${m.name}`,
    });
  // The two outcomes share everything but what the candidate becomes and how traffic moves.
  const common = {
    op: 'update' as const,
    reasons,
    dependsOn: trainStep ? [trainStep] : [],
    risk: 'high' as const,
    requiresApproval: approval,
    destructive: false,
  };
  const candidateTo = (to: string): ExpectedChange => ({
    path,
    field: `versions[${version}].status`,
    from: 'candidate',
    to,
  });
  if (staged && ro && champion) {
    const first = staged.type === 'canary' ? staged.steps[0]!.weight : staged.split;
    reasons.push({
      code: 'rollout',
      message: `${ro.name}: ${staged.type} from ${Math.round(first * 100)}% of traffic; champion v${champion.version} keeps the rest`,
    });
    return {
      ...common,
      id: `rollout.start:${m.name}@v${version}`,
      type: 'rollout.start',
      resource: { kind: 'RolloutPolicy', name: ro.name },
      changes: [
        candidateTo('challenger (if gates pass) or rejected'),
        {
          path: rolloutPath,
          field: 'versions',
          to: `v${champion.version} ${Math.round((1 - first) * 100)}%, v${version} ${Math.round(first * 100)}%`,
        },
      ],
      params: { model: m.name, version, strategy: staged.type, weight: first },
    };
  }
  return {
    ...common,
    id: `model.promote:${m.name}@v${version}`,
    type: 'model.promote',
    resource: { kind: 'Model', name: m.name },
    changes: [
      candidateTo('champion (if gates pass) or rejected'),
      ...(champion
        ? [
            {
              path,
              field: `versions[${champion.version}].status`,
              from: 'champion',
              to: 'retired (if the candidate passes)',
            },
          ]
        : []),
      { path: rolloutPath, field: 'versions', to: `v${version} 100%` },
    ],
    params: { model: m.name, version, strategy: 'direct' },
  };
}

function describeGate(g: RetrainPolicy['gates'][number]): string {
  const parts: string[] = [];
  if (g.min != null) parts.push(`${g.metric} ≥ ${g.min}`);
  if (g.max != null) parts.push(`${g.metric} ≤ ${g.max}`);
  if (g.beatChampionBy != null) parts.push(`${g.metric} beats champion by ${g.beatChampionBy}`);
  if (g.maxRegression != null) parts.push(`${g.metric} within ${g.maxRegression} of champion`);
  return parts.join(', ');
}
