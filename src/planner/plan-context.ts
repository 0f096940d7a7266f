// What every per-resource planner reads, and the small helpers they share. Pure.
import type { DesiredState } from '../compiler/desired-state.ts';
import type { Observations } from '../observe/observations.ts';
import type { LockState } from '../state/types.ts';
import type { BlockedResource, PlanAction } from './plan-types.ts';

export interface PlanContext {
  desired: DesiredState;
  lock: LockState;
  obs: Observations;
  /** `obs.at` in epoch milliseconds: every age and due date is computed from it. */
  now: number;
  stateDir: string;
  /** Models whose retraining the user forced (`--retrain`). */
  forced: ReadonlySet<string>;
  /** Feature views whose refresh a person requested (materialized even with `refresh: manual`). */
  refresh?: ReadonlySet<string>;
  /** Models whose progressing rollout a person aborts. */
  abort?: ReadonlySet<string>;
  /** Notes for the reviewer (things that are not actions); planners append, in order. */
  notes: string[];
  /**
   * Resources the plan could not decide about because something they need could not be
   * observed. A plan with any is an error: "no changes" must never mean "could not see".
   */
  blocked: BlockedResource[];
  /**
   * Models whose training is due but cannot run (a view cannot be read): the model planner
   * records them and later planners plan nothing else for them.
   */
  deferredModels: Set<string>;
}

/**
 * One planner per resource kind. It sees the actions planned before it (to depend on them) and
 * returns its own. Planners run in the order listed in plan.ts.
 */
export type ResourcePlanner = (ctx: PlanContext, planned: readonly PlanAction[]) => PlanAction[];

export const AFTER = '(known after apply)';

/** A digest shortened for reading: 12 hex digits, or `(none)`. */
export const short = (d: string | undefined): string =>
  d == null ? '(none)' : d.replace(/^sha256:/, '').slice(0, 12);

export function formatAge(ms: number): string {
  const d = ms / 86_400_000;
  if (d >= 2) return `${Math.floor(d)}d`;
  const h = ms / 3_600_000;
  if (h >= 2) return `${Math.floor(h)}h`;
  // Under two minutes, seconds: a short canary hold has "0m left" for most of its last minute.
  if (ms < 120_000) return `${Math.max(0, Math.round(ms / 1000))}s`;
  return `${Math.round(ms / 60_000)}m`;
}

export function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
