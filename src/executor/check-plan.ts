// What `rudder apply` refuses before anything runs, as a pure function of the plan, what was
// observed about the repository just now, and the options: a reviewed plan from elsewhere, a stale
// or edited one, a blind one, uncommitted policies, a destroy that was not allowed. I/O (planning,
// git status) happens before, in run-apply.ts; this only decides.
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import type { DesiredState } from '../compiler/desired-state.ts';
import { planChanges } from '../planner/plan.ts';
import { diffActions, diffPlans } from '../planner/plan-diff.ts';
import { diffPlanInputs } from '../planner/plan-file.ts';
import type { Plan } from '../planner/plan-types.ts';
import { restrictTo } from '../planner/restrict.ts';
import type { LockState } from '../state/types.ts';
import { nodeSha256 } from '../util/node-hash.ts';
import { applyError as err } from './refusal.ts';

export interface PlanObservations {
  /** The plan made now, from the world as observed under the apply lock. */
  fresh: Plan;
  /**
   * The reviewed plan made again from its own recorded inputs and observations (lazy: only asked
   * for when the inputs still match). See `replanReviewed`.
   */
  replanned: () => Plan;
  /** Uncommitted policy files (the policy folder, rudder.yaml); undefined when nothing records them. */
  dirty: readonly { path: string }[] | undefined;
}

export interface CheckOptions {
  /** A reviewed plan (`rudder apply --plan`); without one the fresh plan is applied. */
  plan?: Plan;
  allowDirty?: boolean;
  allowDestroy?: boolean;
}

export type PlanCheck =
  | { ok: true; plan: Plan }
  | { ok: false; diagnostics: Diagnostic[]; summary: string; plan: Plan | undefined };

const OUT_OF_DATE = 'Nothing applied: the plan is out of date.';

/** The plan to apply, or why none is applied. */
export function checkPlan(observed: PlanObservations, opts: CheckOptions): PlanCheck {
  const reviewed = opts.plan
    ? checkReviewed(opts.plan, observed)
    : { ok: true as const, plan: observed.fresh };
  if (!reviewed.ok) return reviewed;
  const plan = reviewed.plan;
  const no = (d: Diagnostic, summary: string): PlanCheck => ({ ok: false, diagnostics: [d], summary, plan });
  if (plan.blocked.length > 0)
    return no(
      err(
        'plan/blocked',
        `the plan could not observe what it needs: ${plan.blocked.map((b) => `${b.kind} ${b.name} (${b.reason})`).join('; ')}`,
        'Make the sources readable, then plan and apply again.',
      ),
      'Nothing applied: the plan is blind to part of the world.',
    );
  const dirty = observed.dirty;
  if (dirty && dirty.length > 0 && !opts.allowDirty)
    return no(
      err(
        'apply/dirty-policies',
        `the policies have uncommitted changes (${dirty.map((d) => d.path).join(', ')}): state committed now would describe policies that no clone of the repository has`,
        'Commit the policy changes first (the plan records the commit it was made from), or pass --allow-dirty.',
      ),
      'Nothing applied.',
    );
  const destructive = plan.actions.filter((a) => a.destructive);
  if (destructive.length > 0 && !opts.allowDestroy)
    return no(
      err(
        'apply/destroy-not-allowed',
        `the plan removes state (${destructive.map((a) => a.id).join(', ')}) and --allow-destroy was not given`,
        'Review the - lines, then apply with --allow-destroy.',
      ),
      'Nothing applied.',
    );
  return { ok: true, plan };
}

/** A reviewed plan holds when it was made here, from the world as it is, and is unedited. */
function checkReviewed(reviewed: Plan, observed: PlanObservations): PlanCheck {
  const { fresh } = observed;
  const no = (d: Diagnostic, summary: string): PlanCheck => ({
    ok: false,
    diagnostics: [d],
    summary,
    plan: reviewed,
  });
  const changed = diffPlanInputs(reviewed.inputs, fresh.inputs);
  if (changed.length > 0) {
    const other = changed.find((c) => c.startsWith('repository:'));
    return no(
      other
        ? err(
            'plan/other-repository',
            `the plan was made elsewhere: ${other.slice(12)}`,
            'Plan in this repository.',
          )
        : err(
            'plan/stale',
            `the plan no longer matches the world: ${changed.join('; ')}`,
            'Run rudder plan again, review it, and apply the new plan.',
          ),
      OUT_OF_DATE,
    );
  }
  // The file's own digest proves nothing: whoever can edit it can recompute it. The planner is
  // pure and the file records its inputs and observations, so plan again from them and apply
  // only if the actions are exactly the reviewed ones.
  const recomputed = observed.replanned();
  if (recomputed.digest !== reviewed.digest)
    return no(
      err(
        'plan/tampered',
        `the plan file is not the plan its recorded inputs and observations give: ${diffPlans(reviewed, recomputed).join('; ') || 'its content differs'}${reviewed.rudder !== fresh.rudder ? ` (it was written by Rudder ${reviewed.rudder}; this is ${fresh.rudder})` : ''}`,
        'Apply only a plan file exactly as rudder plan --out wrote it: plan again and review that plan.',
      ),
      'Nothing applied: the plan file was edited.',
    );
  // Inputs that slide (monitoring windows) are not in the digest: what must still hold is that
  // the world, observed now, asks for the same actions.
  const moved = diffActions(reviewed, restrictTo(fresh, reviewed.inputs.options.only, nodeSha256));
  if (moved.length > 0)
    return no(
      err(
        'plan/stale',
        `the plan no longer matches the world: observed now, it asks for other actions (${moved.join('; ')})`,
        'Run rudder plan again, review it, and apply the new plan.',
      ),
      OUT_OF_DATE,
    );
  return { ok: true, plan: reviewed };
}

/** The reviewed plan made again from what it records (pure: the planner observes nothing). */
export function replanReviewed(ws: { desired: DesiredState; lock: LockState }, reviewed: Plan): Plan {
  const o = reviewed.inputs.options;
  return restrictTo(
    planChanges(ws.desired, ws.lock, reviewed.observations, {
      retrain: o.retrain,
      refresh: o.refresh,
      abort: o.abort,
      rudder: reviewed.rudder,
      repository: reviewed.inputs.repository,
      lockfileDigests: reviewed.inputs.lockfiles,
      hash: nodeSha256,
      source: reviewed.source,
    }),
    o.only,
    nodeSha256,
  );
}
