// A progressing rollout moves on: `rollout.advance` when the step's hold is over and its analysis
// passed (at least minSamples), `rollout.promote` after the last step or when an A/B test finds
// the challenger better, `rollout.rollback` when the analysis fails (Argo Rollouts' semantics:
// a measurement per interval, failureLimit, inconclusive below minSamples) or an A/B test finds
// it worse — weight 0 and the version held. Every decision is an action, so it is applied and
// committed like any other. Pure: it reads the rollout observations observe took.
import type { RolloutPolicy } from '../compiler/desired-state.ts';
import type { RolloutObservation } from '../rollout/observation.ts';
import { lockPath } from '../state/lock-paths.ts';
import type { RolloutLock } from '../state/types.ts';
import { formatAge, type PlanContext } from './plan-context.ts';
import { modelOfAction, type ActionOf, type PlanAction } from './plan-types.ts';

type StepAction = ActionOf<'rollout.advance'> | ActionOf<'rollout.promote'> | ActionOf<'rollout.rollback'>;

const pct = (w: number): string => `${Math.round(w * 1000) / 10}%`;

export function planRolloutSteps(ctx: PlanContext, planned: readonly PlanAction[]): StepAction[] {
  const out: StepAction[] = [];
  const retrainOf = new Map(ctx.desired.retrainPolicies.map((p) => [p.model, p]));
  for (const policy of ctx.desired.rolloutPolicies) {
    const rl = ctx.lock.rollouts[policy.model];
    if (!rl || rl.status !== 'progressing' || policy.strategy.type === 'direct') continue;
    // A new candidate of this model is being promoted in this plan: that decides first.
    if (planned.some((a) => a.type !== 'model.train' && modelOfAction(a) === policy.model)) continue;
    if (ctx.abort?.has(policy.model)) {
      out.push(abortRollout(ctx, policy, rl));
      continue;
    }
    const obs = analysedRollout(ctx, policy);
    if (!obs) continue;
    const step = stepContext(ctx, policy, obs, retrainOf.get(policy.model)?.approval === 'manual');
    const rollback = (code: RollbackCode, message: string, hold: boolean): void => {
      const a = rollbackAction(ctx, step, code, message, hold);
      if (a) out.push(a);
    };
    const promote = (code: 'last-step' | 'ab-winner', message: string): void => {
      out.push(promoteAction(step, code, message));
    };
    const st = policy.strategy;
    if (obs.verdict === 'failed') rollback('analysis-failed', obs.reasons.join('; '), true);
    else if (st.type === 'canary') planCanary(ctx, policy, st, rl, obs, out, step.manual, step.path, promote);
    else if (st.type === 'abTest') planAbTest(ctx, policy, st, rl, obs, rollback, promote);
  }
  return out;
}

type RollbackCode = 'analysis-failed' | 'ab-loser' | 'max-duration';

/** The observation of a progressing rollout, or undefined with a note saying why nothing is decided. */
function analysedRollout(ctx: PlanContext, policy: RolloutPolicy): RolloutObservation | undefined {
  const obs = ctx.obs.rollouts?.[policy.model];
  if (!obs) {
    ctx.notes.push(
      `RolloutPolicy ${policy.name}: the rollout of ${policy.model} is progressing but was not analysed (no prediction log read); nothing decided.`,
    );
    return undefined;
  }
  if ('error' in obs) {
    ctx.notes.push(`RolloutPolicy ${policy.name}: ${obs.error}; nothing decided for ${policy.model}.`);
    return undefined;
  }
  return obs;
}

/** What a step decision of one rollout needs: its policy, what was observed, the locks it changes. */
interface StepContext {
  policy: RolloutPolicy;
  obs: RolloutObservation;
  manual: boolean;
  champion: number | undefined;
  path: string;
  modelPath: string;
}

function stepContext(
  ctx: PlanContext,
  policy: RolloutPolicy,
  obs: RolloutObservation,
  manual: boolean,
): StepContext {
  return {
    policy,
    obs,
    manual,
    champion: ctx.lock.models[policy.model]?.versions.find((v) => v.status === 'champion')?.version,
    path: lockPath(ctx.stateDir, 'RolloutLock', policy.model),
    modelPath: lockPath(ctx.stateDir, 'ModelLock', policy.model),
  };
}

/** Weight 0 and the version held (or rejected); a failed analysis without automatic rollback is a note. */
function rollbackAction(
  ctx: PlanContext,
  { policy, obs, champion, path, modelPath }: StepContext,
  code: RollbackCode,
  message: string,
  hold: boolean,
): ActionOf<'rollout.rollback'> | undefined {
  if (!policy.rollback.automatic && code === 'analysis-failed') {
    ctx.notes.push(
      `RolloutPolicy ${policy.name}: v${obs.version} failed its analysis (${message}) but rollback.automatic is false: abort it with rudder reconcile --abort ${policy.model}.`,
    );
    return undefined;
  }
  const keep = hold && policy.rollback.hold;
  return {
    id: `rollout.rollback:${policy.model}@v${obs.version}`,
    type: 'rollout.rollback',
    op: 'update',
    resource: { kind: 'RolloutPolicy', name: policy.name },
    reasons: [{ code, message }],
    dependsOn: [],
    risk: 'medium',
    // Taking traffic away from a failing version never waits for a person.
    requiresApproval: false,
    destructive: false,
    changes: [
      {
        path,
        field: 'versions',
        to: `${champion != null ? `v${champion} 100%, ` : ''}v${obs.version} 0%`,
      },
      { path, field: 'status', from: 'progressing', to: 'rolled-back' },
      {
        path: modelPath,
        field: `versions[${obs.version}].status`,
        from: 'challenger',
        to: keep ? 'held' : 'rejected',
      },
    ],
    params: {
      model: policy.model,
      version: obs.version,
      hold: keep,
      status: 'rolled-back',
      results: obs.results,
    },
  };
}

/** All traffic to the challenger, which becomes the champion; the old champion retires. */
function promoteAction(
  { policy, obs, manual, champion, path, modelPath }: StepContext,
  code: 'last-step' | 'ab-winner',
  message: string,
): ActionOf<'rollout.promote'> {
  return {
    id: `rollout.promote:${policy.model}@v${obs.version}`,
    type: 'rollout.promote',
    op: 'update',
    resource: { kind: 'RolloutPolicy', name: policy.name },
    reasons: [{ code, message }],
    dependsOn: [],
    risk: 'high',
    requiresApproval: manual,
    destructive: false,
    changes: [
      { path, field: 'versions', to: `v${obs.version} 100%` },
      { path, field: 'status', from: 'progressing', to: 'promoted' },
      { path: modelPath, field: `versions[${obs.version}].status`, from: 'challenger', to: 'champion' },
      ...(champion != null
        ? [{ path: modelPath, field: `versions[${champion}].status`, from: 'champion', to: 'retired' }]
        : []),
    ],
    params: { model: policy.model, version: obs.version, results: obs.results },
  };
}

/** An A/B test ends when its sequential test decides, or at maxDuration with the champion kept. */
function planAbTest(
  ctx: PlanContext,
  policy: RolloutPolicy,
  st: Extract<RolloutPolicy['strategy'], { type: 'abTest' }>,
  rl: RolloutLock,
  obs: RolloutObservation,
  rollback: (code: RollbackCode, message: string, hold: boolean) => void,
  promote: (code: 'ab-winner', message: string) => void,
): void {
  const ab = obs.ab;
  const running = ctx.now - Date.parse(rl.startedAt ?? rl.updatedAt);
  if (ab?.decision === 'challenger-better') promote('ab-winner', ab.message);
  else if (ab?.decision === 'champion-better') rollback('ab-loser', ab.message, true);
  else if (running >= st.maxDurationMs)
    rollback(
      'max-duration',
      `undecided after ${formatAge(running)} (maxDuration ${formatAge(st.maxDurationMs)}): the champion stays${ab ? `; ${ab.message}` : ''}`,
      false,
    );
  else
    ctx.notes.push(
      `RolloutPolicy ${policy.name}: A/B test of ${policy.model} v${obs.version} continues: ${ab?.message ?? 'no champion to compare with'}.`,
    );
}

function planCanary(
  ctx: PlanContext,
  policy: RolloutPolicy,
  st: Extract<RolloutPolicy['strategy'], { type: 'canary' }>,
  rl: RolloutLock,
  obs: RolloutObservation,
  out: StepAction[],
  manual: boolean,
  path: string,
  promote: (code: 'last-step', message: string) => void,
): void {
  const step = st.steps[rl.step];
  const where = `step ${rl.step + 1} of ${st.steps.length}`;
  if (!step) {
    ctx.notes.push(
      `RolloutPolicy ${policy.name}: the rollout of ${policy.model} is at step ${rl.step + 1}, but the policy has ${st.steps.length}; promoting.`,
    );
    promote('last-step', `past the last step of ${policy.name}`);
    return;
  }
  if (obs.verdict !== 'passed') {
    ctx.notes.push(
      `RolloutPolicy ${policy.name}: ${policy.model} v${obs.version} at ${where} waits: ${obs.reasons.join('; ')}.`,
    );
    return;
  }
  const elapsed = ctx.now - Date.parse(rl.updatedAt);
  if (elapsed < step.holdMs) {
    ctx.notes.push(
      `RolloutPolicy ${policy.name}: ${policy.model} v${obs.version} at ${where} passes its analysis (${obs.reasons.join('; ')}); hold ${formatAge(step.holdMs)} has ${formatAge(step.holdMs - elapsed)} left.`,
    );
    return;
  }
  const evidence = `${where} held ${formatAge(elapsed)} ≥ ${formatAge(step.holdMs)}; ${obs.reasons.join('; ')}`;
  const next = st.steps[rl.step + 1];
  if (!next) {
    promote('last-step', evidence);
    return;
  }
  out.push({
    id: `rollout.advance:${policy.model}@v${obs.version}-step${rl.step + 2}`,
    type: 'rollout.advance',
    op: 'update',
    resource: { kind: 'RolloutPolicy', name: policy.name },
    reasons: [{ code: 'analysis-passed', message: evidence }],
    dependsOn: [],
    risk: 'medium',
    requiresApproval: manual,
    destructive: false,
    changes: [
      { path, field: 'step', from: String(rl.step), to: String(rl.step + 1) },
      {
        path,
        field: `versions[${obs.version}].weight`,
        from: pct(rl.versions.find((v) => v.version === obs.version)?.weight ?? 0),
        to: pct(next.weight),
      },
    ],
    params: {
      model: policy.model,
      version: obs.version,
      from: rl.step,
      to: rl.step + 1,
      weight: next.weight,
      results: obs.results,
    },
  });
}

/** A person aborts a progressing rollout: the candidate's traffic goes to the champion now, whatever the analysis says. */
function abortRollout(
  ctx: PlanContext,
  policy: RolloutPolicy,
  rl: RolloutLock,
): ActionOf<'rollout.rollback'> {
  const champion = ctx.lock.models[policy.model]?.versions.find((v) => v.status === 'champion')?.version;
  const version =
    [...rl.versions].reverse().find((v) => v.version !== champion)?.version ??
    rl.versions.at(-1)?.version ??
    0;
  const path = lockPath(ctx.stateDir, 'RolloutLock', policy.model);
  const hold = policy.rollback.hold;
  return {
    id: `rollout.rollback:${policy.model}@v${version}`,
    type: 'rollout.rollback',
    op: 'update',
    resource: { kind: 'RolloutPolicy', name: policy.name },
    reasons: [{ code: 'aborted', message: `abort requested at step ${rl.step + 1}` }],
    dependsOn: [],
    risk: 'medium',
    requiresApproval: false,
    destructive: false,
    changes: [
      { path, field: 'versions', to: `${champion != null ? `v${champion} 100%, ` : ''}v${version} 0%` },
      { path, field: 'status', from: 'progressing', to: 'aborted' },
      {
        path: lockPath(ctx.stateDir, 'ModelLock', policy.model),
        field: `versions[${version}].status`,
        from: 'challenger',
        to: hold ? 'held' : 'rejected',
      },
    ],
    params: { model: policy.model, version, hold, status: 'aborted', results: [] },
  };
}
