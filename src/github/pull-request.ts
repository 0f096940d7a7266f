// Propose a change as a pull request: one commit of the given files on a new branch made from the
// remote base (the working tree, index and HEAD of the caller are not touched), pushed without
// force, then opened as a draft pull request whose description is the plan. Used by
// `rudder github propose` and by the MCP server's propose_policy_change.
import { validate } from '../source/validate.ts';
import { FALLBACK_AUTHOR } from '../git/git.ts';
import type { Plan } from '../planner/plan-types.ts';
import { createGitHubClient, redact, type GitHubClient, type GitHubClientOptions } from './client.ts';
import { GITHUB_BODY_LIMIT } from './comment.ts';
import type { GitHubTarget } from './context.ts';
import { ghCall, GitHubError } from './errors.ts';
import { commitFiles, identityOf, locate, type GitRun } from './git-plumbing.ts';
import { loadPoliciesAt } from './policies-at.ts';
import { diffPolicies } from './policy-changes.ts';
import { renderPlanComment } from './render-comment.ts';

export interface ProposeChangeOptions {
  /** Repository root (where rudder.yaml is); may be a folder inside the git work tree. */
  root: string;
  /** New branch name; refused if it exists on the remote (never force-pushed). */
  branch: string;
  title: string;
  /** Paths relative to `root` → new content; `null` deletes the file. */
  files: Readonly<Record<string, string | null>>;
  /** The plan of the proposed policies: rendered as the description. */
  plan?: Plan;
  /** Text above the plan in the description (why the change is proposed). */
  body?: string;
  /** Branch to merge into. Default: the repository's default branch on GitHub. */
  base?: string;
  /** Git remote to push to. Default `origin`. */
  remote?: string;
  /** Default true: a person marks it ready after reading the plan. */
  draft?: boolean;
  /** Commit message; default: the title. */
  message?: string;
  /** Commit author when the repository has no user.name/email. Default Rudder <rudder@localhost>. */
  author?: { name: string; email: string };
  /** Where the pull request is opened (see resolveGitHubTarget). */
  github: GitHubTarget;
  /** Client settings (tests: pacing, retry units) or a client to reuse. */
  client?: GitHubClient;
  clientOptions?: Partial<GitHubClientOptions>;
  /** Project name for the plan section of the description; default rudder.yaml's. */
  project?: string;
  /** Policy folder; default rudder.yaml's spec.policies. */
  policiesDir?: string;
}

export interface ProposeChangeResult {
  branch: string;
  base: string;
  commit: string;
  pullRequest: { number: number; url: string; draft: boolean };
}

/** Branch, commit, push, draft pull request. Throws GitHubError (GitHub) or GitCommandError (git). */
export async function proposeChange(o: ProposeChangeOptions): Promise<ProposeChangeResult> {
  const { owner, repo, token } = o.github;
  const repository = `${owner}/${repo}`;
  const secrets = [token];
  const remote = o.remote ?? 'origin';
  const entries = Object.entries(o.files);
  checkProposedPaths(entries);
  const { git, prefix } = await locate(o.root);
  await git(['check-ref-format', '--branch', o.branch]).catch(() => {
    throw new GitHubError(
      `${JSON.stringify(o.branch)} is not a valid branch name`,
      0,
      'Use letters, digits, -, _ and / (e.g. rudder/churn-epochs).',
    );
  });
  const client = o.client ?? createGitHubClient({ token, apiUrl: o.github.apiUrl, ...o.clientOptions });

  let base = o.base;
  if (!base) {
    const { data } = await ghCall(
      { what: `read ${repository}`, repository, permission: 'contents: read' },
      secrets,
      () => client.rest.repos.get({ owner, repo }),
    );
    base = data.default_branch;
  }
  const baseSha = await fetchRemoteBase(git, remote, o.branch, base);
  const sha = await commitProposal(o, git, prefix, entries, baseSha, base);
  try {
    await git(['push', '--quiet', remote, `${sha}:refs/heads/${o.branch}`]);
  } catch (e) {
    throw new GitHubError(
      `cannot push branch ${o.branch} to ${remote}: ${redact((e as Error).message, secrets)}`,
      0,
      'Check that the job may push (in Actions: `permissions: contents: write`), and that the branch is not protected.',
    );
  }

  const body = await renderProposalBody({
    root: o.root,
    base: baseSha,
    head: sha,
    plan: o.plan,
    body: o.body,
    project: o.project,
    policiesDir: o.policiesDir,
    footer: `Proposed by Rudder on branch \`${o.branch}\`; ${(o.draft ?? true) ? 'mark it ready for review once the plan reads right' : 'review the plan before merging'}.`,
  });
  const pr = await openPullRequest({
    github: o.github,
    client,
    branch: o.branch,
    base,
    title: o.title,
    body,
    draft: o.draft ?? true,
  });
  return {
    branch: o.branch,
    base,
    commit: sha,
    pullRequest: pr,
  };
}

/** At least one file, and every path inside the repository (no absolute, `..` or option-like path). */
function checkProposedPaths(entries: [string, string | null][]): void {
  if (entries.length === 0)
    throw new GitHubError('nothing to propose: no files were given', 0, 'Pass the changed files.');
  for (const [p] of entries)
    if (p === '' || p.startsWith('/') || p.split(/[\\/]/).includes('..') || p.startsWith('-'))
      throw new GitHubError(
        `refusing to propose ${JSON.stringify(p)}: not a path inside the repository`,
        0,
        'Use paths relative to the repository root.',
      );
}

/** The base branch's commit on the remote, fetched; refused when the new branch already exists there. */
async function fetchRemoteBase(git: GitRun, remote: string, branch: string, base: string): Promise<string> {
  const remoteHeads = await git([
    'ls-remote',
    '--heads',
    remote,
    `refs/heads/${branch}`,
    `refs/heads/${base}`,
  ]);
  if (remoteHeads.split('\n').some((l) => l.endsWith(`\trefs/heads/${branch}`)))
    throw new GitHubError(
      `branch ${branch} already exists on ${remote}: Rudder never overwrites a branch`,
      0,
      'Choose another branch name, or delete the old branch if its pull request is closed.',
    );
  const baseSha = remoteHeads
    .split('\n')
    .find((l) => l.endsWith(`\trefs/heads/${base}`))
    ?.split('\t')[0];
  if (!baseSha)
    throw new GitHubError(
      `the base branch ${base} does not exist on ${remote}`,
      0,
      `Push ${base} first, or pass another base.`,
    );
  await git(['fetch', '--quiet', '--no-tags', remote, `refs/heads/${base}`]);
  return baseSha;
}

/** One commit of the files on top of the base commit; refused when it changes nothing. */
async function commitProposal(
  o: ProposeChangeOptions,
  git: GitRun,
  prefix: string,
  entries: [string, string | null][],
  baseSha: string,
  base: string,
): Promise<string> {
  const files = new Map(entries.map(([p, c]) => [`${prefix}${p.replace(/\\/g, '/')}`, c]));
  const identity = await identityOf(git, o.author ?? FALLBACK_AUTHOR);
  const trailers = o.plan ? `\n\nRudder-Plan: ${o.plan.digest}` : '';
  const made = await commitFiles({
    git,
    base: baseSha,
    files,
    message: `${o.message ?? o.title}${trailers}\n`,
    identity,
  });
  if (!made.changed)
    throw new GitHubError(
      `nothing to propose: the files are already as given on ${base}`,
      0,
      'Change at least one file.',
    );
  return made.sha;
}

export interface ProposalBodyOptions {
  root: string;
  /** The base commit and the proposed commit (both in the local object store). */
  base: string;
  head: string;
  plan?: Plan;
  /** Why: shown above the plan. */
  body?: string;
  project?: string;
  policiesDir?: string;
  /** A closing line (who proposed it, what to do next). */
  footer?: string;
}

/**
 * A pull request's description: the reason, then the plan with each policy change itemized
 * (the policies of `base` and `head` compiled and compared), within GitHub's size limit.
 */
export async function renderProposalBody(o: ProposalBodyOptions): Promise<string> {
  const footer = o.footer ? `\n<sub>${o.footer}</sub>\n` : '';
  let body = o.body ? `${o.body.trim()}\n\n` : '';
  if (o.plan) {
    const dir =
      o.policiesDir ??
      (await validate({ cwd: o.root, checkPaths: false })).state?.project.policiesDir ??
      'policies';
    const [before, after] = await Promise.all([
      loadPoliciesAt(o.root, o.base, dir),
      loadPoliciesAt(o.root, o.head, dir),
    ]);
    body += renderPlanComment({
      plan: o.plan,
      project: o.project ?? (after.ok ? after.state.project.name : 'rudder'),
      changes: before.ok && after.ok ? diffPolicies(before.state, after.state, o.plan) : undefined,
      changesNote: !after.ok
        ? `The proposed policies: ${after.reason}.`
        : !before.ok
          ? `Policy changes not itemized: ${before.reason}.`
          : undefined,
      base: o.base,
      head: o.head,
      limit: GITHUB_BODY_LIMIT - body.length - footer.length - 16,
    }).body;
  }
  return `${body}${footer}`;
}

export interface OpenPullRequestOptions {
  github: GitHubTarget;
  client?: GitHubClient;
  clientOptions?: Partial<GitHubClientOptions>;
  /** A branch already on the remote. */
  branch: string;
  base: string;
  title: string;
  body: string;
  draft?: boolean;
}

/** `pulls.create` (draft by default) with Rudder's error messages. */
export async function openPullRequest(
  o: OpenPullRequestOptions,
): Promise<{ number: number; url: string; draft: boolean }> {
  const { owner, repo, token } = o.github;
  const repository = `${owner}/${repo}`;
  const client = o.client ?? createGitHubClient({ token, apiUrl: o.github.apiUrl, ...o.clientOptions });
  const draft = o.draft ?? true;
  const { data } = await ghCall(
    {
      what: `open a pull request from ${o.branch} into ${o.base} on ${repository}`,
      repository,
      permission: 'pull-requests: write',
      target: `branch ${o.base}`,
      validationHint: `A pull request for ${o.branch} may already exist, or ${o.branch} has no commits ahead of ${o.base}. The branch ${o.branch} was pushed and is kept.`,
    },
    [token],
    () =>
      client.rest.pulls.create({
        owner,
        repo,
        head: o.branch,
        base: o.base,
        title: o.title,
        body: o.body.length > GITHUB_BODY_LIMIT ? o.body.slice(0, GITHUB_BODY_LIMIT) : o.body,
        draft,
      }),
  );
  return { number: data.number, url: data.html_url, draft: data.draft ?? draft };
}
