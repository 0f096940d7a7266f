// Observe progressing rollouts: read the prediction log (and delayed labels) since each rollout
// started, and analyse it (src/rollout, pure). A log that cannot be read is an error observation:
// the planner then decides nothing for that rollout (fail closed).
import type { DesiredState } from '../compiler/desired-state.ts';
import { observeRollout, type RolloutObservation } from '../rollout/observation.ts';
import type { LockState } from '../state/types.ts';
import type { PredictionLog } from '../prediction-log/port.ts';

export type RolloutObservationOrError = RolloutObservation | { error: string };

export async function observeRollouts(
  desired: DesiredState,
  lock: LockState,
  log: PredictionLog,
  now: Date,
): Promise<Record<string, RolloutObservationOrError>> {
  const out: Record<string, RolloutObservationOrError> = {};
  for (const policy of desired.rolloutPolicies) {
    const rl = lock.rollouts[policy.model];
    const ml = lock.models[policy.model];
    const model = desired.models.find((m) => m.name === policy.model);
    if (!rl || rl.status !== 'progressing' || !ml || !model) continue;
    const challenger = ml.versions.find(
      (v) => v.status === 'challenger' && rl.versions.some((w) => w.version === v.version),
    );
    if (!challenger) continue;
    const champion = ml.versions.find((v) => v.status === 'champion');
    const from = new Date(rl.startedAt ?? rl.updatedAt);
    try {
      const window = { model: policy.model, from, to: now };
      const [predictions, labels] = [await log.readPredictions(window), await log.readLabels(window)];
      out[policy.model] = observeRollout({
        policy,
        lock: rl,
        task: model.task,
        ...(model.task === 'binary-classification' && model.label.classes?.length === 2
          ? { positiveClass: model.label.classes[1] }
          : {}),
        challenger: challenger.version,
        ...(champion ? { champion: champion.version } : {}),
        now,
        predictions: predictions.filter(
          (p) => p.version === challenger.version || p.version === champion?.version,
        ),
        labels,
      });
    } catch (e) {
      out[policy.model] = { error: `prediction log unreadable: ${(e as Error).message.split('\n')[0]}` };
    }
  }
  return out;
}

/**
 * The rollout observations, or undefined when no rollout is progressing (so plans of repositories
 * without one carry no `rollouts` key).
 */
export async function observeProgressingRollouts(
  desired: DesiredState,
  lock: LockState,
  log: PredictionLog,
  now: Date,
): Promise<Record<string, RolloutObservationOrError> | undefined> {
  if (!Object.values(lock.rollouts).some((r) => r.status === 'progressing')) return undefined;
  const out = await observeRollouts(desired, lock, log, now);
  return Object.keys(out).length > 0 ? out : undefined;
}
