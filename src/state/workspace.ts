// A workspace: the compiled policies and the lockfiles of one repository, as every command reads
// them before it observes, plans or applies. Defined here, below the executor and serving that
// take one, and loaded by the composition root (src/compose/workspace.ts).
import type { DesiredState } from '../compiler/desired-state.ts';
import type { ApiResult } from '../diagnostics/diagnostic.ts';
import type { LockState } from './types.ts';

export interface WorkspaceOptions {
  cwd: string;
  policiesDir?: string;
}

export interface Workspace {
  root: string;
  desired: DesiredState;
  lock: LockState;
  /** Lockfile path → text as read: what a plan binds to (hashing the bytes beats re-rendering thousands of locks). */
  lockTexts: ReadonlyMap<string, string>;
}

/** Loads a workspace (src/compose/workspace.ts): handed to the layers that reload one, as a port. */
export type LoadWorkspace = (opts: WorkspaceOptions) => Promise<ApiResult<{ value: Workspace }>>;

/** What planning a workspace takes besides the observations: the clock and a person's requests. */
export interface MakePlanOptions {
  now: Date;
  /** Observe drift, live quality and label volume for models whose triggers read them. Default true. */
  monitoring?: boolean;
  retrain?: readonly string[];
  /** Views to materialize although their refresh is manual (see PlanOptions.refresh). */
  refresh?: readonly string[];
  /** Models whose rollout is aborted on request (see PlanOptions.abort). */
  abort?: readonly string[];
}
