// GitHub failures as messages a person can act on: what was attempted, what GitHub said, and
// the next step. Built from the status and GitHub's own error texts only, never from request
// headers, so the token cannot leak through an error.
import { redact } from './client.ts';

export class GitHubError extends Error {
  override name = 'GitHubError';
  constructor(
    message: string,
    /** HTTP status, or 0 when GitHub could not be reached. */
    readonly status: number,
    /** What to do about it. */
    readonly hint: string,
  ) {
    super(message);
  }
}

/** What was being done, for the message: `update the plan comment on acme/models#12`. */
export interface GitHubCall {
  what: string;
  /** owner/repo */
  repository: string;
  /** Permission the call needs, named as in a workflow's `permissions:` block. */
  permission?:
    'pull-requests: write' | 'issues: write' | 'statuses: write' | 'contents: write' | 'contents: read';
  /** For 404: what might not exist. */
  target?: string;
  /** For 422: what GitHub's validation usually means for this call. */
  validationHint?: string;
}

interface OctokitLikeError {
  status?: number;
  message?: string;
  response?: { data?: unknown; headers?: Record<string, string | undefined> };
  code?: string;
  cause?: unknown;
}

/** Turn whatever Octokit threw into a GitHubError (tokens redacted even from GitHub's texts). */
export function toGitHubError(
  e: unknown,
  call: GitHubCall,
  secrets: readonly (string | undefined)[],
): GitHubError {
  if (e instanceof GitHubError) return e;
  const err = (e ?? {}) as OctokitLikeError;
  const status = typeof err.status === 'number' ? err.status : 0;
  const data = (err.response?.data ?? {}) as { message?: unknown; errors?: unknown };
  const said = typeof data.message === 'string' ? data.message : '';
  const details = Array.isArray(data.errors)
    ? (data.errors as { message?: string; field?: string; code?: string; resource?: string }[])
        .map((x) => x.message ?? [x.resource, x.field, x.code].filter(Boolean).join(' '))
        .filter(Boolean)
    : [];
  const gh = [said, ...details].filter(Boolean).join(': ');
  const r = (s: string) => redact(s, secrets);
  const base = `cannot ${call.what}`;
  const make = (msg: string, hint: string) => new GitHubError(r(msg), status, r(hint));
  const rateLimited =
    (status === 403 || status === 429) &&
    (/rate limit/i.test(said) || err.response?.headers?.['x-ratelimit-remaining'] === '0');
  if (rateLimited)
    return make(
      `${base}: GitHub's rate limit still applied after retrying (${status}: ${said})`,
      'Wait for the limit to reset (see https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api) and run the job again; jobs that run often can share one plan comment rather than post new ones.',
    );
  switch (status) {
    case 401:
      return make(
        `${base}: GitHub rejected the token (401${said ? ` ${said}` : ''})`,
        'Check that the token variable (GITHUB_TOKEN, or the one named by --token-env) holds a valid, unexpired token. In GitHub Actions pass it with `env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}`.',
      );
    case 403:
      return make(
        `${base}: GitHub refused it (403${said ? ` ${said}` : ''})`,
        call.permission
          ? `Give the token \`${call.permission}\` on ${call.repository}: in a workflow list it under the job's \`permissions:\`; for a fine-grained token grant the same permission; pull requests from forks get a read-only GITHUB_TOKEN.`
          : `Check the token's permissions on ${call.repository}.`,
      );
    case 404:
      return make(
        `${base}: GitHub answered 404 Not Found for ${call.target ?? call.repository}`,
        `Check the repository (--repo or GITHUB_REPOSITORY: ${call.repository})${call.target ? ` and ${call.target}` : ''}, and GITHUB_API_URL for GitHub Enterprise. A token that cannot see a private repository also gets 404.`,
      );
    case 422:
      return make(
        `${base}: GitHub did not accept the request (422${gh ? ` ${gh}` : ''})`,
        call.validationHint ??
          'Read GitHub’s message above; the request was well-formed but its content was refused.',
      );
    case 0: {
      const cause = (err.cause as { code?: string; message?: string } | undefined) ?? {};
      return make(
        `${base}: GitHub could not be reached (${cause.code ?? err.code ?? cause.message ?? err.message ?? 'network error'})`,
        'Check the network and GITHUB_API_URL (for GitHub Enterprise: https://<host>/api/v3).',
      );
    }
    default:
      return make(
        `${base}: GitHub answered ${status}${gh ? ` (${gh})` : ''}`,
        status >= 500
          ? 'GitHub had a problem (retried already); run the job again later.'
          : 'See GitHub’s message above.',
      );
  }
}

/** Run one GitHub call, converting its failure. */
export async function ghCall<T>(
  call: GitHubCall,
  secrets: readonly (string | undefined)[],
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toGitHubError(e, call, secrets);
  }
}
