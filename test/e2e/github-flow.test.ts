// The whole pull-request loop, as the example workflows run it, with the real CLI in child
// processes, real git (a bare repository as origin, fresh clones as CI checkouts), real DuckDB
// and real tfjs training on a small churn data set, and a local GitHub that checks every call
// against GitHub's OpenAPI description:
//   propose a policy change (draft-less PR) → plan job comments → push again → comment updated
//   in place → merge → apply job applies exactly the reviewed plan file, pushes the state commit
//   and reports it on the PR → applying the same file again is refused as stale.
// Every byte the flow printed or posted is then searched for the token.
import { spawn } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apply, createGitHubClient } from '../../src/api/index.ts';
import { churnRepo, ROOT } from '../helpers/churn-repo.ts';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.ts';
import { bareRemote, cleanupTemp, cloneOf, git, isolateGitConfig, tempDir } from '../helpers/temp-repo.ts';

const TOKEN = 'ghs_e2eFlowSecretToken_9f8e7d6c5b4a3210';
const BIN = join(ROOT, 'bin', 'rudder.js');
const captured: string[] = [];

let gh: FakeGitHub;
let bare: string;
let dev: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI in a child process (asynchronously: the fake GitHub answers from this process). */
function rudder(cwd: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('GITHUB_') && k !== 'CI'),
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...base, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      captured.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

/** What GitHub Actions sets for a job, plus the event payload file. */
function actionsEnv(
  dir: string,
  event: Record<string, unknown>,
  name: string,
  runId: string,
): Record<string, string> {
  const path = join(dir, `event-${runId}.json`);
  writeFileSync(path, JSON.stringify(event));
  return {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_TOKEN: TOKEN,
    GITHUB_REPOSITORY: 'acme/models',
    GITHUB_API_URL: gh.url,
    GITHUB_SERVER_URL: 'https://github.example',
    GITHUB_EVENT_NAME: name,
    GITHUB_EVENT_PATH: path,
    GITHUB_RUN_ID: runId,
  };
}

const setPolicy = (repo: string, epochs: number) => {
  const p = join(repo, 'policies', 'models', 'churn.yaml');
  writeFileSync(p, readFileSync(p, 'utf8').replace(/epochs: \d+/, `epochs: ${epochs}`));
};

beforeAll(async () => {
  isolateGitConfig();
  // A policy repository whose data is committed (CI clones read it) and whose artifacts live on
  // a shared folder (the stand-in for the shared artifact store every checkout reaches).
  dev = await churnRepo({ epochs: 1 });
  const shared = tempDir('rudder-shared-artifacts-');
  writeFileSync(join(dev, '.gitignore'), '.rudder/\n');
  const y = join(dev, 'rudder.yaml');
  writeFileSync(
    y,
    readFileSync(y, 'utf8')
      .replace('push: false', 'push: true')
      .replace(
        'artifacts: { type: local, path: .rudder/artifacts }',
        `artifacts: { type: local, path: ${shared} }`,
      ),
  );
  git(dev, 'add', '-A');
  git(dev, 'commit', '-q', '-m', 'commit the data; shared artifacts; push state commits');
  bare = bareRemote(dev);
  gh = await startFakeGitHub({ owner: 'acme', repo: 'models', token: TOKEN, gitDir: bare });
  // What is deployed before the pull request: churn v1 is the champion (applied and pushed).
  const first = await apply({ cwd: dev, actor: 'cli' });
  expect(first.diagnostics).toEqual([]);
  expect(first.outcomes.filter((o) => o.status !== 'done')).toEqual([]);
  expect(first.ok).toBe(true);
  expect(git(bare, 'rev-parse', 'main')).toBe(first.commit!.sha);
}, 240_000);

afterAll(async () => {
  await gh?.stop();
  cleanupTemp();
});

describe('plan on pull request → merge → apply on merge', () => {
  test('slow: the whole loop, with the plan comment updated in place and the exact plan applied', async () => {
    // 1. A person proposes a policy change: branch, commit and pull request, checkout untouched.
    setPolicy(dev, 2);
    const proposed = await rudder(
      dev,
      [
        'github',
        'propose',
        'policies/models/churn.yaml',
        '--branch',
        'tune-epochs',
        '--title',
        'churn: train for 2 epochs',
        '--no-draft',
        '--verbose',
      ],
      { GITHUB_TOKEN: TOKEN, GITHUB_REPOSITORY: 'acme/models', GITHUB_API_URL: gh.url },
    );
    expect(proposed.stderr).toBe('');
    expect(proposed.code).toBe(0);
    expect(proposed.stdout).toMatch(/^Opened pull request #(\d+) \(tune-epochs → main\)/);
    const pr = gh.allPulls().find((p) => p.head === 'tune-epochs')!;
    expect(pr).toMatchObject({ base: 'main', draft: false, title: 'churn: train for 2 epochs' });
    expect(pr.body).toMatch(/trainer\.epochs/);
    // git() trims: ' M' (changed, not staged) reads 'M'.
    expect(git(dev, 'status', '--porcelain')).toBe('M policies/models/churn.yaml');
    expect(git(dev, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');

    // 2. The plan job on the pull request: plan, keep plan.json, comment, set a status.
    const planJob = async (runId: string) => {
      const ci = cloneOf(bare, 'CI');
      git(ci, 'checkout', '-q', 'tune-epochs');
      const head = git(ci, 'rev-parse', 'HEAD');
      const env = actionsEnv(
        ci,
        {
          pull_request: {
            number: pr.number,
            head: { sha: head },
            base: { sha: git(ci, 'rev-parse', 'origin/main'), ref: 'main' },
          },
        },
        'pull_request',
        runId,
      );
      const planned = await rudder(ci, ['plan', '--out', 'plan.json', '--detailed-exitcode'], env);
      expect(planned.code, planned.stderr).toBe(2);
      const commented = await rudder(ci, ['github', 'comment', 'plan.json', '--status', '--verbose'], env);
      expect(commented.stderr).toMatch(/Model\/churn changed: churn retrains/);
      expect(commented.code, commented.stderr).toBe(0);
      return { ci, head, commented };
    };
    const run1 = await planJob('101');
    expect(run1.commented.stdout).toMatch(
      new RegExp(`^Posted the plan comment on pull request #${pr.number}: `),
    );
    const planComments = () => gh.comments(pr.number).filter((c) => c.body.startsWith('<!-- rudder:plan '));
    expect(planComments()).toHaveLength(1);
    const c1 = planComments()[0]!;
    const plan1 = JSON.parse(readFileSync(join(run1.ci, 'plan.json'), 'utf8')) as { digest: string };
    expect(c1.body).toContain(plan1.digest);
    expect(c1.body).toMatch(/`Model\/churn` `trainer\.epochs 1 → 2`: churn retrains \(→ v2\)/);
    expect(c1.body.indexOf('**Plan:')).toBeLessThan(c1.body.indexOf('<details>'));
    expect(c1.body).toContain('[this run](https://github.example/acme/models/actions/runs/101)');
    expect(gh.statuses.at(-1)).toMatchObject({ sha: run1.head, state: 'success', context: 'rudder/plan' });

    // 3. Another push to the pull request: the same comment is updated, not a second one.
    const work = cloneOf(bare, 'Dev');
    git(work, 'checkout', '-q', 'tune-epochs');
    setPolicy(work, 3);
    git(work, 'commit', '-q', '-am', 'churn: 3 epochs after all');
    git(work, 'push', '-q', 'origin', 'tune-epochs');
    const run2 = await planJob('102');
    expect(run2.commented.stdout).toMatch(/^Updated the plan comment/);
    expect(planComments()).toHaveLength(1);
    expect(planComments()[0]!.id).toBe(c1.id);
    expect(planComments()[0]!.body).toMatch(/`trainer\.epochs 1 → 3`: churn retrains/);

    // 4. Merge (a real merge commit in the bare origin).
    const octokit = createGitHubClient({ token: TOKEN, apiUrl: gh.url, pacing: 'none' });
    const merged = await octokit.rest.pulls.merge({ owner: 'acme', repo: 'models', pull_number: pr.number });
    expect(merged.data.merged).toBe(true);
    const mergeSha = merged.data.sha;
    expect(git(bare, 'rev-parse', 'main')).toBe(mergeSha);

    // 5. The apply job: a fresh checkout of main, the plan artifact of the last plan run, applied exactly.
    const applyJob = async (runId: string, push = false) => {
      const ci = cloneOf(bare, 'CI');
      copyFileSync(join(run2.ci, 'plan.json'), join(ci, 'plan.json'));
      // As `on: pull_request: closed` delivers it, or (push) as `on: push` does: then the pull
      // request is found through the merge commit.
      const event = push
        ? { ref: 'refs/heads/main', after: mergeSha }
        : {
            action: 'closed',
            pull_request: {
              number: pr.number,
              merged: true,
              merge_commit_sha: git(ci, 'rev-parse', 'HEAD'),
              head: { sha: run2.head },
              base: { ref: 'main' },
            },
          };
      const env = actionsEnv(ci, event, push ? 'push' : 'pull_request', runId);
      return { ci, run: await rudder(ci, ['github', 'apply', 'plan.json', '--status'], env) };
    };
    const applied = await applyJob('201');
    expect(applied.run.code, applied.run.stderr).toBe(0);
    const stateSha = /^Committed ([0-9a-f]{12}) \(pushed to origin\/main\)$/m.exec(applied.run.stdout)?.[1];
    expect(stateSha).toBeDefined();
    const mainNow = git(bare, 'rev-parse', 'main');
    expect(mainNow.startsWith(stateSha!)).toBe(true);
    expect(git(bare, 'rev-parse', 'main^')).toBe(mergeSha);
    const msg = git(bare, 'log', '-1', '--format=%B', 'main');
    const plan2 = JSON.parse(readFileSync(join(run2.ci, 'plan.json'), 'utf8')) as { digest: string };
    expect(msg).toContain(`Rudder-Plan: ${plan2.digest}`);
    expect(msg).toContain('Rudder-Actor: ci');
    const report = gh
      .comments(pr.number)
      .find((c) => c.body.startsWith('<!-- rudder:apply ') && c.body.includes('run=201'))!;
    expect(report.body).toMatch(/✅ Rudder apply/);
    expect(report.body).toContain(
      `[\`${mainNow.slice(0, 12)}\`](https://github.example/acme/models/commit/${mainNow})`,
    );
    expect(report.body).toMatch(/model\.train:churn@\S+` \| done/);
    expect(gh.statuses.at(-1)).toMatchObject({ sha: mainNow, state: 'success', context: 'rudder/apply' });

    // 6. The same plan file again (from a push event), now that the state moved on: refused,
    // reported on the pull request of the merge commit, exit 1.
    const again = await applyJob('202', true);
    expect(again.run.code, again.run.stderr).toBe(1);
    expect(again.run.stderr).toMatch(/plan\/stale/);
    expect(git(bare, 'rev-parse', 'main')).toBe(mainNow);
    const refused = gh.comments(pr.number).find((c) => c.body.includes('run=202'))!;
    expect(refused.body).toMatch(/❌ Rudder apply/);
    expect(refused.body).toMatch(
      /Nothing was applied:[\s\S]*no longer matches the world: .*state\/models\/churn\.lock\.yaml changed/,
    );

    // 7. A wrong token: a clear message with a next step, exit 1, and nothing of the token.
    const bad = await rudder(run2.ci, ['github', 'comment', 'plan.json', '--verbose'], {
      ...actionsEnv(run2.ci, { pull_request: { number: pr.number } }, 'pull_request', '103'),
      GITHUB_TOKEN: `${TOKEN}-revoked`,
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/GitHub rejected the token \(401 Bad credentials\)[\s\S]*next: /);
    expect(bad.stderr).not.toMatch(/internal error/);

    // Every request of the flow was a valid GitHub API call.
    expect(gh.violations).toEqual([]);

    // 8. The token appears nowhere: not in any output, comment, pull request, status or commit.
    const everything = [
      ...captured,
      ...gh.allPulls().flatMap((p) => [p.title, p.body ?? '']),
      ...gh.allPulls().flatMap((p) => gh.comments(p.number).map((c) => c.body)),
      ...gh.statuses.map((s) => `${s.description ?? ''}`),
      ...gh.requests.map((r) => JSON.stringify(r.body ?? '')),
      git(bare, 'log', '--all', '--format=%B'),
    ].join('\n');
    expect(everything.length).toBeGreaterThan(5000);
    for (const form of [TOKEN, TOKEN.slice(4), Buffer.from(`x-access-token:${TOKEN}`).toString('base64')])
      expect(everything).not.toContain(form);
    // ...while the token did reach GitHub, as it should.
    expect(gh.requests.some((r) => r.authorization === `token ${TOKEN}`)).toBe(true);
  }, 600_000);
});
