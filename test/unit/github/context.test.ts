// Token, repository and pull request from flags or the GitHub Actions environment.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { readEventInfo, repositoryFromRemote, resolveGitHubTarget } from '../../../src/github/context.ts';
import { type GitHubError } from '../../../src/github/errors.ts';
import { cleanupTemp, tempDir } from '../../helpers/temp-repo.ts';

afterAll(() => cleanupTemp());

describe('resolveGitHubTarget', () => {
  test('reads the Actions environment; flags win', () => {
    const env = {
      GITHUB_TOKEN: 't0ken',
      GITHUB_REPOSITORY: 'acme/models',
      GITHUB_API_URL: 'https://ghe.example/api/v3/',
    };
    expect(resolveGitHubTarget({ env })).toEqual({
      token: 't0ken',
      apiUrl: 'https://ghe.example/api/v3',
      owner: 'acme',
      repo: 'models',
    });
    expect(
      resolveGitHubTarget({ env, repository: 'other/repo', apiUrl: 'http://127.0.0.1:9' }),
    ).toMatchObject({ owner: 'other', repo: 'repo', apiUrl: 'http://127.0.0.1:9' });
    expect(
      resolveGitHubTarget({
        env: { MY_TOKEN: 'x1234' },
        tokenEnv: 'MY_TOKEN',
        remoteUrl: 'git@github.com:o/r.git',
      }),
    ).toMatchObject({
      token: 'x1234',
      owner: 'o',
      repo: 'r',
      apiUrl: 'https://api.github.com',
    });
  });

  test('a missing token, repository or malformed one is a GitHubError with a next step', () => {
    const fail = (o: Parameters<typeof resolveGitHubTarget>[0]) => {
      try {
        resolveGitHubTarget(o);
      } catch (e) {
        return e as GitHubError;
      }
      throw new Error('expected an error');
    };
    expect(fail({ env: {} }).message).toMatch(/GITHUB_TOKEN is not set/);
    expect(fail({ env: {} }).hint).toMatch(/never takes a token on the command line/);
    expect(fail({ env: { GITHUB_TOKEN: 'abcd' } }).message).toMatch(/no repository/);
    expect(fail({ env: { GITHUB_TOKEN: 'abcd' }, repository: 'nope' }).message).toMatch(
      /not of the form owner\/name/,
    );
    expect(
      fail({ env: { GITHUB_TOKEN: 'abcd', GITHUB_API_URL: 'ftp://x' }, repository: 'a/b' }).message,
    ).toMatch(/not an http\(s\) URL/);
  });

  test.each([
    ['https://github.com/acme/models.git', 'acme/models'],
    ['https://x-access-token@github.com/acme/models', 'acme/models'],
    ['git@github.com:acme/models.git', 'acme/models'],
    ['ssh://git@ghe.example:2222/acme/models.git', 'acme/models'],
    ['/tmp/some/bare', undefined],
  ])('repositoryFromRemote(%s)', (url, nwo) => expect(repositoryFromRemote(url)).toBe(nwo));
});

describe('readEventInfo', () => {
  const dir = tempDir();
  const event = (name: string, payload: unknown) => {
    const p = join(dir, `${name}.json`);
    writeFileSync(p, JSON.stringify(payload));
    return { GITHUB_EVENT_PATH: p, GITHUB_EVENT_NAME: name };
  };

  test('pull_request: number, head and base', async () => {
    const env = event('pull_request', {
      pull_request: {
        number: 7,
        head: { sha: 'h' },
        base: { sha: 'b', ref: 'main' },
        merged: true,
        merge_commit_sha: 'm',
      },
    });
    expect(await readEventInfo(env)).toEqual({
      name: 'pull_request',
      pullRequest: 7,
      headSha: 'h',
      baseSha: 'b',
      baseRef: 'main',
      merged: true,
      mergeCommitSha: 'm',
    });
  });

  test('push: the pushed commit; issue_comment on a pull request: its number', async () => {
    expect(await readEventInfo(event('push', { after: 'abc', ref: 'refs/heads/main' }))).toEqual({
      name: 'push',
      after: 'abc',
    });
    expect(
      await readEventInfo(event('issue_comment', { issue: { number: 3, pull_request: {} } })),
    ).toMatchObject({ pullRequest: 3 });
    expect(await readEventInfo(event('issue_comment', { issue: { number: 3 } }))).toEqual({
      name: 'issue_comment',
    });
  });

  test('an unreadable payload is an error that says how to run elsewhere', async () => {
    await expect(readEventInfo({ GITHUB_EVENT_PATH: join(dir, 'missing.json') })).rejects.toThrow(
      /cannot read the event payload/,
    );
  });
});
