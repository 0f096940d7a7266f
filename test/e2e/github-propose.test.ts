// proposeChange: one commit of the given files on a new branch made from the remote base, pushed
// to a real bare origin, opened as a draft pull request (checked against GitHub's OpenAPI
// description) whose description is the plan with the policy changes itemized. The caller's
// checkout is left exactly as it was.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GitHubError } from '../../src/github/errors.ts';
import { proposeChange, type ProposeChangeOptions } from '../../src/github/pull-request.ts';
import { ROOT } from '../helpers/churn-repo.ts';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.ts';
import { bareRemote, cleanupTemp, git, isolateGitConfig, tempRepo } from '../helpers/temp-repo.ts';
import { syntheticPlan } from '../unit/github/plan-builder.ts';

const TOKEN = 'ghs_proposeTestToken_0000111122223333';
let gh: FakeGitHub;
let repo: string;
let bare: string;
const churn = () => readFileSync(join(ROOT, 'policies', 'models', 'churn.yaml'), 'utf8');

/** A plan that retrains churn (what api.plan gives for an epochs change). */
function churnPlan() {
  const p = syntheticPlan(1);
  const a = p.actions[0]!;
  Object.assign(a, { id: 'model.train:churn@0123456789ab', resource: { kind: 'Model', name: 'churn' } });
  Object.assign(a.params, { model: 'churn', version: 4 });
  p.waves = [[a.id]];
  return p;
}

function policyRepo(sub = ''): string {
  const r = tempRepo();
  mkdirSync(join(r, sub), { recursive: true });
  cpSync(join(ROOT, 'policies'), join(r, sub, 'policies'), { recursive: true });
  cpSync(join(ROOT, 'rudder.yaml'), join(r, sub, 'rudder.yaml'));
  writeFileSync(join(r, 'README.md'), 'hello\n');
  git(r, 'add', '-A');
  git(r, 'commit', '-q', '-m', 'policies');
  return r;
}

beforeAll(async () => {
  isolateGitConfig();
  repo = policyRepo();
  bare = bareRemote(repo);
  gh = await startFakeGitHub({ owner: 'acme', repo: 'models', token: TOKEN, gitDir: bare });
});
afterAll(async () => {
  await gh.stop();
  cleanupTemp();
});

/** The GitHubError a call fails with (a test failure if it succeeds). */
const failure = (p: Promise<unknown>): Promise<GitHubError> =>
  p.then(
    () => {
      throw new Error('expected proposeChange to fail');
    },
    (e: unknown) => {
      expect(e).toBeInstanceOf(GitHubError);
      return e as GitHubError;
    },
  );

const opts = (o: Partial<ProposeChangeOptions> & { root: string; branch: string }): ProposeChangeOptions => ({
  title: 'churn: 20 epochs',
  files: { 'policies/models/churn.yaml': churn().replace(/epochs: \d+/, 'epochs: 20') },
  plan: churnPlan(),
  github: { token: TOKEN, apiUrl: gh.url, owner: 'acme', repo: 'models' },
  clientOptions: { pacing: 'none', retryAfterUnitMs: 1 },
  ...o,
});

describe('proposeChange', () => {
  test('GIVEN changed policy text WHEN proposed THEN a branch with one commit and a draft pull request with the plan; the checkout is untouched', async () => {
    // The person's own work in progress: a staged file and an edit.
    writeFileSync(join(repo, 'notes.txt'), 'staged\n');
    git(repo, 'add', 'notes.txt');
    writeFileSync(join(repo, 'README.md'), 'edited\n');
    const before = { head: git(repo, 'rev-parse', 'HEAD'), status: git(repo, 'status', '--porcelain') };

    const r = await proposeChange(
      opts({ root: repo, branch: 'rudder/churn-epochs', body: 'Why: drift keeps firing.' }),
    );

    expect(r).toMatchObject({ branch: 'rudder/churn-epochs', base: 'main', pullRequest: { draft: true } });
    expect(git(bare, 'rev-parse', 'rudder/churn-epochs')).toBe(r.commit);
    expect(git(bare, 'rev-parse', `${r.commit}^`)).toBe(git(bare, 'rev-parse', 'main'));
    expect(git(bare, 'diff', '--name-only', 'main', r.commit)).toBe('policies/models/churn.yaml');
    expect(git(bare, 'show', `${r.commit}:policies/models/churn.yaml`)).toMatch(/epochs: 20/);
    expect(git(bare, 'log', '-1', '--format=%B', r.commit)).toMatch(
      /^churn: 20 epochs\n\nRudder-Plan: sha256:a{64}$/,
    );

    const pr = gh.pull(r.pullRequest.number)!;
    expect(pr).toMatchObject({
      head: 'rudder/churn-epochs',
      base: 'main',
      draft: true,
      title: 'churn: 20 epochs',
    });
    expect(pr.body).toMatch(/^Why: drift keeps firing\.\n\n<!-- rudder:plan project=acme-churn -->/);
    expect(pr.body).toContain('- `Model/churn` `trainer.epochs 12 → 20`: churn retrains (→ v4)');
    expect(pr.body).toMatch(/mark it ready for review once the plan reads right/);

    expect(git(repo, 'rev-parse', 'HEAD')).toBe(before.head);
    expect(git(repo, 'status', '--porcelain')).toBe(before.status);
    expect(git(repo, 'branch', '--list', 'rudder/churn-epochs')).toBe('');
    expect(gh.violations).toEqual([]);
  });

  test('an existing branch is never overwritten', async () => {
    const pulls = gh.allPulls().length;
    const e = await failure(proposeChange(opts({ root: repo, branch: 'rudder/churn-epochs' })));
    expect(e).toBeInstanceOf(GitHubError);
    expect(e.message).toMatch(/branch rudder\/churn-epochs already exists on origin/);
    expect(gh.allPulls()).toHaveLength(pulls);
  });

  test('files already as given, a path outside the repository, a bad branch name: refused before anything is pushed', async () => {
    const same = await failure(
      proposeChange(
        opts({ root: repo, branch: 'rudder/same', files: { 'policies/models/churn.yaml': churn() } }),
      ),
    );
    expect(same.message).toMatch(/nothing to propose: the files are already as given on main/);
    const outside = await failure(
      proposeChange(opts({ root: repo, branch: 'rudder/x', files: { '../etc/passwd': 'x' } })),
    );
    expect(outside.message).toMatch(/not a path inside the repository/);
    const badName = await failure(proposeChange(opts({ root: repo, branch: 'bad..name' })));
    expect(badName.message).toMatch(/not a valid branch name/);
    expect(git(bare, 'branch', '--list')).not.toMatch(/rudder\/same|rudder\/x|bad/);
  });

  test('422 from pulls.create: GitHub’s message, and the pushed branch is said to be kept', async () => {
    gh.failNext({
      status: 422,
      message: 'Validation Failed',
      match: (q) => q.operationId === 'pulls/create',
    });
    const e = await failure(proposeChange(opts({ root: repo, branch: 'rudder/fails' })));
    expect(e.status).toBe(422);
    expect(e.hint).toMatch(/The branch rudder\/fails was pushed and is kept/);
    expect(git(bare, 'branch', '--list', 'rudder/fails')).toMatch(/rudder\/fails/);
  });

  test('a project in a subfolder of the repository: paths are relative to rudder.yaml', async () => {
    const mono = policyRepo('ml');
    const monoBare = bareRemote(mono);
    const fake = await startFakeGitHub({ owner: 'acme', repo: 'mono', token: TOKEN, gitDir: monoBare });
    try {
      const r = await proposeChange({
        ...opts({ root: join(mono, 'ml'), branch: 'rudder/ml' }),
        github: { token: TOKEN, apiUrl: fake.url, owner: 'acme', repo: 'mono' },
      });
      expect(git(monoBare, 'diff', '--name-only', 'main', r.commit)).toBe('ml/policies/models/churn.yaml');
      expect(fake.pull(r.pullRequest.number)!.body).toContain('`trainer.epochs 12 → 20`');
      expect(fake.violations).toEqual([]);
    } finally {
      await fake.stop();
    }
  });
});
