// GitHub: the plan as one pull-request comment updated in place, apply on merge, and changes
// proposed as pull requests.
import { apply } from '../compose/run.ts';
import {
  applyOnMerge,
  type ApplyOnMergeOptions,
  type ApplyOnMergeResult,
} from '../compose/github-workflows.ts';

/** Apply a reviewed plan file on merge (plan and apply with the default ports) and report the result on its pull request. */
export function githubApplyOnMerge(opts: ApplyOnMergeOptions): Promise<ApplyOnMergeResult> {
  return applyOnMerge(opts, apply);
}

export {
  githubCommentPlan,
  type ApplyOnMergeOptions,
  type ApplyOnMergeResult,
  type CommentPlanOptions,
  type CommentPlanResult,
} from '../compose/github-workflows.ts';
export {
  proposeChange,
  type ProposeChangeOptions,
  type ProposeChangeResult,
} from '../github/pull-request.ts';
export { resolveGitHubTarget, type GitHubTarget } from '../github/context.ts';
export { createGitHubClient, redact, type GitHubClient, type GitHubClientOptions } from '../github/client.ts';
export { GitHubError } from '../github/errors.ts';
export { GitCommandError } from '../github/git-plumbing.ts';
