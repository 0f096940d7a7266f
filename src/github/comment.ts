// One comment per pull request and purpose, found again by a hidden marker and edited in place
// (Atlantis' plan comment, CML's `comment update`). Every page of comments is read: a busy pull
// request has more than the 100 one page holds.
import type { GitHubClient } from './client.ts';
import type { GitHubTarget } from './context.ts';
import { ghCall } from './errors.ts';

/** GitHub refuses comment and pull-request bodies longer than this (characters). */
export const GITHUB_BODY_LIMIT = 65_536;

/** `<!-- rudder:plan project=acme-churn -->`: invisible in the rendered comment. */
export function commentMarker(kind: 'plan' | 'apply', key: string): string {
  return `<!-- rudder:${kind} ${key.replace(/-->/g, '')} -->`;
}

export interface UpsertCommentOptions {
  client: GitHubClient;
  target: GitHubTarget;
  issue: number;
  marker: string;
  body: string;
}

export interface UpsertCommentResult {
  action: 'created' | 'updated' | 'unchanged';
  id: number;
  url: string;
}

/**
 * Create the comment that carries `marker`, or update the most recent one that does. The body
 * must start with the marker and fit GitHub's limit (see fitBody).
 */
export async function upsertComment(o: UpsertCommentOptions): Promise<UpsertCommentResult> {
  const { owner, repo } = o.target;
  const repository = `${owner}/${repo}`;
  const secrets = [o.target.token];
  if (!o.body.startsWith(o.marker)) throw new Error('upsertComment: the body must start with the marker');
  if (o.body.length > GITHUB_BODY_LIMIT)
    throw new Error(`upsertComment: body of ${o.body.length} characters exceeds GitHub's limit`);
  const all = await ghCall(
    {
      what: `read the comments of ${repository}#${o.issue}`,
      repository,
      permission: 'pull-requests: write',
      target: `pull request #${o.issue}`,
    },
    secrets,
    () =>
      o.client.paginate(o.client.rest.issues.listComments, {
        owner,
        repo,
        issue_number: o.issue,
        per_page: 100,
      }),
  );
  // The marker opens the body: a reply that quotes the comment does not take it over.
  const mine = all.filter((c) => c.body?.startsWith(o.marker));
  const existing = mine.at(-1);
  if (existing) {
    if (existing.body === o.body) return { action: 'unchanged', id: existing.id, url: existing.html_url };
    const { data } = await ghCall(
      {
        what: `update the Rudder comment on ${repository}#${o.issue}`,
        repository,
        permission: 'pull-requests: write',
        target: `comment ${existing.id}`,
      },
      secrets,
      () => o.client.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body: o.body }),
    );
    return { action: 'updated', id: data.id, url: data.html_url };
  }
  const { data } = await ghCall(
    {
      what: `comment on ${repository}#${o.issue}`,
      repository,
      permission: 'pull-requests: write',
      target: `pull request #${o.issue}`,
    },
    secrets,
    () => o.client.rest.issues.createComment({ owner, repo, issue_number: o.issue, body: o.body }),
  );
  return { action: 'created', id: data.id, url: data.html_url };
}

/**
 * Fit a body into `limit` characters: `head` (summary) is kept whole, `details` is cut at a line
 * boundary, and `pointer` (where the whole text is) replaces what was cut. Open fences and
 * `<details>` blocks in the cut part are closed so the rest of the comment still renders.
 */
export function fitBody(
  head: string,
  details: string,
  tail: string,
  pointer: string,
  limit = GITHUB_BODY_LIMIT,
): { body: string; truncated: boolean } {
  const whole = head + details + tail;
  if (whole.length <= limit) return { body: whole, truncated: false };
  const note = `\n\n> [!WARNING]\n> ${pointer}\n\n`;
  const room = limit - head.length - tail.length - note.length - 64;
  if (room <= 0) {
    // Even the summary is too long: cut it too (it is plain Markdown lines).
    const cut = (head + details).slice(0, Math.max(0, limit - tail.length - note.length - 16));
    return { body: `${cut.slice(0, cut.lastIndexOf('\n') + 1)}${note}${tail}`, truncated: true };
  }
  let part = details.slice(0, room);
  part = part.slice(0, part.lastIndexOf('\n') + 1);
  const fences = (part.match(/^```/gm) ?? []).length;
  if (fences % 2 === 1) part += '```\n';
  const open = (part.match(/<details>/g) ?? []).length - (part.match(/<\/details>/g) ?? []).length;
  part += '\n</details>\n'.repeat(Math.max(0, open));
  return { body: head + part + note + tail, truncated: true };
}
