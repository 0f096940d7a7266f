// model.retire: a model left the policies; remove its model and rollout locks (history stays in git).
import { withoutLock } from '../../state/lock-state.ts';
import type { ActionHandler } from '../handler.ts';

export interface RetireOutcome {
  model: string;
}

export const retireHandler: ActionHandler<'model.retire', RetireOutcome> = {
  run: (a) => Promise.resolve({ model: a.params.model }),
  lockAfter: (lock, o) => withoutLock(withoutLock(lock, 'ModelLock', o.model), 'RolloutLock', o.model),
  summary: (o) => `${o.model} retired; its lockfiles are removed (history stays in git)`,
  subject: (o) => `retire ${o.model}`,
};
