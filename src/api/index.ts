// The one programmatic surface: the CLI, the MCP server and the tests call these. This file only
// re-exports; each file of src/api/ is one group of entries, and none imports another (what they
// share lives below, in src/compose/). A front end that wants to load less imports a group's file.
export {
  apply,
  explain,
  plan,
  reconcile,
  unlock,
  writePlanFile,
  type ExplainOptions,
  type PlanOptions,
  type PlanResult,
  type ReconcileOptions,
  type ReconcileResult,
} from './run.ts';
export {
  history,
  releaseRolloutHold,
  sealState,
  status,
  type HistoryOptions,
  type HistoryReport,
  type StatusReport,
} from './state.ts';
export {
  dataRelease,
  dataScan,
  dataset,
  StoreError,
  UsageError,
  type DataResult,
  type DataScanOptions,
  type DatasetOptions,
} from './data.ts';
export {
  compareVersions,
  datasetSummary,
  featureFreshness,
  dataList,
  planOperation,
  previewRelease,
  rolloutStatus,
  type DatasetSummary,
  type FeatureFreshness,
  type Operation,
  type OperationPlan,
  type QuarantineEntry,
  type ReleasePreview,
  type VersionComparison,
} from './ops.ts';
export {
  previewPolicyChange,
  proposePolicyChange,
  type PolicyChangePreview,
  type PolicyChangeRequest,
  type ProposeOptions,
  type ProposeResult,
} from './propose.ts';
export {
  createGitHubClient,
  GitCommandError,
  GitHubError,
  githubApplyOnMerge,
  githubCommentPlan,
  proposeChange,
  redact,
  resolveGitHubTarget,
  type ApplyOnMergeOptions,
  type ApplyOnMergeResult,
  type CommentPlanOptions,
  type CommentPlanResult,
  type GitHubClient,
  type GitHubClientOptions,
  type GitHubTarget,
  type ProposeChangeOptions,
  type ProposeChangeResult,
} from './github.ts';
export {
  describeDataset,
  drift,
  renderDriftHtml,
  type DriftReport,
  type DriftRunOptions,
  type DriftRunResult,
} from './monitoring.ts';
export {
  backtest,
  renderBacktestHtml,
  renderBacktestText,
  type BacktestReport,
  type BacktestOptions,
} from './backtest.ts';
export {
  ArtifactError,
  artifactsPull,
  artifactsPush,
  artifactsVerify,
  type ArtifactItem,
  type ArtifactsOptions,
  type ArtifactsReport,
} from './artifacts.ts';
export {
  reconcileWatch,
  startServer,
  ServeError,
  type ReconcilePassResult,
  type ReconcileWatchOptions,
  type RunningServer,
  type ServeOptions,
} from './serve.ts';

// Types and helpers the front ends render with.
export { validate, type ValidateOptions, type ValidateResult } from './validate.ts';
export { parsePlanFile, renderPlanJson } from '../planner/plan-file.ts';
export { renderPlanMarkdown, renderPlanText, renderSummaryLine } from '../planner/render.ts';
export type { ActionOf, ActionType, Plan, PlanAction } from '../planner/plan-types.ts';
export type { ActionExplanation, ExplainResult } from '../planner/explain.ts';
export type { UnlockResult } from '../state/apply-lock.ts';
export type { TrainingSet } from '../store/port.ts';
export type { ActionOutcome } from '../executor/execute.ts';
export type { ApplyOptions, ApplyRunResult } from '../executor/run-apply.ts';
export type { ApplyEvent } from '../executor/events.ts';
export { nodeSha256 } from '../util/node-hash.ts';
export type { DesiredState } from '../compiler/desired-state.ts';
export type { ApiResult, Diagnostic } from '../diagnostics/diagnostic.ts';
