// Propose a policy change: validate it and plan it in a scratch worktree, commit it on a new
// branch (the caller's work tree, index and HEAD are untouched), optionally train it there and
// compare the result with the champion, and open a draft pull request when GitHub is
// configured (and, when evaluated, only when the variant passed its gates). Re-exported by api.ts.
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, normalize, resolve } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { apply, plan } from '../compose/run.ts';
import { validate } from '../source/validate.ts';
import { compareVersions, type VersionComparison } from '../compose/compare-versions.ts';
import type { ApiResult, Diagnostic } from '../diagnostics/diagnostic.ts';
import type { ApplyEvent } from '../executor/events.ts';
import type { ApplyOptions } from '../executor/run-apply.ts';
import type { ApprovedBy } from '../git/message.ts';
import { renderCommitMessage } from '../git/message.ts';
import { FALLBACK_AUTHOR } from '../git/git.ts';
import { createGitHubClient } from '../github/client.ts';
import type { GitHubTarget } from '../github/context.ts';
import { ghCall } from '../github/errors.ts';
import { commitFiles, identityOf, locate, type GitRun } from '../github/git-plumbing.ts';
import { renderPlanComment } from '../github/render-comment.ts';
import type { Plan } from '../planner/plan-types.ts';
import { renderSummaryLine } from '../planner/render.ts';
import type { Actor } from '../state/types.ts';
import { digestOf } from '../util/canonical.ts';
import { nodeSha256 } from '../util/node-hash.ts';

const fail = <T>(code: Diagnostic['code'], message: string, hint?: string): ApiResult<{ value: T }> => ({
  ok: false,
  diagnostics: [{ code, severity: 'error', message, hint, path: [] }],
  sources: new Map(),
});

export interface PolicyChangeRequest {
  cwd: string;
  policiesDir?: string;
  /** Repository-relative path → new content (`null` deletes): rudder.yaml or files under the policy folder. */
  files: Readonly<Record<string, string | null>>;
  title: string;
  body?: string;
  /** Default: `rudder/mcp/<slug of the title>-<8 hex>`. */
  branch?: string;
  now?: Date;
}

export interface PolicyChangePreview {
  /** The commit the change is made on (HEAD when previewed). */
  base: string;
  branch: string;
  files: { path: string; change: 'added' | 'modified' | 'deleted'; diff: string }[];
  /** The plan of the proposed policies against the current state and data. */
  plan: Plan;
  /** Binds a confirmation to this exact proposal. */
  digest: string;
}

const artifactsDir = (a: { type: string; path?: string; cache?: string } | undefined) =>
  a == null ? undefined : a.type === 'local' ? a.path : a.cache;

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40) || 'change';

/** Hard-link (or copy) a tree: a worktree sees the untracked data without copying it. */
function linkTree(from: string, to: string): void {
  const st = statSync(from);
  if (st.isDirectory()) {
    mkdirSync(to, { recursive: true });
    for (const e of readdirSync(from)) linkTree(join(from, e), join(to, e));
  } else if (st.isFile()) {
    try {
      linkSync(from, to);
    } catch {
      copyFileSync(from, to);
    }
  }
}

/**
 * A scratch worktree at `ref` with the caller's untracked files (data that .gitignore keeps out
 * of git) linked in, and the artifact store shared so champions can be re-scored there.
 */
async function withWorktree<T>(
  git: GitRun,
  topLevel: string,
  ref: { detach: string } | { branch: string },
  artifactsPath: string | undefined,
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = join(tmpdir(), `rudder-proposal-${randomUUID()}`);
  await git(
    'detach' in ref
      ? ['worktree', 'add', '--quiet', '--detach', dir, ref.detach]
      : ['worktree', 'add', '--quiet', dir, ref.branch],
  );
  try {
    for (const e of readdirSync(topLevel)) {
      if (e === '.git' || e === '.rudder' || existsSync(join(dir, e))) continue;
      linkTree(join(topLevel, e), join(dir, e));
    }
    if (artifactsPath && !isAbsolute(artifactsPath) && existsSync(join(topLevel, artifactsPath))) {
      const target = join(dir, artifactsPath);
      mkdirSync(dirname(target), { recursive: true });
      if (!existsSync(target)) symlinkSync(join(topLevel, artifactsPath), target, 'dir');
    }
    return await fn(dir);
  } finally {
    await git(['worktree', 'remove', '--force', dir]).catch(() => rm(dir, { recursive: true, force: true }));
    await git(['worktree', 'prune']).catch(() => undefined);
  }
}

/** Validate and plan a policy change without touching the caller's checkout. Read-only (scratch worktree). */
export async function previewPolicyChange(
  req: PolicyChangeRequest,
): Promise<ApiResult<{ value: PolicyChangePreview }>> {
  const root = resolve(req.cwd);
  const current = await validate({ cwd: root, policiesDir: req.policiesDir, checkPaths: false });
  const policiesDir = normalize(current.state?.project.policiesDir ?? req.policiesDir ?? 'policies');
  const entries = Object.entries(req.files);
  if (entries.length === 0)
    return fail('policy/proposal-invalid', 'no file to change', 'Pass at least one file.');
  for (const [p] of entries) {
    const n = normalize(p);
    const inPolicies = n.startsWith(`${policiesDir}/`) && /\.ya?ml$/.test(n);
    if (isAbsolute(p) || n.split(/[\\/]/).includes('..') || !(inPolicies || n === 'rudder.yaml'))
      return fail(
        'policy/proposal-invalid',
        `refusing to change ${JSON.stringify(p)}: only rudder.yaml and *.yaml files under ${policiesDir}/ can be proposed`,
        `Use repository-relative paths such as ${policiesDir}/models/churn.yaml.`,
      );
  }
  let located;
  try {
    located = await locate(root);
  } catch (e) {
    return fail(
      'git/failed',
      (e as Error).message,
      'Proposals are commits on a branch: run in a git repository.',
    );
  }
  const { git, topLevel, prefix } = located;
  const base = (await git(['rev-parse', 'HEAD'])).trim();
  const files: PolicyChangePreview['files'] = [];
  for (const [p, content] of entries) {
    const before = await git(['show', `${base}:${prefix}${normalize(p)}`]).catch(() => null);
    if (before === content) continue;
    files.push({
      path: normalize(p),
      change: before == null ? 'added' : content == null ? 'deleted' : 'modified',
      diff: createTwoFilesPatch(`a/${p}`, `b/${p}`, before ?? '', content ?? '', undefined, undefined, {
        context: 3,
      }),
    });
  }
  if (files.length === 0)
    return fail(
      'policy/proposal-invalid',
      'nothing to propose: the files are already as given',
      'Change a file.',
    );
  const out = await withWorktree(git, topLevel, { detach: base }, undefined, async (dir) => {
    const wroot = join(dir, prefix);
    for (const f of files) {
      const target = join(wroot, f.path);
      if (req.files[f.path] == null) await rm(target, { force: true });
      else {
        mkdirSync(dirname(target), { recursive: true });
        await writeFile(target, req.files[f.path]!);
      }
    }
    const v = await validate({ cwd: wroot, policiesDir: req.policiesDir });
    if (!v.ok) return { ok: false as const, diagnostics: v.diagnostics, sources: v.sources };
    const p = await plan({ cwd: wroot, policiesDir: req.policiesDir, now: req.now });
    if (!p.ok) return { ok: false as const, diagnostics: p.diagnostics, sources: p.sources };
    return { ok: true as const, plan: p.plan };
  });
  if (!out.ok) return out;
  const branch =
    req.branch ?? `rudder/mcp/${slug(req.title)}-${digestOf({ base, files }, nodeSha256).slice(7, 15)}`;
  const valid = await git(['check-ref-format', '--branch', branch]).then(
    () => true,
    () => false,
  );
  if (!valid)
    return fail(
      'policy/proposal-invalid',
      `${JSON.stringify(branch)} is not a valid branch name`,
      'Use letters, digits, -, _ and /.',
    );
  const exists = await git(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]).then(
    () => true,
    () => false,
  );
  if (exists)
    return fail('policy/proposal-invalid', `branch ${branch} already exists`, 'Choose another branch name.');
  return {
    ok: true,
    value: {
      base,
      branch,
      files,
      plan: out.plan,
      digest: digestOf(
        { base, branch, files, plan: out.plan.digest, title: req.title, body: req.body ?? '' },
        nodeSha256,
      ),
    },
    diagnostics: [],
    sources: new Map(),
  };
}

export interface ProposeOptions extends PolicyChangeRequest {
  preview: PolicyChangePreview;
  actor: Actor;
  approvedBy?: ApprovedBy;
  /** Apply the branch's plan on the branch (train the variant, commit its state there) and compare. */
  evaluate?: boolean;
  /** Open a draft pull request here (the branch is pushed to `remote`). */
  github?: GitHubTarget;
  remote?: string;
  trainers?: ApplyOptions['trainers'];
  clock?: () => Date;
  signal?: AbortSignal;
  onEvent?: (e: ApplyEvent) => void;
}

export interface ProposeResult {
  branch: string;
  base: string;
  /** The policy commit, and the state commit of the evaluation when there was one. */
  commit: string;
  head: string;
  plan: { digest: string; summary: string };
  evaluation?: {
    summary: string;
    ok: boolean;
    /** What each action of the branch's plan did. */
    outcomes: { id: string; status: string; message: string }[];
    comparisons: VersionComparison[];
    /** Every changed model's new version passed its gates (it would become champion or challenger). */
    better: boolean;
  };
  pullRequest?: { number: number; url: string; draft: boolean };
  /** Why no pull request was opened, when none was. */
  noPullRequest?: string;
}

/** Commit the previewed change on its branch (and evaluate it, and open a pull request). */
export async function proposePolicyChange(o: ProposeOptions): Promise<ApiResult<{ value: ProposeResult }>> {
  const root = resolve(o.cwd);
  const { git, topLevel, prefix } = await locate(root);
  const made = await commitOnNewBranch(o, git, prefix);
  if (!made.ok) return made;
  const result: ProposeResult = {
    branch: o.preview.branch,
    base: o.preview.base,
    commit: made.value,
    head: made.value,
    plan: { digest: o.preview.plan.digest, summary: renderSummaryLine(o.preview.plan) },
  };

  if (o.evaluate) {
    const evaluated = await evaluateOnBranch(o, root, git, topLevel, prefix);
    result.head = evaluated.head;
    result.evaluation = evaluated.evaluation;
  }

  if (!o.github) result.noPullRequest = 'GitHub is not configured: the branch is local';
  else if (o.evaluate && !result.evaluation?.better)
    result.noPullRequest = 'the variant did not pass its gates against the champion: no pull request';
  else {
    const pr = await openDraftPullRequest(o, o.github, git, result.evaluation);
    if (!pr.ok) return pr;
    result.pullRequest = pr.value;
  }
  return { ok: true, value: result, diagnostics: [], sources: new Map() };
}

type Evaluation = NonNullable<ProposeResult['evaluation']>;

/** The policy commit on a new branch made from the previewed base; refused when HEAD moved or the branch exists. */
async function commitOnNewBranch(
  o: ProposeOptions,
  git: GitRun,
  prefix: string,
): Promise<ApiResult<{ value: string }>> {
  const head = (await git(['rev-parse', 'HEAD'])).trim();
  if (head !== o.preview.base)
    return fail(
      'plan/stale',
      `HEAD moved since the proposal was previewed (${o.preview.base.slice(0, 10)} → ${head.slice(0, 10)})`,
      'Preview the change again.',
    );
  const files = new Map(o.preview.files.map((f) => [`${prefix}${f.path}`, o.files[f.path] ?? null]));
  const message = renderCommitMessage({
    subject: o.title,
    body: o.body,
    trailers: { plan: o.preview.plan.digest, actions: [], actor: o.actor, approvedBy: o.approvedBy },
  });
  const identity = await identityOf(git, FALLBACK_AUTHOR);
  const made = await commitFiles({ git, base: o.preview.base, files, message, identity });
  // An empty old value makes update-ref refuse an existing branch: a proposal never overwrites one.
  try {
    await git(['update-ref', `refs/heads/${o.preview.branch}`, made.sha, '']);
  } catch {
    return fail(
      'policy/proposal-invalid',
      `branch ${o.preview.branch} already exists`,
      'Preview again for a new branch.',
    );
  }
  return { ok: true, value: made.sha, diagnostics: [], sources: new Map() };
}

/**
 * Apply the branch's plan on the branch (in a scratch worktree), then compare each trained
 * model's new version with its champion. `head` is the branch's state commit.
 */
async function evaluateOnBranch(
  o: ProposeOptions,
  root: string,
  git: GitRun,
  topLevel: string,
  prefix: string,
): Promise<{ head: string; evaluation: Evaluation }> {
  const v = await validate({ cwd: root, policiesDir: o.policiesDir, checkPaths: false });
  return withWorktree(
    git,
    topLevel,
    { branch: o.preview.branch },
    artifactsDir(v.state?.project.artifacts),
    async (dir) => {
      const wroot = join(dir, prefix);
      const r = await apply({
        cwd: wroot,
        policiesDir: o.policiesDir,
        actor: o.actor,
        approvedBy: o.approvedBy,
        approve: 'all',
        trainers: o.trainers,
        now: o.clock,
        signal: o.signal,
        onEvent: o.onEvent,
      });
      const models = [
        ...new Set(
          (r.plan?.actions ?? []).filter((a) => a.type === 'model.train').map((a) => a.resource.name),
        ),
      ];
      const comparisons: VersionComparison[] = [];
      for (const m of models) {
        const c = await compareVersions({ cwd: wroot, policiesDir: o.policiesDir, model: m });
        if (c.ok) comparisons.push(c.value);
      }
      const head = (await git(['rev-parse', `refs/heads/${o.preview.branch}`])).trim();
      return {
        head,
        evaluation: {
          summary: r.summary,
          ok: r.ok,
          outcomes: r.outcomes.map((x) => ({ id: x.id, status: x.status, message: x.message })),
          comparisons,
          better:
            r.ok &&
            comparisons.length > 0 &&
            comparisons.every((c) => c.b.status === 'champion' || c.b.status === 'challenger'),
        },
      };
    },
  );
}

/** Push the branch (never over an existing one) and open a draft pull request into the default branch. */
async function openDraftPullRequest(
  o: ProposeOptions,
  github: GitHubTarget,
  git: GitRun,
  evaluation: Evaluation | undefined,
): Promise<ApiResult<{ value: NonNullable<ProposeResult['pullRequest']> }>> {
  const { owner, repo, token } = github;
  const repository = `${owner}/${repo}`;
  const remote = o.remote ?? 'origin';
  const remoteHeads = await git(['ls-remote', '--heads', remote, `refs/heads/${o.preview.branch}`]);
  if (remoteHeads.trim())
    return fail(
      'policy/proposal-invalid',
      `branch ${o.preview.branch} already exists on ${remote}`,
      'Preview again.',
    );
  await git(['push', '--quiet', remote, `refs/heads/${o.preview.branch}:refs/heads/${o.preview.branch}`]);
  const client = createGitHubClient({ token, apiUrl: github.apiUrl });
  const { data: info } = await ghCall(
    { what: `read ${repository}`, repository, permission: 'contents: read' },
    [token],
    () => client.rest.repos.get({ owner, repo }),
  );
  const body = `${o.body ? `${o.body.trim()}\n\n` : ''}${
    renderPlanComment({ plan: o.preview.plan, project: repo, limit: 50_000 }).body
  }${evaluationSection(evaluation)}\n\n<sub>Proposed through Rudder's MCP server by ${o.actor}.</sub>\n`;
  const { data } = await ghCall(
    {
      what: `open a pull request from ${o.preview.branch} on ${repository}`,
      repository,
      permission: 'pull-requests: write',
    },
    [token],
    () =>
      client.rest.pulls.create({
        owner,
        repo,
        head: o.preview.branch,
        base: info.default_branch,
        title: o.title,
        body,
        draft: true,
      }),
  );
  return {
    ok: true,
    value: { number: data.number, url: data.html_url, draft: data.draft ?? true },
    diagnostics: [],
    sources: new Map(),
  };
}

/** The pull request's evaluation section: each model's new version against the champion, metric by metric. */
function evaluationSection(evaluation: Evaluation | undefined): string {
  return evaluation
    ? `\n\n**Evaluation on the branch:** ${evaluation.summary}\n\n${evaluation.comparisons
        .map(
          (c) =>
            `- \`${c.model}\` v${c.b.version} (${c.b.status}) vs v${c.a.version}: ${Object.entries(
              c.metricDeltas,
            )
              .map(([k, d]) => `${k} ${d >= 0 ? '+' : ''}${d.toFixed(4)}`)
              .join(', ')}`,
        )
        .join('\n')}`
    : '';
}
