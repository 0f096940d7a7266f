// Plan and apply with the default ports: the two steps every api entry that changes state
// composes (run, reconcile, policy proposals, GitHub apply-on-merge). They live below src/api/ so
// that its files never import each other.
import type { DesiredState } from '../compiler/desired-state.ts';
import type { ApiResult, Diagnostic } from '../diagnostics/diagnostic.ts';
import { runApply, type ApplyOptions, type ApplyRunResult } from '../executor/run-apply.ts';
import type { Plan, PlanAction } from '../planner/plan-types.ts';
import { restrictPlan as restrictPlanWith } from '../planner/restrict.ts';
import { nodeSha256 } from '../util/node-hash.ts';
import { defaultApplyPorts, makePlan } from './default-ports.ts';
import { suggestion } from '../util/did-you-mean.ts';
import { loadWorkspace } from './workspace.ts';

export interface PlanOptions {
  cwd: string;
  policiesDir?: string;
  /** Force retraining of these models. */
  retrain?: readonly string[];
  /** The clock. Default: now. */
  now?: Date;
}

export type PlanResult = ApiResult<{ plan: Plan }>;

/** Compile, read the lockfiles, observe, and compute the plan. Read-only. */
export async function plan(opts: PlanOptions): Promise<PlanResult> {
  const ws = await loadWorkspace(opts);
  if (!ws.ok) return ws;
  const unknown = unknownModels(ws.value.desired, opts.retrain ?? []);
  if (unknown.length > 0) return { ok: false, diagnostics: unknown, sources: ws.sources };
  const p = await makePlan(ws.value, { now: opts.now ?? new Date(), retrain: opts.retrain });
  return { ok: true, plan: p, diagnostics: ws.diagnostics, sources: ws.sources };
}

/** `--retrain nosuch` is an error, not a silently ignored wish. */
function unknownModels(desired: DesiredState, names: readonly string[]): Diagnostic[] {
  const known = desired.models.map((m) => m.name);
  return names
    .filter((n) => !known.includes(n))
    .map((n) => ({
      code: 'plan/unknown-model' as const,
      severity: 'error' as const,
      message: `--retrain ${n}: no model is named ${JSON.stringify(n)}`,
      hint: suggestion(n, known),
      path: [],
    }));
}

/** Apply a reviewed plan (or plan and apply in one go) under the apply lock, then commit. */
export function apply(opts: ApplyOptions): Promise<ApplyRunResult> {
  return runApply(opts, defaultApplyPorts({ trainers: opts.trainers }));
}

/** Keep the actions `keep` selects and their dependencies (a one-operation plan). Pure. */
export const restrictPlan = (plan: Plan, keep: (a: PlanAction) => boolean): Plan =>
  restrictPlanWith(plan, keep, nodeSha256);
