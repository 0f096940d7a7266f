// rollout.start: as model.promote, but a champion is serving and the RolloutPolicy stages the
// change (canary or A/B): a candidate that passes becomes a challenger at the first step's
// traffic share, recorded in the rollout lock; the champion keeps the rest.
import type { ActionHandler } from '../handler.ts';
import {
  gateCandidate,
  promoteLockAfter,
  promoteSubject,
  promoteSummary,
  type PromoteOutcome,
} from './gate-candidate.ts';

export const rolloutStartHandler: ActionHandler<'rollout.start', PromoteOutcome> = {
  run: gateCandidate,
  lockAfter: (lock, o, _a, meta) => promoteLockAfter(lock, o, meta),
  summary: promoteSummary,
  subject: promoteSubject,
};
