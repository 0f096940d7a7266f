// The state commit's subject and body, derived from the actions' outcomes. Pure.
import { renderSummaryLine } from '../planner/render.ts';
import type { Plan } from '../planner/plan-types.ts';
import type { ActionOutcome } from './execute.ts';

const SUBJECT_LIMIT = 150;

/**
 * What the commit records, in execution order and plain words:
 * `train churn v2 (spec changed), promote churn v2`.
 */
export function commitSubject(outcomes: readonly ActionOutcome[]): string {
  const s = outcomes
    .filter((o) => o.status === 'done' && o.subject != null)
    .map((o) => o.subject)
    .join(', ');
  return s.length > SUBJECT_LIMIT ? `${s.slice(0, SUBJECT_LIMIT - 3)}…` : s || 'record state';
}

/** The plan's summary, then one line per action with its status and summary. */
export function commitBody(plan: Plan, outcomes: readonly ActionOutcome[]): string {
  const lines = outcomes.map((o) => `- ${o.id}: ${o.status}: ${o.message.split('\n')[0]}`);
  return [`Plan ${plan.digest.slice(7, 19)}: ${renderSummaryLine(plan)}`, '', ...lines].join('\n');
}
