// `rudder github …`: registered by main.ts; the work (and Octokit) loads only when a subcommand runs.
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { lockTimeoutMs, type ContextOf } from '../context.ts';
import { ExitError } from '../io.ts';

interface Common {
  repo?: string;
  pr?: string;
  tokenEnv?: string;
  apiUrl?: string;
  status?: boolean;
  policies?: string;
}

const common = (c: Command): Command =>
  c
    .option(
      '--repo <owner/name>',
      'repository (default: GITHUB_REPOSITORY, git.pullRequest.repository, the origin URL)',
    )
    .option(
      '--pr <number>',
      'pull request (default: from GITHUB_EVENT_PATH, or the pull request of the pushed commit)',
    )
    .option(
      '--token-env <name>',
      'environment variable holding the token (never pass a token as an argument)',
      'GITHUB_TOKEN',
    )
    .option('--api-url <url>', 'REST API base URL (default: GITHUB_API_URL, else https://api.github.com)')
    .option('--policies <dir>', 'policy folder (default: spec.policies in rudder.yaml, or policies)');

/** The options every `rudder github` command shares, mapped once. */
function commonOptions(c: ReturnType<ContextOf>, o: Common, planFile: string) {
  return {
    cwd: c.cwd,
    policiesDir: o.policies,
    planFile: resolve(c.cwd, planFile),
    repo: o.repo,
    pr: pr(o.pr),
    tokenEnv: o.tokenEnv,
    apiUrl: o.apiUrl,
    status: o.status,
    json: c.json,
    verbose: c.verbose,
  };
}

function pr(v: string | undefined): number | undefined {
  if (v == null) return undefined;
  const n = Number(v.replace(/^#/, ''));
  if (!Number.isInteger(n) || n <= 0) throw new ExitError(`--pr ${v}: expected a pull request number`);
  return n;
}

export function registerGitHubCommands(program: Command, ctx: ContextOf): void {
  const gh = program
    .command('github')
    .description(
      'pull-request review and CI: the plan as one comment, apply on merge, changes as pull requests',
    );
  registerComment(gh, ctx);
  registerApply(gh, ctx);
  registerPropose(gh, ctx);
}

/** `rudder github comment <plan-file>` */
function registerComment(gh: Command, ctx: ContextOf): void {
  common(
    gh
      .command('comment <plan-file>')
      .description(
        'post the plan as the pull request’s Rudder comment, or update it in place (found by a hidden marker)',
      )
      .option('--base <commit>', 'compare the policies with this commit (default: the pull request’s base)')
      .option('--artifact-url <url>', 'where the plan file is kept (default: this workflow run)')
      .option('--artifact-name <name>', 'name of the artifact holding the plan file', 'rudder-plan')
      .option('--status', 'also set a rudder/plan commit status with the plan summary'),
  ).action(
    async (
      planFile: string,
      o: Common & { base?: string; artifactUrl?: string; artifactName?: string },
      cmd: Command,
    ) => {
      const c = ctx(cmd);
      const { githubCommentCommand } = await import('./github.ts');
      process.exitCode = await githubCommentCommand(
        {
          ...commonOptions(c, o, planFile),
          base: o.base,
          artifactUrl: o.artifactUrl,
          artifactName: o.artifactName,
        },
        c.io,
      );
    },
  );
}

/** `rudder github apply <plan-file>` */
function registerApply(gh: Command, ctx: ContextOf): void {
  common(
    gh
      .command('apply <plan-file>')
      .description(
        'apply exactly the reviewed plan file, then comment what was applied and the state commit on its pull request',
      )
      .option('--approve <model...>', 'approve the manual-approval actions of these models (or "all")')
      .option('--allow-destroy', 'allow actions that remove state')
      .option('--lock-timeout <duration>', 'wait this long for another apply to finish (e.g. 30s, 5m)', '0s')
      .option('--status', 'also set a rudder/apply commit status'),
  ).action(
    async (
      planFile: string,
      o: Common & { approve?: string[]; allowDestroy?: boolean; lockTimeout: string },
      cmd: Command,
    ) => {
      const c = ctx(cmd);
      const timeout = await lockTimeoutMs(o.lockTimeout);
      const { githubApplyCommand } = await import('./github.ts');
      process.exitCode = await githubApplyCommand(
        {
          ...commonOptions(c, o, planFile),
          approve: o.approve?.includes('all') ? 'all' : (o.approve ?? []),
          allowDestroy: o.allowDestroy ?? false,
          lockTimeoutMs: timeout,
        },
        c.io,
      );
    },
  );
}

/** `rudder github propose <files...>` */
function registerPropose(gh: Command, ctx: ContextOf): void {
  common(
    gh
      .command('propose <files...>')
      .description(
        'open a draft pull request with the working tree’s version of these files and their plan (the checkout is not changed)',
      )
      .requiredOption('--branch <name>', 'new branch to push (never overwritten)')
      .requiredOption('--title <text>', 'pull request title')
      .option('--body <text>', 'why: shown above the plan')
      .option('--base <branch>', 'branch to merge into (default: the repository’s default branch)')
      .addOption(new Option('--no-draft', 'open it ready for review')),
  ).action(
    async (
      files: string[],
      o: Common & { branch: string; title: string; body?: string; base?: string; draft: boolean },
      cmd: Command,
    ) => {
      const c = ctx(cmd);
      const { githubProposeCommand } = await import('./github.ts');
      process.exitCode = await githubProposeCommand(
        {
          cwd: c.cwd,
          policiesDir: o.policies,
          files,
          branch: o.branch,
          title: o.title,
          body: o.body,
          base: o.base,
          draft: o.draft,
          repo: o.repo,
          tokenEnv: o.tokenEnv,
          apiUrl: o.apiUrl,
          json: c.json,
          verbose: c.verbose,
        },
        c.io,
      );
    },
  );
}
