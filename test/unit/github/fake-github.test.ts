// The fake GitHub refuses what GitHub's OpenAPI description does not allow; otherwise the other
// GitHub tests would prove nothing.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../../helpers/fake-github.ts';

const TOKEN = 'ghs_fakeSelfTest000000';
let gh: FakeGitHub;
beforeAll(async () => {
  gh = await startFakeGitHub({ owner: 'acme', repo: 'models', token: TOKEN });
});
afterAll(() => gh.stop());

const call = (method: string, path: string, body?: unknown) =>
  fetch(`${gh.url}${path}`, {
    method,
    headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });

test.each([
  ['an unknown path', 'GET', '/repos/acme/models/plan-comments', undefined, 404, /no GitHub operation/],
  ['a method the path lacks', 'DELETE', '/repos/acme/models/pulls', undefined, 404, /no GitHub operation/],
  [
    'a body without its required field',
    'POST',
    '/repos/acme/models/issues/1/comments',
    { text: 'hi' },
    422,
    /must have required property 'body'/,
  ],
  [
    'a field of the wrong type',
    'POST',
    '/repos/acme/models/pulls',
    { head: 'a', base: 'main', draft: 'yes' },
    422,
    /draft must be boolean/,
  ],
  [
    'a non-integer path parameter',
    'GET',
    '/repos/acme/models/issues/abc/comments',
    undefined,
    404,
    /issue_number must be integer/,
  ],
  [
    'a query parameter of the wrong type',
    'GET',
    '/repos/acme/models/issues/1/comments?per_page=many',
    undefined,
    422,
    /per_page must be integer/,
  ],
  [
    'an unknown query parameter',
    'GET',
    '/repos/acme/models/issues/1/comments?sort=asc',
    undefined,
    422,
    /sort is not a parameter/,
  ],
  [
    'malformed JSON',
    'POST',
    '/repos/acme/models/issues/1/comments',
    '{"body":',
    400,
    /Problems parsing JSON/,
  ],
  [
    'a status state outside the enum',
    'POST',
    '/repos/acme/models/statuses/abc',
    { state: 'green' },
    422,
    /must be equal to one of the allowed values/,
  ],
])('refuses %s', async (_name, method, path, body, status, message) => {
  const before = gh.violations.length;
  const r = await call(method, path, body);
  expect(r.status).toBe(status);
  expect(((await r.json()) as { message: string }).message).toMatch(message);
  expect(gh.violations.length).toBe(before + 1);
});

test('accepts a valid call and answers it from memory', async () => {
  const n = gh.addIssue('PR');
  const r = await call('POST', `/repos/acme/models/issues/${n}/comments`, { body: 'hello' });
  expect(r.status).toBe(201);
  expect(gh.comments(n).map((c) => c.body)).toEqual(['hello']);
});
