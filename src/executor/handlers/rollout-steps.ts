// rollout.advance / rollout.promote / rollout.rollback: the decisions the planner took from the
// rollout analysis. `run` only checks that the rollout lock is still where the plan saw it (a
// concurrent apply, a hand edit or a git pull may have moved it); the lock transitions are pure
// (src/rollout/transitions.ts) and the executor commits them, so every step and rollback is a
// commit.
import { advanceRollout, promoteRollout, rollbackRollout } from '../../rollout/transitions.ts';
import type { ObservedResult } from '../../rollout/observation.ts';
import type { LockState } from '../../state/types.ts';
import { skip, type ActionHandler, type Skip } from '../handler.ts';

export interface RolloutStepOutcome {
  model: string;
  version: number;
  /** The challenger's traffic share afterwards. */
  weight: number;
  step: number;
  champion?: number;
  reason: string;
}

function check(lock: LockState, model: string, version: number, step?: number): Skip | undefined {
  const rl = lock.rollouts[model];
  if (!rl || rl.status !== 'progressing')
    return skip(`the rollout of ${model} is ${rl?.status ?? 'gone'} now`);
  if (!rl.versions.some((v) => v.version === version))
    return skip(`v${version} is no longer in the rollout of ${model}`);
  if (step != null && rl.step !== step) return skip(`the rollout of ${model} is at step ${rl.step + 1} now`);
  const mv = lock.models[model]?.versions.find((v) => v.version === version);
  if (mv?.status !== 'challenger')
    return skip(`v${version} is ${mv?.status ?? 'unknown'} now, not a challenger`);
  return undefined;
}

const championOf = (lock: LockState, model: string): number | undefined =>
  lock.models[model]?.versions.find((v) => v.status === 'champion')?.version;

const pct = (w: number): string => `${Math.round(w * 1000) / 10}%`;
const fmt = (x: number): string => String(Number(x.toPrecision(3)));

/** The paired decisions behind an advance or promotion, for the commit: metric, decision, n, bound, α. */
function pairedEvidence(results: readonly ObservedResult[]): string {
  const parts = results.flatMap((r) =>
    r.paired && r.paired.decision !== 'wait'
      ? [
          `${r.metric} ${r.paired.decision}${r.paired.recorded ? ' (recorded earlier in the step)' : ''}: ${r.paired.n} paired labelled predictions, excess bound [${fmt(r.paired.bound[0]!)}, ${fmt(r.paired.bound[1]!)}] at α ${r.paired.alpha}`,
        ]
      : [],
  );
  return parts.length > 0 ? `; ${parts.join('; ')}` : '';
}

/** The outcome of a step that ends the rollout: the lock as the plan saw it, the challenger at `weight`. */
function endOfRollout(
  lock: LockState,
  p: { model: string; version: number },
  weight: number,
  reason: string,
): RolloutStepOutcome | Skip {
  return (
    check(lock, p.model, p.version) ?? {
      model: p.model,
      version: p.version,
      weight,
      step: lock.rollouts[p.model]!.step,
      champion: championOf(lock, p.model),
      reason,
    }
  );
}

export const rolloutAdvanceHandler: ActionHandler<'rollout.advance', RolloutStepOutcome> = {
  run(a, ctx) {
    const p = a.params;
    const s = check(ctx.lock(), p.model, p.version, p.from);
    if (s) return Promise.resolve(s);
    return Promise.resolve({
      model: p.model,
      version: p.version,
      weight: p.weight,
      step: p.to,
      champion: championOf(ctx.lock(), p.model),
      reason: a.reasons[0]?.message ?? 'analysis passed',
    });
  },
  lockAfter: (lock, o, a, meta) =>
    advanceRollout(
      lock,
      {
        model: o.model,
        version: o.version,
        to: o.step,
        weight: o.weight,
        results: a.params.results,
        reason: `step ${o.step + 1}: v${o.version} at ${pct(o.weight)} (${o.reason})`,
      },
      meta,
    ),
  summary: (o, a) =>
    `v${o.version} now at ${pct(o.weight)} of traffic (step ${o.step + 1})${o.champion != null ? `; champion v${o.champion} ${pct(1 - o.weight)}` : ''}${pairedEvidence(a.params.results)}`,
  subject: (o) => `advance ${o.model} v${o.version} to ${pct(o.weight)}`,
};

export const rolloutPromoteHandler: ActionHandler<'rollout.promote', RolloutStepOutcome> = {
  run: (a, ctx) =>
    Promise.resolve(endOfRollout(ctx.lock(), a.params, 1, a.reasons[0]?.message ?? 'rollout completed')),
  lockAfter: (lock, o, a, meta) =>
    promoteRollout(
      lock,
      { model: o.model, version: o.version, results: a.params.results, reason: o.reason },
      meta,
    ),
  summary: (o, a) =>
    `v${o.version} is the champion (100% of traffic)${o.champion != null ? `; v${o.champion} retired` : ''}${pairedEvidence(a.params.results)}`,
  subject: (o) => `promote ${o.model} v${o.version} (rollout completed)`,
};

export const rolloutRollbackHandler: ActionHandler<'rollout.rollback', RolloutStepOutcome> = {
  run: (a, ctx) =>
    Promise.resolve(endOfRollout(ctx.lock(), a.params, 0, a.reasons[0]?.message ?? 'rolled back')),
  lockAfter: (lock, o, a, meta) =>
    rollbackRollout(
      lock,
      {
        model: o.model,
        version: o.version,
        hold: a.params.hold,
        status: a.params.status,
        results: a.params.results,
        reason: o.reason,
      },
      meta,
    ),
  summary: (o, a) =>
    `v${o.version} ${a.params.status === 'aborted' ? 'aborted' : 'rolled back'} (0% of traffic${a.params.hold ? ', held' : ''})${o.champion != null ? `; champion v${o.champion} 100%` : ''}: ${o.reason}`,
  subject: (o, a) => `${a.params.status === 'aborted' ? 'abort' : 'roll back'} ${o.model} v${o.version}`,
};
