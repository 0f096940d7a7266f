// Environment failures around the state commit are diagnostics with a next step, never
// "internal error": a rejecting hook, git's index lock, .gitignore rules over state/, a failed push.
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { asEnvironmentError } from '../../../src/diagnostics/environment-error.ts';
import { checkGitReady, commitState, GitError, publishState } from '../../../src/git/git.ts';
import { cleanupTemp, git, isolateGitConfig, tempRepo, writeFile } from '../../helpers/temp-repo.ts';

beforeAll(isolateGitConfig);
afterAll(cleanupTemp);

const trailers = {
  plan: `sha256:${'ab'.repeat(32)}`,
  actions: ['train:churn@3f2a1b'],
  actor: 'cli' as const,
};

function caught(p: Promise<unknown>): Promise<GitError> {
  return p.then(
    () => {
      throw new Error('expected a GitError');
    },
    (e: unknown) => {
      expect(e).toBeInstanceOf(GitError);
      return e as GitError;
    },
  );
}

describe('state commits in a hostile environment', () => {
  test('a pre-commit hook that rejects: git/commit-rejected with the hook output; nothing stays staged', async () => {
    const root = tempRepo({ files: { 'README.md': 'x\n' } });
    const hook = join(root, '.git', 'hooks', 'pre-commit');
    writeFileSync(hook, '#!/bin/sh\necho "lint says no" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    writeFile(root, 'state/models/churn.lock.yaml', 'v1\n');
    const e = await caught(
      commitState({ root, files: ['state/models/churn.lock.yaml'], subject: 'train churn v1', trailers }),
    );
    expect(e.kind).toBe('commit-rejected');
    expect(e.message).toContain('lint says no');
    const d = e.toDiagnostic();
    expect(d.code).toBe('git/commit-rejected');
    expect(d.hint).toContain('state/models/churn.lock.yaml');
    expect(d.hint).toContain('rudder apply');
    // The lockfile is still there, untracked, and the index holds nothing of ours.
    expect(git(root, 'status', '--porcelain')).toBe('?? state/');
    expect(git(root, 'diff', '--cached', '--name-only')).toBe('');
  });

  test('a stale index.lock left by a killed git is recognised and the remedy named', async () => {
    const root = tempRepo({ files: { 'README.md': 'x\n' } });
    writeFileSync(join(root, '.git', 'index.lock'), '');
    writeFile(root, 'state/models/churn.lock.yaml', 'v1\n');
    const e = await caught(
      commitState({ root, files: ['state/models/churn.lock.yaml'], subject: 'train churn v1', trailers }),
    );
    expect(e.kind).toBe('index-locked');
    expect(e.message).toContain('no longer running');
    expect(e.hint).toContain(`rm ${join(root, '.git', 'index.lock')}`);
    expect(existsSync(join(root, '.git', 'index.lock'))).toBe(true);
  });

  test('a .gitignore pattern matching state files is refused before anything is done', async () => {
    // What `rudder init` used to write: `data/` also matches state/data/.
    const root = tempRepo({ files: { '.gitignore': '.rudder/\ndata/\n', 'README.md': 'x\n' } });
    const e = await caught(checkGitReady(root, ['state/models/x.lock.yaml', 'state/data/x.lock.yaml']));
    expect(e.kind).toBe('state-ignored');
    expect(e.message).toContain('state/data/x.lock.yaml');
    expect(e.message).toContain('.gitignore:2');
    expect(e.hint).toContain('/data/');
    await expect(
      checkGitReady(tempRepo({ files: { '.gitignore': '/data/\n' } }), ['state/data/x.lock.yaml']),
    ).resolves.toBeUndefined();
  });

  test('a push to an unreachable remote: git/push-failed, the local commit kept and said so', async () => {
    const root = tempRepo({ files: { 'README.md': 'x\n' } });
    git(root, 'remote', 'add', 'origin', join(root, 'no-such-remote.git'));
    writeFile(root, 'state/models/churn.lock.yaml', 'v1\n');
    const e = await caught(
      publishState({
        root,
        files: ['state/models/churn.lock.yaml'],
        subject: 'train churn v1',
        trailers,
        git: { commit: true, push: true, remote: 'origin', branch: 'main' } as never,
      }),
    );
    expect(e.toDiagnostic().code).toBe('git/push-failed');
    const head = git(root, 'rev-parse', 'HEAD').slice(0, 12);
    expect(e.kept).toContain(head);
    expect(git(root, 'log', '-1', '--format=%s')).toBe('rudder: train churn v1');
  });
});

describe('errno failures become environment diagnostics', () => {
  test('ENOSPC, EACCES and EROFS anywhere in the cause chain', () => {
    const enospc = Object.assign(new Error('write failed'), { code: 'ENOSPC', path: '/x/state/a.lock.yaml' });
    const wrapped = new Error('cannot write the state', { cause: enospc });
    const d = asEnvironmentError(wrapped)!.toDiagnostic();
    expect(d.code).toBe('env/no-space');
    expect(d.message).toContain('/x/state/a.lock.yaml');
    expect(d.message).toContain('cannot write the state');
    expect(asEnvironmentError(Object.assign(new Error('x'), { code: 'EACCES' }))!.code).toBe(
      'env/permission-denied',
    );
    expect(asEnvironmentError(Object.assign(new Error('x'), { code: 'EROFS' }))!.code).toBe('env/read-only');
    expect(asEnvironmentError(new Error('IO Error: No space left on device'))!.code).toBe('env/no-space');
    expect(asEnvironmentError(new TypeError('x is undefined'))).toBeUndefined();
  });

  test('a real EACCES from a read-only folder', () => {
    if (process.getuid?.() === 0) {
      // root ignores permission bits; the errno mapping is covered above.
      const e = Object.assign(new Error('open'), { code: 'EACCES' });
      expect(asEnvironmentError(e)!.code).toBe('env/permission-denied');
      return;
    }
    const root = tempRepo({ git: false });
    mkdirSync(join(root, 'ro'));
    chmodSync(join(root, 'ro'), 0o500);
    let err: unknown;
    try {
      writeFileSync(join(root, 'ro', 'f'), 'x');
    } catch (e) {
      err = e;
    }
    expect(asEnvironmentError(err)!.code).toBe('env/permission-denied');
  });
});
