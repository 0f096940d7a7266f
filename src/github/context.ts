// Where a GitHub call goes and for which pull request: flags first, then the GitHub Actions
// environment (GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_EVENT_PATH, GITHUB_API_URL), then
// rudder.yaml's git.pullRequest.repository and the origin remote's URL.
import { readFile } from 'node:fs/promises';
import { DEFAULT_API_URL } from './client.ts';
import { GitHubError } from './errors.ts';

export interface GitHubTarget {
  token: string;
  apiUrl: string;
  owner: string;
  repo: string;
}

/** What the triggering event says about the pull request (absent fields: not known). */
export interface EventInfo {
  name?: string;
  pullRequest?: number;
  headSha?: string;
  baseSha?: string;
  baseRef?: string;
  merged?: boolean;
  mergeCommitSha?: string;
  /** push events: the commit pushed. */
  after?: string;
}

export interface ResolveTargetOptions {
  env: NodeJS.ProcessEnv;
  /** owner/repo from --repo. */
  repository?: string;
  /** Name of the variable holding the token (--token-env). Default GITHUB_TOKEN. */
  tokenEnv?: string;
  apiUrl?: string;
  /** rudder.yaml's git.pullRequest.repository. */
  projectRepository?: string;
  /** The origin remote's URL, when it points at a GitHub host. */
  remoteUrl?: string;
}

const NWO = /^([A-Za-z0-9-_.]+)\/([A-Za-z0-9-_.]+)$/;

/** Token, API URL and repository, or a GitHubError saying which is missing and how to give it. */
export function resolveGitHubTarget(o: ResolveTargetOptions): GitHubTarget {
  const tokenEnv = o.tokenEnv ?? 'GITHUB_TOKEN';
  const token = o.env[tokenEnv]?.trim();
  if (!token)
    throw new GitHubError(
      `no GitHub token: the environment variable ${tokenEnv} is not set`,
      0,
      `In GitHub Actions add \`env: ${tokenEnv}: \${{ secrets.GITHUB_TOKEN }}\` to the step; elsewhere export ${tokenEnv}. Rudder never takes a token on the command line, where process lists and logs would show it.`,
    );
  const fromRemote = o.remoteUrl ? repositoryFromRemote(o.remoteUrl) : undefined;
  const repository = o.repository ?? o.env.GITHUB_REPOSITORY ?? o.projectRepository ?? fromRemote;
  if (!repository)
    throw new GitHubError(
      'no repository: give --repo owner/name (GITHUB_REPOSITORY is set in GitHub Actions)',
      0,
      'Pass --repo owner/name, or set git.pullRequest.repository in rudder.yaml.',
    );
  const m = NWO.exec(repository);
  if (!m)
    throw new GitHubError(
      `repository ${JSON.stringify(repository)} is not of the form owner/name`,
      0,
      'Pass --repo owner/name.',
    );
  const apiUrl = (o.apiUrl ?? o.env.GITHUB_API_URL ?? DEFAULT_API_URL).replace(/\/+$/, '');
  try {
    const u = new URL(apiUrl);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(u.protocol);
  } catch {
    throw new GitHubError(
      `GitHub API URL ${JSON.stringify(apiUrl)} is not an http(s) URL`,
      0,
      'Use https://api.github.com, or https://<host>/api/v3 for GitHub Enterprise Server (GITHUB_API_URL).',
    );
  }
  return { token, apiUrl, owner: m[1]!, repo: m[2]! };
}

/** `git@github.com:o/r.git`, `https://github.com/o/r(.git)` → `o/r`; other hosts' URLs too (GHES). */
export function repositoryFromRemote(url: string): string | undefined {
  const m =
    /^(?:[\w.-]+@[\w.-]+:|(?:https?|ssh|git):\/\/(?:[^@/]+@)?[\w.-]+(?::\d+)?\/)([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/.exec(
      url.trim(),
    );
  return m ? `${m[1]}/${m[2]}` : undefined;
}

/** Read GITHUB_EVENT_PATH (when set) for the pull request and commits of the triggering event. */
export async function readEventInfo(env: NodeJS.ProcessEnv): Promise<EventInfo> {
  const info: EventInfo = { name: env.GITHUB_EVENT_NAME };
  const path = env.GITHUB_EVENT_PATH;
  if (!path) return info;
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new GitHubError(
      `cannot read the event payload GITHUB_EVENT_PATH=${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      0,
      'Run inside GitHub Actions, or unset GITHUB_EVENT_PATH and pass --pr.',
    );
  }
  const pr = payload.pull_request as
    | {
        number?: number;
        merged?: boolean;
        merge_commit_sha?: string | null;
        head?: { sha?: string };
        base?: { sha?: string; ref?: string };
      }
    | undefined;
  const issue = payload.issue as { number?: number; pull_request?: unknown } | undefined;
  if (pr?.number != null) {
    info.pullRequest = pr.number;
    info.headSha = pr.head?.sha;
    info.baseSha = pr.base?.sha;
    info.baseRef = pr.base?.ref;
    info.merged = pr.merged;
    info.mergeCommitSha = pr.merge_commit_sha ?? undefined;
  } else if (issue?.number != null && issue.pull_request != null) info.pullRequest = issue.number;
  if (typeof payload.after === 'string') info.after = payload.after;
  return info;
}
