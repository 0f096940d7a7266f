// The two CI jobs: post (or update) the plan comment of a pull request, and apply a reviewed plan
// file on merge and report the result on the pull request it came from.
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { validate } from '../source/validate.ts';
import type { DesiredState } from '../compiler/desired-state.ts';
import { formatPretty } from '../diagnostics/format-pretty.ts';
import type { ApplyOptions, ApplyRunResult } from '../executor/run-apply.ts';
import { parsePlanFile } from '../planner/plan-file.ts';
import type { Plan } from '../planner/plan-types.ts';
import { renderSummaryLine } from '../planner/render.ts';
import { nodeSha256 } from '../util/node-hash.ts';
import { createGitHubClient, type GitHubClient, type GitHubClientOptions } from '../github/client.ts';
import { upsertComment, type UpsertCommentResult } from '../github/comment.ts';
import { readEventInfo, resolveGitHubTarget, type EventInfo, type GitHubTarget } from '../github/context.ts';
import { ghCall, GitHubError } from '../github/errors.ts';
import { locate } from '../github/git-plumbing.ts';
import { loadPoliciesAt } from '../github/policies-at.ts';
import { diffPolicies, type PolicyChange } from '../github/policy-changes.ts';
import { renderApplyComment, renderPlanComment } from '../github/render-comment.ts';

export interface GitHubJobOptions {
  cwd: string;
  policiesDir?: string;
  /** Default process.env: GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_EVENT_PATH, GITHUB_API_URL, … */
  env?: NodeJS.ProcessEnv;
  /** owner/name; default GITHUB_REPOSITORY, rudder.yaml git.pullRequest.repository, the origin URL. */
  repository?: string;
  /** Pull request number; default from the event, or the pull request of the pushed commit. */
  pullRequest?: number;
  /** Variable that holds the token. Default GITHUB_TOKEN. */
  tokenEnv?: string;
  apiUrl?: string;
  /** Also set a commit status (context `rudder/plan` or `rudder/apply`). */
  status?: boolean;
  onNotice?: (message: string) => void;
  clientOptions?: Partial<GitHubClientOptions>;
}

interface Ctx {
  target: GitHubTarget;
  client: GitHubClient;
  event: EventInfo;
  env: NodeJS.ProcessEnv;
  repository: string;
}

async function context(o: GitHubJobOptions, projectRepository?: string): Promise<Ctx> {
  const env = o.env ?? process.env;
  let remoteUrl: string | undefined;
  try {
    const { git } = await locate(o.cwd);
    remoteUrl = (await git(['remote', 'get-url', 'origin'])).trim();
  } catch {
    remoteUrl = undefined;
  }
  const target = resolveGitHubTarget({
    env,
    repository: o.repository,
    tokenEnv: o.tokenEnv,
    apiUrl: o.apiUrl,
    projectRepository,
    remoteUrl: remoteUrl && /^(?:https?|ssh|git):|@/.test(remoteUrl) ? remoteUrl : undefined,
  });
  const client = createGitHubClient({
    token: target.token,
    apiUrl: target.apiUrl,
    onNotice: o.onNotice,
    ...o.clientOptions,
  });
  return {
    target,
    client,
    event: await readEventInfo(env),
    env,
    repository: `${target.owner}/${target.repo}`,
  };
}

function runUrl(env: NodeJS.ProcessEnv): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: run } = env;
  return server && repo && run ? `${server}/${repo}/actions/runs/${run}` : undefined;
}

async function readPlan(file: string): Promise<Plan> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new GitHubError(
      `cannot read the plan file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      0,
      'Write it with rudder plan --out plan.json (in the apply job: download the plan artifact first).',
    );
  }
  const parsed = parsePlanFile(text, file, nodeSha256);
  if (!parsed.ok)
    throw new GitHubError(
      formatPretty(parsed.diagnostics, new Map(), { color: false }).trim(),
      0,
      'Plan again with rudder plan --out plan.json.',
    );
  return parsed.value;
}

async function findPullRequest(
  c: Ctx,
  o: GitHubJobOptions,
  sha: string | undefined,
): Promise<number | undefined> {
  if (o.pullRequest != null) return o.pullRequest;
  if (c.event.pullRequest != null) return c.event.pullRequest;
  const commit = sha ?? c.event.after ?? c.env.GITHUB_SHA;
  if (!commit) return undefined;
  const { data } = await ghCall(
    {
      what: `find the pull request of commit ${commit.slice(0, 12)}`,
      repository: c.repository,
      permission: 'contents: read',
      target: `commit ${commit.slice(0, 12)}`,
    },
    [c.target.token],
    () =>
      c.client.rest.repos.listPullRequestsAssociatedWithCommit({
        owner: c.target.owner,
        repo: c.target.repo,
        commit_sha: commit,
      }),
  );
  const pr = data.find((p) => p.merged_at != null || p.merge_commit_sha === commit) ?? data[0];
  return pr?.number;
}

export interface CommentPlanOptions extends GitHubJobOptions {
  /** The plan file written by `rudder plan --out` (what the apply job will apply). */
  planFile: string;
  /** Base commit for the policy comparison; default the pull request's base. */
  base?: string;
  /** Link to where the plan file is stored; default this workflow run's page. */
  artifactUrl?: string;
  artifactName?: string;
}

export interface CommentPlanResult {
  pullRequest: number;
  comment: UpsertCommentResult;
  truncated: boolean;
  changes?: PolicyChange[];
  plan: Plan;
  status?: { sha: string; state: string };
}

/** Post or update the plan comment of a pull request. */
export async function githubCommentPlan(o: CommentPlanOptions): Promise<CommentPlanResult> {
  const v = await validate({ cwd: o.cwd, policiesDir: o.policiesDir, checkPaths: false });
  if (!v.ok || !v.state)
    throw new GitHubError(
      `the policies in ${o.cwd} do not compile:\n${formatPretty(v.diagnostics, v.sources, { color: false }).trim()}`,
      0,
      'Fix them; rudder validate shows the same.',
    );
  const head = v.state;
  const c = await context(o, head.project.git.pullRequest.repository);
  const plan = await readPlan(o.planFile);
  if (plan.inputs.policies !== head.digest)
    throw new GitHubError(
      `${relative(o.cwd, o.planFile) || o.planFile} was not made from the policies in this checkout`,
      0,
      'Run rudder plan --out in the same job, on the same checkout, before commenting.',
    );
  const number = await findPullRequest(c, o, undefined);
  if (number == null)
    throw new GitHubError(
      'no pull request to comment on: the event is not a pull request',
      0,
      'Run on pull_request events, or pass --pr <number>.',
    );

  let baseSha = o.base ?? c.event.baseSha;
  let headSha = c.event.headSha;
  if (!baseSha || (o.status && !headSha)) {
    const { data } = await ghCall(
      {
        what: `read pull request #${number}`,
        repository: c.repository,
        permission: 'pull-requests: write',
        target: `pull request #${number}`,
      },
      [c.target.token],
      () => c.client.rest.pulls.get({ owner: c.target.owner, repo: c.target.repo, pull_number: number }),
    );
    baseSha ??= data.base.sha;
    headSha ??= data.head.sha;
  }
  let changes: PolicyChange[] | undefined;
  let changesNote: string | undefined;
  const before = await loadPoliciesAt(o.cwd, baseSha, head.project.policiesDir).catch((e: unknown) => ({
    ok: false as const,
    reason: (e as Error).message,
  }));
  if (before.ok) changes = diffPolicies(before.state, head, plan);
  else changesNote = `Policy changes not itemized: ${before.reason}.`;

  const rendered = renderPlanComment({
    plan,
    project: head.project.name,
    changes,
    changesNote,
    base: baseSha,
    head: headSha,
    artifactUrl: o.artifactUrl ?? runUrl(c.env),
    artifactName: o.artifactName,
  });
  const comment = await upsertComment({
    client: c.client,
    target: c.target,
    issue: number,
    marker: rendered.marker,
    body: rendered.body,
  });
  let status: CommentPlanResult['status'];
  if (o.status && headSha) {
    await setCommitStatus(c, headSha, 'rudder/plan', 'success', renderSummaryLine(plan), comment.url);
    status = { sha: headSha, state: 'success' };
  }
  return { pullRequest: number, comment, truncated: rendered.truncated, changes, plan, status };
}

export interface ApplyOnMergeOptions extends GitHubJobOptions {
  planFile: string;
  approve?: readonly string[] | 'all';
  allowDestroy?: boolean;
  lockTimeoutMs?: number;
  onEvent?: ApplyOptions['onEvent'];
  signal?: AbortSignal;
  /** Trainer overrides (tests). */
  trainers?: ApplyOptions['trainers'];
}

export interface ApplyOnMergeResult {
  apply: ApplyRunResult;
  pullRequest?: number;
  comment?: UpsertCommentResult;
  /** Where the state commit went. */
  pushed?: string;
}

/**
 * Apply the reviewed plan file (refused when anything it depends on changed since), then comment
 * what was applied and the state commit on the pull request. The pull request is found before
 * anything is applied, so a GitHub misconfiguration stops the job while nothing has changed.
 */
export async function applyOnMerge(
  o: ApplyOnMergeOptions,
  /** api.apply: the one way a plan is applied. */
  applyPlan: (opts: ApplyOptions) => Promise<ApplyRunResult>,
): Promise<ApplyOnMergeResult> {
  const v = await validate({ cwd: o.cwd, policiesDir: o.policiesDir, checkPaths: false });
  const c = await context(o, v.state?.project.git.pullRequest.repository);
  const number = await findPullRequest(c, o, c.event.mergeCommitSha);
  if (number == null)
    o.onNotice?.('no pull request found for this commit: the result is printed here but not commented');
  const project = v.state?.project.name ?? c.target.repo;
  let plan: Plan | undefined;
  let apply: ApplyRunResult;
  try {
    plan = await readPlan(o.planFile);
    apply = await applyPlan({
      cwd: o.cwd,
      policiesDir: o.policiesDir,
      plan,
      approve: o.approve,
      allowDestroy: o.allowDestroy,
      lockTimeoutMs: o.lockTimeoutMs,
      actor: 'ci',
      onEvent: o.onEvent,
      signal: o.signal,
      trainers: o.trainers,
    });
  } catch (e) {
    if (!(e instanceof GitHubError)) throw e;
    apply = {
      ok: false,
      diagnostics: [],
      sources: new Map(),
      outcomes: [],
      summary: `Nothing applied: ${e.message}`,
    };
  }
  let pushed: string | undefined;
  if (apply.commit?.sha) pushed = await whereIsCommit(o.cwd, apply.commit.sha, v.state);
  const server = c.env.GITHUB_SERVER_URL ?? 'https://github.com';
  const rendered = renderApplyComment({
    plan: apply.plan ?? plan,
    project,
    ok: apply.ok,
    summary: apply.summary,
    outcomes: apply.outcomes,
    problems: apply.diagnostics
      .filter((d) => d.severity === 'error')
      .map((d) => `${d.message}${d.hint ? ` — ${d.hint}` : ''}`),
    commit: apply.commit,
    pushed,
    commitUrl:
      apply.commit?.sha && pushed?.startsWith('pushed')
        ? `${server}/${c.repository}/commit/${apply.commit.sha}`
        : undefined,
    runUrl: runUrl(c.env),
    runId: c.env.GITHUB_RUN_ID,
  });
  let comment: UpsertCommentResult | undefined;
  if (number != null)
    comment = await upsertComment({
      client: c.client,
      target: c.target,
      issue: number,
      marker: rendered.marker,
      body: rendered.body,
    });
  // A state commit GitHub has not received cannot carry a status: use the merge commit then.
  const statusSha =
    (pushed?.startsWith('pushed') ? apply.commit?.sha : undefined) ??
    c.event.mergeCommitSha ??
    c.event.after ??
    c.env.GITHUB_SHA;
  if (o.status && statusSha)
    await setCommitStatus(
      c,
      statusSha,
      'rudder/apply',
      apply.ok ? 'success' : 'failure',
      apply.summary,
      comment?.url,
    );
  return { apply, pullRequest: number, comment, pushed };
}

/** A commit status (the check next to a commit on GitHub), linking to the comment that explains it. */
async function setCommitStatus(
  c: Ctx,
  sha: string,
  context: 'rudder/plan' | 'rudder/apply',
  state: 'success' | 'failure',
  description: string,
  url: string | undefined,
): Promise<void> {
  await ghCall(
    {
      what: `set the ${context} status on ${sha.slice(0, 12)}`,
      repository: c.repository,
      permission: 'statuses: write',
      target: `commit ${sha.slice(0, 12)}`,
    },
    [c.target.token],
    () =>
      c.client.rest.repos.createCommitStatus({
        owner: c.target.owner,
        repo: c.target.repo,
        sha,
        state,
        context,
        description: clip(description, 140),
        target_url: url,
      }),
  );
}

/** `pushed to origin/main`, or why the commit stayed on this machine. */
async function whereIsCommit(root: string, sha: string, state: DesiredState | undefined): Promise<string> {
  const g = state?.project.git;
  if (g && !g.push)
    return 'committed on this runner only: git.push is false in rudder.yaml, so push it in the workflow';
  try {
    const { git } = await locate(root);
    const remote = g?.remote ?? 'origin';
    const branch = g?.branch ?? (await git(['rev-parse', '--abbrev-ref', 'HEAD'])).trim();
    const out = await git(['ls-remote', remote, `refs/heads/${branch}`]);
    return out.startsWith(sha) ? `pushed to ${remote}/${branch}` : `not on ${remote}/${branch} yet`;
  } catch {
    return 'push state unknown';
  }
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
