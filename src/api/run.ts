// Plan, apply, explain and reconcile: the loop of the CLI's `plan`, `apply`, `explain` and
// `reconcile` and of the MCP server's plan and apply tools.
import { resolve } from 'node:path';
import { apply, plan, restrictPlan, type PlanOptions } from '../compose/run.ts';
import type { ApiResult } from '../diagnostics/diagnostic.ts';
import type { ApplyOptions, ApplyRunResult } from '../executor/run-apply.ts';
import { explainAction, type ExplainResult } from '../planner/explain.ts';
import { renderPlanJson } from '../planner/plan-file.ts';
import type { Plan, PlanAction } from '../planner/plan-types.ts';
import { atomicWrite } from '../state/atomic.ts';
import { unlockApplyLock, type UnlockResult } from '../state/apply-lock.ts';

export { apply, plan, type PlanOptions, type PlanResult } from '../compose/run.ts';

export interface ExplainOptions extends PlanOptions {
  /** An action id, or a prefix of one (`model.train:churn`). */
  action: string;
  /** A reviewed plan to explain; default: plan now. */
  plan?: Plan;
}

/** Why an action is in the plan: reasons, order, expected lockfile changes, observations. Read-only. */
export async function explain(
  opts: ExplainOptions,
): Promise<ApiResult<{ plan: Plan; result: ExplainResult }>> {
  if (opts.plan)
    return {
      ok: true,
      plan: opts.plan,
      result: explainAction(opts.plan, opts.action),
      diagnostics: [],
      sources: new Map(),
    };
  const p = await plan(opts);
  if (!p.ok) return p;
  return {
    ok: true,
    plan: p.plan,
    result: explainAction(p.plan, opts.action),
    diagnostics: p.diagnostics,
    sources: p.sources,
  };
}

export type ReconcileOptions = Omit<ApplyOptions, 'plan' | 'approve' | 'allowDestroy' | 'confirm'>;

export interface ReconcileResult extends ApplyRunResult {
  /** Planned actions left for a person: they need approval or remove state. */
  held: PlanAction[];
}

/**
 * One reconcile pass: observe → plan → apply the actions that need no approval and remove no
 * state (and what they depend on) → commit. What is held back is listed, not applied.
 */
export async function reconcile(opts: ReconcileOptions): Promise<ReconcileResult> {
  const full = await plan({
    cwd: opts.cwd,
    policiesDir: opts.policiesDir,
    retrain: opts.retrain,
    now: (opts.now ?? (() => new Date()))(),
  });
  if (!full.ok)
    return {
      ok: false,
      diagnostics: full.diagnostics,
      sources: full.sources,
      outcomes: [],
      held: [],
      summary: 'Nothing reconciled: fix the errors above.',
    };
  const auto = restrictPlan(full.plan, (a) => !a.requiresApproval && !a.destructive);
  const kept = new Set(auto.actions.map((a) => a.id));
  const held = full.plan.actions.filter((a) => !kept.has(a.id));
  let r = await apply({ ...opts, plan: auto });
  // The world asked for other decisions between planning and applying (a measurement failed a
  // moment later, say). No person reviews a reconcile plan: plan and apply in one go under the
  // apply lock instead (actions that need approval still wait; a plan that removes state is
  // refused).
  if (!r.ok && r.diagnostics.some((d) => d.code === 'plan/stale')) r = await apply(opts);
  const note = held.length
    ? ` ${held.length} action(s) wait for a person: ${held.map((a) => a.id).join(', ')}.`
    : '';
  return { ...r, held, summary: `${r.summary}${note}` };
}

/** Release the apply lock by hand (after a crashed apply on another machine, say). */
export function unlock(opts: { cwd: string; id: string; force?: boolean }): Promise<UnlockResult> {
  return unlockApplyLock(resolve(opts.cwd), opts.id, { force: opts.force });
}

/** Write a plan file (`rudder plan --out`): all or nothing, never a half-written plan. */
export async function writePlanFile(path: string, p: Plan): Promise<void> {
  await atomicWrite(path, renderPlanJson(p));
}
