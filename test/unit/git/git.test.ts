import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { commitState, GitError, publishState, pushWithRetry, readHistory } from '../../../src/git/git.ts';
import type { Project } from '../../../src/compiler/desired-state.ts';
import { parseCommitMessage, renderCommitMessage } from '../../../src/git/message.ts';
import {
  bareRemote,
  cleanupTemp,
  cloneOf,
  git,
  isolateGitConfig,
  tempDir,
  tempRepo,
  writeFile,
} from '../../helpers/temp-repo.ts';

beforeAll(isolateGitConfig);
afterAll(cleanupTemp);

const PLAN = `sha256:${'ab'.repeat(32)}`;
const trailers = {
  plan: PLAN,
  actions: ['train:churn@3f2a1b', 'promote:churn@3f2a1b'],
  actor: 'cli' as const,
};

function repoWithUserWork(): string {
  const root = tempRepo({
    files: { 'README.md': 'hello\n', 'state/models/churn.lock.yaml': 'v1\n', 'policies/a.yaml': 'a: 1\n' },
  });
  // The user's own work in progress: one staged change, one unstaged, one untracked.
  writeFile(root, 'policies/a.yaml', 'a: 2\n');
  git(root, 'add', 'policies/a.yaml');
  writeFile(root, 'README.md', 'hello, edited\n');
  writeFile(root, 'notes.txt', 'scratch\n');
  return root;
}

describe('commit messages', () => {
  test('render and parse back: subject, body, one trailer per action, actor', () => {
    const text = renderCommitMessage({
      subject: 'train churn v4 (drift: 3/8 features)',
      body: 'spend_30d PSI 0.31 > 0.2',
      trailers,
    });
    expect(text).toBe(
      `rudder: train churn v4 (drift: 3/8 features)\n\nspend_30d PSI 0.31 > 0.2\n\nRudder-Plan: ${PLAN}\nRudder-Action: train:churn@3f2a1b\nRudder-Action: promote:churn@3f2a1b\nRudder-Actor: cli\n`,
    );
    expect(parseCommitMessage(text)).toEqual({
      subject: 'rudder: train churn v4 (drift: 3/8 features)',
      body: 'spend_30d PSI 0.31 > 0.2',
      plan: PLAN,
      actions: trailers.actions,
      actor: 'cli',
    });
    expect(parseCommitMessage('fix typo\n\nSigned-off-by: A <a@b>\n')).toEqual({
      subject: 'fix typo',
      body: '',
      actions: [],
    });
  });

  test('malformed trailers are refused (they would corrupt history)', () => {
    expect(() =>
      renderCommitMessage({ subject: 's', trailers: { ...trailers, actor: 'robot' as never } }),
    ).toThrow(/Rudder-Actor/);
    expect(() =>
      renderCommitMessage({ subject: 's', trailers: { ...trailers, actions: ['two words'] } }),
    ).toThrow(/Rudder-Action/);
    expect(() => renderCommitMessage({ subject: 's', trailers: { ...trailers, plan: 'abc' } })).toThrow(
      /Rudder-Plan/,
    );
    expect(
      renderCommitMessage({ subject: 'a\nb', trailers: { actions: [], actor: 'mcp:claude-desktop' } }),
    ).toBe('rudder: a b\n\nRudder-Actor: mcp:claude-desktop\n');
  });
});

describe('commitState', () => {
  test('commits exactly the state files, leaving staged, unstaged and untracked user work alone', async () => {
    const root = repoWithUserWork();
    const statusBefore = git(root, 'status', '--porcelain');
    const stagedBefore = git(root, 'diff', '--cached', '--', 'policies');
    writeFile(root, 'state/models/churn.lock.yaml', 'v2\n');
    writeFile(root, 'state/features/a.lock.yaml', 'new\n');

    const r = await commitState({
      root,
      files: ['state/models/churn.lock.yaml', 'state/features/a.lock.yaml'],
      subject: 'train churn v2 (spec changed)',
      trailers,
    });
    expect(r).toMatchObject({
      committed: true,
      files: ['state/features/a.lock.yaml', 'state/models/churn.lock.yaml'],
    });
    expect(git(root, 'show', '--name-only', '--format=', 'HEAD').split('\n').sort()).toEqual([
      'state/features/a.lock.yaml',
      'state/models/churn.lock.yaml',
    ]);
    expect(git(root, 'log', '-1', '--format=%B')).toBe(
      `rudder: train churn v2 (spec changed)\n\nRudder-Plan: ${PLAN}\nRudder-Action: train:churn@3f2a1b\nRudder-Action: promote:churn@3f2a1b\nRudder-Actor: cli`,
    );
    // The user's work is exactly as it was.
    expect(git(root, 'status', '--porcelain')).toBe(statusBefore);
    expect(git(root, 'diff', '--cached', '--', 'policies')).toBe(stagedBefore);
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toBe('hello, edited\n');
  });

  test('a deletion is committed; unchanged files give no commit', async () => {
    const root = tempRepo({ files: { 'state/models/old.lock.yaml': 'x\n' } });
    const head = git(root, 'rev-parse', 'HEAD');
    expect(
      await commitState({ root, files: ['state/models/old.lock.yaml'], subject: 'noop', trailers }),
    ).toMatchObject({ committed: false, reason: 'no-changes' });
    expect(git(root, 'rev-parse', 'HEAD')).toBe(head);
    rmSync(join(root, 'state/models/old.lock.yaml'));
    const r = await commitState({
      root,
      files: ['state/models/old.lock.yaml'],
      subject: 'retire old',
      trailers: { actions: ['retire:old@1'], actor: 'reconcile' },
    });
    expect(r.committed).toBe(true);
    expect(git(root, 'show', '--name-status', '--format=', 'HEAD')).toBe('D\tstate/models/old.lock.yaml');
  });

  test('the first commit of an empty repository works', async () => {
    const root = tempRepo();
    writeFile(root, 'state/data/pii.lock.yaml', 'x\n');
    writeFile(root, 'other.txt', 'not mine\n');
    expect(
      (await commitState({ root, files: ['state/data/pii.lock.yaml'], subject: 'scan pii', trailers }))
        .committed,
    ).toBe(true);
    expect(git(root, 'ls-files')).toBe('state/data/pii.lock.yaml');
  });

  test('author: rudder.yaml git.author, else the repository identity, else Rudder <rudder@localhost>', async () => {
    const withIdentity = tempRepo({ files: { 'x.txt': '1\n' } });
    writeFile(withIdentity, 'state/models/a.lock.yaml', '1\n');
    await commitState({ root: withIdentity, files: ['state/models/a.lock.yaml'], subject: 's', trailers });
    expect(git(withIdentity, 'log', '-1', '--format=%an <%ae>|%cn <%ce>')).toBe(
      'Test User <test@example.com>|Test User <test@example.com>',
    );
    writeFile(withIdentity, 'state/models/a.lock.yaml', '2\n');
    await commitState({
      root: withIdentity,
      files: ['state/models/a.lock.yaml'],
      subject: 's',
      trailers,
      author: { name: 'ML Bot', email: 'ml-bot@example.com' },
    });
    expect(git(withIdentity, 'log', '-1', '--format=%an <%ae>|%cn <%ce>')).toBe(
      'ML Bot <ml-bot@example.com>|Test User <test@example.com>',
    );

    const bare = tempRepo({ identity: false });
    writeFile(bare, 'state/models/a.lock.yaml', '1\n');
    await commitState({ root: bare, files: ['state/models/a.lock.yaml'], subject: 's', trailers });
    expect(git(bare, 'log', '-1', '--format=%an <%ae>|%cn <%ce>')).toBe(
      'Rudder <rudder@localhost>|Rudder <rudder@localhost>',
    );
  });

  test('Rudder in a subfolder of a larger repository commits its own paths', async () => {
    const top = tempRepo({ files: { 'ml/rudder.yaml': 'x\n', 'app/main.go': 'package main\n' } });
    const root = join(top, 'ml');
    writeFile(root, 'state/models/a.lock.yaml', '1\n');
    writeFile(top, 'app/main.go', 'package main // edited\n');
    const r = await commitState({ root, files: ['state/models/a.lock.yaml'], subject: 's', trailers });
    expect(r).toMatchObject({ committed: true, files: ['state/models/a.lock.yaml'] });
    expect(git(top, 'show', '--name-only', '--format=', 'HEAD')).toBe('ml/state/models/a.lock.yaml');
    const h = await readHistory(root, ['state/models/a.lock.yaml']);
    expect(h.entries.map((e) => e.files)).toEqual([['state/models/a.lock.yaml']]);
  });

  test('outside a git repository: nothing is committed, and the notice is given once', async () => {
    const root = tempDir();
    writeFile(root, 'state/models/a.lock.yaml', '1\n');
    const notices: string[] = [];
    const a = await commitState({
      root,
      files: ['state/models/a.lock.yaml'],
      subject: 's',
      trailers,
      onNotice: (m) => notices.push(m),
    });
    const b = await commitState({
      root,
      files: ['state/models/a.lock.yaml'],
      subject: 's',
      trailers,
      onNotice: (m) => notices.push(m),
    });
    expect(a).toMatchObject({ committed: false, reason: 'not-a-repo' });
    expect(b.committed).toBe(false);
    expect(notices).toEqual([
      `${root} is not in a git repository: Rudder works on the files but nothing is committed`,
    ]);
    expect(await readHistory(root, ['state/models/a.lock.yaml'])).toMatchObject({
      available: false,
      entries: [],
    });
    expect(existsSync(join(root, 'state/models/a.lock.yaml'))).toBe(true);
  });
});

describe('without git installed', () => {
  test('the files are kept, nothing is committed, and it is said once', async () => {
    const root = tempRepo({ files: { 'x.txt': '1\n' } });
    writeFile(root, 'state/models/a.lock.yaml', '1\n');
    const path = process.env.PATH;
    process.env.PATH = tempDir('rudder-nogit-');
    try {
      const notices: string[] = [];
      const r = await commitState({
        root,
        files: ['state/models/a.lock.yaml'],
        subject: 's',
        trailers,
        onNotice: (m) => notices.push(m),
      });
      await commitState({
        root,
        files: ['state/models/a.lock.yaml'],
        subject: 's',
        trailers,
        onNotice: (m) => notices.push(m),
      });
      expect(r).toMatchObject({ committed: false, reason: 'git-missing' });
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatch(/git .*: Rudder works on the files but nothing is committed/);
    } finally {
      process.env.PATH = path;
    }
    expect(readFileSync(join(root, 'state/models/a.lock.yaml'), 'utf8')).toBe('1\n');
    expect(git(root, 'status', '--porcelain')).toBe('?? state/');
  });
});

describe('readHistory', () => {
  test('newest first, with plan, actions, actor, touched files and the diff', async () => {
    const root = tempRepo({ files: { 'README.md': 'x\n' } });
    writeFile(root, 'state/models/churn.lock.yaml', 'version: 1\n');
    await commitState({
      root,
      files: ['state/models/churn.lock.yaml'],
      subject: 'train churn v1 (new model)',
      trailers: { plan: PLAN, actions: ['train:churn@1'], actor: 'ci' },
    });
    writeFile(root, 'README.md', 'y\n');
    git(root, 'commit', '-qam', 'docs');
    writeFile(root, 'state/models/churn.lock.yaml', 'version: 2\n');
    await commitState({
      root,
      files: ['state/models/churn.lock.yaml'],
      subject: 'promote churn v2',
      trailers: { actions: ['promote:churn@2'], actor: 'mcp:claude' },
    });
    const h = await readHistory(root, ['state/models/churn.lock.yaml', 'state/rollouts/churn.lock.yaml'], {
      diff: true,
    });
    expect(h.entries.map((e) => [e.subject, e.actor, e.actions, e.plan, e.files])).toEqual([
      [
        'rudder: promote churn v2',
        'mcp:claude',
        ['promote:churn@2'],
        undefined,
        ['state/models/churn.lock.yaml'],
      ],
      ['rudder: train churn v1 (new model)', 'ci', ['train:churn@1'], PLAN, ['state/models/churn.lock.yaml']],
    ]);
    expect(h.entries[0]!.diff).toContain('-version: 1\n+version: 2');
    expect(h.entries[0]!.date).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });
});

describe('pushWithRetry', () => {
  function setup() {
    const a = tempRepo({
      files: { 'state/models/churn.lock.yaml': 'v1\n', 'state/features/x.lock.yaml': 'x1\n' },
    });
    const bare = bareRemote(a);
    const b = cloneOf(bare, 'Other');
    return { a, b, bare };
  }

  test('a plain push succeeds first time', async () => {
    const { a, bare } = setup();
    writeFile(a, 'state/models/churn.lock.yaml', 'v2\n');
    await commitState({ root: a, files: ['state/models/churn.lock.yaml'], subject: 's', trailers });
    const r = await pushWithRetry({ root: a });
    expect(r).toMatchObject({ attempts: 1, rebased: false, branch: 'main' });
    expect(git(bare, 'rev-parse', 'main')).toBe(git(a, 'rev-parse', 'HEAD'));
  });

  test('GIVEN another clone pushed first WHEN pushing THEN fetch, rebase, recheck and retry; both changes land', async () => {
    const { a, b, bare } = setup();
    writeFile(b, 'state/features/x.lock.yaml', 'x2\n');
    git(b, 'commit', '-qam', 'rudder: materialize x');
    git(b, 'push', '-q', 'origin', 'main');
    writeFile(a, 'state/models/churn.lock.yaml', 'v2\n');
    await commitState({
      root: a,
      files: ['state/models/churn.lock.yaml'],
      subject: 'train churn v2',
      trailers,
    });
    const events: string[] = [];
    let rechecked = 0;
    const r = await pushWithRetry({
      root: a,
      onEvent: (e) => events.push(e.type),
      recheck: async () => {
        rechecked++;
        // The rebased tree has both changes.
        return { ok: readFileSync(join(a, 'state/features/x.lock.yaml'), 'utf8') === 'x2\n' };
      },
    });
    expect(r).toMatchObject({ attempts: 2, rebased: true });
    expect(events).toEqual(['rejected', 'rebased', 'pushed']);
    expect(rechecked).toBe(1);
    expect(git(bare, 'log', '--format=%s', 'main')).toBe(
      'rudder: train churn v2\nrudder: materialize x\ninitial',
    );
    expect(git(bare, 'show', 'main:state/models/churn.lock.yaml')).toBe('v2');
  });

  test('two clones race to push state commits at the same moment: both land, none is lost', async () => {
    const { a, b, bare } = setup();
    writeFile(a, 'state/models/churn.lock.yaml', 'v2\n');
    await commitState({
      root: a,
      files: ['state/models/churn.lock.yaml'],
      subject: 'train churn v2',
      trailers,
    });
    writeFile(b, 'state/features/x.lock.yaml', 'x2\n');
    await commitState({
      root: b,
      files: ['state/features/x.lock.yaml'],
      subject: 'materialize x',
      trailers: { actions: ['materialize:x@1'], actor: 'reconcile' },
    });
    const [ra, rb] = await Promise.all([
      pushWithRetry({ root: a, maxAttempts: 4 }),
      pushWithRetry({ root: b, maxAttempts: 4 }),
    ]);
    // One wins the first round; the other is rejected (non-fast-forward, or a lost ref-lock race) and retries.
    expect(Math.min(ra.attempts, rb.attempts)).toBe(1);
    expect(Math.max(ra.attempts, rb.attempts)).toBeGreaterThanOrEqual(2);
    const subjects = git(bare, 'log', '--format=%s', 'main').split('\n');
    expect(subjects.slice(0, 2).sort()).toEqual(['rudder: materialize x', 'rudder: train churn v2']);
    expect(git(bare, 'show', 'main:state/models/churn.lock.yaml')).toBe('v2');
    expect(git(bare, 'show', 'main:state/features/x.lock.yaml')).toBe('x2');
  });

  test('a rebase conflict on the same lockfile stops with a clear error; the local commit is kept intact', async () => {
    const { a, b, bare } = setup();
    writeFile(b, 'state/models/churn.lock.yaml', 'theirs\n');
    git(b, 'commit', '-qam', 'their change');
    git(b, 'push', '-q', 'origin', 'main');
    writeFile(a, 'state/models/churn.lock.yaml', 'ours\n');
    await commitState({ root: a, files: ['state/models/churn.lock.yaml'], subject: 'ours', trailers });
    const head = git(a, 'rev-parse', 'HEAD');
    const err = await pushWithRetry({ root: a }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).kind).toBe('conflict');
    expect((err as Error).message).toContain('conflicts in state/models/churn.lock.yaml');
    expect(git(a, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(a, 'status', '--porcelain')).toBe('');
    expect(existsSync(join(a, '.git/rebase-merge'))).toBe(false);
    expect(git(bare, 'show', 'main:state/models/churn.lock.yaml')).toBe('theirs');
  });

  test('a failed recheck after the rebase restores the local commit and does not push', async () => {
    const { a, b, bare } = setup();
    writeFile(b, 'state/features/x.lock.yaml', 'x2\n');
    git(b, 'commit', '-qam', 'theirs');
    git(b, 'push', '-q', 'origin', 'main');
    writeFile(a, 'state/models/churn.lock.yaml', 'v2\n');
    await commitState({ root: a, files: ['state/models/churn.lock.yaml'], subject: 'ours', trailers });
    const head = git(a, 'rev-parse', 'HEAD');
    const remoteHead = git(bare, 'rev-parse', 'main');
    const err = await pushWithRetry({
      root: a,
      recheck: async () => ({ ok: false, message: 'model churn v2 was trained on feature x1' }),
    }).catch((e: unknown) => e);
    expect((err as GitError).kind).toBe('recheck-failed');
    expect((err as Error).message).toContain('model churn v2 was trained on feature x1');
    expect(git(a, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(bare, 'rev-parse', 'main')).toBe(remoteHead);
  });

  test('bounded: after maxAttempts rejections it stops, and says how to finish by hand', async () => {
    const { a, b } = setup();
    writeFile(b, 'state/features/x.lock.yaml', 'x2\n');
    git(b, 'commit', '-qam', 'theirs');
    git(b, 'push', '-q', 'origin', 'main');
    writeFile(a, 'state/models/churn.lock.yaml', 'v2\n');
    await commitState({ root: a, files: ['state/models/churn.lock.yaml'], subject: 'ours', trailers });
    const err = await pushWithRetry({ root: a, maxAttempts: 1 }).catch((e: unknown) => e);
    expect((err as GitError).kind).toBe('rejected');
    expect((err as Error).message).toMatch(
      /rejected 1 times .* kept locally\. Run: git pull --rebase origin main && git push/,
    );
  });

  test('a detached HEAD needs git.branch to say where state commits go', async () => {
    const { a, bare } = setup();
    git(a, 'checkout', '-q', '--detach');
    writeFile(a, 'state/models/churn.lock.yaml', 'v2\n');
    await commitState({ root: a, files: ['state/models/churn.lock.yaml'], subject: 'ours', trailers });
    await expect(pushWithRetry({ root: a })).rejects.toThrow(/HEAD is detached: set git.branch/);
    expect(await pushWithRetry({ root: a, branch: 'main' })).toMatchObject({ attempts: 1 });
    expect(git(bare, 'show', 'main:state/models/churn.lock.yaml')).toBe('v2');
  });

  test('with other uncommitted changes Rudder does not rebase', async () => {
    const { a, b } = setup();
    writeFile(b, 'state/features/x.lock.yaml', 'x2\n');
    git(b, 'commit', '-qam', 'theirs');
    git(b, 'push', '-q', 'origin', 'main');
    writeFile(a, 'state/models/churn.lock.yaml', 'v2\n');
    await commitState({ root: a, files: ['state/models/churn.lock.yaml'], subject: 'ours', trailers });
    writeFile(a, 'state/features/x.lock.yaml', 'my local edit\n');
    const err = await pushWithRetry({ root: a }).catch((e: unknown) => e);
    expect((err as GitError).kind).toBe('dirty');
    expect(readFileSync(join(a, 'state/features/x.lock.yaml'), 'utf8')).toBe('my local edit\n');
  });
});

describe('publishState (what apply calls)', () => {
  const gitSettings = (over: Partial<Project['git']>): Project['git'] => ({
    commit: true,
    push: false,
    remote: 'origin',
    pullRequest: { enabled: false },
    ...over,
  });

  test('git.commit: false commits nothing; git.push: true commits and pushes with rudder.yaml’s author', async () => {
    const a = tempRepo({ files: { 'state/models/churn.lock.yaml': 'v1\n' } });
    const bare = bareRemote(a);
    writeFile(a, 'state/models/churn.lock.yaml', 'v2\n');
    const head = git(a, 'rev-parse', 'HEAD');
    const off = await publishState({
      root: a,
      git: gitSettings({ commit: false }),
      files: ['state/models/churn.lock.yaml'],
      subject: 's',
      trailers,
    });
    expect(off.commit).toMatchObject({ committed: false, reason: 'disabled' });
    expect(git(a, 'rev-parse', 'HEAD')).toBe(head);
    const on = await publishState({
      root: a,
      git: gitSettings({ push: true, author: { name: 'ML Bot', email: 'bot@example.com' } }),
      files: ['state/models/churn.lock.yaml'],
      subject: 'promote churn v2',
      trailers,
    });
    expect(on.push).toMatchObject({ attempts: 1, branch: 'main' });
    expect(git(bare, 'log', '-1', '--format=%an|%s', 'main')).toBe('ML Bot|rudder: promote churn v2');
  });
});
