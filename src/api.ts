// The one programmatic surface: the CLI, the MCP server and the tests call these.
import { resolve } from 'node:path';
import { apply, plan, type PlanOptions } from './api-run.ts';
import { validate } from './api-validate.ts';
import { runArtifacts, type ArtifactsOptions, type ArtifactsReport } from './artifacts/sync.ts';
import type { Diagnostic } from './diagnostics/diagnostic.ts';
import type { ApplyOptions, ApplyRunResult } from './executor/run-apply.ts';
import { restrictPlan } from './api-ops.ts';
import { explainAction, type ExplainResult } from './planner/explain.ts';
import type { Plan, PlanAction } from './planner/plan-types.ts';
import { releaseHold, type ReleaseHoldOptions, type ReleaseHoldResult } from './executor/release-hold.ts';
import { defaultApplyPorts } from './ports.ts';
import { renderPlanJson } from './planner/plan-file.ts';
import { atomicWrite } from './state/atomic.ts';
import { unlockApplyLock, type UnlockResult } from './state/apply-lock.ts';
import { sealLockfiles, type SealResult } from './state/seal.ts';
import {
  readResourceHistory,
  readStatus,
  type HistoryOptions,
  type HistoryReport,
  type StatusReport,
} from './read-status.ts';

// ── State: status and history (lockfiles in state/, their history in git) ──

/** Every resource's current state from the lockfiles (plus declared-but-unapplied ones when the policies compile). Read-only. */
export async function status(opts: { cwd: string }): Promise<StatusReport> {
  const root = resolve(opts.cwd);
  const v = await validate({ cwd: root, checkPaths: false });
  return readStatus(root, v.state);
}

/** A resource's state changes from git (when, plan, actions, actor, reason; diffs on request), newest first. Read-only. */
export async function history(opts: { cwd: string } & HistoryOptions): Promise<HistoryReport> {
  return readResourceHistory(resolve(opts.cwd), opts);
}

export type { HistoryReport, StatusReport } from './read-status.ts';

// ── Plan and apply ──

export { apply, plan, type PlanOptions, type PlanResult } from './api-run.ts';

export interface ExplainOptions extends PlanOptions {
  /** An action id, or a prefix of one (`model.train:churn`). */
  action: string;
  /** A reviewed plan to explain; default: plan now. */
  plan?: Plan;
}

/** Why an action is in the plan: reasons, order, expected lockfile changes, observations. Read-only. */
export async function explain(
  opts: ExplainOptions,
): Promise<
  | { ok: true; plan: Plan; result: ExplainResult; diagnostics: Diagnostic[]; sources: Map<string, string> }
  | { ok: false; diagnostics: Diagnostic[]; sources: Map<string, string> }
> {
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

export { parsePlanFile, renderPlanJson } from './planner/plan-file.ts';

/** Write a plan file (`rudder plan --out`): all or nothing, never a half-written plan. */
export async function writePlanFile(path: string, p: Plan): Promise<void> {
  await atomicWrite(path, renderPlanJson(p));
}
export { renderPlanMarkdown, renderPlanText, renderSummaryLine } from './planner/render.ts';
export type { ActionOf, ActionType, Plan, PlanAction } from './planner/plan-types.ts';
export type { ActionExplanation, ExplainResult } from './planner/explain.ts';
export type { UnlockResult } from './state/apply-lock.ts';

// ── Training sets and data policies ──
export {
  dataRelease,
  dataScan,
  dataset,
  UsageError,
  type DataResult,
  type DataScanOptions,
  type DatasetOptions,
} from './api-data.ts';
export { listQuarantines as dataList } from './api-ops.ts';
export { StoreError, type TrainingSet } from './store/port.ts';
export type { ActionOutcome } from './executor/execute.ts';
export type { ApplyOptions, ApplyRunResult } from './executor/run-apply.ts';
export type { ApplyEvent } from './executor/events.ts';
export { validate, type ValidateOptions, type ValidateResult } from './api-validate.ts';
export { nodeSha256 } from './util/node-hash.ts';
export type { DesiredState } from './compiler/desired-state.ts';
export type { Diagnostic, Result } from './diagnostics/diagnostic.ts';

// ── Operations for the MCP server (src/api-ops.ts): read views and one-operation plans ──
export {
  compareVersions,
  datasetSummary,
  featureFreshness,
  listQuarantines,
  planOperation,
  previewRelease,
  restrictPlan,
  rolloutStatus,
  type DatasetSummary,
  type FeatureFreshness,
  type Operation,
  type OperationPlan,
  type QuarantineEntry,
  type ReleasePreview,
  type VersionComparison,
} from './api-ops.ts';
export {
  previewPolicyChange,
  proposePolicyChange,
  type PolicyChangePreview,
  type PolicyChangeRequest,
  type ProposeOptions,
  type ProposeResult,
} from './api-propose.ts';

// ── State integrity: accept a deliberate hand edit of a lockfile ──

/** Check lockfiles as every read does (except their integrity line) and re-seal the valid ones. Writes files. */
export async function sealState(opts: { cwd: string; files: readonly string[] }): Promise<SealResult> {
  const root = resolve(opts.cwd);
  const v = await validate({ cwd: root, checkPaths: false });
  return sealLockfiles(root, v.state?.project.stateDir ?? 'state', opts.files);
}

import { applyOnMerge, type ApplyOnMergeOptions, type ApplyOnMergeResult } from './github/workflows.ts';

// ── GitHub: the plan as a pull-request comment, apply on merge, changes proposed as pull requests ──

/** Apply a reviewed plan file on merge (through `apply` above) and report the result on its pull request. */
export function githubApplyOnMerge(opts: ApplyOnMergeOptions): Promise<ApplyOnMergeResult> {
  return applyOnMerge(opts, apply);
}

export {
  commentPlan as githubCommentPlan,
  type ApplyOnMergeOptions,
  type ApplyOnMergeResult,
  type CommentPlanOptions,
  type CommentPlanResult,
} from './github/workflows.ts';
export { proposeChange, type ProposeChangeOptions, type ProposeChangeResult } from './github/pull-request.ts';
export { resolveGitHubTarget, type GitHubTarget } from './github/context.ts';
export { createGitHubClient, type GitHubClient, type GitHubClientOptions } from './github/client.ts';
export { GitHubError } from './github/errors.ts';
export { GitCommandError } from './github/git-plumbing.ts';
export { redact as redactToken } from './github/client.ts';

// ── Monitoring: drift of a model's current window against its reference profile ──

/** Drift of a model's champion against the current window (prediction log or feature sources). Read-only. */
export { runDrift as drift, type DriftRunOptions, type DriftRunResult } from './api-drift.ts';
export { renderDriftHtml } from './report/drift-html.ts';
export { describeDataset } from './observe/drift.ts';
export { ArtifactError } from './artifacts/port.ts';
export type { DriftReport } from './observe/drift.ts';

// ── Artifacts: push, pull, verify (what dvc push / pull are to DVC) ──

/** Upload every artifact the lockfiles name from the local cache (and `from` stores) to the configured remote. */
export function artifactsPush(opts: ArtifactsOptions): Promise<ArtifactsReport> {
  return runArtifacts('push', opts);
}

/** Download every artifact the lockfiles name into the local cache, each verified against its digest. */
export function artifactsPull(opts: ArtifactsOptions): Promise<ArtifactsReport> {
  return runArtifacts('pull', opts);
}

/** Re-hash every artifact the lockfiles name where it is stored; missing and corrupt ones per resource and version. Read-only. */
export function artifactsVerify(opts: ArtifactsOptions): Promise<ArtifactsReport> {
  return runArtifacts('verify', opts);
}

export {
  referencedArtifacts,
  type ArtifactItem,
  type ArtifactsOptions,
  type ArtifactsReport,
} from './artifacts/sync.ts';

// ── Serving and reconcile: `rudder serve`, `rudder reconcile [--once | --watch 1m]` ──

/** Serve every model's active versions as the rollout locks say (OIP v2, JSON predict, labels, metrics); hot-reloads on state changes. */
export { startServer as serve, ServeError, type RunningServer, type ServeOptions } from './serving/server.ts';

/** `rudder reconcile --watch`: repeat a pass (`reconcile`) on a jittered interval, backing off after errors, until the signal aborts. */
export { reconcileWatch, type ReconcilePassResult, type ReconcileWatchOptions } from './serving/reconcile.ts';

// ── Rollouts: a person releases the hold a rollback put on a version ──

/** Make a held version a candidate again (recorded in the model lock and committed). Writes. */
export function releaseRolloutHold(opts: ReleaseHoldOptions): Promise<ReleaseHoldResult> {
  return releaseHold(opts, defaultApplyPorts());
}
export type { ReleaseHoldOptions, ReleaseHoldResult } from './executor/release-hold.ts';
