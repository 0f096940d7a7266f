// The plan comment against a local GitHub that checks every request against GitHub's OpenAPI
// description: created once, updated in place, found past the first 100 comments, kept under
// the size limit; errors explained; rate limits waited out.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createGitHubClient } from '../../../src/github/client.ts';
import type { GitHubTarget } from '../../../src/github/context.ts';
import { GitHubError } from '../../../src/github/errors.ts';
import { commentMarker, GITHUB_BODY_LIMIT, upsertComment } from '../../../src/github/comment.ts';
import { renderPlanComment } from '../../../src/github/render-comment.ts';
import { startFakeGitHub, type FakeGitHub } from '../../helpers/fake-github.ts';
import { syntheticPlan } from './plan-builder.ts';

const TOKEN = 'ghs_unitTestToken0123456789abcdefABCDEF';
let gh: FakeGitHub;
let target: GitHubTarget;
const notices: string[] = [];
const client = (token = TOKEN) =>
  createGitHubClient({
    token,
    apiUrl: gh.url,
    pacing: 'none',
    retryAfterUnitMs: 1,
    onNotice: (m) => notices.push(m),
  });

beforeAll(async () => {
  gh = await startFakeGitHub({
    owner: 'acme',
    repo: 'models',
    token: TOKEN,
    readOnlyToken: 'ghs_readonly0000',
  });
  target = { token: TOKEN, apiUrl: gh.url, owner: 'acme', repo: 'models' };
});
afterAll(() => gh.stop());
afterEach(() => {
  // Every request the code made was a valid GitHub API call.
  expect(gh.violations).toEqual([]);
  notices.length = 0;
});

const marker = commentMarker('plan', 'project=acme');
const body = (text: string) => `${marker}\n${text}`;

describe('plan comment in place', () => {
  test('GIVEN a pull request without a Rudder comment WHEN commenting THEN one comment is created', async () => {
    const pr = gh.addIssue('PR', 3);
    const r = await upsertComment({ client: client(), target, issue: pr, marker, body: body('first') });
    expect(r.action).toBe('created');
    expect(gh.comments(pr)).toHaveLength(4);
    expect(gh.comments(pr).at(-1)!.body).toBe(body('first'));
    expect(r.url).toMatch(new RegExp(`/acme/models/issues/${pr}#issuecomment-${r.id}$`));
  });

  test('GIVEN a Rudder comment WHEN commenting again THEN it is edited, not duplicated; the same body is left alone', async () => {
    const pr = gh.addIssue('PR', 2);
    const first = await upsertComment({ client: client(), target, issue: pr, marker, body: body('v1') });
    gh.addComment(pr, 'a reviewer speaks');
    const second = await upsertComment({ client: client(), target, issue: pr, marker, body: body('v2') });
    expect(second).toMatchObject({ action: 'updated', id: first.id });
    expect(
      gh
        .comments(pr)
        .filter((c) => c.body.startsWith(marker))
        .map((c) => c.body),
    ).toEqual([body('v2')]);
    const third = await upsertComment({ client: client(), target, issue: pr, marker, body: body('v2') });
    expect(third.action).toBe('unchanged');
    expect(gh.requests.filter((r) => r.operationId === 'issues/update-comment')).toHaveLength(1);
  });

  test('a reply quoting the marker does not take the comment over; another project has its own comment', async () => {
    const pr = gh.addIssue('PR');
    await upsertComment({ client: client(), target, issue: pr, marker, body: body('mine') });
    gh.addComment(pr, `> quoted\n${marker}`);
    const other = commentMarker('plan', 'project=other');
    await upsertComment({ client: client(), target, issue: pr, marker: other, body: `${other}\nother` });
    await upsertComment({ client: client(), target, issue: pr, marker, body: body('mine, again') });
    expect(gh.comments(pr).map((c) => c.body)).toEqual([
      body('mine, again'),
      `> quoted\n${marker}`,
      `${other}\nother`,
    ]);
  });

  test('GIVEN 150 comments with ours at position 120 WHEN commenting THEN every page is read and ours is updated', async () => {
    const pr = gh.addIssue('busy PR', 119);
    const ours = gh.addComment(pr, body('old plan'), 'github-actions[bot]');
    for (let i = 0; i < 30; i++) gh.addComment(pr, `later ${i}`);
    const before = gh.requests.length;
    const r = await upsertComment({ client: client(), target, issue: pr, marker, body: body('new plan') });
    expect(r).toMatchObject({ action: 'updated', id: ours.id });
    expect(gh.comments(pr)).toHaveLength(150);
    const lists = gh.requests.slice(before).filter((q) => q.operationId === 'issues/list-comments');
    expect(lists.map((q) => new URL(q.path, gh.url).searchParams.get('page') ?? '1')).toEqual(['1', '2']);
    expect(lists.every((q) => q.path.includes('per_page=100'))).toBe(true);
  });
});

describe('size limit', () => {
  test('GIVEN a plan far larger than 65,536 characters WHEN rendered THEN the comment fits, keeps the summary, and points at the artifact', async () => {
    const plan = syntheticPlan(1500, 60);
    const r = renderPlanComment({
      plan,
      project: 'acme',
      artifactUrl: 'https://github.com/acme/models/actions/runs/42',
    });
    expect(r.truncated).toBe(true);
    expect(r.body.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    expect(r.body.startsWith(r.marker)).toBe(true);
    expect(r.body).toContain('**Plan: 1500 to train.**');
    expect(r.body).toContain('[this run](https://github.com/acme/models/actions/runs/42)');
    expect(r.body).toMatch(/does not fit in a comment/);
    // Fences and <details> stay balanced, so the rest of the comment renders.
    expect((r.body.match(/^```/gm) ?? []).length % 2).toBe(0);
    expect((r.body.match(/<details>/g) ?? []).length).toBe((r.body.match(/<\/details>/g) ?? []).length);
    const pr = gh.addIssue('huge');
    const posted = await upsertComment({
      client: client(),
      target,
      issue: pr,
      marker: r.marker,
      body: r.body,
    });
    expect(posted.action).toBe('created');
  });

  test('a plan that fits is not truncated', () => {
    const r = renderPlanComment({ plan: syntheticPlan(3), project: 'acme' });
    expect(r.truncated).toBe(false);
    expect(r.body).toContain('<details><summary>Full plan: 3 actions in 1 wave</summary>');
    // One heading and one summary line: the embedded Markdown plan's own are dropped.
    expect(r.body.match(/Rudder plan/g)).toHaveLength(1);
    expect(r.body.match(/\*\*Plan: 3 to train\.\*\*/g)).toHaveLength(1);
    expect(r.body).toContain('| + | `model.train` | model-0002 → v1 |');
  });

  test('GitHub itself refuses a body over the limit (the fake enforces it): 422 with a next step', async () => {
    const pr = gh.addIssue('PR');
    const c = client();
    const err = await c.rest.issues
      .createComment({
        owner: 'acme',
        repo: 'models',
        issue_number: pr,
        body: 'x'.repeat(GITHUB_BODY_LIMIT + 1),
      })
      .catch((e: unknown) => e as { status: number });
    expect(err.status).toBe(422);
  });
});

describe('errors become messages with a next step', () => {
  const attempt = (o: Partial<{ token: string; issue: number; repo: string }>) =>
    upsertComment({
      client: client(o.token),
      target: { ...target, token: o.token ?? TOKEN, repo: o.repo ?? 'models' },
      issue: o.issue ?? gh.addIssue('PR'),
      marker,
      body: body('x'),
    }).then(
      () => {
        throw new Error('expected a failure');
      },
      (e: unknown) => e as GitHubError,
    );

  test('401: the token is rejected', async () => {
    const e = await attempt({ token: 'ghs_wrongwrongwrong' });
    expect(e).toBeInstanceOf(GitHubError);
    expect(e.status).toBe(401);
    expect(e.message).toMatch(/GitHub rejected the token \(401 Bad credentials\)/);
    expect(e.hint).toMatch(/GITHUB_TOKEN/);
    expect(`${e.message}${e.hint}${e.stack}`).not.toContain('ghs_wrongwrongwrong');
  });

  test('403: a read-only token names the permission to add', async () => {
    const e = await attempt({ token: 'ghs_readonly0000' });
    expect(e.status).toBe(403);
    expect(e.message).toMatch(/Resource not accessible by integration/);
    expect(e.hint).toMatch(/pull-requests: write/);
  });

  test('404: an unknown repository or pull request', async () => {
    const repo = await attempt({ repo: 'nope' });
    expect(repo.status).toBe(404);
    expect(repo.hint).toMatch(/GITHUB_REPOSITORY: acme\/nope/);
    const pr = await attempt({ issue: 99999 });
    expect(pr.status).toBe(404);
    expect(pr.message).toMatch(/pull request #99999/);
  });

  test('422: GitHub’s validation text is passed on', async () => {
    gh.failNext({
      status: 422,
      message: 'Validation Failed',
      match: (r) => r.operationId === 'issues/create-comment',
    });
    const e = await attempt({});
    expect(e.status).toBe(422);
    expect(e.message).toMatch(/did not accept the request \(422 Validation Failed\)/);
  });

  test('a rate limit that does not lift is reported, not retried forever', async () => {
    gh.failNext({
      status: 403,
      kind: 'secondary-rate-limit',
      times: 10,
      match: (r) => r.operationId === 'issues/list-comments',
    });
    const e = await attempt({});
    expect(e.status).toBe(403);
    expect(e.message).toMatch(/rate limit still applied after retrying/);
    expect(notices.filter((n) => /secondary rate limit/.test(n)).length).toBe(4);
    gh.clearFailures();
  });
});

describe('rate limits', () => {
  test('a secondary rate limit (403 + retry-after) is waited out and the comment is posted', async () => {
    const pr = gh.addIssue('PR');
    gh.failNext({
      status: 403,
      kind: 'secondary-rate-limit',
      match: (r) => r.operationId === 'issues/create-comment',
    });
    const r = await upsertComment({
      client: client(),
      target,
      issue: pr,
      marker,
      body: body('after a wait'),
    });
    expect(r.action).toBe('created');
    const creates = gh.requests.filter((q) => q.operationId === 'issues/create-comment').slice(-2);
    expect(creates.map((q) => q.status)).toEqual([403, 201]);
    expect(notices.some((n) => /secondary rate limit .* retrying in 1s/.test(n))).toBe(true);
  });

  test('a primary rate limit (429, x-ratelimit-remaining: 0) is waited out', async () => {
    const pr = gh.addIssue('PR');
    gh.failNext({ status: 429, kind: 'rate-limit', match: (r) => r.operationId === 'issues/list-comments' });
    const r = await upsertComment({ client: client(), target, issue: pr, marker, body: body('x') });
    expect(r.action).toBe('created');
    expect(notices.some((n) => /rate limit reached .* retrying/.test(n))).toBe(true);
  });
});
