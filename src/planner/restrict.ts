// One-operation plans: the actions an operation selects (retrain one model, refresh one view)
// and everything they depend on. The selection is recorded in the plan's inputs, so apply can
// recompute exactly this plan from its inputs and observations, as it does for any plan. Pure.
import { digestOf, type HashHex } from '../util/canonical.ts';
import type { Plan, PlanAction } from './plan-types.ts';

/** Keep the actions `keep` selects and their dependencies; waves, summary and digests follow. */
export function restrictPlan(plan: Plan, keep: (a: PlanAction) => boolean, hash?: HashHex): Plan {
  return restrictTo(
    plan,
    plan.actions.filter(keep).map((a) => a.id),
    hash,
  );
}

/** The plan restricted to `only` (action ids, with their dependencies); the plan itself when `only` is absent. */
export function restrictTo(plan: Plan, only: readonly string[] | undefined, hash?: HashHex): Plan {
  if (only == null) return plan;
  const byId = new Map(plan.actions.map((a) => [a.id, a]));
  const selected = [...new Set(only)].filter((id) => byId.has(id)).sort();
  const want = new Set<string>();
  const stack = [...selected];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (want.has(id)) continue;
    want.add(id);
    for (const d of byId.get(id)?.dependsOn ?? []) stack.push(d);
  }
  const actions = plan.actions.filter((a) => want.has(a.id));
  const summary: Plan['summary'] = {};
  for (const a of actions) summary[a.type] = (summary[a.type] ?? 0) + 1;
  const inputs = { ...plan.inputs, options: { ...plan.inputs.options, only: selected } };
  const { digest: _full, ...rest } = plan;
  const body: Omit<Plan, 'digest'> = {
    ...rest,
    inputs,
    inputsDigest: digestOf(inputs, hash),
    actions,
    waves: plan.waves.map((w) => w.filter((id) => want.has(id))).filter((w) => w.length > 0),
    summary,
  };
  return { ...body, digest: digestOf(body, hash) };
}
