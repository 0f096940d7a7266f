import type { Observations } from '../observe/observations.ts';
import type { ObservedResult } from '../rollout/observation.ts';

/**
 * The plan file format; apply refuses other versions. Version 1 still holds: typing the
 * actions per type (below) describes the JSON the planner always wrote, field for field.
 */
export const PLAN_FORMAT_VERSION = 2;

/**
 * What each action type carries, fixed at plan time (the digests the executor must still find).
 * One entry per action type: adding an entry here is the first step of adding an action
 * (docs/architecture.md, "How to add an action").
 */
export interface ActionParams {
  'feature.materialize': {
    view: string;
    viewDigest: string;
    sourceDigest: string;
    /** Incremental from this watermark; null rebuilds the online table. */
    since: string | null;
  };
  'data.scan': { policy: string; policyDigest: string; views: string[] };
  'model.train': { model: string; specDigest: string; version: number; views: string[] };
  'model.promote': { model: string; version: number; strategy: 'direct' };
  'rollout.start': { model: string; version: number; strategy: 'canary' | 'abTest'; weight: number };
  'model.retire': { model: string };
  /** Move a progressing canary to its next step (`weight`: the challenger's share there). */
  'rollout.advance': {
    model: string;
    version: number;
    from: number;
    to: number;
    weight: number;
    results: ObservedResult[];
  };
  /** The challenger becomes the champion (after the last canary step, or winning an A/B test). */
  'rollout.promote': { model: string; version: number; results: ObservedResult[] };
  /** All traffic back to the champion; the challenger held (or rejected when `hold` is false). */
  'rollout.rollback': {
    model: string;
    version: number;
    hold: boolean;
    status: 'rolled-back' | 'aborted';
    results: ObservedResult[];
  };
}

export type ActionType = keyof ActionParams;

/** The reason codes each action type can give (stable keys; the messages carry the evidence). */
export interface ActionReasonCodes {
  'feature.materialize': 'never-materialized' | 'definition-changed' | 'new-data' | 'online-missing';
  'data.scan': 'never-scanned' | 'policy-changed' | 'new-data' | 'unscanned-view' | 'action';
  'model.train': TrainReasonCode;
  'model.promote': PromoteReasonCode;
  'rollout.start': PromoteReasonCode;
  'model.retire': 'removed';
  'rollout.advance': 'analysis-passed';
  'rollout.promote': 'last-step' | 'ab-winner';
  'rollout.rollback': 'analysis-failed' | 'ab-loser' | 'max-duration' | 'aborted';
}

export type TrainReasonCode =
  | 'no-version'
  | 'spec-changed'
  | 'features-changed'
  | 'forced'
  | 'schedule-due'
  | 'drift'
  | 'performance'
  | 'data-volume';

export type PromoteReasonCode =
  'new-candidate' | 'waiting-candidate' | 'gates' | 'manual-approval' | 'rollout';

/** The kind of resource each action type acts on. */
export interface ActionResourceKinds {
  'feature.materialize': 'FeatureView';
  'data.scan': 'DataPolicy';
  'model.train': 'Model';
  'model.promote': 'Model';
  'rollout.start': 'RolloutPolicy';
  'model.retire': 'Model';
  'rollout.advance': 'RolloutPolicy';
  'rollout.promote': 'RolloutPolicy';
  'rollout.rollback': 'RolloutPolicy';
}

export type ResourceKind = ActionResourceKinds[ActionType];

/** Terraform-style: `+` creates, `~` updates, `-` destroys. */
export type Op = 'create' | 'update' | 'delete';
export type Risk = 'low' | 'medium' | 'high';

export interface Reason<C extends string = string> {
  /** Stable key: `no-version`, `spec-changed`, `schedule-due`, `forced`, `definition-changed`, `new-data`, … */
  code: C;
  /** Human sentence with the evidence: `last trained 31d ago; schedule every 30d`. */
  message: string;
}

/** One expected lockfile change; `to` is `(known after apply)` when only apply can tell. */
export interface ExpectedChange {
  path: string;
  field: string;
  from?: string;
  to: string;
}

/** One action of type T, with that type's params and reasons. */
export interface ActionOf<T extends ActionType> {
  /** Stable: `<type>:<resource>@<digest prefix>`; the same inputs give the same id. */
  id: string;
  type: T;
  op: Op;
  resource: { kind: ActionResourceKinds[T]; name: string };
  reasons: Reason<ActionReasonCodes[T]>[];
  dependsOn: string[];
  risk: Risk;
  /** `approval: manual` — apply needs an explicit approval of this action. */
  requiresApproval: boolean;
  /** Removes state; apply needs --allow-destroy. */
  destructive: boolean;
  changes: ExpectedChange[];
  /** What the executor needs, fixed at plan time. */
  params: ActionParams[T];
}

/** Any action: a union discriminated by `type` (narrow with `a.type === 'model.train'`). */
export type PlanAction<K extends ActionType = ActionType> = { [T in K]: ActionOf<T> }[K];

export interface PlanInputs {
  /** DesiredState.digest: every policy's meaning. */
  policies: string;
  /** path → digest of each lockfile's canonical text. */
  lockfiles: Record<string, string>;
  /** Digest of the embedded observations. */
  observations: string;
  /** Identity of the repository the plan was made in (project name, first commit when in git). */
  repository: { project: string; rootCommit?: string };
  /** Forced retrains and other switches that shaped the plan. */
  options: {
    retrain: string[];
    /**
     * A one-operation plan (MCP retrain, refresh_features, …): the action ids selected, sorted;
     * the plan holds them and their dependencies only (planner/restrict.ts). Absent: the whole plan.
     */
    only?: string[];
    /** Views materialized on request although their refresh is manual. Absent: none. */
    refresh?: string[];
    /** Models whose rollout is aborted on request. Absent: none. */
    abort?: string[];
  };
}

/** A resource the plan could not decide about, and why. */
export interface BlockedResource {
  kind: 'FeatureView' | 'Model' | 'DataPolicy' | 'RolloutPolicy';
  name: string;
  reason: string;
}

export interface Plan {
  formatVersion: typeof PLAN_FORMAT_VERSION;
  /** Rudder version that wrote it. */
  rudder: string;
  createdAt: string;
  inputs: PlanInputs;
  /** Digest over `inputs`: apply recomputes it and refuses on any difference. */
  inputsDigest: string;
  observations: Observations;
  actions: PlanAction[];
  /** Action ids in dependency order; actions within a wave are independent. */
  waves: string[][];
  /** Things a reviewer should know that are not actions (stale sources that materializing cannot fix, ...). */
  notes: string[];
  /**
   * Resources the plan could not decide about (a source that cannot be read, ...). A plan with
   * any is an error: `rudder plan` exits 1 and `apply` refuses it.
   */
  blocked: BlockedResource[];
  /**
   * Where the plan was made from (recorded, not compared: a new commit that leaves the policies'
   * meaning alone does not make a plan stale). `uncommittedState`: state files written but not
   * committed; the next apply commits them before anything else.
   */
  source: { policyCommit?: string; uncommittedState: string[] };
  summary: Partial<Record<ActionType, number>>;
  /** Digest of the whole plan (minus this field): what `apply --plan-digest` and MCP confirmations bind to. */
  digest: string;
}

/** The model an action is about, when it is about one (approval is granted per model). */
export function modelOfAction(a: PlanAction): string | undefined {
  switch (a.type) {
    case 'model.train':
    case 'model.promote':
    case 'rollout.start':
    case 'model.retire':
    case 'rollout.advance':
    case 'rollout.promote':
    case 'rollout.rollback':
      return a.params.model;
    case 'feature.materialize':
    case 'data.scan':
      return undefined;
  }
}
