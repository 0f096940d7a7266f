import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import {
  githubApplyOnMerge,
  githubCommentPlan,
  proposeChange,
  resolveGitHubTarget,
  GitCommandError,
  GitHubError,
  redact,
} from '../../api/github.ts';
import { plan } from '../../api/run.ts';
import { formatPretty } from '../../diagnostics/format-pretty.ts';
import { ExitCode, ExitError, type CommandIO } from '../io.ts';
import { renderEvent } from './apply.ts';

export interface GitHubCommonOptions {
  cwd: string;
  policiesDir?: string;
  repo?: string;
  pr?: number;
  tokenEnv?: string;
  apiUrl?: string;
  status?: boolean;
  json: boolean;
  verbose?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Everything a GitHub command prints goes through here: the token can never reach the terminal or a log. */
function guarded(io: CommandIO, o: GitHubCommonOptions): CommandIO & { secrets: string[] } {
  const env = o.env ?? process.env;
  const secrets = [env[o.tokenEnv ?? 'GITHUB_TOKEN'], env.GITHUB_TOKEN].filter((s): s is string => !!s);
  return {
    ...io,
    secrets,
    stdout: (t) => io.stdout(redact(t, secrets)),
    stderr: (t) => io.stderr(redact(t, secrets)),
  };
}

/** The pull request a command acts on and how to reach it, as the api takes them. */
function target(o: GitHubCommonOptions & { planFile: string }) {
  return {
    cwd: o.cwd,
    policiesDir: o.policiesDir,
    planFile: o.planFile,
    env: o.env,
    repository: o.repo,
    pullRequest: o.pr,
    tokenEnv: o.tokenEnv,
    apiUrl: o.apiUrl,
    status: o.status,
  };
}

async function explained<T>(secrets: string[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof GitHubError) throw new ExitError(redact(`${e.message}\n  next: ${e.hint}`, secrets));
    if (e instanceof GitCommandError) throw new ExitError(redact(e.message, secrets));
    if (e instanceof Error) {
      // An unexpected failure is still reported as a bug, minus any secret.
      e.message = redact(e.message, secrets);
      if (e.stack) e.stack = redact(e.stack, secrets);
    }
    throw e;
  }
}

export interface GitHubCommentOptions extends GitHubCommonOptions {
  planFile: string;
  base?: string;
  artifactUrl?: string;
  artifactName?: string;
}

/** `rudder github comment plan.json`: post or update the pull request's plan comment. */
export async function githubCommentCommand(o: GitHubCommentOptions, rawIO: CommandIO): Promise<number> {
  const io = guarded(rawIO, o);
  const r = await explained(io.secrets, () =>
    githubCommentPlan({
      ...target(o),
      base: o.base,
      artifactUrl: o.artifactUrl,
      artifactName: o.artifactName,
      onNotice: (m) => io.stderr(`rudder: ${m}\n`),
    }),
  );
  if (o.json)
    io.stdout(
      `${JSON.stringify(
        {
          pullRequest: r.pullRequest,
          comment: r.comment,
          truncated: r.truncated,
          plan: r.plan.digest,
          changes: r.changes,
          status: r.status,
        },
        null,
        2,
      )}\n`,
    );
  else {
    const verb = { created: 'Posted', updated: 'Updated', unchanged: 'Unchanged:' }[r.comment.action];
    io.stdout(`${verb} the plan comment on pull request #${r.pullRequest}: ${r.comment.url}\n`);
    if (r.truncated)
      io.stderr('rudder: the plan was too long for one comment; the comment points at the plan artifact\n');
    if (o.verbose && r.changes)
      for (const c of r.changes) io.stderr(`rudder: ${c.kind}/${c.name} ${c.change}: ${c.effect}\n`);
  }
  return ExitCode.ok;
}

export interface GitHubApplyOptions extends GitHubCommonOptions {
  planFile: string;
  approve: string[] | 'all';
  allowDestroy: boolean;
  lockTimeoutMs: number;
  signal?: AbortSignal;
}

/** `rudder github apply plan.json`: apply the reviewed plan and comment the result on its pull request. */
export async function githubApplyCommand(o: GitHubApplyOptions, rawIO: CommandIO): Promise<number> {
  const io = guarded(rawIO, o);
  const r = await explained(io.secrets, () =>
    githubApplyOnMerge({
      ...target(o),
      approve: o.approve,
      allowDestroy: o.allowDestroy,
      lockTimeoutMs: o.lockTimeoutMs,
      signal: o.signal,
      onEvent: (e) => io.stderr(renderEvent(e)),
      onNotice: (m) => io.stderr(`rudder: ${m}\n`),
    }),
  );
  const a = r.apply;
  const planRel = relative(o.cwd, o.planFile) || o.planFile;
  const diags = a.diagnostics.map((d) =>
    d.file == null && d.code.startsWith('plan/') ? { ...d, file: planRel } : d,
  );
  if (diags.length > 0) io.stderr(formatPretty(diags, a.sources, { color: io.color }));
  if (o.json)
    io.stdout(
      `${JSON.stringify(
        {
          ok: a.ok,
          plan: a.plan?.digest,
          outcomes: a.outcomes,
          commit: a.commit,
          pushed: r.pushed,
          summary: a.summary,
          pullRequest: r.pullRequest,
          comment: r.comment,
        },
        null,
        2,
      )}\n`,
    );
  else {
    if (a.commit?.sha)
      io.stdout(`Committed ${a.commit.sha.slice(0, 12)}${r.pushed ? ` (${r.pushed})` : ''}\n`);
    io.stdout(`${a.summary}\n`);
    if (r.comment) io.stdout(`Reported on pull request #${r.pullRequest}: ${r.comment.url}\n`);
  }
  return a.ok ? ExitCode.ok : ExitCode.error;
}

export interface GitHubProposeOptions extends GitHubCommonOptions {
  branch: string;
  title: string;
  files: string[];
  base?: string;
  body?: string;
  draft: boolean;
}

/**
 * `rudder github propose --branch b --title t <files…>`: the working tree's version of these
 * files, with the plan they lead to, as a draft pull request (the checkout is not changed).
 */
export async function githubProposeCommand(o: GitHubProposeOptions, rawIO: CommandIO): Promise<number> {
  const io = guarded(rawIO, o);
  const p = await plan({ cwd: o.cwd, policiesDir: o.policiesDir });
  if (!p.ok) {
    io.stderr(formatPretty(p.diagnostics, p.sources, { color: io.color }));
    return ExitCode.error;
  }
  const files: Record<string, string | null> = {};
  for (const f of o.files) {
    const abs = resolve(o.cwd, f);
    const rel = relative(o.cwd, abs).split('\\').join('/');
    if (rel.startsWith('..')) throw new ExitError(`${f}: not inside the repository ${o.cwd}`);
    files[rel] = await readFile(abs, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null; // proposing its deletion
      throw new ExitError(`cannot read ${f}: ${e.code ?? e.message}`);
    });
  }
  const r = await explained(io.secrets, async () => {
    const env = o.env ?? process.env;
    const github = resolveGitHubTarget({ env, repository: o.repo, tokenEnv: o.tokenEnv, apiUrl: o.apiUrl });
    return proposeChange({
      root: o.cwd,
      branch: o.branch,
      title: o.title,
      body: o.body,
      base: o.base,
      draft: o.draft,
      files,
      plan: p.plan,
      github,
      clientOptions: { onNotice: (m) => io.stderr(`rudder: ${m}\n`) },
    });
  });
  if (o.json) io.stdout(`${JSON.stringify(r, null, 2)}\n`);
  else
    io.stdout(
      `Opened ${r.pullRequest.draft ? 'draft ' : ''}pull request #${r.pullRequest.number} (${r.branch} → ${r.base}): ${r.pullRequest.url}\n`,
    );
  return ExitCode.ok;
}
