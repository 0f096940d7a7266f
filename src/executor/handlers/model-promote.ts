// model.promote: the candidate passes its gates and becomes champion (the old champion retires,
// the rollout lock sends it all traffic), or it is rejected. A rejection is the gates doing
// their job, not a failed action.
import type { ActionHandler } from '../handler.ts';
import {
  gateCandidate,
  promoteLockAfter,
  promoteSubject,
  promoteSummary,
  type PromoteOutcome,
} from './gate-candidate.ts';

export const promoteHandler: ActionHandler<'model.promote', PromoteOutcome> = {
  run: gateCandidate,
  lockAfter: (lock, o, _a, meta) => promoteLockAfter(lock, o, meta),
  summary: promoteSummary,
  subject: promoteSubject,
};
