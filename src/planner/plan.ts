// (DesiredState, LockState, Observations) → Plan. Pure: the clock, the options and the
// repository identity are inputs; the same inputs give the same plan, byte for byte.
//
// Each resource kind has its own planner (plan-features.ts, plan-data.ts, plan-models.ts,
// plan-rollouts.ts); planChanges runs them in order, each seeing the actions planned before it,
// then orders everything into waves.
import type { DesiredState } from '../compiler/desired-state.ts';
import type { Observations } from '../observe/observations.ts';
import type { LockState } from '../state/types.ts';
import { digestOf, type HashHex } from '../util/canonical.ts';
import type { PlanContext, ResourcePlanner } from './plan-context.ts';
import { planData } from './plan-data.ts';
import { planFeatures } from './plan-features.ts';
import { planModels } from './plan-models.ts';
import { planRolloutSteps } from './plan-rollout-steps.ts';
import { planRollouts } from './plan-rollouts.ts';
import {
  PLAN_FORMAT_VERSION,
  type ActionType,
  type Plan,
  type PlanAction,
  type PlanInputs,
} from './plan-types.ts';

export interface PlanOptions {
  /** Models whose retraining the user forces (`rudder plan --retrain churn`). */
  retrain?: readonly string[];
  /** Feature views to materialize even with `refresh: manual` (a person asked: MCP refresh_features). */
  refresh?: readonly string[];
  /** Models whose progressing rollout a person aborts (MCP rollout_abort): rolled back now, analysis or not. */
  abort?: readonly string[];
  /** Rudder's version, recorded in the plan. */
  rudder: string;
  repository: PlanInputs['repository'];
  /** path → digest of each lockfile's canonical text, as read. */
  lockfileDigests: Record<string, string>;
  hash?: HashHex;
  /** Recorded in the plan as `source`. */
  source?: { policyCommit?: string; uncommittedState?: readonly string[] };
}

/** The per-resource planners, in order: later ones may depend on earlier ones' actions. */
export const planners: readonly ResourcePlanner[] = [
  planFeatures,
  planData,
  planModels,
  planRollouts,
  planRolloutSteps,
];

/** Compute what must change to make the world match the policies, and why. */
export function planChanges(
  desired: DesiredState,
  lock: LockState,
  obs: Observations,
  opts: PlanOptions,
): Plan {
  const forced = new Set(opts.retrain ?? []);
  const ctx: PlanContext = {
    desired,
    lock,
    obs,
    now: Date.parse(obs.at),
    stateDir: desired.project.stateDir,
    forced,
    refresh: new Set(opts.refresh ?? []),
    abort: new Set(opts.abort ?? []),
    notes: [],
    blocked: [],
    deferredModels: new Set(),
  };
  for (const name of forced)
    if (!desired.models.some((m) => m.name === name))
      ctx.notes.push(`--retrain ${name}: no such model; ignored.`);

  const actions: PlanAction[] = [];
  for (const planner of planners) actions.push(...planner(ctx, actions));

  const sorted = actions.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const waves = layer(sorted);
  const summary: Partial<Record<ActionType, number>> = {};
  for (const a of sorted) summary[a.type] = (summary[a.type] ?? 0) + 1;
  const inputs: PlanInputs = {
    policies: desired.digest,
    lockfiles: opts.lockfileDigests,
    // The clock is not an input that can go stale: what was observed is.
    // Sources and labels bind strictly: any change makes a saved plan stale. Monitoring windows
    // (drift, live quality) slide with the clock and the traffic, so they are not bound here;
    // apply re-plans and refuses when the world now gives different actions (diffActions).
    observations: digestOf(
      {
        views: obs.views,
        models: Object.fromEntries(
          Object.entries(obs.models)
            .filter(([, m]) => m.missingArtifacts)
            .map(([k, m]) => [k, { missingArtifacts: m.missingArtifacts }]),
        ),
        ...(obs.labels ? { labels: obs.labels } : {}),
      },
      opts.hash,
    ),
    repository: opts.repository,
    // `refresh` only when asked, so every other plan keeps its digest.
    options: {
      retrain: [...forced].sort(),
      ...(opts.refresh?.length ? { refresh: [...new Set(opts.refresh)].sort() } : {}),
      ...(opts.abort?.length ? { abort: [...new Set(opts.abort)].sort() } : {}),
    },
  };
  const body: Omit<Plan, 'digest'> = {
    formatVersion: PLAN_FORMAT_VERSION,
    rudder: opts.rudder,
    createdAt: obs.at,
    inputs,
    inputsDigest: digestOf(inputs, opts.hash),
    observations: obs,
    actions: sorted,
    waves,
    notes: ctx.notes,
    blocked: ctx.blocked,
    source: {
      ...(opts.source?.policyCommit ? { policyCommit: opts.source.policyCommit } : {}),
      uncommittedState: [...(opts.source?.uncommittedState ?? [])].sort(),
    },
    summary,
  };
  return { ...body, digest: digestOf(body, opts.hash) };
}

/** Kahn layering: each wave holds actions whose dependencies are all in earlier waves. */
function layer(actions: readonly PlanAction[]): string[][] {
  const ids = new Set(actions.map((a) => a.id));
  const done = new Set<string>();
  const waves: string[][] = [];
  let rest = [...actions];
  while (rest.length > 0) {
    const wave = rest.filter((a) => a.dependsOn.every((d) => done.has(d) || !ids.has(d)));
    if (wave.length === 0) throw new Error(`dependency cycle among ${rest.map((a) => a.id).join(', ')}`);
    waves.push(wave.map((a) => a.id));
    for (const a of wave) done.add(a.id);
    rest = rest.filter((a) => !done.has(a.id));
  }
  return waves;
}
