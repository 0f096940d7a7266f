import type { Observations } from '../observe/observations.ts';

/** The plan file format; apply refuses other versions. */
export const PLAN_FORMAT_VERSION = 1;

export type ActionType =
  'feature.materialize' | 'data.scan' | 'model.train' | 'model.promote' | 'model.retire' | 'rollout.start';

/** Terraform-style: `+` creates, `~` updates, `-` destroys. */
export type Op = 'create' | 'update' | 'delete';
export type Risk = 'low' | 'medium' | 'high';

export interface Reason {
  /** Stable key: `no-version`, `spec-changed`, `schedule-due`, `forced`, `definition-changed`, `new-data`, … */
  code: string;
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

export interface PlanAction {
  /** Stable: `<type>:<resource>@<digest prefix>`; the same inputs give the same id. */
  id: string;
  type: ActionType;
  op: Op;
  resource: { kind: 'FeatureView' | 'Model' | 'DataPolicy' | 'RolloutPolicy'; name: string };
  reasons: Reason[];
  dependsOn: string[];
  risk: Risk;
  /** `approval: manual` — apply needs an explicit approval of this action. */
  requiresApproval: boolean;
  /** Removes state; apply needs --allow-destroy. */
  destructive: boolean;
  changes: ExpectedChange[];
  /** What the executor needs, fixed at plan time (digests it must still find). */
  params: Record<string, string | number | boolean | null | string[]>;
}

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
  options: { retrain: string[] };
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
  summary: Partial<Record<ActionType, number>>;
  /** Digest of the whole plan (minus this field): what `apply --plan-digest` and MCP confirmations bind to. */
  digest: string;
}
