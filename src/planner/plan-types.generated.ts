// Generated from src/schema/plan.schema.json by `npm run schema:types`. Do not edit: change the schema and regenerate.
// The plan file (`rudder plan --out`); src/planner/plan-types.ts re-exports them and derives the per-type maps.
import type {Observations} from "../observe/observations.ts";
import type * as Evidence from "../rollout/evidence-types.generated.ts";

/**
 * The plan file format (PLAN_FORMAT_VERSION); apply refuses other versions. Changing an existing action type's params bumps it (docs/plan-and-apply.md).
 */
export type FormatVersion = 2;
/**
 * `sha256:<hex>`
 */
export type Digest = string;
export type Name = string;
/**
 * Stable: `<type>:<resource>@<digest prefix>`; the same inputs give the same id.
 */
export type ActionId = string;
/**
 * What the planner knew of the world (src/observe/observations.ts defines the type; checked here as far as the plan file itself relies on it).
 */
export type PlanObservations = Observations;
/**
 * One plan action: a union discriminated by `type`, one variant per action type (plan-file.ts checks an action against the variant its `type` names).
 */
export type AnyAction =
  | FeatureMaterializeAction
  | DataScanAction
  | ModelTrainAction
  | ModelPromoteAction
  | RolloutStartAction
  | ModelRetireAction
  | RolloutAdvanceAction
  | RolloutPromoteAction
  | RolloutRollbackAction;
export type FeatureMaterializeAction = ActionEnvelope & {
  type: "feature.materialize";
  resource: FeatureViewResource;
  reasons: (Reason & {
    code: "never-materialized" | "definition-changed" | "new-data" | "online-missing";
  })[];
  params: FeatureMaterializeParams;
};
/**
 * Terraform-style: `+` creates, `~` updates, `-` destroys.
 */
export type Op = "create" | "update" | "delete";
export type Risk = "low" | "medium" | "high";
export type DataScanAction = ActionEnvelope & {
  type: "data.scan";
  resource: DataPolicyResource;
  reasons: (Reason & {
    code: "never-scanned" | "policy-changed" | "new-data" | "unscanned-view" | "action";
  })[];
  params: DataScanParams;
};
export type ModelTrainAction = ActionEnvelope & {
  type: "model.train";
  resource: ModelResource;
  reasons: (Reason & {
    code: TrainReasonCode;
  })[];
  params: ModelTrainParams;
};
export type TrainReasonCode =
  | "no-version"
  | "spec-changed"
  | "features-changed"
  | "forced"
  | "schedule-due"
  | "drift"
  | "performance"
  | "data-volume";
export type Version = number;
export type ModelPromoteAction = ActionEnvelope & {
  type: "model.promote";
  resource: ModelResource;
  reasons: (Reason & {
    code: PromoteReasonCode;
  })[];
  params: ModelPromoteParams;
};
export type PromoteReasonCode = "new-candidate" | "waiting-candidate" | "gates" | "manual-approval" | "rollout";
export type RolloutStartAction = ActionEnvelope & {
  type: "rollout.start";
  resource: RolloutPolicyResource;
  reasons: (Reason & {
    code: PromoteReasonCode;
  })[];
  params: RolloutStartParams;
};
export type Weight = number;
export type ModelRetireAction = ActionEnvelope & {
  type: "model.retire";
  resource: ModelResource;
  reasons: (Reason & {
    code: "removed";
  })[];
  params: ModelRetireParams;
};
export type RolloutAdvanceAction = ActionEnvelope & {
  type: "rollout.advance";
  resource: RolloutPolicyResource;
  reasons: (Reason & {
    code: "analysis-passed";
  })[];
  params: RolloutAdvanceParams;
};
export type Count = number;
export type ObservedResult = Evidence.ObservedResult;
export type ObservedResults = ObservedResult[];
export type RolloutPromoteAction = ActionEnvelope & {
  type: "rollout.promote";
  resource: RolloutPolicyResource;
  reasons: (Reason & {
    code: "last-step" | "ab-winner";
  })[];
  params: RolloutPromoteParams;
};
export type RolloutRollbackAction = ActionEnvelope & {
  type: "rollout.rollback";
  resource: RolloutPolicyResource;
  reasons: (Reason & {
    code: "analysis-failed" | "ab-loser" | "max-duration" | "aborted";
  })[];
  params: RolloutRollbackParams;
};
export type ResourceKind = "FeatureView" | "Model" | "DataPolicy" | "RolloutPolicy";
/**
 * Every action type; each has its variant in Action below.
 */
export type ActionType =
  | "feature.materialize"
  | "data.scan"
  | "model.train"
  | "model.promote"
  | "rollout.start"
  | "model.retire"
  | "rollout.advance"
  | "rollout.promote"
  | "rollout.rollback";
export type PairedEvidence = Evidence.PairedEvidence;

/**
 * A plan file, as `rudder plan --out` writes it.
 */
export interface Plan {
  formatVersion: FormatVersion;
  /**
   * Rudder version that wrote it.
   */
  rudder: string;
  createdAt: string;
  inputs: PlanInputs;
  /**
   * Digest over `inputs`: apply recomputes it and refuses on any difference.
   */
  inputsDigest: Digest;
  observations: PlanObservations;
  actions: AnyAction[];
  /**
   * Action ids in dependency order; actions within a wave are independent.
   */
  waves: ActionId[][];
  /**
   * Things a reviewer should know that are not actions (stale sources that materializing cannot fix, ...).
   */
  notes: string[];
  /**
   * Resources the plan could not decide about (a source that cannot be read, ...). A plan with any is an error: `rudder plan` exits 1 and `apply` refuses it.
   */
  blocked: BlockedResource[];
  /**
   * Where the plan was made from (recorded, not compared: a new commit that leaves the policies' meaning alone does not make a plan stale). `uncommittedState`: state files written but not committed; the next apply commits them before anything else.
   */
  source: {
    policyCommit?: string;
    uncommittedState: string[];
  };
  /**
   * Actions per type.
   */
  summary: Partial<Record<ActionType, number>>;
  /**
   * Digest of the whole plan (minus this field): what `apply --plan-digest` and MCP confirmations bind to.
   */
  digest: Digest;
}
export interface PlanInputs {
  /**
   * DesiredState.digest: every policy's meaning.
   */
  policies: Digest;
  /**
   * path → digest of each lockfile's canonical text.
   */
  lockfiles: {
    [k: string]: Digest;
  };
  /**
   * Digest of the embedded observations.
   */
  observations: Digest;
  /**
   * Identity of the repository the plan was made in (project name, first commit when in git).
   */
  repository: {
    project: string;
    rootCommit?: string;
  };
  /**
   * Forced retrains and other switches that shaped the plan.
   */
  options: {
    retrain: Name[];
    /**
     * A one-operation plan (MCP retrain, refresh_features, …): the action ids selected, sorted; the plan holds them and their dependencies only (planner/restrict.ts). Absent: the whole plan.
     */
    only?: ActionId[];
    /**
     * Views materialized on request although their refresh is manual. Absent: none.
     */
    refresh?: Name[];
    /**
     * Models whose rollout is aborted on request. Absent: none.
     */
    abort?: Name[];
  };
}
/**
 * What every action carries; each action type adds its `type`, `resource`, `reasons` and `params`.
 */
export interface ActionEnvelope {
  id: ActionId;
  op: Op;
  /**
   * Ids of actions that must run first.
   */
  dependsOn: ActionId[];
  risk: Risk;
  /**
   * `approval: manual`: apply needs an explicit approval of this action.
   */
  requiresApproval: boolean;
  /**
   * Removes state; apply needs --allow-destroy.
   */
  destructive: boolean;
  /**
   * The lockfile changes it is expected to make.
   */
  changes: ExpectedChange[];
}
/**
 * One expected lockfile change; `to` is `(known after apply)` when only apply can tell.
 */
export interface ExpectedChange {
  path: string;
  field: string;
  from?: string;
  to: string;
}
export interface FeatureViewResource {
  kind: "FeatureView";
  name: Name;
}
/**
 * Why an action is planned. Each action type narrows `code` to its own reason codes.
 */
export interface Reason {
  /**
   * Stable key: `no-version`, `spec-changed`, `schedule-due`, `forced`, `definition-changed`, `new-data`, …
   */
  code: string;
  /**
   * Human sentence with the evidence: `last trained 31d ago; schedule every 30d`.
   */
  message: string;
}
export interface FeatureMaterializeParams {
  view: Name;
  viewDigest: Digest;
  sourceDigest: Digest;
  /**
   * Incremental from this watermark; null rebuilds the online table.
   */
  since: string | null;
}
export interface DataPolicyResource {
  kind: "DataPolicy";
  name: Name;
}
export interface DataScanParams {
  policy: Name;
  policyDigest: Digest;
  views: Name[];
}
export interface ModelResource {
  kind: "Model";
  name: Name;
}
export interface ModelTrainParams {
  model: Name;
  specDigest: Digest;
  version: Version;
  views: Name[];
}
export interface ModelPromoteParams {
  model: Name;
  version: Version;
  strategy: "direct";
}
export interface RolloutPolicyResource {
  kind: "RolloutPolicy";
  name: Name;
}
export interface RolloutStartParams {
  model: Name;
  version: Version;
  strategy: "canary" | "abTest";
  weight: Weight;
}
export interface ModelRetireParams {
  model: Name;
}
/**
 * Move a progressing canary to its next step (`weight`: the challenger's share there).
 */
export interface RolloutAdvanceParams {
  model: Name;
  version: Version;
  from: Count;
  to: Count;
  weight: Weight;
  results: ObservedResults;
}
/**
 * The challenger becomes the champion (after the last canary step, or winning an A/B test).
 */
export interface RolloutPromoteParams {
  model: Name;
  version: Version;
  results: ObservedResults;
}
/**
 * All traffic back to the champion; the challenger held (or rejected when `hold` is false).
 */
export interface RolloutRollbackParams {
  model: Name;
  version: Version;
  hold: boolean;
  status: "rolled-back" | "aborted";
  results: ObservedResults;
}
/**
 * A resource the plan could not decide about, and why.
 */
export interface BlockedResource {
  kind: ResourceKind;
  name: Name;
  reason: string;
}

/** The plan file format; apply refuses other versions. */
export const PLAN_FORMAT_VERSION = 2;

/** Every action type, in schema order. */
export const actionTypes = ["feature.materialize", "data.scan", "model.train", "model.promote", "rollout.start", "model.retire", "rollout.advance", "rollout.promote", "rollout.rollback"] as const;
