// The GitHub client: @octokit/rest with the throttling plugin (GitHub's pacing of writes, waits
// on primary and secondary rate limits) and the retry plugin (5xx and network hiccups). Every
// failure leaves here as a GitHubError whose message says what failed and what to do next, and
// never contains the token.
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck';
import { readFileSync } from 'node:fs';

const RudderOctokit = Octokit.plugin(throttling, retry);
export type GitHubClient = InstanceType<typeof RudderOctokit>;

const RUDDER_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export const DEFAULT_API_URL = 'https://api.github.com';

export interface GitHubClientOptions {
  token: string;
  /** REST API base URL: `GITHUB_API_URL` in Actions (GitHub Enterprise: `https://host/api/v3`). */
  apiUrl?: string;
  /** Rate-limit waits and retries are reported here (stderr in the CLI). */
  onNotice?: (message: string) => void;
  /**
   * `github` (default) spaces writes 1 s apart and comment writes 3 s apart, as GitHub asks of
   * integrations; `none` turns that off (tests that make many writes against a local server).
   */
  pacing?: 'github' | 'none';
  /** Milliseconds per second of `retry-after` (tests shrink the waits). Default 1000. */
  retryAfterUnitMs?: number;
  /** How often one request is retried after a rate limit. Default 3. */
  maxRateLimitRetries?: number;
}

/** An Octokit that paces, waits out rate limits, retries transient failures, and logs nothing itself. */
export function createGitHubClient(opts: GitHubClientOptions): GitHubClient {
  const notice = (m: string) => opts.onNotice?.(redact(m, [opts.token]));
  const maxRetries = opts.maxRateLimitRetries ?? 3;
  const unit = opts.retryAfterUnitMs ?? 1000;
  const unpaced =
    opts.pacing === 'none'
      ? {
          write: new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 }),
          notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 }),
        }
      : {};
  const quiet = () => undefined;
  return new RudderOctokit({
    auth: opts.token,
    baseUrl: (opts.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, ''),
    userAgent: `rudder/${RUDDER_VERSION}`,
    // Octokit's own warnings (deprecations) would print request details; Rudder reports errors itself.
    log: { debug: quiet, info: quiet, warn: (m: string) => notice(`GitHub: ${m}`), error: quiet },
    throttle: {
      ...unpaced,
      retryAfterBaseValue: unit,
      fallbackSecondaryRateRetryAfter: 60,
      onRateLimit: (after: number, o: { method: string; url: string }, _k: unknown, count: number) => {
        if (count >= maxRetries || after > 15 * 60) {
          notice(`GitHub rate limit reached for ${o.method} ${o.url}; not waiting ${after}s`);
          return false;
        }
        notice(`GitHub rate limit reached for ${o.method} ${o.url}; retrying in ${after}s`);
        return true;
      },
      onSecondaryRateLimit: (
        after: number,
        o: { method: string; url: string },
        _k: unknown,
        count: number,
      ) => {
        if (count >= maxRetries) {
          notice(`GitHub secondary rate limit for ${o.method} ${o.url}; giving up after ${count} retries`);
          return false;
        }
        notice(`GitHub secondary rate limit for ${o.method} ${o.url}; retrying in ${after}s`);
        return true;
      },
    },
    retry: { retryAfterBaseValue: unit, retries: 2 },
  });
}

/** Replace every occurrence of each secret (and its Basic-auth form) with `***`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) {
    if (!s || s.length < 4) continue;
    for (const form of [s, Buffer.from(`x-access-token:${s}`).toString('base64')])
      out = out.split(form).join('***');
  }
  return out;
}
